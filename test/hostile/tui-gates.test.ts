// The terminal gate on the paths the issue found open, in the real binary: a hostile recording
// replayed in the TUI (status line, transcript, TLS panel) and probed AUTH mechanism names, in a
// pty and off one; the bytes the program wrote are checked, not only the screen.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {renderRecording} from '../../source/export/recording.js';
import type {TranscriptEntry} from '../../source/protocol/transcript.js';
import {cliPath, keys, spawnTui, type Terminal} from '../support/pty.js';
import {scriptedServer, type ScriptedServer} from '../support/scripted-server.js';

const osc52 = '\u001B]52;c;cGF3bmVk\u0007';
const hostile = ['\u001B[2J', '\u001B]52;', '\u001B]8;;', '\u009B', '\u202E', '\u0007'];
const evil = `${osc52}\u001B[2J\u001B]8;;http://x.test\u001B\\link\u001B]8;;\u001B\\\u009B31m\u202Egnp.exe`;

async function runCli(args: string[]): Promise<{stdout: string; stderr: string}> {
	const child = spawn(process.execPath, [cliPath, ...args], {stdio: ['ignore', 'pipe', 'pipe']});
	let stdout = '';
	let stderr = '';
	child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
	child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
	const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
	await new Promise(resolve => child.on('close', resolve));
	clearTimeout(killer);
	return {stdout, stderr};
}

function assertNoHostileBytes(label: string, raw: string): void {
	for (const sequence of hostile) assert.ok(!raw.includes(sequence), `${label}: ${JSON.stringify(sequence)} reached the terminal raw`);
}

let dir: string;
let server: ScriptedServer;
before(async () => {
	dir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-gates-'));
	server = await scriptedServer(async (socket, reader) => {
		socket.write('220 mx.test ESMTP\r\n');
		for (;;) {
			const line = await reader.next();
			if (line === undefined) return;
			if (line.startsWith('EHLO')) socket.write(`250-mx.test\r\n250-X-${evil}\r\n250 AUTH PLAIN ${evil}\r\n`);
			else if (line === 'QUIT') {
				socket.end('221 bye\r\n');
				return;
			} else socket.write('250 ok\r\n');
		}
	});
});
after(async () => {
	await server.close();
	await rm(dir, {recursive: true, force: true});
});

async function hostileRecording(): Promise<string> {
	const base = {stepIndex: 1, at: 1, tls: true, secret: false};
	const entries: TranscriptEntry[] = [
		{...base, seq: 0, direction: 'tls', text: `TLS handshake: ${evil}`, step: 'connect', tlsFacts: {protocol: `TLSv1.3${osc52}`, cipher: evil, authorized: true, subjectAltNames: [evil], subject: evil, issuer: evil, fingerprint256: evil, validFrom: evil, validTo: evil, servername: evil}},
		{...base, seq: 1, direction: 'server', text: `220 ${evil}`, step: 'connect', code: 220, last: true, explain: [evil]},
		{...base, seq: 2, stepIndex: 2, direction: 'client', text: `EHLO ${evil}`, step: 'ehlo', decoded: evil},
		{...base, seq: 3, stepIndex: 2, direction: 'server', text: `250 AUTH PLAIN ${evil}`, step: 'ehlo', code: 250, last: true, deviation: evil},
	];
	const file = path.join(dir, 'hostile.jsonl');
	await writeFile(file, renderRecording({header: {type: 'smtp-tui-recording', version: 1, createdAt: '2026-12-01T10:00:00.000Z', label: evil, host: 'mx.test', port: 587, profilePort: 587, tls: 'auto', ehlo: evil, from: evil, to: [evil], user: evil}, entries}));
	return file;
}

test('replay of a hostile recording in the TUI: status line, transcript and TLS panel never write it raw', {timeout: 60_000}, async () => {
	const file = await hostileRecording();
	const tui: Terminal = spawnTui(['replay', file]);
	try {
		await tui.waitFor('replay of', 20_000);
		await tui.press(keys.enter);
		await tui.waitFor('TLS handshake', 20_000);
		// The screen may still count the first step as in flight: press again until the next one shows.
		for (let i = 0; i < 5 && !tui.screen().includes('250 AUTH PLAIN'); i++) {
			await tui.press(keys.enter);
			await new Promise(resolve => setTimeout(resolve, 300));
		}

		await tui.waitFor('250 AUTH PLAIN', 20_000);
		await tui.press('t');
		const panel = await tui.waitFor('TLS (press t or esc to close)', 20_000);
		assert.match(panel, /version +TLSv1\.3\\x1b\]52;c;cGF3bmVk\\x07/, 'the TLS version is shown escaped');
		await tui.press('t');
		const screen = await tui.waitFor('replay of', 20_000);
		assert.match(screen, /replay of \\x1b\]52;/, 'the status line shows the label escaped');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
		assertNoHostileBytes('replay TUI', tui.output());
	} finally {
		tui.kill();
	}
});

test('replay and every export of the hostile recording off a terminal: nothing raw', async () => {
	const file = await hostileRecording();
	for (const args of [['replay', file], ...['text', 'markdown', 'jsonl', 'mermaid', 'swaks', 'openssl'].map(format => ['export', file, '--format', format])]) {
		const result = spawnSync(process.execPath, [cliPath, ...args], {encoding: 'utf8'});
		assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
		assertNoHostileBytes(args.join(' '), result.stdout + result.stderr);
	}
});

test('probe of a server advertising escape sequences as AUTH mechanisms: text, --json and in a pty', {timeout: 60_000}, async () => {
	const ports = `587=${server.port}`;
	for (const extra of [[], ['--json']]) {
		// Not spawnSync: the scripted server lives in this process and must keep answering.
		const result = await runCli(['probe', '127.0.0.1', '--ports', ports, '--connect-timeout', '3', ...extra]);
		assertNoHostileBytes(`probe ${extra.join(' ')}`, result.stdout + result.stderr);
		assert.match(result.stdout, /\\x1b\[2J|\\u001b\[2J/, result.stdout);
	}

	const tui = spawnTui(['probe', '127.0.0.1', '--ports', ports, '--connect-timeout', '3']);
	try {
		await tui.exited;
		assertNoHostileBytes('probe in a pty', tui.output());
		assert.match(tui.output(), /\\x1b\[2J/);
	} finally {
		tui.kill();
	}
});

test('a live session against the hostile server in the TUI: EHLO keywords and AUTH list escaped', {timeout: 60_000}, async () => {
	const tui = spawnTui(['--host', '127.0.0.1', '--port', String(server.port), '--tls', 'none', '--to', 'a@b.test', '--timeout', '5']);
	try {
		await tui.waitFor('Next: Open a TCP connection', 20_000);
		await tui.press(keys.enter);
		await tui.waitFor('220 mx.test', 20_000);
		await tui.press(keys.enter);
		const screen = await tui.waitFor('250 AUTH PLAIN', 20_000);
		assert.match(screen, /250 AUTH PLAIN \\x1b\]52;/);
		await tui.press('q');
		await tui.exited;
		assertNoHostileBytes('live TUI', tui.output());
	} finally {
		tui.kill();
	}
});
