// The fault menu: a fault switched on for one port fires there, live, and nowhere else.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {keys, spawnTui} from '../support/pty.js';

test('f on the port picker: unknown-mailbox on 587 makes the next 587 session get 550 5.1.1; 25 is untouched', {timeout: 90_000}, async () => {
	const tui = spawnTui();
	try {
		await tui.waitFor('where should the conversation go?');
		await tui.press(keys.enter);
		await tui.waitFor('f faults');
		await tui.press('f');
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
