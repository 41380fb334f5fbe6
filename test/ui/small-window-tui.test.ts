// The smallest window the app supports, 80×24, in the real binary, on a UTF-8 terminal and
// under LANG=C: every screen fits (no row wider than 80 columns, so none wrapped by the
// terminal; no frame taller than 24 rows, so its top line is still on screen), and its
// footer shows the way back, `? help` and `q quit`, never cut. Under LANG=C nothing
// non-ASCII is ever written.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {keys, pressToOpen, spawnTui, type Terminal} from '../support/pty.js';

const columns = 80;
const rows = 24;
const nonAscii = /[^\x00-\x7F]/u;
const locales: Array<{name: string; env: Record<string, string>}> = [{name: 'UTF-8', env: {}}, {name: 'LANG=C', env: {LANG: 'C'}}];

/** The last line of the screen that is not empty: the footer. */
const footerOf = (screen: string) => screen.split('\n').filter(line => line.trim() !== '').at(-1) ?? '';

type Expected = {
	/** The frame's first line (seen on the top row: the frame is not taller than the window). */
	top: RegExp;
	/** The back key as the footer says it; undefined: nothing behind this screen. */
	back?: RegExp;
	/** Screens that type text take ? and q as text: they say Ctrl-C quits, and have no help key. */
	typing?: boolean;
};

/** Waits for `shown`, then holds the whole frame to the window and its footer to the keys. */
async function fits(tui: Terminal, shown: string | RegExp, where: string, {top, back, typing}: Expected): Promise<string> {
	// The footer is the frame's last line: wait for it too (this screen's, with its way
	// back), so the frame is this screen's and whole.
	await tui.waitFor(back ? new RegExp(back.source, 'm') : typing ? /Ctrl-C quit *$/m : /\? help {2}q quit *$/m);
	const screen = await tui.waitFor(shown);
	const lines = screen.split('\n');
	assert.deepEqual(tui.wrappedRows(), [], `${where}: a row wider than ${columns} columns (the terminal wrapped it):\n${screen}`);
	assert.ok(lines.every(line => line.length <= columns), `${where}: a row wider than ${columns} columns:\n${screen}`);
	assert.match(lines[0]!, top, `${where}: the frame's top line is not on the top row (taller than ${rows} rows?):\n${screen}`);
	const footer = footerOf(screen);
	if (back) assert.match(footer, back, `${where}: the footer does not show the way back:\n${screen}`);
	if (typing) assert.match(footer, /Ctrl-C quit$/, `${where}: the footer does not say how to quit:\n${screen}`);
	else assert.match(footer, /\? help {2}q quit$/, `${where}: the footer does not end with "? help  q quit":\n${screen}`);
	if (where.startsWith('LANG=C')) assert.equal(lines.find(line => nonAscii.test(line)), undefined, `${where}: a non-ASCII character on screen:\n${screen}`);
	return screen;
}

async function withTui(args: string[], env: Record<string, string>, body: (tui: Terminal) => Promise<void>): Promise<void> {
	const tui = spawnTui(args, {columns, rows, env});
	try {
		await body(tui);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
		if (env.LANG === 'C') assert.doesNotMatch(tui.output(), nonAscii, 'under LANG=C nothing non-ASCII was ever written');
	} finally {
		tui.kill();
	}
}

for (const {name, env} of locales) {
	test(`${name} 80×24: the session, its help overlay (scrolling, every key reachable), the TLS panel and the quiz fit`, {timeout: 90_000}, async () => {
		await withTui(['--port', '587'], env, async tui => {
			const session = {top: /^lab:587 submission/, back: / b back {2}\? help {2}q quit$/};
			await fits(tui, 'Next: Open a TCP connection', `${name} session`, session);
			for (const expected of ['220 mx.lab.test', /250 SMTPUTF8/, /TLS handshake: TLSv1\.3/, 'Capabilities changed after TLS']) {
				await tui.press(keys.enter);
				await tui.waitFor(expected);
			}

			await fits(tui, 'Next: Log in', `${name} session after TLS`, session);
			await tui.press('?');
			const overlay = {top: /^lab:587 submission/, back: /esc\/b back to the session {2}\? help {2}q quit$/};
			let screen = await fits(tui, 'Keys (press ? or esc to close)', `${name} help overlay`, overlay);
			assert.match(screen, /send the next step/);
			assert.match(screen, /PgUp PgDn .*scroll/, 'the overlay says how it scrolls');
			assert.doesNotMatch(screen, /quit \(closes the connection and the lab\)/, 'at 24 rows the last key is below the fold');
			await tui.press('G'); // the end, as everywhere
			screen = await fits(tui, 'quit (closes the connection and the lab)', `${name} help overlay, scrolled to the end`, overlay);
			assert.match(screen, /Markers: C client/);
			await tui.press('g');
			await fits(tui, 'send the next step', `${name} help overlay, back at the top`, overlay);
			await tui.press(keys.escape);
			await fits(tui, 'Next: Log in', `${name} session after the help`, session);
			await tui.press('t');
			await fits(tui, 'verified: the chain and the host name check out', `${name} TLS panel`, {top: /^lab:587 submission/, back: /esc\/b back to the session/});
			await tui.press(keys.escape);
			await tui.waitFor('Next: Log in');
			await tui.press('z');
			await fits(tui, /quiz/i, `${name} quiz`, session);
		});
	});
}
