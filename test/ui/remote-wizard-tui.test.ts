// The remote wizard in the real binary: no hint becomes a value, a bad field is refused where it
// is typed (worded for the form, not as a flag), the sender, CA and insecure fields reach the
// session, and the answers are still there after b from the session.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtemp, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {startLab} from '../../source/lab/index.js';
import {explainPane, keys, spawnTui, type Terminal} from '../support/pty.js';

const erase = (count: number) => keys.backspace.repeat(count);

/** From the start screen into the remote wizard's first field. */
async function openRemoteWizard(tui: Terminal): Promise<void> {
	await tui.waitFor('where should the conversation go?');
	await tui.press(keys.down);
	await tui.waitFor('❯ A remote server');
	await tui.press(keys.enter);
	await tui.waitFor('remote server (1/9)');
}

test('remote wizard: empty host refused, bad port and TLS refused in place, sender and insecure used, answers kept after b', {timeout: 120_000}, async () => {
	const lab = await startLab({only: [587]});
	const tui = spawnTui();
	try {
		const port = String(lab.ports[587]);
		const password = lab.users.find(user => user.user === 'alice')!.password!;
		await openRemoteWizard(tui);

		// Empty host: one sentence, and the wizard stays on the host field.
		await tui.press(keys.enter);
		let screen = await tui.waitFor('the connection needs one');
		assert.match(screen, /remote server \(1\/9\)/);
		await tui.type('127.0.0.1');
		await tui.press(keys.enter);
		await tui.waitFor('remote server (2/9)');

		// A bad port is refused on the field, worded for the form; the host is still answered.
		await tui.type('70000');
		await tui.press(keys.enter);
		screen = await tui.waitFor('The port is a whole number from 1 to 65535');
		assert.match(screen, /remote server \(2\/9\)/);
		assert.ok(!screen.includes('--port'), 'not worded as a flag error');
		assert.match(screen, /Host name or IP of the SMTP server: 127\.0\.0\.1/);
		await tui.press(erase(5));
		await tui.waitFor('>  e.g. 587');
		await tui.type(port);
		await tui.press(keys.enter);
		await tui.waitFor('remote server (3/9)');

		await tui.type('tls');
		await tui.press(keys.enter);
		screen = await tui.waitFor('The TLS mode is one of auto, starttls, implicit, none');
		assert.ok(!screen.includes('--tls'), 'not worded as a flag error');
		await tui.press(erase(3));
		await tui.type('starttls');
		await tui.press(keys.enter);
		await tui.waitFor('remote server (4/9)');

		await tui.type('alice');
		await tui.press(keys.enter);
		await tui.waitFor('remote server (5/9)');
		await tui.type(password);
		await tui.press(keys.enter);
		await tui.waitFor('remote server (6/9)');
		await tui.type('carol@lab.test');
		await tui.press(keys.enter);
		await tui.waitFor('remote server (7/9)');

		// The recipient's hint is not a recipient.
		await tui.press(keys.enter);
		await tui.waitFor('Type the recipient address: the message needs one.');
		await tui.type('bob@lab.test');
		await tui.press(keys.enter);
		await tui.waitFor('remote server (8/9)');

		const missing = '/nonexistent/ca.pem';
		await tui.type(missing);
		await tui.press(keys.enter);
		await tui.waitFor('There is no file at that path');
		await tui.press(erase(missing.length));
		await tui.waitFor('>  e.g. ./ca.pem');
		await tui.press(keys.enter);
		await tui.waitFor('remote server (9/9)');

		await tui.type('maybe');
		await tui.press(keys.enter);
		await tui.waitFor('Answer yes or no');
		await tui.press(erase(5));
		// The lab's certificate names mx.lab.test, not 127.0.0.1: only "insecure" gets past it.
		await tui.type('yes');
		await tui.press(keys.enter);

		// Step until MAIL FROM: the sender typed in the wizard is the envelope sender.
		// Enter while a step is in flight is refused: the next enter waits for "Next:" without "working…".
		await tui.waitFor(/step 0\/[\s\S]*Next: /);
		for (let step = 1; step <= 12 && !tui.screen().includes('MAIL FROM:<carol@lab.test>'); step++) {
			await tui.press(keys.enter);
			await tui.waitFor(new RegExp(`step ${step}/[\\s\\S]*Next: `));
		}

		screen = await tui.waitFor('MAIL FROM:<carol@lab.test>');
		assert.ok(!screen.includes(password), 'the password never reaches the screen');
		assert.ok(!screen.includes('smtp.example.com'), 'no hint became a host');

		// b goes back to the wizard itself: every answer is still there.
		await tui.press('b');
		await tui.waitFor(/remote server \(1\/9\)[\s\S]*> 127\.0\.0\.1/);
		await tui.press(keys.enter);
		await tui.waitFor(`> ${port}`);
		await tui.press(keys.enter);
		await tui.waitFor('> starttls');
		await tui.press(keys.escape);
		await tui.waitFor('where should the conversation go?');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
		await lab.close();
	}
});

