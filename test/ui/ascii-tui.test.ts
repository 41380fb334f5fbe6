// TERM=dumb and LANG=C in a real pty: every screen draws plain ASCII (classic +-| borders,
// ASCII markers, <CR><LF>), the explanations and lessons included, and a UTF-8 terminal
// still gets the Unicode glyphs.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {keys, pressToOpen, spawnTui, type Terminal} from '../support/pty.js';

const nonAscii = /[^\x00-\x7F]/u;

/** Waits for `pattern`, then holds the whole frame to ASCII. */
async function asciiFrame(tui: Terminal, pattern: string | RegExp, where: string): Promise<string> {
	const screen = await tui.waitFor(pattern);
	const bad = screen.split('\n').find(line => nonAscii.test(line));
	assert.equal(bad, undefined, `${where}: a non-ASCII character on screen:\n${screen}`);
	return screen;
}

for (const env of [{TERM: 'dumb'}, {LANG: 'C'}] as Array<Record<string, string>>) {
	const name = Object.entries(env).map(([key, value]) => `${key}=${value}`).join(' ');
	test(`${name}: start, port picker, session, help, TLS panel, inbox, compare and journey are pure ASCII`, {timeout: 120_000}, async () => {
		const tui = spawnTui([], {env});
		try {
			await asciiFrame(tui, 'where should the conversation go?', 'start');
			assert.match(tui.screen(), /^\+-+\+$/m, 'classic borders');
			// pressToOpen: a key that replaces the screen (see test/support/pty.ts).
			await pressToOpen(tui, keys.enter, 'Pick a port');
			let screen = await asciiFrame(tui, 'Pick a port', 'port picker');
			assert.match(screen, /> 587 {3}submission/);
			assert.match(screen, /up\/down move/);
			await pressToOpen(tui, keys.enter, 'Next: Open a TCP connection');
			await asciiFrame(tui, 'Next: Open a TCP connection', 'session');
			for (const expected of ['220 mx.lab.test', '250 SMTPUTF8', /## TLS handshake: TLSv1\.3/, 'Capabilities changed after TLS']) {
				await tui.press(keys.enter);
				screen = await asciiFrame(tui, expected, `session, waiting for ${String(expected)}`);
			}

			assert.match(screen, /lab:587 .* - TLSv1\.3/, 'the status line says TLS in letters');
			assert.match(screen, /\.\. Capabilities changed after TLS/, 'the note marker');
			assert.match(screen, /^\|>/m, 'the selected line');
			screen = await asciiFrame(tui, /AUTH PLAIN AGFsaWNl\*{8}<CR><LF>/, 'the Next pane');
			await tui.press('?');
			await asciiFrame(tui, 'Keys (press ? or esc to close)', 'help overlay');
			await tui.press(keys.escape);
			await tui.waitFor('Next: Log in');
			await tui.press('t');
			await asciiFrame(tui, 'verified: the chain and the host name check out', 'TLS panel');
			await tui.press(keys.escape);
			await tui.waitFor('Next: Log in');
			for (const expected of ['235 2.7.0', '250 2.1.0', '250 2.1.5', '354 End data', /250 2\.0\.0 Ok: queued/]) {
				await tui.press(keys.enter);
				await asciiFrame(tui, expected, `session, waiting for ${String(expected)}`);
			}

			await pressToOpen(tui, 'i', 'inbox - messages');
			await asciiFrame(tui, /inbox - messages the lab accepted - 1/, 'inbox list');
			await tui.press(keys.enter);
			await asciiFrame(tui, /message 1 of 1/, 'inbox message');
			await tui.press('v');
			await asciiFrame(tui, 'Raw source:', 'inbox raw source');
			// One esc at a time, each seen (two back to back read as one Alt-Esc).
			await tui.press(keys.escape);
			await tui.waitFor(/^> .*@lab\.test|Headers \(/m);
			await tui.press(keys.escape);
			await tui.waitFor(/^ {2}port {4}from/m);
			await pressToOpen(tui, keys.escape, 'queued as');
			await pressToOpen(tui, 'b', 'Pick a port');
			await asciiFrame(tui, 'Pick a port', 'port picker again');
			await pressToOpen(tui, 'c', 'Compare which ports?');
			await asciiFrame(tui, 'Compare which ports?', 'compare: choose the ports');
			await pressToOpen(tui, keys.enter, 'compare - lab - step 0/13');
			await asciiFrame(tui, 'compare - lab - step 0/13', 'compare');
			await tui.press('a');
			screen = await asciiFrame(tui, 'demand STARTTLS before AUTH', 'compare summary');
			assert.match(screen, / \| /, 'ASCII column rules');
			await pressToOpen(tui, 'b', 'Pick a port');
			await asciiFrame(tui, 'Pick a port', 'port picker after compare');
			await pressToOpen(tui, 'j', 'journey - alice');
			await asciiFrame(tui, 'journey - alice@sender.test -> bob@receiver.test', 'journey');
			await tui.press(keys.enter);
			await asciiFrame(tui, '220 smtp.sender.test', 'journey, a step');
			await tui.press('q');
			assert.equal(await tui.exited, 0);
			assert.doesNotMatch(tui.output(), nonAscii, 'nothing non-ASCII was ever written');
		} finally {
			tui.kill();
		}
	});
}

test('LC_ALL=C: a lesson is pure ASCII, its explanations included', {timeout: 90_000}, async () => {
	const tui = spawnTui(['lesson', 'starttls'], {env: {LC_ALL: 'C'}});
	try {
		await asciiFrame(tui, 'step 1 of 3', 'lesson');
		await tui.press(keys.enter);
		await tui.waitFor('220 mx.lab.test');
		await tui.press(keys.enter);
		await asciiFrame(tui, 'ok Before TLS the server lists STARTTLS and no AUTH', 'lesson, a step done');
		await tui.press('n');
		await asciiFrame(tui, 'step 2 of 3', 'lesson, the next step');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
		assert.doesNotMatch(tui.output(), nonAscii, 'nothing non-ASCII was ever written');
	} finally {
		tui.kill();
	}
});

test('a UTF-8 terminal keeps the Unicode glyphs', {timeout: 60_000}, async () => {
	const tui = spawnTui([], {env: {LANG: 'en_US.UTF-8'}});
	try {
		await tui.waitFor('where should the conversation go?');
		const screen = await pressToOpen(tui, keys.enter, 'Pick a port');
		assert.match(screen, /┌/);
		assert.match(screen, /❯ 587/);
		assert.match(screen, /↑↓ move/);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});
