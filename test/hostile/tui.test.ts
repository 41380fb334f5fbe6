// Hostile peers in the real TUI: the built binary in a pseudo-terminal against scripted servers.
// What the screen shows is read back through a headless xterm; what the program wrote is checked
// byte for byte, so an escape sequence that reached the terminal raw is caught even when the
// terminal would have hidden it.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {keys, spawnTui, type Terminal} from '../support/pty.js';
import {withScriptedServer} from '../support/scripted-server.js';

const password = 'Tui-Hostile-Pass-51c2';

/** Hostile sequences that must never reach the terminal raw (Ink's own drawing uses none of them). */
const hostile = ['\u001B[2J', '\u001B]52;', '\u001B]8;;', '\u001B[21t', '\u009B', '\u202E', '\u2066', '\u0000'];

function assertNoHostileBytes(tui: Terminal): void {
	const raw = tui.output();
	for (const sequence of hostile) assert.ok(!raw.includes(sequence), `${JSON.stringify(sequence)} reached the terminal raw`);
}

/** Presses an arrow key and waits until the selection marker (▶) has moved. */
async function moveSelection(tui: Terminal, key: string): Promise<string> {
	const row = (screen: string) => screen.split('\n').findIndex(line => line.includes('▶'));
	const before = row(await tui.waitFor('Explain'));
	await tui.press(key);
	for (let i = 0; i < 100; i++) {
		const screen = await tui.waitFor('Explain');
		if (row(screen) !== before) return screen;
		await new Promise(resolve => setTimeout(resolve, 20));
	}

	throw new Error(`the selection did not move:\n${tui.screen()}`);
}

const withServer = withScriptedServer;

const remote = (port: number, ...extra: string[]) => ['--host', '127.0.0.1', '--port', String(port), '--to', 'a@b.test', '--tls', 'none', '--timeout', '2', ...extra];

test('escapes in the banner: shown escaped on screen, never raw in the terminal output', {timeout: 30_000}, async () => {
	// One hostile piece per line, so each fits the transcript pane.
	const banner = [
		'220-mx.test \u001B[2J\u001B]52;c;ZWNobyBwd25k\u0007',
		'220-osc8 \u001B]8;;https://evil.test\u0007link\u001B]8;;\u0007',
		'220-csi \u001B[21t c1 \u009B1m',
		'220 bidi \u202Eevil \u2066x\u2069 nul\u0000',
	].join('\r\n') + '\r\n';
	await withServer(socket => {
		socket.write(banner);
	}, async port => {
		const tui = spawnTui(remote(port));
		try {
			await tui.waitFor('Next: Open a TCP connection');
			await tui.press(keys.enter);
			const screen = await tui.waitFor('220 bidi');
			assert.ok(screen.includes('220-mx.test \\x1b[2J\\x1b]52;c;ZWNobyBwd25k\\x07'), screen);
			assert.ok(screen.includes('220-osc8 \\x1b]8;;https://evil.test\\x07link\\x1b]8;;\\x07'), 'OSC 8 shown as text');
			assert.ok(screen.includes('220-csi \\x1b[21t c1 \\x9b1m'), 'CSI 21t and C1 shown as text');
			assert.ok(screen.includes('220 bidi \\u202eevil \\u2066x\\u2069 nul\\x00'), 'bidi and NUL shown as text');
			assertNoHostileBytes(tui);
			await tui.press('q');
			assert.equal(await tui.exited, 0);
		} finally {
			tui.kill();
		}
	});
});

test('escapes in a base64 AUTH challenge: the decoding shown escaped; the cleartext login warned about', {timeout: 30_000}, async () => {
	// Short enough that its decoding fits the explain pane on one line.
	const challenge = Buffer.from('\u001B[2J\u009B\u202EUser:').toString('base64');
	await withServer(async (socket, reader) => {
		socket.write('220 mx.test ESMTP\r\n');
		for (;;) {
			const line = await reader.next();
			if (line === undefined) return;
			if (line.startsWith('EHLO')) socket.write('250-mx.test\r\n250 AUTH LOGIN\r\n');
			else if (line === 'AUTH LOGIN') socket.write(`334 ${challenge}\r\n`);
			else if (line === 'QUIT') {
				socket.end('221 bye\r\n');
				return;
			} else socket.write('535 5.7.8 no\r\n');
		}
	}, async port => {
		const tui = spawnTui(remote(port, '--user', 'alice', '--password-env', 'TUI_PW', '--insecure-auth'), {env: {TUI_PW: password}});
		try {
			await tui.waitFor('Next: Open a TCP connection');
			await tui.press(keys.enter);
			await tui.waitFor('220 mx.test');
			await tui.press(keys.enter);
			await tui.waitFor('250 AUTH LOGIN');
			await tui.press(keys.enter);
			let screen = await tui.waitFor('535 5.7.8');
			assert.match(screen, /!! Warning: logging in without TLS because of --insecure-auth; the p/);
			// Select the 334 line: the explain pane shows its decoding.
			for (let i = 0; i < 6 && !/▶S {2}334 /.test(screen); i++) screen = await moveSelection(tui, keys.up);
			screen = await tui.waitFor('base64 decoded: "\\x1b');

			assert.ok(screen.includes('base64 decoded: "\\x1b[2J\\x9b\\u202eUser:"'), screen);
			assertNoHostileBytes(tui);
			assert.ok(!tui.output().includes(password), 'the password never reached the terminal');
			await tui.press('q');
			assert.equal(await tui.exited, 0);
		} finally {
			tui.kill();
		}
	});
});

test('a 10 MB banner line with no newline: the sentence on screen, the TUI still answers', {timeout: 30_000}, async () => {
	await withServer(async socket => {
		socket.write('220 ');
		const chunk = Buffer.alloc(64 * 1024, 0x42);
		for (let i = 0; i < 160 && !socket.destroyed; i++) {
			if (!socket.write(chunk)) await new Promise(resolve => {
				socket.once('drain', resolve);
				socket.once('close', resolve);
			});
		}
	}, async port => {
		const tui = spawnTui(remote(port));
		try {
			await tui.waitFor('Next: Open a TCP connection');
			await tui.press(keys.enter);
			const screen = await tui.waitFor('longer than 4096 bytes');
			assert.match(screen, /The server sent a reply line longer than 4096 bytes\./);
			assert.ok(!screen.includes('BBBBBBBBBBBBBBBB'), 'none of the line was shown as a reply');
			await tui.press('q');
			assert.equal(await tui.exited, 0);
		} finally {
			tui.kill();
		}
	});
});

test('escapes inside a captured message: the lab inbox shows the decoded subject and the body escaped', {timeout: 60_000}, async () => {
	// The subject is not ASCII, so it travels as an RFC 2047 encoded word: the escapes are hidden
	// in base64 on the wire and come back raw when the inbox decodes it.
	const tui = spawnTui(['--port', '587', '--subject', 'é \u001B]52;c;ZXZpbA==\u0007 \u001B[2J', '--body', 'body \u001B[21t \u202Eevil\n']);
	try {
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press('a');
		await tui.waitFor('221 2.0.0 Bye', 20_000);
		await tui.press('i');
		await tui.waitFor(/inbox · messages the lab accepted · 1 message/);
		await tui.press(keys.enter);
		const screen = await tui.waitFor('Subject: é');
		assert.ok(screen.includes('Subject: é \\x1b]52;c;ZXZpbA==\\x07 \\x1b[2J'), screen);
		assert.ok(screen.includes('body \\x1b[21t \\u202eevil'), 'the body shown escaped');
		assertNoHostileBytes(tui);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});
