// The journey screen in a real pty: all three legs stepped, the message read by bob.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {keys, spawnTui} from '../support/pty.js';

test('smtp-tui journey: submission, relay and POP3 retrieval, the diagram following the message', {timeout: 90_000}, async () => {
	// Tall enough for the relay's whole DATA exchange (the DKIM signature included) and the checks.
	const tui = spawnTui(['journey'], {rows: 64});
	try {
		await tui.waitFor('▶alice\'s client', 30_000); // two labs, a CA and a DKIM key start first: a bound for a loaded machine
		await tui.press(keys.enter); // one step: connect
		await tui.waitFor('220 smtp.sender.test');
		await tui.press('a');
		await tui.waitFor('▶smtp.sender.test');
		await tui.waitFor(/S~ 221 2\.0\.0 Bye/);
		await tui.waitFor('This leg is over: enter goes on to leg 2');
		await tui.press(keys.enter); // the end of a leg: enter goes on to the next
		await tui.waitFor('Relay: her provider delivers');
		await tui.press('a');
		await tui.waitFor('smtp.sender.test hands on queue ID');
		let screen = await tui.waitFor('▶bob\'s mailbox');
		screen = await tui.waitFor(/S~ 221 2\.0\.0 Bye/);
		// The receiving MX's checks, each with what it asked DNS and why it passed.
		screen = await tui.waitFor('checks at mx.receiver.test');
		assert.match(screen, /spf=pass · asked TXT sender\.test, A smtp\.sender\.test/);
		assert.match(screen, /dkim=pass · asked TXT lab2026\._domainkey\.sender\.test/);
		assert.match(screen, /dmarc=pass · asked TXT _dmarc\.sender\.test · One aligned pass is enough/);
		assert.match(screen, /iprev=pass · asked PTR 1\.0\.0\.127\.in-addr\.arpa/);
		assert.match(screen, /C~ {2}b=[A-Za-z0-9+/]/, 'the provider\'s DKIM-Signature travels with the message');
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

test('smtp-tui journey --auth-fault spf-not-listed: the relay leg shows spf=fail and why', {timeout: 90_000}, async () => {
	const tui = spawnTui(['journey', '--auth-fault', 'spf-not-listed'], {rows: 64});
	try {
		await tui.waitFor('▶alice\'s client', 30_000); // two labs, a CA and a DKIM key start first: a bound for a loaded machine
		await tui.press('a');
		await tui.waitFor(/S~ 221 2\.0\.0 Bye/);
		await tui.press('2');
		await tui.waitFor('Relay: her provider delivers');
		await tui.press('a');
		const screen = await tui.waitFor('checks at mx.receiver.test');
		assert.match(screen, /spf=fail · asked TXT sender\.test · 127\.0\.0\.1 is not among the senders the record allows/);
		assert.match(screen, /dkim=pass/);
		assert.match(screen, /dmarc=pass/, 'DKIM alone carries DMARC');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});
