// `smtp-tui run --save-dir DIR`, the built binary as a user runs it: the message the lab
// accepted is on disk, byte for byte what the run sent, with its envelope beside it.
import {before, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {createHash} from 'node:crypto';
import {mkdtemp, readdir, readFile, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {simpleParser} from 'mailparser';
import type {SavedEnvelope} from '../../source/lab/save.js';
import {cliPath} from '../support/pty.js';

type Result = {code: number; stdout: string; stderr: string};

async function cli(args: string[]): Promise<Result> {
	return new Promise(resolve => {
		const child = execFile(process.execPath, [cliPath, ...args], {timeout: 30_000}, (error, stdout, stderr) => {
			resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr});
		});
		child.stdin?.end();
	});
}

type Entry = {direction: string; text: string; step?: string; code?: number};

/** The message bytes the client put on the wire after 354, dot-stuffing undone, without the final dot. */
function sentMessage(entries: Entry[]): Buffer {
	const lines = entries.filter(entry => entry.direction === 'client' && entry.step === 'body').map(entry => entry.text);
	assert.equal(lines.at(-1), '.', 'the message ends with the lone dot');
	return Buffer.from(lines.slice(0, -1).map(line => (line.startsWith('..') ? line.slice(1) : line)).join('\r\n') + '\r\n', 'utf8');
}

let tmp: string;
before(async () => {
	tmp = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-save-dir-'));
});

test('run --port 587 --save-dir D leaves one .eml equal to what the run sent, and its envelope', async () => {
	const dir = path.join(tmp, 'inbox', 'new'); // created on the way
	const {code, stdout, stderr} = await cli(['run', '--port', '587', '--save-dir', dir, '--json']);
	assert.equal(code, 0, stderr);
	const entries = stdout.trim().split('\n').map(line => JSON.parse(line) as Entry);
	const queued = entries.find(entry => entry.direction === 'server' && /Ok: queued as/.test(entry.text));
	const id = /queued as ([\dA-F]+)/.exec(queued?.text ?? '')?.[1];
	assert.ok(id, 'the lab answered 250 with a queue ID');

	const names = (await readdir(dir)).sort();
	assert.equal(names.length, 2, names.join(' '));
	const [eml, json] = names as [string, string];
	assert.match(eml, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d\\.\\d{3}Z-${id}\\.eml$`));
	assert.equal(json, eml.replace(/\.eml$/, '.json'));

	const bytes = await readFile(path.join(dir, eml));
	assert.deepEqual(bytes, sentMessage(entries), 'byte for byte what went over the wire');
	const parsed = await simpleParser(bytes);
	assert.equal(parsed.subject, 'smtp-tui test message');
	assert.equal(parsed.from?.text, 'alice@lab.test');
	assert.equal(Array.isArray(parsed.to) ? undefined : parsed.to?.text, 'bob@lab.test');
	assert.equal(parsed.text?.trim(), 'This is a test message sent by smtp-tui.');

	const envelope = JSON.parse(await readFile(path.join(dir, json), 'utf8')) as SavedEnvelope;
	assert.equal(envelope.id, id);
	assert.equal(envelope.port, 587);
	assert.equal(envelope.mailFrom, 'alice@lab.test');
	assert.deepEqual(envelope.rcptTo, ['bob@lab.test']);
	assert.equal(envelope.tls, true);
	assert.equal(envelope.user, 'alice');
	assert.equal(envelope.size, bytes.length);
	assert.equal(envelope.sha256, createHash('sha256').update(bytes).digest('hex'));
});

test('--save-dir with --host is a usage error in one sentence (it only applies to the lab)', async () => {
	const {code, stdout, stderr} = await cli(['run', '--host', '127.0.0.1', '--port', '2', '--to', 'a@b.test', '--save-dir', path.join(tmp, 'never')]);
	assert.equal(code, 2);
	assert.equal(stdout, '', 'nothing was attempted');
	assert.equal(stderr, 'smtp-tui: --save-dir saves the messages the embedded lab accepts; it does not go with --host.\n');
	assert.deepEqual((await readdir(tmp)).filter(name => name === 'never'), [], 'no folder was made for it');
});

test('a --save-dir that cannot be a folder is refused before anything starts, exit 2', async () => {
	const file = path.join(tmp, 'plain-file');
	await writeFile(file, 'x');
	const {code, stdout, stderr} = await cli(['run', '--port', '587', '--save-dir', file]);
	assert.equal(code, 2);
	assert.equal(stdout, '');
	assert.equal(stderr, `smtp-tui: Cannot save messages in "${file}": it is a file, not a folder.\n`);
});
