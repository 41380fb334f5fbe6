// A clumsy student at the session screen, in the real binary: a message typed by hand after
// DATA, keys typed faster than frames, tab completion, resizing, and the way back.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtemp, readdir, readFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {keys, spawnTui, type Terminal} from '../support/pty.js';

/** Enter once per text: each press waits until the reply it brings is on screen. */
async function steps(tui: Terminal, texts: string[]): Promise<string> {
	let screen = tui.screen();
	for (const text of texts) {
		await tui.press(keys.enter);
		screen = await tui.waitFor(text);
	}

	return screen;
}

/** Port 25 up to an accepted RCPT: banner, EHLO, STARTTLS, EHLO again, MAIL, RCPT. */
const port25ToRcpt = ['220 mx.lab.test', 'S  250 SMTPUTF8', 'TLS handshake', 'S~ 250 SMTPUTF8', 'S~ 250 2.1.0 Ok', 'S~ 250 2.1.5 Ok'];

test('the telnet exercise: m DATA, then header, blank line, dot-stuffed body and the lone dot; the lab stores the message', {timeout: 90_000}, async () => {
	const saveDir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-data-'));
	const tui = spawnTui(['--port', '25', '--save-dir', saveDir]);
	try {
		await tui.waitFor('Next: Open a TCP connection');
		await steps(tui, port25ToRcpt);
		await tui.press('m');
		await tui.waitFor('Manual command');
		await tui.type('DATA');
		await tui.press(keys.enter);
		let screen = await tui.waitFor('Message line (after 354)');
		assert.match(screen, /354 End data with/);
		await tui.type('Subject: typed by hand');
		await tui.press(keys.enter);
		await tui.waitFor('C~ Subject: typed by hand');
		// Still a message line: no 60 s wait for a reply that never comes.
		screen = await tui.waitFor('Message line (after 354)');
		assert.match(screen, /A header field of the message itself/, 'the header line is explained');
		assert.match(screen, /servers route by the envelope/);
		await tui.press(keys.enter); // the empty line
		screen = await tui.waitFor('The empty line ends the header section');
		await tui.type('..dotted line');
		await tui.press(keys.enter);
		screen = await tui.waitFor('dot-stuffing');
		assert.match(screen, /Stored as "\.dotted line"/);
		// One dot typed by hand: the server deletes it (RFC 5321 §4.5.2), and the Explain pane says so.
		await tui.type('.hidden line');
		await tui.press(keys.enter);
		screen = await tui.waitFor('Stored as "hidden line": the dot is');
		await tui.type('.');
		await tui.press(keys.enter);
		screen = await tui.waitFor(/250 2\.0\.0 Ok: queued as/);
		assert.match(screen, /Next: Say goodbye/, 'after the lone dot the plan goes on to QUIT');
		// DATA and the message, typed by hand, are the plan's steps 7 and 8; the message's lines are none.
		assert.match(screen, /step 8\/9/);

		await tui.press('i'); // the lab's inbox
		screen = await tui.waitFor('typed by hand');
		await tui.press(keys.enter);
		screen = await tui.waitFor('.dotted line');
		assert.ok(!screen.includes('..dotted line'), 'the server removed the stuffed dot');
		assert.match(screen, /^hidden line/m, 'a line sent with one leading dot is stored without it');
		assert.ok(!screen.includes('.hidden line'));
		await tui.press('q');
		assert.equal(await tui.exited, 0);
		const eml = (await readdir(saveDir)).find(name => name.endsWith('.eml'));
		assert.ok(eml, 'the message was saved');
		const raw = await readFile(path.join(saveDir, eml), 'utf8');
		assert.match(raw, /^Subject: typed by hand\r?\n/m);
		assert.match(raw, /\r?\n\r?\n\.dotted line\r?\nhidden line\r?\n/);
	} finally {
		tui.kill();
	}
});

