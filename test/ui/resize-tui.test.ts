// Resizing below 80x24 and back, as a student dragging the window: compare and the journey
// keep what they had (the session and the lesson are in workshop-tui and lesson-clumsy-tui).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {keys, pressToOpen, spawnTui, type Terminal} from '../support/pty.js';

/** 120x40 → 60x20 → 120x40; a key pressed while paused reaches nothing. Returns the screen after. */
async function shrinkAndGrow(tui: Terminal, again: string | RegExp): Promise<string> {
	tui.resize(60, 20);
	await tui.waitFor('Make the terminal at least 80×24 (it is 60×20 now)');
	await tui.press(keys.enter); // paused: no key reaches the hidden screen
	tui.resize(120, 40);
	return tui.waitFor(again);
}

test('compare: resized mid-way, the same step, the same rows and the same selected cell', {timeout: 90_000}, async () => {
	const tui = spawnTui(['compare']);
	try {
		await tui.waitFor('compare · lab · step 0/');
		for (const step of [1, 2, 3]) await pressToOpen(tui, keys.enter, `step ${step}/`);

		await tui.waitFor('25 · AUTH before TLS'); // the newest row is selected
		await tui.press(keys.up);
		const before = await tui.waitFor('25 · EHLO');
		const after = await shrinkAndGrow(tui, 'compare · lab · step 3/');
		assert.ok(!after.includes('Make the terminal'), 'the note is gone');
		assert.equal(after, before, 'the comparison is drawn exactly as before');
		assert.match(after, /530 5\.7\.0 Must issue/, 'the rows already run are there');
		await tui.press('a');
		await tui.waitFor('demand STARTTLS before AUTH', 30_000);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('the journey: resized after the first leg, the transcript, the diagram and the leg are kept', {timeout: 90_000}, async () => {
	const tui = spawnTui(['journey']);
	try {
		await tui.waitFor('▶alice\'s client');
		await tui.press('a');
		const before = await tui.waitFor('This leg is over: enter goes on to leg 2', 30_000);
		assert.match(before, /S~ 221 2\.0\.0 Bye/);
		const after = await shrinkAndGrow(tui, 'This leg is over: enter goes on to leg 2');
		assert.equal(after, before, 'the journey is drawn exactly as before');
		await tui.press(keys.enter); // on to the relay: the journey goes on where it was
		await tui.waitFor('Relay: her provider delivers');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});
