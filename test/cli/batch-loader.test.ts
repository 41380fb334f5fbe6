// The bin's two builds (scripts/cli-loader.cjs): `smtp-tui run` runs dist/batch.cjs with the
// V8 code cache the build made, everything else dist/app.mjs. Against a real Postfix (STARTTLS
// on its port 25, a message delivered): the code-cached script prints the same bytes as the
// ES-module build, text and --json, with the same exit code, and a cache V8 refuses (other
// V8 flags, as a Node upgrade would), one whose digests do not match (a damaged or a
// cut-short file, one byte flipped anywhere, a batch.cjs edited to the same length) or a
// missing one changes nothing but the cache's fate, which NODE_DEBUG=smtp-tui reports.
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
const cacheFate = (stderr: string) => /batch code cache (.*)/.exec(stderr)?.[1];
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
		{name: 'made under other V8 flags', prepare: async () => writeFile(cacheFile(), good), flags: ['--stack-size=2000'], fate: 'rejected by V8'},
		{name: 'damaged', prepare: async () => writeFile(cacheFile(), Buffer.alloc(good.length, 0x5a)), fate: 'rejected: digest'},
		{name: 'cut short', prepare: async () => writeFile(cacheFile(), good.subarray(0, good.length >> 1)), fate: 'rejected: digest'},
		{name: 'only its digests', prepare: async () => writeFile(cacheFile(), good.subarray(0, 64)), fate: 'rejected: digest'},
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

test('run with one byte of the cache flipped (V8 would accept many and crash or misbehave): the cache is refused, the session is the ES-module build\'s', async () => {
	const good = await readFile(cacheFile());
	const app = await node([path.join(copy, 'dist', 'app.mjs'), ...session()], {NODE_DEBUG: ''});
	assert.equal(app.code, 0, app.stdout + app.stderr);
	// The offsets of the report (V8 aborted, segfaulted, spun or ran on), the two digests, then spread through the file.
	const offsets = [9064, 45064, 108064, 351064, 0, 40, ...[1, 3, 5, 7].map(k => Math.floor((good.length * k) / 8) + 13), good.length - 1];
	try {
		for (const offset of offsets) {
			const flipped = Buffer.from(good);
			flipped[offset] ^= 0xff;
			await writeFile(cacheFile(), flipped);
			const debug = await node([bin(), ...session()]);
			assert.equal(cacheFate(debug.stderr), 'rejected: digest', `byte ${offset}: ${debug.stderr}`);
			const quiet = await node([bin(), ...session()], {NODE_DEBUG: ''});
			assert.equal(quiet.code, app.code, `byte ${offset}: ${quiet.stdout}${quiet.stderr}`);
			assert.equal(quiet.stderr, '', `byte ${offset}`);
			assert.equal(sameBytes(quiet.stdout), sameBytes(app.stdout), `byte ${offset}`);
		}
	} finally {
		await writeFile(cacheFile(), good);
	}
});

test('run after an edit of batch.cjs that keeps its length (V8 would run the old code from the cache): the edited code runs', async () => {
	const batchFile = path.join(copy, 'dist', 'batch.cjs');
	const good = await readFile(batchFile, 'utf8');
	const usage = ['run', '--bogus'];
	const app = await node([path.join(copy, 'dist', 'app.mjs'), ...usage], {NODE_DEBUG: ''});
	assert.equal(app.code, 2, app.stderr);
	assert.match(app.stderr, /unknown option/);
	const edited = good.replaceAll('unknown option', 'UNKNOWN OPTION');
	assert.notEqual(edited, good);
	assert.equal(Buffer.byteLength(edited), Buffer.byteLength(good));
	try {
		await writeFile(batchFile, edited);
		const debug = await node([bin(), ...usage]);
		assert.equal(cacheFate(debug.stderr), 'rejected: digest', debug.stderr);
		const quiet = await node([bin(), ...usage], {NODE_DEBUG: ''});
		assert.equal(quiet.code, app.code);
		assert.equal(quiet.stdout, app.stdout);
		assert.equal(quiet.stderr, app.stderr.replaceAll('unknown option', 'UNKNOWN OPTION'));
	} finally {
		await writeFile(batchFile, good);
	}
});

test('the bin writes no cache: SMTP_TUI_BUILD_CODE_CACHE (once the build\'s) changes nothing', async () => {
	const out = path.join(copy, 'written.cache');
	const app = await node([path.join(copy, 'dist', 'app.mjs'), 'run', '--help'], {NODE_DEBUG: ''});
	for (const target of ['/nonexistent/x', out]) {
		const result = await node([bin(), 'run', '--help'], {NODE_DEBUG: '', SMTP_TUI_BUILD_CODE_CACHE: target});
		assert.equal(result.code, 0, result.stderr);
		assert.equal(result.stderr, '');
		assert.equal(result.stdout, app.stdout);
		assert.match(result.stdout, /Usage/);
	}
	await assert.rejects(readFile(out), {code: 'ENOENT'});
});
