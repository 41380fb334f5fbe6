// End-to-end: the lab's inbox in the built binary, in a real pseudo-terminal.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtemp, readdir} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {keys, spawnTui} from '../support/pty.js';

test('i after a lab session: the message listed, opened, its raw source, back to the session, quit 0', {timeout: 60_000}, async () => {
	const saveDir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-inbox-'));
	const tui = spawnTui(['--save-dir', saveDir]);
	try {
		await tui.waitFor('where should the conversation go?');
		await tui.press(keys.enter); // the lab (preselected)
		await tui.waitFor('i inbox');
		await tui.press(keys.enter); // 587 (preselected)
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press('a'); // run all
		await tui.waitFor('221 2.0.0 Bye', 20_000);

		await tui.press('i');
		let screen = await tui.waitFor(/587 *🔒 .*smtp-tui test message/);
		assert.match(screen, /inbox · messages the lab accepted · 1 message/);
		assert.match(screen, /❯ 587 .*alice@lab\.test +bob@lab\.test/);

		await tui.press(keys.enter);
		screen = await tui.waitFor('This is a test message sent by smtp-tui.');
		assert.match(screen, /MAIL FROM:<alice@lab\.test> {2}RCPT TO:<bob@lab\.test>/);
		assert.match(screen, /Subject: smtp-tui test message/);
		assert.match(screen, /Parts: none besides the text/);

		await tui.press('v');
		screen = await tui.waitFor(/Raw source: \d+ lines/);
		assert.match(screen, /│ Message-ID: <[^>]+@lab\.test>/);
		assert.match(screen, /│ This is a test message sent by smtp-tui\./);

		await tui.press('c'); // raw → checks
		await tui.waitFor('Checks: smtp-tui test message');
		screen = await tui.waitFor('Authentication (from Authentication-Results:)');
		assert.match(screen, /Authentication \(from Authentication-Results:\)/);
		assert.match(screen, /none: the message has not been through a receiving MX/);
		assert.match(screen, /Structure: nothing found/);
		assert.match(screen, /warning list-unsubscribe: No List-Unsubscribe: field/);
		assert.match(screen, /warning dkim-signature: The message has no DKIM-Signature:/);
		assert.match(screen, /0 errors, 2 warnings, 1 note/);

		await tui.press('b'); // checks → message
		await tui.waitFor('Parts: none besides the text');
		await tui.press('v'); // message → raw
		await tui.waitFor(/Raw source: \d+ lines/);
		await tui.press('b'); // raw → message
		await tui.waitFor('Parts: none besides the text');
		await tui.press(keys.escape); // message → list
		await tui.waitFor('enter open');
		await tui.press('b'); // list → the session, still there
		screen = await tui.waitFor('221 2.0.0 Bye');
		assert.match(screen, /250 2\.0\.0 Ok: queued as/, 'the transcript survived the visit to the inbox');

		await tui.press('q');
		assert.equal(await tui.exited, 0);
		// --save-dir: saved by the time the process has exited.
		const saved = (await readdir(saveDir)).sort();
		assert.equal(saved.length, 2, saved.join(' '));
		assert.match(saved[0]!, /\.eml$/);
	} finally {
		tui.kill();
	}
});

test('i on the port picker: an empty inbox says how to fill it; esc goes back to the picker', {timeout: 60_000}, async () => {
	const tui = spawnTui();
	try {
		await tui.waitFor('where should the conversation go?');
		await tui.press(keys.enter);
		await tui.waitFor('i inbox');
		await tui.press('i');
		await tui.waitFor('No messages yet.');
		await tui.press(keys.escape);
		await tui.waitFor('Pick a port');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});
