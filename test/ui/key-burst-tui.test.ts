// Keys that cross a screen change, sent in ONE write (a paste, fast typing on a loaded
// machine): each key reaches the screen it was meant for, none is lost in the moment one
// screen replaces another (key-router.tsx). Every other pty test waits for each screen.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {keys, spawnTui, type Terminal} from '../support/pty.js';

async function withTui(body: (tui: Terminal) => Promise<void>): Promise<void> {
	const tui = spawnTui();
	try {
		await tui.waitFor('where should the conversation go?');
		await body(tui);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
}

test('one write from the start screen: the lab, port 587, and the first step run', {timeout: 60_000}, async () => {
	await withTui(async tui => {
		// enter: the lab (start screen) → enter: 587 (port picker, the lab starts) → enter: connect (session).
		await tui.press(keys.enter + keys.enter + keys.enter);
		const screen = await tui.waitFor('220 mx.lab.test', 20_000);
		assert.match(screen, /Next: (?!Open a TCP connection)/);
	});
});

test('one write on the port picker: b goes back, and the keys after it work the start screen', {timeout: 60_000}, async () => {
	await withTui(async tui => {
		await tui.press(keys.enter);
		await tui.waitFor('Pick a port');
		// b: back to the start screen → down: "A remote server" → enter: its first question.
		await tui.press('b' + keys.down + keys.enter);
		await tui.waitFor('remote server (1/', 20_000);
		await tui.press(keys.escape); // the wizard takes q as typing: back to the start screen
		await tui.waitFor('❯ The embedded lab');
	});
});

test('one write on the port picker: Backspace goes back, and the picker opened again takes the next keys', {timeout: 60_000}, async () => {
	await withTui(async tui => {
		await tui.press(keys.enter);
		await tui.waitFor('Pick a port');
		// Backspace: back → enter: the lab → up (from 587): 465 → enter: a session on 465 (an
		// Esc would run into the next byte: Esc then enter in one read is one key, Alt-enter).
		await tui.press(keys.backspace + keys.enter + keys.up + keys.enter);
		await tui.waitFor(/lab:465 .*step 0\//, 20_000);
	});
});

test('one write from the start screen to the fault menu: a screen loaded on the way (screens.ts) loses no key', {timeout: 60_000}, async () => {
	await withTui(async tui => {
		// enter: the lab → f: the fault menu (the lab starts) → down, down: rate-limit. The fault
		// menu's module is loaded when it is first shown, while these keys wait.
		await tui.press(keys.enter + 'f' + keys.down + keys.down);
		const screen = await tui.waitFor(/^rate-limit: /m, 20_000);
		assert.match(screen, /lab faults/);
		await tui.press(keys.escape);
		await tui.waitFor('Pick a port');
	});
});
