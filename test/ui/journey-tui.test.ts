// The journey screen in a real pty: all three legs stepped, the message read by bob.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {keys, spawnTui} from '../support/pty.js';

test('smtp-tui journey: submission, relay and POP3 retrieval, the diagram following the message', {timeout: 90_000}, async () => {
	const tui = spawnTui(['journey']);
	try {
		await tui.waitFor('▶alice\'s client');
		await tui.press(keys.enter); // one step: connect
		await tui.waitFor('220 smtp.sender.test');
		await tui.press('a');
		await tui.waitFor('▶smtp.sender.test');
		await tui.waitFor(/S~ 221 2\.0\.0 Bye/);
		await tui.press('2');
		await tui.waitFor('Relay: her provider delivers');
		await tui.press('a');
		await tui.waitFor('smtp.sender.test hands on queue ID');
		let screen = await tui.waitFor('▶bob\'s mailbox');
		screen = await tui.waitFor(/S~ 221 2\.0\.0 Bye/);
		assert.match(screen, /C~ MAIL FROM:<alice@sender\.test>/);
		assert.ok(!/C~? +AUTH/.test(screen), 'no AUTH on the relay hop');
		assert.match(screen, /C~ {5}by smtp\.sender\.test .* with ESMTPSA/, 'the first hop\'s Received: line travels with the message, tabs shown as spaces');
		await tui.press('3');
		await tui.waitFor('not SMTP at all');
		await tui.press('a');
		screen = await tui.waitFor('▶bob\'s reader');
		screen = await tui.waitFor('Received: lines (2)');
		assert.match(screen, /Received: from smtp\.sender\.test .* by mx\.receiver\.test .* with ESMTPS/);
		assert.match(screen, /Received: from client\.example .* by smtp\.sender\.test .* with ESMTPSA/);
		assert.ok(!tui.output().includes('builder'), 'bob\'s password never reaches the terminal');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('j on the port picker opens the journey; b goes back', {timeout: 60_000}, async () => {
	const tui = spawnTui();
	try {
		await tui.waitFor('where should the conversation go?');
		await tui.press(keys.enter);
		await tui.waitFor('j journey');
		await tui.press('j');
		await tui.waitFor('journey · alice@sender.test → bob@receiver.test');
		await tui.press(keys.enter);
		await tui.waitFor('220 smtp.sender.test');
		await tui.press('b');
		await tui.waitFor('Pick a port');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});
