// The smallest window the app supports, 80×24, in the real binary, on a UTF-8 terminal and
// under LANG=C: every screen fits (no row wider than 80 columns, so none wrapped by the
// terminal; no frame taller than 24 rows, so its top line is still on screen), and its
// footer shows the way back, `? help` and `q quit`, never cut. Under LANG=C nothing
// non-ASCII is ever written.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {keys, pressToOpen, spawnTui, type Terminal} from '../support/pty.js';
import {lessons} from '../../source/lessons/index.js';
import {instructionText} from '../../source/ui/lesson-screen.js';
import {asShown} from '../../source/ui/terminal-text.js';

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
	/** The footer is the last line matching this (inside a box: its border is left out). */
	footer?: RegExp;
};

/** Waits for `shown`, then holds the whole frame to the window and its footer to the keys. */
async function fits(tui: Terminal, shown: string | RegExp, where: string, {top, back, typing, footer: footerPattern}: Expected): Promise<string> {
	// The footer is the frame's last line: wait for it too (this screen's, with its way
	// back), so the frame is this screen's and whole.
	const inBox = (pattern: RegExp) => new RegExp(pattern.source.replace(/\$$/, ' *[\u2502|]?$'), 'm');
	await tui.waitFor(inBox(back ?? (typing ? /Ctrl-C quit$/ : /\? help {2}q quit$/)));
	const screen = await tui.waitFor(shown);
	const lines = screen.split('\n');
	assert.deepEqual(tui.wrappedRows(), [], `${where}: a row wider than ${columns} columns (the terminal wrapped it):\n${screen}`);
	assert.ok(lines.every(line => line.length <= columns), `${where}: a row wider than ${columns} columns:\n${screen}`);
	assert.match(lines[0]!, top, `${where}: the frame's top line is not on the top row (taller than ${rows} rows?):\n${screen}`);
	const footer = footerPattern ? (lines.findLast(line => footerPattern.test(line)) ?? '').replace(/^[\u2502|] */, '').replace(/ *[\u2502|]$/, '') : footerOf(screen);
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

/** One down in a list, and the pointer (Unicode or ASCII) on `label`. */
async function moveTo(tui: Terminal, label: string): Promise<void> {
	await tui.press(keys.down);
	await tui.waitFor(new RegExp(`[\u276F>] ${label}`));
}

/** The screen's dot: Unicode or, under LANG=C, its ASCII stand-in. */
const dot = '[\u00B7-]';

for (const {name, env} of locales) {
	test(`${name} 80×24: the start screen, the remote wizard, the providers, the port picker, its help, compare's chooser, compare, probe, the fault menu, the inbox and the journey fit`, {timeout: 240_000}, async () => {
		await withTui([], env, async tui => {
			const start = {top: new RegExp(`^smtp-tui ${dot} where should the conversation go\\?`)};
			await fits(tui, 'A remote server', `${name} start`, start);
			await tui.press('?');
			await fits(tui, 'Keys (press ? or esc to close)', `${name} start, help`, {...start, back: /esc\/b back( to the list)? {2}\? help {2}q quit$/});
			await tui.press(keys.escape);
			await fits(tui, 'A remote server', `${name} start again`, start);
			await moveTo(tui, 'A remote server');
			await pressToOpen(tui, keys.enter, 'remote server (1/');
			await fits(tui, 'remote server (1/', `${name} remote wizard`, {top: new RegExp(`^smtp-tui ${dot} remote server \\(1/`), back: /esc back to the start {2}Ctrl-C quit$/, typing: true});
			await pressToOpen(tui, keys.escape, 'A remote server');
			await moveTo(tui, 'A remote server');
			await moveTo(tui, 'A mail provider');
			await pressToOpen(tui, keys.enter, 'which provider?');
			await fits(tui, 'which provider?', `${name} providers`, {top: new RegExp(`^smtp-tui ${dot} which provider\\?`), back: /esc\/b back {2}\? help {2}q quit$/});
			await pressToOpen(tui, 'b', 'A remote server');
			await moveTo(tui, 'The embedded lab'); // round the end
			await pressToOpen(tui, keys.enter, 'Pick a port');
			const picker = {top: new RegExp(`^smtp-tui ${dot} embedded lab`), back: / b back {2}\? help {2}q quit$/};
			let screen = await fits(tui, 'Pick a port', `${name} port picker`, picker);
			assert.match(screen, /enter open/);
			await tui.press('?');
			screen = await fits(tui, 'Keys (press ? or esc to close)', `${name} port picker, help`, {top: picker.top, back: /esc\/b back to the ports {2}\? help {2}q quit$/});
			assert.match(screen, /back to the start screen/, 'the picker\'s own keys');
			await tui.press('G');
			await fits(tui, /IANA|saft/, `${name} port picker, help at its end`, {top: picker.top, back: /esc\/b back to the ports {2}\? help {2}q quit$/});
			await tui.press(keys.escape);
			await fits(tui, 'Pick a port', `${name} port picker after its help`, picker);
			await pressToOpen(tui, 'c', 'Compare which ports?');
			const chooser = {top: picker.top, back: /esc\/b back {2}\? help {2}q quit$/, footer: /space toggle/};
			await fits(tui, 'Compare which ports?', `${name} compare's port chooser`, chooser);
			await tui.press('?');
			await fits(tui, 'Keys (press ? or esc to close)', `${name} compare's port chooser, help`, {top: picker.top, back: /esc\/b back to the chooser {2}\? help {2}q quit$/, footer: /back to the chooser/});
			await tui.press(keys.escape);
			await fits(tui, 'Compare which ports?', `${name} compare's port chooser after its help`, chooser);
			await pressToOpen(tui, keys.enter, /compare . lab . step 0\//);
			const compare = {top: new RegExp(`^compare ${dot} lab ${dot} step`), back: / b back {2}\? help {2}q quit$/};
			await fits(tui, /step 0\//, `${name} compare`, compare);
			await tui.press('?');
			await fits(tui, 'Keys (press ? or esc to close)', `${name} compare, help`, {top: compare.top, back: /esc\/b back to the comparison {2}\? help {2}q quit$/});
			await tui.press(keys.escape);
			await tui.press('a');
			screen = await fits(tui, 'demand STARTTLS before AUTH', `${name} compare's summary`, compare);
			assert.match(footerOf(screen), /v cell details/, 'once done, v is in the footer');
			await pressToOpen(tui, 'b', 'Pick a port');
			await pressToOpen(tui, 'p', 'Nothing wrong found.', 20_000);
			const probe = {top: new RegExp(`^probe ${dot} the embedded lab`), back: / b back {2}\? help {2}q quit$/};
			await fits(tui, 'Nothing wrong found.', `${name} probe`, probe);
			await tui.press('?');
			await fits(tui, 'Keys (press ? or esc to close)', `${name} probe, help`, {top: probe.top, back: /esc\/b back to the probe {2}\? help {2}q quit$/});
			await tui.press(keys.escape);
			await pressToOpen(tui, 'b', 'Pick a port');
			await pressToOpen(tui, 'f', 'lab faults');
			const faults = {top: new RegExp(`^smtp-tui ${dot} lab faults`), back: /enter\/esc back {2}\? help {2}q quit$/};
			await fits(tui, 'lab faults', `${name} fault menu`, faults);
			await tui.press('?');
			await fits(tui, 'Keys (press ? or esc to close)', `${name} fault menu, help`, {top: faults.top, back: /esc\/b back to the faults {2}\? help {2}q quit$/});
			await tui.press(keys.escape);
			await fits(tui, 'greylist', `${name} fault menu after its help`, faults);
			await pressToOpen(tui, keys.escape, 'Pick a port');
			// Compare sent a message on each port: the inbox lists them.
			await pressToOpen(tui, 'i', 'smtp-tui test message');
			const inbox = {top: new RegExp(`^inbox ${dot} messages the lab accepted`), back: /esc\/b back {2}\? help {2}q quit$/};
			await fits(tui, 'smtp-tui test message', `${name} inbox`, inbox);
			await tui.press('?');
			await fits(tui, 'Keys (press ? or esc to close)', `${name} inbox, help`, {top: inbox.top, back: /esc\/b back to the inbox {2}\? help {2}q quit$/});
			await tui.press(keys.escape);
			await fits(tui, 'smtp-tui test message', `${name} inbox after its help`, inbox);
			await tui.press(keys.enter);
			await fits(tui, /message 1 of 4/, `${name} inbox, a message`, {top: inbox.top, back: /esc\/b back( to the list)? {2}\? help {2}q quit$/});
			await tui.press('v');
			await fits(tui, 'Raw source:', `${name} inbox, the raw source`, {top: inbox.top, back: /esc\/b back( to the message)? {2}\? help {2}q quit$/});
			await tui.press('c');
			await fits(tui, 'Checks:', `${name} inbox, the checks`, {top: inbox.top, back: /esc\/b back( to the message)? {2}\? help {2}q quit$/});
			await tui.press(keys.escape);
			await tui.waitFor(/message 1 of 4/);
			await tui.press(keys.escape);
			await fits(tui, 'smtp-tui test message', `${name} inbox, the list again`, inbox);
			await pressToOpen(tui, 'b', 'Pick a port');
			await pressToOpen(tui, 'j', /journey . alice/, 30_000);
			const journey = {top: new RegExp(`^journey ${dot} alice@sender\\.test`), back: / b back {2}\? help {2}q quit$/};
			await fits(tui, 'Next: Open a TCP connection', `${name} journey`, journey);
			await tui.press('?');
			await fits(tui, 'Keys (press ? or esc to close)', `${name} journey, help`, {top: journey.top, back: /esc\/b back to the journey {2}\? help {2}q quit$/});
			await tui.press(keys.escape);
			await fits(tui, 'Next: Open a TCP connection', `${name} journey after its help`, journey);
			await tui.press('2');
			await fits(tui, 'The relay starts later', `${name} journey, leg 2 before leg 1`, journey);
			await tui.press('1');
			await pressToOpen(tui, 'a', 'This leg is over: enter goes on to leg 2', 30_000);
			await fits(tui, 'This leg is over', `${name} journey, leg 1 done`, journey);
			await pressToOpen(tui, keys.enter, 'Next: Open a TCP connection', 20_000);
			await pressToOpen(tui, 'a', 'This leg is over: enter goes on to leg 3', 30_000);
			await fits(tui, /checks at mx\.receiver\.test/, `${name} journey, leg 2 done with the MX's checks`, journey);
			await pressToOpen(tui, keys.enter, 'enter starts leg 3', 20_000);
			await tui.press('i');
			await fits(tui, 'IMAP, unlike POP3', `${name} journey, leg 3 with IMAP`, journey);
			await pressToOpen(tui, keys.enter, /S~? +\* OK|Connected to/, 20_000);
			await pressToOpen(tui, 'a', 'The journey is complete', 30_000);
			await fits(tui, 'The journey is complete', `${name} journey, complete`, journey);
			await pressToOpen(tui, 'b', 'Pick a port');
		});
	});
}

/** The screen's rows joined, the lesson pane's borders and wrapping left out, to find a sentence wrapped over rows. */
const paneText = (screen: string) => screen.split('\n').map(line => line.replace(/^[\u2502\u256D\u2570|+] ?/, '').replace(/ *[\u2502\u256E\u256F|+]$/, '').trim()).join(' ').replace(/\s+/g, ' ');

const attacks = lessons.find(lesson => lesson.name === 'attacks')!;
const stepFour = attacks.steps[3]!;

for (const {name, env} of locales) {
	test(`${name} 80×24: lesson 7's goal and its step 4 are whole, the frame fits`, {timeout: 120_000}, async () => {
		await withTui(['lesson', 'attacks'], env, async tui => {
			const total = attacks.steps.length;
			const lesson = {top: /^lab:587 submission/, back: / b back a step {2}\? help {2}q quit$/};
			let screen = await fits(tui, `step 1 of ${total}`, `${name} lesson 7, step 1`, lesson);
			assert.ok(paneText(screen).includes(`Goal: ${asShown(attacks.goal)}`), `the goal, whole:\n${screen}`);
			for (let step = 2; step <= 4; step++) {
				await tui.press('>');
				await tui.waitFor(`step ${step} of ${total}`);
			}

			// (The explanation once step 4 is done is read whole at 80x24 in lesson-tui.test.ts.)
			screen = await fits(tui, `step 4 of ${total}`, `${name} lesson 7, step 4`, {...lesson, top: /^lab:\d+ /});
			assert.ok(paneText(screen).includes(asShown(instructionText(stepFour))), `step 4, whole:\n${screen}`);
		});
	});
}

test('smtp-tui lesson on an 80-column terminal: the list is wrapped to it, no line wider', {timeout: 30_000}, async () => {
	const tui = spawnTui(['lesson'], {columns, rows: 60});
	try {
		assert.equal(await tui.exited, 0);
		const lines = tui.output().split(/\r?\n/);
		assert.ok(lines.some(line => line.includes('four-ports')), tui.output());
		const wide = lines.filter(line => line.length > columns);
		assert.deepEqual(wide, [], 'no line wider than the terminal');
		assert.deepEqual(tui.wrappedRows(), []);
	} finally {
		tui.kill();
	}
});
