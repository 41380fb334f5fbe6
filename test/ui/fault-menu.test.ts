// The fault menu: a fault switched on for one port fires there, live, and nowhere else.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {keys, pressToOpen, spawnTui, type Terminal} from '../support/pty.js';

/** From the first screen to the fault menu (f on the port picker). */
async function openFaultMenu(tui: Terminal): Promise<void> {
	await tui.waitFor('where should the conversation go?');
	await tui.press(keys.enter);
	await tui.waitFor('f faults');
	await tui.press('f');
}

test('f on the port picker: unknown-mailbox on 587 makes the next 587 session get 550 5.1.1; 25 is untouched', {timeout: 90_000}, async () => {
	const tui = spawnTui();
	try {
		await openFaultMenu(tui);
		await tui.waitFor('lab faults');
		for (let i = 0; i < 5; i++) {
			await tui.press(keys.down);
			await tui.waitFor(/.*/);
		}

		await tui.waitFor('unknown-mailbox: every recipient in the lab domain is unknown');
		await tui.press(' '); // on, for 587 (the column preselected)
		let screen = await tui.waitFor(/unknown-mailbox +· +· +on +·/);
		assert.ok(screen);
		await tui.press(keys.escape);
		await tui.waitFor('Pick a port');
		await tui.press(keys.enter); // 587
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press('a');
		screen = await tui.waitFor('550 5.1.1 <bob@lab.test>: Recipient address rejected: User unknow');
		await tui.press('b');
		await tui.waitFor('Pick a port');
		await tui.select('25 ');
		await tui.press(keys.enter);
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press('a');
		screen = await tui.waitFor('250 2.0.0 Ok: queued as');
		assert.ok(!screen.includes('550 5.1.1'), 'port 25 is not affected');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('+ in the fault menu stops at the fault\'s maximum instead of breaking the lab', {timeout: 60_000}, async () => {
	const tui = spawnTui();
	try {
		await openFaultMenu(tui);
		await tui.waitFor('greylist: the first RCPT');
		await tui.press(' '); // greylist on for 587, 60 s
		await tui.waitFor(/greylist +· +· +on 60 +·/);
		// 60, 120, … 61440, then the maximum: 86400 (a day), and there it stays.
		for (const value of [120, 240, 480, 960, 1920, 3840, 7680, 15360, 30720, 61440, 86400, 86400]) {
			await tui.press('+');
			await tui.waitFor(new RegExp(`greylist +· +· +on ${value} +·`));
		}
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('the fault menu at 80×24: the magic-recipients note wrapped whole above the footer, the footer a line of its own', {timeout: 60_000}, async () => {
	const tui = spawnTui([], {columns: 80, rows: 24});
	try {
		// At 80 columns the port picker's footer has no room for "f faults"; f opens it all the same.
		await tui.waitFor('where should the conversation go?');
		await tui.press(keys.enter);
		await tui.waitFor('Pick a port');
		await pressToOpen(tui, 'f', 'lab faults');
		const screen = await tui.waitFor(/tempfail@lab\.test[\s\S]*q quit/);
		const lines = screen.split('\n').map(line => line.trimEnd()).filter(line => line !== '');
		for (const line of lines) assert.ok(line.length <= 80, `wider than the window: ${line}`);
		const footer = lines.at(-1)!;
		assert.match(footer, /^\S.* {2}enter\/esc back {2}\? help {2}q quit$/, `the footer is its own line:\n${screen}`);
		assert.doesNotMatch(footer, /@|Magic|recipients/, 'no part of the note runs into the footer');
		// The note, wrapped on the lines just above the footer, reads whole.
		const start = lines.findIndex(line => line.startsWith('Magic recipients'));
		assert.ok(start > 0, `the note is shown:\n${screen}`);
		assert.equal(lines.slice(start, -1).join(' '), 'Magic recipients need no setting: greylist@ full@ unknown@ slow@ tempfail@lab.test');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});
