// Hostile input from our own side: CR, LF and NUL in anything the user types or passes are
// refused with one sentence before a byte goes out, and a message body full of lone dots, bare
// LFs and bare CRs reaches the server dot-stuffed and CRLF-only, checked byte for byte.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {Session, type SessionOptions} from '../../source/engine/session.js';
import {cliPath} from '../support/pty.js';
import {scriptedServer, type Handler, type ScriptedServer, scriptedSessionOptions} from '../support/scripted-server.js';

type Result = {code: number | null; stdout: string; stderr: string};

let tmp: string;
before(async () => {
	tmp = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-input-'));
});
after(async () => {
	await rm(tmp, {recursive: true, force: true});
});

async function runCli(args: string[], env: Record<string, string> = {}): Promise<Result> {
	const child = spawn(process.execPath, [cliPath, ...args], {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']});
	let stdout = '';
	let stderr = '';
	child.stdout.setEncoding('utf8').on('data', (text: string) => {
		stdout += text;
	});
	child.stderr.setEncoding('utf8').on('data', (text: string) => {
		stderr += text;
	});
	const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
	const code = await new Promise<number | null>(resolve => {
		child.on('close', resolve);
	});
	clearTimeout(killer);
	return {code, stdout, stderr};
}

/** A polite server that also keeps every byte it received, and counts connections. */
type RecordingServer = ScriptedServer & {bytes: () => Buffer; connections: () => number};

async function recordingServer(): Promise<RecordingServer> {
	const chunks: Buffer[] = [];
	let connections = 0;
	const handler: Handler = async (socket: net.Socket, reader) => {
		connections++;
		socket.on('data', (chunk: Buffer) => chunks.push(chunk));
		socket.write('220 mx.test ESMTP\r\n');
		let inData = false;
		for (;;) {
			const line = await reader.next();
			if (line === undefined) return;
			if (inData) {
				if (line === '.') {
					inData = false;
					socket.write('250 2.0.0 queued\r\n');
				}

				continue;
			}

			const verb = line.split(' ')[0]!.toUpperCase();
			if (verb === 'EHLO') socket.write('250-mx.test\r\n250-8BITMIME\r\n250 AUTH PLAIN\r\n');
			else if (verb === 'DATA') {
				inData = true;
				socket.write('354 go ahead\r\n');
			} else if (verb === 'QUIT') {
				socket.end('221 2.0.0 bye\r\n');
				return;
			} else if (verb === 'AUTH') socket.write('235 2.7.0 ok\r\n');
			else socket.write('250 2.0.0 ok\r\n');
		}
	};

	const server = await scriptedServer(handler);
	return {...server, bytes: () => Buffer.concat(chunks), connections: () => connections};
}

const base = (port: number) => ['run', '--host', '127.0.0.1', '--port', String(port), '--tls', 'none', '--timeout', '2'];

/** The sentence the user reads: `smtp-tui: …` on stderr, or the `***` line of the transcript. */
function sentences(result: Result): string[] {
	return [
		...result.stderr.split('\n').filter(line => line.startsWith('smtp-tui: ')).map(line => line.slice('smtp-tui: '.length)),
		...result.stdout.split('\n').filter(line => line.startsWith('*** ')).map(line => line.slice(4)),
	];
}

const breaks = {CR: 'x\ry', LF: 'x\ny', CRLF: 'x\r\ny'} as const;

describe('CR and LF in command-line values: refused before connecting', {concurrency: 4}, () => {
	const fields: Array<{flag: string; value: (evil: string) => string; extra?: string[]}> = [
		{flag: '--to', value: evil => `a${evil}@b.test`},
		{flag: '--from', value: evil => `me${evil}@b.test`},
		{flag: '--ehlo', value: evil => `client${evil}.test`},
		{flag: '--header', value: evil => `X-Test: a${evil}RCPT TO:<evil@x.test>`},
		{flag: '--subject', value: evil => `hello${evil}Bcc: evil@x.test`},
		{flag: '--user', value: evil => `alice${evil}`, extra: ['--password-env', 'INPUT_PW', '--insecure-auth']},
	];
	for (const {flag, value, extra = []} of fields) {
		for (const [name, evil] of Object.entries(breaks)) {
			test(`${flag} with ${name}: exit 2, one sentence, nothing sent`, async () => {
				const server = await recordingServer();
				try {
					const args = [...base(server.port), ...(flag === '--to' ? [] : ['--to', 'a@b.test']), flag, value(evil), ...extra];
					const result = await runCli(args, {INPUT_PW: 'pw'});
					assert.equal(result.code, 2, result.stdout + result.stderr);
					const said = sentences(result);
					assert.equal(said.length, 1, `one sentence: ${JSON.stringify(said)}`);
					assert.match(said[0]!, /line break|CR or LF/);
					assert.match(said[0]!, /[.)]$/);
					assert.equal(server.connections(), 0, 'refused before connecting');
					assert.ok(!/\n\s+at /.test(result.stderr), 'no stack trace');
				} finally {
					await server.close();
				}
			});
		}
	}
});

test('a --password-file with two lines: its first line is the password, the second never reaches the server', async () => {
	const file = path.join(tmp, 'two-lines');
	await writeFile(file, 'secret-one\nRSET\n');
	const server = await recordingServer();
	try {
		const result = await runCli([...base(server.port), '--to', 'a@b.test', '--user', 'alice', '--password-file', file, '--insecure-auth']);
		assert.equal(result.code, 0, result.stdout + result.stderr);
		const auth = server.received.find(line => line.startsWith('AUTH PLAIN '));
		assert.equal(Buffer.from(auth?.slice('AUTH PLAIN '.length) ?? '', 'base64').toString(), '\0alice\0secret-one', 'the first line, without its line break');
		assert.ok(!server.received.includes('RSET'), server.received.join(' | '));
		assert.ok(!result.stdout.includes('secret-one') && !result.stderr.includes('secret-one'));
	} finally {
		await server.close();
	}
});

test('a password with a line break in it (--password-env): exit 2 before AUTH, nothing injected', async () => {
	const server = await recordingServer();
	try {
		const result = await runCli([...base(server.port), '--to', 'a@b.test', '--user', 'alice', '--password-env', 'TWO_LINES', '--insecure-auth'], {TWO_LINES: 'secret-one\r\nRSET'});
		assert.equal(result.code, 2, result.stdout);
		assert.deepEqual(sentences(result).filter(s => !s.startsWith('Warning:')), ['The password contains a line break (CR or LF); if it was read from a file, remove the trailing newline.']);
		assert.ok(!server.received.some(line => line.startsWith('AUTH') || line === 'RSET'), server.received.join(' | '));
	} finally {
		await server.close();
	}
});

// ——— the engine: NUL (which a command line cannot carry) and typed commands ———

const options = scriptedSessionOptions;

describe('CR, LF and NUL in session options: refused before a byte goes out (exit 2)', () => {
	const cases: Array<[string, Partial<SessionOptions>, RegExp]> = [
		['NUL in the EHLO name', {ehlo: 'client\0.example'}, /^The EHLO name contains a NUL character, which SMTP does not allow\.$/],
		['NUL in the sender', {from: 'a\0@client.example'}, /^The sender address contains a NUL character/],
		['NUL in a recipient', {to: ['ok@mx.test', 'b\0@mx.test']}, /^The recipient address contains a NUL character/],
		['NUL in a header', {headers: ['X-Test: a\0b']}, /^The header field contains a NUL character/],
		['NUL in the subject', {subject: 'hi\0there'}, /^The subject contains a NUL character/],
		['LF in the subject', {subject: 'hi\nBcc: evil@x.test'}, /^The subject contains a line break \(CR or LF\)/],
		['CR in a recipient', {to: ['b@mx.test\rRSET']}, /^The recipient address contains a line break \(CR or LF\), which would let it inject SMTP commands\.$/],
		['CRLF in the EHLO name', {ehlo: 'x\r\nMAIL FROM:<evil@x.test>'}, /^The EHLO name contains a line break/],
	];
	for (const [name, over, message] of cases) {
		test(name, async () => {
			const server = await recordingServer();
			try {
				const session = new Session(options(server.port, over));
				assert.doesNotThrow(() => session.peek());
				assert.equal(await session.runToEnd(), 2);
				assert.match(session.failureMessage ?? '', message);
				assert.equal(server.connections(), 0, 'nothing was sent');
				assert.ok(session.entries.some(e => e.direction === 'error' && message.test(e.text)), 'the sentence is in the transcript');
			} finally {
				await server.close();
			}
		});
	}
});

test('typed commands and edited lines with CR, LF or NUL: refused with a sentence, the session goes on', async () => {
	const server = await recordingServer();
	try {
		const session = new Session(options(server.port));
		await session.step(); // connect
		await session.step(); // EHLO
		for (const typed of ['NOOP\r\nRSET', 'NOOP\nQUIT', 'RSET\r', 'NOOP\0', 'MAIL FROM:<a@b.test>\u0000RCPT']) {
			const outcome = await session.manual(typed);
			assert.equal(outcome.ok, false);
			assert.equal(outcome.failure?.kind, 'local');
			assert.match(outcome.failure?.message ?? '', /^The command contains (a line break \(CR or LF\), which would let it inject SMTP commands|a NUL character, which SMTP does not allow)\.$/);
		}

		// An edited planned line: refused the same way, and the step can then be sent as planned.
		assert.equal(session.next().kind, 'mail');
		const edited = await session.step('MAIL FROM:<a@client.example>\r\nRCPT TO:<evil@x.test>');
		assert.equal(edited.ok, false);
		assert.equal(edited.failure?.kind, 'local');
		assert.equal(session.next().kind, 'mail', 'nothing changed');
		assert.equal((await session.step()).ok, true);
		assert.equal(await session.runToEnd(), 0);
		assert.ok(!server.received.some(line => /evil|^RSET|^NOOP/.test(line)), `nothing typed went out: ${server.received.join(' | ')}`);
		assert.equal(server.received.filter(line => line === 'QUIT').length, 1);
	} finally {
		await server.close();
	}
});

// ——— the body on the wire, byte for byte ———

/** Everything a client sent must end lines with CRLF only: no CR without LF, no LF without CR. */
function assertCrlfOnly(bytes: Buffer): void {
	for (let i = 0; i < bytes.length; i++) {
		if (bytes[i] === 0x0A) assert.equal(bytes[i - 1], 0x0D, `bare LF at byte ${i}`);
		if (bytes[i] === 0x0D) assert.equal(bytes[i + 1], 0x0A, `bare CR at byte ${i}`);
	}
}

/** The message as it travelled: from after "DATA\r\n" up to and including the first CRLF.CRLF. */
function dataSection(bytes: Buffer): {headers: string; body: string; after: string} {
	const text = bytes.toString('latin1');
	const start = text.indexOf('\r\nDATA\r\n') + '\r\nDATA\r\n'.length;
	const end = text.indexOf('\r\n.\r\n', start);
	assert.ok(start > 10 && end > start, 'a DATA section ending in CRLF.CRLF');
	const message = text.slice(start, end + 2);
	const split = message.indexOf('\r\n\r\n');
	return {headers: message.slice(0, split + 2), body: message.slice(split + 4), after: text.slice(end + 2)};
}

// Lone dots, a dot line made of bare LFs, a would-be end of data (the SMTP smuggling pattern
// with CRLF, LF and CR), dots at the start of lines, and no final newline.
const hostileBody = [
	'first line\n',
	'.\n',
	'second\r\n',
	'..\n',
	'.leading dot\r',
	'after a bare CR\n',
	'smuggle\r\n.\r\nMAIL FROM:<evil@x.test>\r\n',
	'lf smuggle\n.\nRCPT TO:<evil@x.test>\n',
	'cr smuggle\r.\rDATA\r',
	' .not at start\n',
	'.',
].join('');

// Written out by hand (not computed with the code under test).
const expectedBody = [
	'first line\r\n',
	'..\r\n',
	'second\r\n',
	'...\r\n',
	'..leading dot\r\n',
	'after a bare CR\r\n',
	'smuggle\r\n..\r\nMAIL FROM:<evil@x.test>\r\n',
	'lf smuggle\r\n..\r\nRCPT TO:<evil@x.test>\r\n',
	'cr smuggle\r\n..\r\nDATA\r\n',
	' .not at start\r\n',
	'..\r\n',
].join('');

test('a body with lone dots, bare LFs and bare CRs goes out dot-stuffed and CRLF-only (run --body-file)', async () => {
	const file = path.join(tmp, 'hostile-body.txt');
	await writeFile(file, hostileBody);
	const server = await recordingServer();
	try {
		const result = await runCli([...base(server.port), '--to', 'a@b.test', '--body-file', file]);
		assert.equal(result.code, 0, result.stdout + result.stderr);
		const bytes = server.bytes();
		assertCrlfOnly(bytes);
		const {headers, body, after} = dataSection(bytes);
		assert.match(headers, /^Date: .*\r\nFrom: smtp-tui@[^\r]+\r\nTo: a@b\.test\r\nSubject: smtp-tui test message\r\nMessage-ID: <[^>]+>\r\n$/);
		assert.equal(body, expectedBody);
		assert.equal(after, '.\r\nQUIT\r\n', 'exactly one end of data, then QUIT');
		assert.equal(server.received.filter(line => line === '.').length, 1, 'the server saw one message');
		// What the user saw is what went out, line for line (dot-stuffed, escapes aside).
		assert.match(result.stdout, /^ -> \.\.\.$/m);
		assert.match(result.stdout, /^ -> \.\.leading dot$/m);
	} finally {
		await server.close();
	}
});

test('the same body through the engine with AUTH and CRLF-only commands; an empty and a dot-only body', async () => {
	for (const [body, expected] of [[hostileBody, expectedBody], ['', '\r\n'], ['.', '..\r\n'], ['\n', '\r\n'], ['\r\n.\r\n', '\r\n..\r\n']] as const) {
		const server = await recordingServer();
		try {
			const session = new Session(options(server.port, {body, credentials: {user: 'alice', password: 'pw'}, insecureAuth: true}));
			assert.equal(await session.runToEnd(), 0, session.failureMessage);
			const bytes = server.bytes();
			assertCrlfOnly(bytes);
			const section = dataSection(bytes);
			assert.equal(section.body, expected, JSON.stringify(body));
			assert.equal(section.after, '.\r\nQUIT\r\n');
		} finally {
			await server.close();
		}
	}
});
