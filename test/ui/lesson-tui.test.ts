// A lesson in the real TUI, and quiz mode: the student's view, key by key.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {keys, spawnTui} from '../support/pty.js';

test('smtp-tui lesson starttls: each step explained once it happens, n moves on, the lesson completes', {timeout: 90_000}, async () => {
	const tui = spawnTui(['lesson', 'starttls']);
	try {
		await tui.waitFor('step 1 of 3');
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press(keys.enter);
		await tui.waitFor('220 mx.lab.test');
		assert.ok(!tui.screen().includes('✓'), 'not explained before it happened');
		await tui.press(keys.enter);
		await tui.waitFor('✓ Before TLS the server lists STARTTLS and no AUTH');
		await tui.press('n');
		await tui.waitFor('step 2 of 3');
		await tui.press(keys.enter); // STARTTLS
		await tui.waitFor('✓ 220 means: start the handshake now');
		await tui.press('n');
		await tui.waitFor('step 3 of 3');
		await tui.press(keys.enter); // EHLO again
		await tui.waitFor('✓ After STARTTLS both sides forget everything');
		await tui.press('n');
		await tui.waitFor('Lesson complete');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('a lesson that changes ports starts a new session on the next port', {timeout: 90_000}, async () => {
	const tui = spawnTui(['lesson', '1']);
	try {
		await tui.waitFor('Port 25: press enter');
		await tui.press(keys.enter);
		await tui.waitFor('✓ Port 25 is where mail servers');
		await tui.press('n');
		await tui.waitFor('lab:465 submission, implicit TLS · not connected');
		// The frame may arrive in pieces: wait for the lesson pane rather than read it at once.
		const screen = await tui.waitFor('step 2 of 4');
		assert.match(screen, /Port 465: press enter to connect/);
		assert.ok(!screen.includes('Port 465: Port 465'), 'the port is said once');
		await tui.press(keys.enter);
		await tui.waitFor('✓ On 465 the TLS handshake came before any SMTP');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('quiz mode: the reply is held back until the student predicts its class; the score adds up', {timeout: 60_000}, async () => {
	const tui = spawnTui(['--port', '25', '--quiz']);
	try {
		await tui.waitFor('quiz 0/0');
		await tui.press(keys.enter); // connect: the banner is held back
		let screen = await tui.waitFor('What will the server answer?');
		assert.ok(!screen.includes('220 mx.lab.test'), 'the banner is hidden until the answer');
		await tui.press('2');
		screen = await tui.waitFor('Right: 220 is 2xx, success.');
		assert.match(screen, /S {2}220 mx\.lab\.test ESMTP smtp-tui lab/);
		assert.match(screen, /quiz 1\/1/);
		await tui.press(keys.enter); // EHLO
		await tui.waitFor('What will the server answer?');
		await tui.press('5');
		screen = await tui.waitFor('Not quite: it was 250, 2xx (success); you said 5xx.');
		assert.match(screen, /quiz 1\/2/);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('a journey lesson in the TUI: the MX lookup comes first, and the MX\'s checks complete a step after the relay', {timeout: 120_000}, async () => {
	const tui = spawnTui(['lesson', 'spf-dkim-dmarc']);
	try {
		await tui.waitFor('step 1 of 6');
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press(keys.enter); // connect: the MX lookup through the lab DNS server comes first
		let screen = await tui.waitFor('220 mx.receiver.test');
		assert.match(screen, /DNS: receiver\.test has 1 MX record: 10 mx\.receiver\.test/);
		assert.ok(!screen.includes('✓'), 'not explained before the MX has checked anything');
		await tui.press('a');
		await tui.waitFor('✓ spf=pass: sender.test\'s record', 30_000);
		await tui.press('n');
		screen = await tui.waitFor('step 2 of 6');
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press('a'); // submit on 587: the provider signs and relays after its 250
		await tui.waitFor('✓ The provider added DKIM-Signature: d=sender.test', 30_000);
		await tui.press('n');
		await tui.waitFor('step 3 of 6');
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press('a'); // spf-not-listed
		await tui.waitFor('✓ spf=fail, and with no signature', 30_000);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('lesson 7 at 80x24: the goal and step 4 are read whole (nothing cut), and the lesson completes', {timeout: 90_000}, async () => {
	const tui = spawnTui(['lesson', 'attacks'], {columns: 80, rows: 24});
	try {
		await tui.waitFor('Goal: Watch STARTTLS injection and SMTP smuggling fail. · > skips this step', 20_000);
		for (const step of [2, 3, 4]) {
			await tui.press('>');
			await tui.waitFor(`step ${step} of 4`, 20_000);
		}

		await tui.waitFor('Port 25 also ends DATA at a bare LF.LF (SMTP smuggling). Press a to send.', 20_000);
		await tui.waitFor(/Next: Open a TCP/, 20_000);
		await tui.press('a');
		const screen = await tui.waitFor('refuse a bare LF with 521.', 20_000);
		assert.match(screen, /✓ Arrived whole: smtp-tui sends only CRLF/);
		assert.doesNotMatch(screen.split('\n').filter(line => line.includes('│ ✓') || line.includes('CVE')).join('\n'), /…/, 'the explanation is not cut');
		await tui.press('n');
		await tui.waitFor('Lesson complete');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});