test('keys typed faster than frames all arrive: 20 letters, a RCPT line key by key, tab completion keeps the cursor at the end', {timeout: 60_000}, async () => {
	const tui = spawnTui(['--port', '25']);
	try {
		await tui.waitFor('Next: Open a TCP connection');
		// m opens the input; the letters right behind it must land there, not be taken as keys.
		await tui.typeFast('mabcdefghijklmnopqrst');
		let screen = await tui.waitFor('> abcdefghijklmnopqrst');
		assert.match(screen, /Manual command/);
		await tui.press(keys.escape);
		await tui.waitFor('Next: Open a TCP connection');
		await tui.typeFast('mRCPT TO:<bob@lab.test>');
		await tui.waitFor('> RCPT TO:<bob@lab.test>');
		for (let i = 0; i < 'RCPT TO:<bob@lab.test>'.length; i++) await tui.typeFast(keys.backspace);
		await tui.waitFor(/^│> +│$/m); // every backspace arrived: the line is empty
		await tui.type('NO');
		await tui.press(keys.tab);
		await tui.waitFor('> NOOP');
		await tui.type('Z');
		screen = await tui.waitFor('> NOOP Z');
		await tui.press(keys.escape);
		await tui.typeFast('mVRF');
		await tui.press(keys.tab);
		await tui.waitFor('> VRFY');
		await tui.type('bob');
		await tui.waitFor('> VRFY bob');
		await tui.press(keys.escape);
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('20 enters while the banner is on its way: one connection, the early enters refused visibly, and the note goes once the reply is in', {timeout: 60_000}, async () => {
	// The tarpit holds the banner 3 s, so the refusals are on screen long enough to be read.
	const tui = spawnTui(['--port', '25', '--fault', '25:tarpit=3000']);
	try {
		await tui.waitFor('Next: Open a TCP connection');
		await tui.typeFast('\r'.repeat(20));
		await tui.waitFor(/Still waiting for the server's reply: enter not done/);
		const screen = await tui.waitFor(/^(?![\s\S]*Still waiting)[\s\S]*S {2}220 mx\.lab\.test[\s\S]*Next: Say EHLO/, 20_000);
		assert.equal(screen.split('\n').filter(line => /Connecting to/.test(line)).length, 1, 'one connection');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('resizing below 80x24 and back keeps the session: the transcript, the step and the selection', {timeout: 60_000}, async () => {
	const tui = spawnTui(['--port', '587']);
	try {
		await tui.waitFor('Next: Open a TCP connection');
		await steps(tui, ['220 mx.lab.test', 'S  250 SMTPUTF8']);
		const before = await tui.waitFor('step 2/');
		tui.resize(60, 20);
		await tui.waitFor('Make the terminal at least 80×24 (it is 60×20 now)');
		await tui.press(keys.enter); // paused: no key reaches the hidden session
		tui.resize(120, 40);
		const after = await tui.waitFor('220 mx.lab.test');
		assert.match(after, /step 2\//, 'the same step, not a fresh session');
		assert.match(after, /Next: Upgrade this connection to TLS|STARTTLS␍␊/);
		assert.equal(after.split('\n')[0], before.split('\n')[0], 'the status line is unchanged');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('the way back: b, esc and backspace leave the port picker; esc on the start screen eats no key', {timeout: 60_000}, async () => {
	const tui = spawnTui();
	try {
		await tui.waitFor('where should the conversation go?');
		for (const back of ['b', keys.escape, keys.backspace]) {
			await tui.press(keys.enter); // the lab
			const picker = await tui.waitFor('Pick a port');
			assert.match(picker, /b back/, 'the footer shows the back key');
			await tui.press(back);
			await tui.waitFor('where should the conversation go?');
		}

		await tui.press(keys.escape); // nothing to go back to: ignored
		await tui.press(keys.down);
		await tui.waitFor('❯ A remote server');
		await tui.press(keys.enter);
		await tui.waitFor('Host name or IP of the SMTP server');
		await tui.press(keys.escape);
		await tui.waitFor('where should the conversation go?');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});
