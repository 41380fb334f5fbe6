// --record FILE through the built binary: a path that cannot take a recording is refused
// before anything connects (exit 2, one sentence); a write that fails at the end is not
// exit 0; a good path gets a recording that replays.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdir, mkdtemp, readFile, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {cli} from '../support/cli.js';
import {spawnTui} from '../support/pty.js';
import {agreeableServer, scriptedServer} from '../support/scripted-server.js';

let server: Awaited<ReturnType<typeof agreeableServer>>;
let tmp: string;
before(async () => {
	server = await agreeableServer('rec.test');
	tmp = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-record-'));
});
after(async () => {
	await server.close();
	await rm(tmp, {recursive: true, force: true});
});

const session = (port: number) => ['--host', '127.0.0.1', '--port', String(port), '--tls', 'none', '--quit-after', 'ehlo'];

test('run --record into a missing folder, a folder or /dev/full: one sentence, exit 2, nothing connects', async () => {
	for (const [file, why] of [
		[path.join(tmp, 'no-such-folder', 'session.jsonl'), 'its folder does not exist'],
		[tmp, 'it is a folder'],
		['/dev/full', 'it is not a regular file'],
	] as const) {
		const result = await cli(['run', ...session(server.port), '--record', file]);
		assert.equal(result.code, 2, result.stdout + result.stderr);
		assert.equal(result.stderr, `smtp-tui: Cannot write the recording to "${file}": ${why}.\n`);
		assert.equal(result.stdout, '');
	}

	assert.equal(server.connections(), 0);
});

test('the TUI refuses an unwritable --record before it starts', async () => {
	const file = path.join(tmp, 'missing', 'x.jsonl');
	const tui = spawnTui([...session(server.port), '--record', file]);
	try {
		assert.equal(await tui.exited, 2);
		assert.match(tui.output(), /Cannot write the recording to ".*x\.jsonl": its folder does not exist\./);
		assert.equal(server.connections(), 0);
	} finally {
		tui.kill();
	}
});

test('a good --record path gets the recording; one that fails at the end makes the exit code 2', async () => {
	const good = path.join(tmp, 'good.jsonl');
	const ok = await cli(['run', ...session(server.port), '--record', good]);
	assert.equal(ok.code, 0, ok.stderr);
	const lines = (await readFile(good, 'utf8')).trim().split('\n').map(line => JSON.parse(line) as {type?: string; text?: string});
	assert.equal(lines[0]!.type, 'smtp-tui-recording');
	assert.ok(lines.some(line => line.text === '220 rec.test ESMTP'));

	// The folder is there when smtp-tui checks, and gone (removed by the server) by the end.
	const folder = path.join(tmp, 'vanishing');
	await mkdir(folder);
	const vanishing = await scriptedServer(async (socket, reader) => {
		await rm(folder, {recursive: true});
		socket.write('220 gone.test ESMTP\r\n');
		for (let line = await reader.next(); line !== undefined; line = await reader.next()) {
			socket.write(line === 'QUIT' ? '221 bye\r\n' : '250 gone.test\r\n');
		}
	});
	try {
		const file = path.join(folder, 'session.jsonl');
		const result = await cli(['run', ...session(vanishing.port), '--record', file]);
		assert.equal(result.code, 2, result.stdout + result.stderr);
		assert.match(result.stdout, /220 gone\.test ESMTP/);
		assert.equal(result.stderr, `smtp-tui: Could not write the recording to "${file}": its folder does not exist.\n`);
	} finally {
		await vanishing.close();
	}
});
