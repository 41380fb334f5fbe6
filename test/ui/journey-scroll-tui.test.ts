// The journey at 40 rows: the transcript scrolls back to the banner and POP3 USER/PASS,
// Received: lines wrap whole, and a second run fetches the second message.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {keys, pressToOpen, spawnTui, type Terminal} from '../support/pty.js';

/**
 * ↑ (or k) until `text` is on screen, at most `limit` presses; each press waits for the frame
 * it brings ("N later"), so the leg must be over (its transcript no longer growing).
 */
async function scrollBackTo(tui: Terminal, text: string, key: string, limit = 60): Promise<string> {
	for (let press = 1; press <= limit && !tui.screen().includes(text); press++) {
		await tui.press(key);
		await tui.waitFor(`· ${press} later (↓/j)`);
	}

	return tui.waitFor(text);
}

/** All three legs with a, from the journey screen's first frame to bob's reader. */
async function runAllLegs(tui: Terminal): Promise<string> {
	await tui.waitFor('▶alice\'s client', 30_000); // two labs, a CA and a DKIM key start first: a bound for a loaded machine
	await tui.press('a');
	await tui.waitFor('This leg is over: enter goes on to leg 2');
	await tui.press(keys.enter);
	await tui.waitFor('Relay: her provider delivers');
	await tui.press('a');
	await tui.waitFor('▶bob\'s mailbox');
	await tui.waitFor('This leg is over: enter goes on to leg 3');
	await tui.press(keys.enter);
	await tui.waitFor('not SMTP at all');
	await tui.press('a');
	await tui.waitFor('▶bob\'s reader');
	return tui.waitFor('The journey is complete');
}

test('journey at 120x40: ↑/k scroll to the banner, EHLO, USER and PASS; ↓/j back; Received: lines whole', {timeout: 120_000}, async () => {
	const tui = spawnTui(['journey'], {rows: 40});
	try {
		await tui.waitFor('▶alice\'s client', 30_000); // two labs, a CA and a DKIM key start first: a bound for a loaded machine
		await tui.press('a');
		await tui.waitFor('This leg is over: enter goes on to leg 2');
		let screen = await tui.waitFor(/S~ 221 2\.0\.0 Bye/);
		const end = screen;
		assert.ok(!screen.includes('220 smtp.sender.test'), 'the banner is off screen before scrolling');
		screen = await scrollBackTo(tui, 'S  220 smtp.sender.test', keys.up);
		assert.match(screen, /C  EHLO /);
		// ↓/j follow the end again.
		const later = Number(/· (\d+) later/.exec(tui.screen())?.[1]);
		for (let left = later - 1; left >= 0; left--) {
			await tui.press(left % 2 === 0 ? 'j' : keys.down);
			await tui.waitFor(left > 0 ? `· ${left} later (↓/j)` : /earlier lines \(↑\/k\)\s*│/);
		}

		// Every row drawn again from lines that moved between frames: the build's patch keeps
		// Ink's line cache across frames (scripts/bundle-options.mjs), so a stale or shared
		// cache entry would show here as a screen that differs from the one before scrolling.
		assert.equal(await tui.waitFor(/S~ 221 2\.0\.0 Bye/), end, 'back at the end: the same screen, row for row');
		await tui.press(keys.enter);
		await tui.waitFor('Relay: her provider delivers');
		await tui.press('a');
		await tui.waitFor('This leg is over: enter goes on to leg 3');
		await tui.press(keys.enter);
		await tui.waitFor('not SMTP at all');
		await tui.press('a');
		screen = await tui.waitFor('Received: lines (2)');
		await tui.waitFor('The journey is complete');
		screen = await scrollBackTo(tui, 'USER bob', 'k');
		assert.match(screen, /PASS \*+/);
		assert.ok(!tui.output().includes('builder'), 'bob\'s password never reaches the terminal');
		// Every Received: line is whole: its last part (the date) is on screen.
		const receivedPart = screen.slice(screen.indexOf('Received: lines (2)'));
		assert.equal((receivedPart.match(/\d{2}:\d{2}:\d{2} [+-]\d{4}/g) ?? []).length, 2, `both Received: lines end with their date:\n${receivedPart}`);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('journey run twice from the picker: leg 3 fetches the second message, not the first', {timeout: 180_000}, async () => {
	const tui = spawnTui([], {rows: 50});
	try {
		await tui.waitFor('where should the conversation go?');
		await tui.press(keys.enter);
		await tui.waitFor('j journey');
		await pressToOpen(tui, 'j', '▶alice\'s client');
		let screen = await runAllLegs(tui);
		const first = /by mx\.receiver\.test[^\n]*/.exec(screen)?.[0];
		assert.ok(first, 'the first run shows its Received: line');
		await pressToOpen(tui, 'b', 'Pick a port');
		screen = await pressToOpen(tui, 'j', '▶alice\'s client');
		assert.match(screen, /Received: lines \(0\)/, 'the earlier run\'s message is not shown as this one');
		await tui.press('2');
		await tui.waitFor('finish leg 1 first');
		await tui.press('1');
		screen = await runAllLegs(tui);
		screen = await scrollBackTo(tui, 'RETR 2', keys.up);
		const second = /by mx\.receiver\.test[^\n]*/.exec(screen)?.[0];
		assert.ok(second && second !== first, `the second run's Received: line is its own:\n${first}\n${second}`);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});