/** Enter until `text` is on screen (at most `steps` presses, each waiting for its step to be in). */
async function stepUntil(tui: Terminal, text: string, steps = 6): Promise<string> {
	for (let press = 0; press < steps && !tui.screen().includes(text); press++) {
		const done = Number(/step (\d+)\//.exec(tui.screen())?.[1] ?? 0);
		await tui.press(keys.enter);
		await tui.waitFor(new RegExp(`step ${done + 1}/[\\s\\S]*Next: |${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
	}

	return tui.waitFor(text);
}

test('a certificate refused in a wizard session: the advice names the wizard\'s fields, b goes back to the wizard, and its CA field then gets past it', {timeout: 120_000}, async () => {
	const lab = await startLab({only: [587]});
	const caFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-wizard-ca-')), 'lab-ca.pem');
	await writeFile(caFile, lab.ca);
	const tui = spawnTui();
	try {
		await openRemoteWizard(tui);
		// host, port, TLS, no user (so no password: 5 is skipped), default sender, recipient, no CA, not insecure
		const answers: Array<[string, string]> = [['127.0.0.1', '(2/9)'], [String(lab.ports[587]), '(3/9)'], ['starttls', '(4/9)'], ['', '(6/9)'], ['', '(7/9)'], ['bob@lab.test', '(8/9)'], ['', '(9/9)'], ['', 'step 0/']];
		for (const [answer, next] of answers) {
			if (answer) await tui.type(answer);
			await tui.press(keys.enter);
			await tui.waitFor(next);
		}

		await tui.waitFor(/step 0\/[\s\S]*Next: /);
		let screen = await stepUntil(tui, 'Next: The session is over');
		const advice = explainPane(screen);
		assert.match(advice, /was refused: its issuer is unknown/);
		assert.match(advice, /In the remote wizard \(b goes back to it, your answers kept\), give the certificate of its issuer \(a PEM file\) as the CA certificate file/);
		assert.match(advice, /answer yes to "Accept any certificate"/);
		assert.ok(!/--ca|--insecure/.test(screen), 'no flags: the session came from the wizard');

		await tui.press('b');
		await tui.waitFor(/remote server \(1\/9\)[\s\S]*> 127\.0\.0\.1/);
		for (let field = 1; field < 7; field++) await tui.press(keys.enter); // the kept answers, up to the CA field
		await tui.waitFor('CA certificate file to trust');
		await tui.type(caFile);
		await tui.press(keys.enter);
		await tui.waitFor('remote server (9/9)');
		await tui.press(keys.enter);
		await tui.waitFor(/step 0\/[\s\S]*Next: /);
		screen = await stepUntil(tui, 'S~ 250 SMTPUTF8');
		assert.match(screen, /TLS handshake: TLSv1\.3 .*; certificate verifi/, "the CA file from the wizard made it verify");
		assert.ok(!screen.includes('was refused'));
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
		await lab.close();
	}
});

test('the wizard\'s answers say what will be used: the default sender by name (and it is the MAIL FROM sent), a skipped password "not set"', {timeout: 120_000}, async () => {
	const lab = await startLab({only: [25]});
	const tui = spawnTui();
	try {
		await openRemoteWizard(tui);
		// host, port, TLS none, no user (so no password), default sender, recipient, no CA; stop on the last field
		const answers: Array<[string, string]> = [['127.0.0.1', '(2/9)'], [String(lab.ports[25]), '(3/9)'], ['none', '(4/9)'], ['', '(6/9)'], ['', '(7/9)'], ['bob@lab.test', '(8/9)'], ['', '(9/9)']];
		for (const [answer, next] of answers) {
			if (answer) await tui.type(answer);
			await tui.press(keys.enter);
			await tui.waitFor(next);
		}

		const summary = tui.screen();
		assert.match(summary, /User name to log in with \(empty: no login\): none \(no login\)/);
		assert.match(summary, /Password \(not shown, never saved\): not set/);
		assert.match(summary, /CA certificate file to trust \(PEM; empty: the system's CAs\): the system's CAs \(default\)/);
		const sender = /Sender address \(MAIL FROM; empty: smtp-tui@this machine\): (smtp-tui@\S+) \(default\)/.exec(summary)?.[1];
		assert.ok(sender, `the default sender is named:\n${summary}`);
		assert.ok(!summary.includes('(none)'), 'no answer is shown as "(none)"');

		// What the summary named is what goes out.
		await tui.press(keys.enter);
		await tui.waitFor(/step 0\/[\s\S]*Next: /);
		const screen = await stepUntil(tui, 'MAIL FROM:<');
		assert.ok(screen.includes(`MAIL FROM:<${sender}>`), `MAIL FROM is the default sender the summary showed:\n${screen}`);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
		await lab.close();
	}
});

test('a login refused over opportunistic TLS that did not verify, in a wizard session: the advice names the wizard\'s fields, not flags', {timeout: 120_000}, async () => {
	const lab = await startLab({only: [587]});
	const tui = spawnTui();
	try {
		await openRemoteWizard(tui);
		// The lab's 587 on its real port number with TLS auto: STARTTLS is opportunistic; a login, no CA.
		const password = lab.users.find(user => user.user === 'alice')!.password!;
		const answers: Array<[string, string]> = [['127.0.0.1', '(2/9)'], [String(lab.ports[587]), '(3/9)'], ['', '(4/9)'], ['alice', '(5/9)'], [password, '(6/9)'], ['', '(7/9)'], ['bob@lab.test', '(8/9)'], ['', '(9/9)'], ['', 'step 0/']];
		for (const [answer, next] of answers) {
			if (answer) await tui.type(answer);
			await tui.press(keys.enter);
			await tui.waitFor(next);
		}

		await tui.waitFor(/step 0\/[\s\S]*Next: /);
		const screen = await stepUntil(tui, '!! Refusing to send credentials', 8);
		const advice = explainPane(screen);
		assert.match(advice, /Refusing to send credentials: the certificate did not verify/);
		assert.match(advice, /In the remote wizard \(b goes back to it, your answers kept\), type starttls as the TLS mode and give the CA certificate file/);
		assert.match(advice, /"Accept any certificate"/);
		assert.ok(!/--tls|--ca|--insecure/.test(screen), 'no flags: the session came from the wizard');
		assert.ok(!screen.includes(password), 'the password never reaches the screen');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
		await lab.close();
	}
});
