// The bin's two builds (scripts/cli-loader.cjs): `smtp-tui run` runs dist/batch.cjs with the
// V8 code cache the build made, everything else dist/app.mjs. Against a real Postfix (STARTTLS
// on its port 25, a message delivered): the code-cached script prints the same bytes as the
// ES-module build, text and --json, with the same exit code, and a cache V8 refuses (other
// V8 flags, as a Node upgrade would; a damaged or a cut-short file) or a missing one changes
// nothing but the cache's fate, which NODE_DEBUG=smtp-tui reports.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {cp, mkdtemp, readFile, rm, symlink, unlink, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {startPostfix, type PostfixInstance} from '../support/postfix.js';

const project = fileURLToPath(new URL('../..', import.meta.url));
let postfix: PostfixInstance;
let copy: string;
before(async () => {
	postfix = await startPostfix();
	// A copy of dist whose cache each test may spoil; node_modules beside it, as when installed.
	copy = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-loader-'));
	await cp(path.join(project, 'dist'), path.join(copy, 'dist'), {recursive: true});
	await symlink(path.join(project, 'node_modules'), path.join(copy, 'node_modules'));
});
after(async () => {
	await postfix?.stop();
	if (copy) await rm(copy, {recursive: true, force: true});
});

type Result = {code: number; stdout: string; stderr: string};
async function node(args: string[], env: Record<string, string> = {}): Promise<Result> {
	return new Promise(resolve => {
		const child = execFile(process.execPath, args, {env: {...process.env, NODE_DEBUG: 'smtp-tui', ...env}, timeout: 60_000}, (error, stdout, stderr) => {
			resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr});
		});
		child.stdin?.end();
	});
}

/** A whole session with STARTTLS; a fixed Date and Message-ID, so two runs differ only in the queue ID (and --json's times). */
const session = (extra: string[] = []) => ['run', '--host', postfix.host, '--port', String(postfix.ports[25]), '--ca', postfix.caFile, '--servername', postfix.hostname, '--from', 'alice@example.test', '--to', `bob@${postfix.domain}`, '--header', 'Date: Tue, 1 Dec 2026 00:00:00 +0000', '--header', 'Message-ID: <loader@example.test>', ...extra];
const sameBytes = (text: string) => text.replace(/queued as [0-9A-Z]+/g, 'queued as QUEUEID').replace(/"at":\d+(\.\d+)?,/g, '"at":0,');
const cacheFate = (stderr: string) => /batch code cache (\w+)/.exec(stderr)?.[1];
const withoutDebug = (stderr: string) => stderr.replace(/^SMTP-TUI \d+: .*\n/gm, '');
const bin = () => path.join(copy, 'dist', 'cli.js');
const cacheFile = () => path.join(copy, 'dist', 'batch.cache');

test('run: the code-cached script and the ES-module build print the same session, text and --json; the cache is accepted', async () => {
	for (const extra of [[], ['--json']]) {
		const batch = await node([bin(), ...session(extra)]);
		const app = await node([path.join(copy, 'dist', 'app.mjs'), ...session(extra)]);
		assert.equal(batch.code, 0, batch.stdout + batch.stderr);
		assert.equal(cacheFate(batch.stderr), 'accepted', batch.stderr);
		assert.equal(cacheFate(app.stderr), undefined, 'the ES-module build has no code cache');
		assert.match(batch.stdout, /Ready to start TLS/);
		assert.match(batch.stdout, /queued as/);
		assert.equal(sameBytes(batch.stdout), sameBytes(app.stdout));
		assert.equal(withoutDebug(batch.stderr), app.stderr);
		assert.equal(batch.code, app.code);
	}
});

test('run with a cache V8 refuses or without one: the same output and exit code, nothing said without NODE_DEBUG', async () => {
	const good = await readFile(cacheFile());
	const reference = await node([bin(), ...session()]);
	assert.equal(cacheFate(reference.stderr), 'accepted');
	const cases: Array<{name: string; prepare: () => Promise<void>; flags?: string[]; fate: string}> = [
		// Any V8 flag is part of the cache's check, as the V8 version is: what a Node upgrade does.
		{name: 'made under other V8 flags', prepare: async () => writeFile(cacheFile(), good), flags: ['--stack-size=2000'], fate: 'rejected'},
		{name: 'damaged', prepare: async () => writeFile(cacheFile(), Buffer.alloc(good.length, 0x5a)), fate: 'rejected'},
		{name: 'cut short', prepare: async () => writeFile(cacheFile(), good.subarray(0, good.length >> 1)), fate: 'rejected'},
		{name: 'missing', prepare: async () => unlink(cacheFile()), fate: 'absent'},
	];
	try {
		for (const {name, prepare, flags = [], fate} of cases) {
			await prepare();
			const result = await node([...flags, bin(), ...session()]);
			assert.equal(cacheFate(result.stderr), fate, name);
			assert.equal(result.code, 0, `${name}: ${result.stdout}${result.stderr}`);
			assert.equal(sameBytes(result.stdout), sameBytes(reference.stdout), name);
			assert.equal(withoutDebug(result.stderr), '', name);
			const quiet = await node([...flags, bin(), ...session()], {NODE_DEBUG: ''});
			assert.equal(quiet.stderr, '', `${name}, without NODE_DEBUG`);
			assert.equal(sameBytes(quiet.stdout), sameBytes(reference.stdout), `${name}, without NODE_DEBUG`);
		}
	} finally {
		await writeFile(cacheFile(), good);
	}
});

test('run\'s failures keep their exit codes and sentences in the code-cached script (refused connection, usage)', async () => {
	const refused = ['run', '--host', '127.0.0.1', '--port', '1', '--tls', 'none', '--to', 'bob@example.test'];
	const usage = ['run', '--port', 'seventy'];
	for (const args of [refused, usage]) {
		const batch = await node([bin(), ...args]);
		const app = await node([path.join(copy, 'dist', 'app.mjs'), ...args]);
		assert.equal(cacheFate(batch.stderr), 'accepted');
		assert.notEqual(batch.code, 0);
		assert.equal(batch.code, app.code, args.join(' '));
		assert.equal(batch.stdout, app.stdout);
		assert.equal(withoutDebug(batch.stderr), app.stderr);
		assert.doesNotMatch(batch.stderr, /internal error|\n {4}at /);
	}
});
