// The exact places issue 17 saw students jam, replayed key by key in the real binary: each
// must now reach the step's ✓ and go on.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {enterUntil, keys, lessonSettled as settled, spawnTui, type Terminal} from '../support/pty.js';

const ctrlU = '\u0015';
async function typeLine(tui: Terminal, opener: 'm' | 'e', line: string): Promise<void> {
	await tui.press(opener);
	await tui.waitFor(opener === 'm' ? /Manual command|Answer the server/ : 'Edit the next command');
	if (opener === 'e') await tui.press(ctrlU);
	await tui.type(line);
	await tui.press(keys.enter);
}

test('lesson 2: one enter too many, n, r, enter to catch up (stopped at RCPT), then the edit: 554 completes the step', {timeout: 120_000}, async () => {
	const tui = spawnTui(['lesson', 'relay-vs-submission']);
	try {
		await tui.waitFor('step 1 of 4');
		await enterUntil(tui, 'This step stops here');
		await tui.press(keys.enter); // one too many: refused, nothing sent
		await tui.press('n');
		await tui.waitFor('step 2 of 4');
		await tui.press('r');
		await tui.waitFor('A new session: press enter until this step is done');
		// Enter as the pane says: the session catches up and stops at the RCPT to edit.
		const screen = await enterUntil(tui, 'Press e to change this line');
		assert.match(screen, /RCPT TO:<bob@lab\.test>␍␊/);
		assert.ok(!/C~? +RCPT TO:<bob@lab\.test>/.test(screen), 'the unedited RCPT was not sent');
		await typeLine(tui, 'e', 'RCPT TO:<friend@example.com>');
		await tui.waitFor('554 5.7.1 <friend@example.com>: Relay access denied');
		await tui.waitFor('done: n next step');
		await tui.press('n');
		await tui.waitFor('step 3 of 4');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('lesson 6: enter past the QUIT target is refused; r in step 4, enter to catch up: the 421 is recognised', {timeout: 150_000}, async () => {
	const tui = spawnTui(['lesson', 'when-things-go-wrong']);
	try {
		await tui.waitFor('step 1 of 5');
		await enterUntil(tui, 'This step stops here');
		await tui.press('n');
		await tui.waitFor('step 2 of 5');
		// A habitual enter: the plan is blocked (no recipient), enter would lead to QUIT.
		await tui.press(keys.enter);
		let screen = await tui.waitFor('This step is typed by hand: press m and type RCPT TO:<bob@lab.test>');
		assert.ok(!/C~? +QUIT/.test(screen), 'QUIT was not sent');
		await tui.press(keys.enter); // and again: still nothing sent
		await tui.waitFor(settled);
		assert.ok(!/C~? +QUIT/.test(tui.screen()), 'QUIT was not sent');
		assert.match(tui.screen(), /Next: .*\n.*QUIT␍␊|Next: No recipient/);
		await new Promise(resolve => setTimeout(resolve, 2100)); // the greylisting delay
		await typeLine(tui, 'm', 'RCPT TO:<bob@lab.test>');
		await tui.waitFor('done: n next step', 20_000);
		await tui.press('n');
		await tui.waitFor('step 3 of 5');
		await enterUntil(tui, 'This step stops here');
		await tui.press(keys.enter); // overshoot: refused, QUIT not sent
		screen = await tui.waitFor('This step stops here');
		assert.ok(!/C~? +QUIT/.test(screen), 'QUIT was not sent');
		await tui.press('n');
		await tui.waitFor('step 4 of 5');
		await tui.press('r'); // a new session: this client has had its one message
		await tui.waitFor('A new session: press enter to catch up');
		screen = await enterUntil(tui, 'done: n next step');
		assert.match(screen, /421 4\.7\.0/);
		await tui.press('n');
		await tui.waitFor('step 5 of 5');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

/** Lesson 4 from the start to step 6 (port 2525, stopped at AUTH), as the pane says. */
/** Presses n and waits for step `number`: the notice about the step before is gone. */
async function nextStep(tui: Terminal, number: number): Promise<string> {
	await tui.press('n');
	await tui.waitFor(`step ${number} of 7`);
	const screen = await tui.waitFor(settled);
	assert.doesNotMatch(screen, /This step (is done|stops here)/, `step ${number} does not show the hint of the step before:\n${screen}`);
	return screen;
}

async function lesson4ToStep6(tui: Terminal): Promise<void> {
	await tui.waitFor('step 1 of 7');
	await enterUntil(tui, 'done: n next step');
	await tui.press(keys.enter); // one too many: refused (STARTTLS would run past step 2)
	await tui.waitFor('This step is done: press n');
	await nextStep(tui, 2);
	await typeLine(tui, 'm', 'AUTH PLAIN');
	await tui.waitFor('done: n next step');
	await nextStep(tui, 3);
	// A burst of enters in one write: whatever it did, a ✓ says the AUTH line is next only when it is.
	await tui.burst(keys.enter.repeat(10));
	await tui.waitFor(settled);
	for (let wait = 0; wait < 300 && tui.screen().includes('working…'); wait++) await new Promise(resolve => setTimeout(resolve, 20));
	let screen = await tui.waitFor(settled);
	if (screen.includes('✓ Now encrypted')) assert.match(screen, /Next: Log in/, `the ✓ agrees with the wire:\n${screen}`);
	screen = await enterUntil(tui, 'This step stops here');
	assert.match(screen, /✓ Now encrypted/);
	assert.match(screen, /Next: Log in/, 'step 3 stops where the Next pane shows AUTH, after the EHLO inside TLS');
	await nextStep(tui, 4);
	await tui.press(keys.enter); // one enter logs in
	await tui.waitFor('done: n next step');
	assert.match(tui.screen(), /235 2\.7\.0/);
	await nextStep(tui, 5);
	await enterUntil(tui, 'This step stops here');
	await nextStep(tui, 6);
}

test('lesson 4: AUTH LOGIN typed twice: the Next pane says the server waits for the user name, the second goes out as it, and step 7 waits for a real *', {timeout: 150_000}, async () => {
	const tui = spawnTui(['lesson', 'auth-decoded']);
	try {
		await lesson4ToStep6(tui);
		await typeLine(tui, 'm', 'AUTH LOGIN');
		let screen = await tui.waitFor('done: n next step');
		screen = await tui.waitFor('Next: The server waits for your answer to its 334 ("Username:")');
		assert.doesNotMatch(screen, /AUTH PLAIN AGFsaWNl/, 'the Next pane does not offer AUTH PLAIN while the server waits for a user name');
		await tui.press(keys.enter); // enter sends nothing now
		await tui.waitFor(/Press m and type the answer in base64|This step stops here|waits for/);
		await tui.waitFor(settled);
		assert.doesNotMatch(tui.screen(), /C~ +AUTH PLAIN/, 'the planned AUTH PLAIN did not go out as the user name');
		await typeLine(tui, 'm', 'AUTH LOGIN'); // again: the server takes it as the user name
		await tui.waitFor(/S~ +501 5\.5\.4/);
		await tui.waitFor(settled);
		await tui.press('n');
		await tui.waitFor('step 7 of 7');
		screen = await tui.waitFor('This step is typed while a login waits for its answer');
		assert.match(screen, /Now the server answered 501 5\.5\.4/);
		assert.doesNotMatch(screen, /done: n next step/, 'the 501 to a user name is not the 501 to a *');
		await tui.press(keys.enter);
		await tui.waitFor('No login waits for an answer now: press m and type AUTH LOGIN to start one');
		await typeLine(tui, 'm', 'AUTH LOGIN');
		await tui.waitFor('Next: The server waits for your answer');
		await typeLine(tui, 'm', '*');
		await tui.waitFor(/C~ +\*\s/);
		await tui.waitFor('done: n next step');
		await tui.press('n');
		await tui.waitFor('Lesson complete');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('lesson 4, step 6 after r: enter catches up and stops at AUTH, where AUTH LOGIN is typed (never runs on to QUIT)', {timeout: 150_000}, async () => {
	const tui = spawnTui(['lesson', 'auth-decoded']);
	try {
		await lesson4ToStep6(tui);
		await tui.press('r');
		await tui.waitFor('A new session: press enter to catch up');
		// Far more enters than the catch-up needs, as a student would press them.
		const screen = await enterUntil(tui, 'This step is typed by hand: press m and type AUTH LOGIN', 12);
		assert.match(screen, /Next: Log in/);
		for (let i = 0; i < 4; i++) await tui.press(keys.enter);
		await tui.waitFor(settled);
		assert.doesNotMatch(tui.screen(), /C~ +(AUTH PLAIN|MAIL FROM|QUIT)/, 'nothing past AUTH was sent');
		await typeLine(tui, 'm', 'AUTH LOGIN');
		await tui.waitFor('done: n next step');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('lesson 2: a malformed edit (no angle brackets) is refused: the pane says the step cannot be done in this session and r, not a stale instruction', {timeout: 120_000}, async () => {
	const tui = spawnTui(['lesson', 'relay-vs-submission']);
	try {
		await tui.waitFor('step 1 of 4');
		await enterUntil(tui, 'This step stops here');
		await tui.press('n');
		await tui.waitFor('step 2 of 4');
		await typeLine(tui, 'e', 'RCPT TO:friend@example.com');
		let screen = await tui.waitFor('This session cannot do this step any more');
		assert.match(screen, /the server answered 501 5\.1\.3/);
		assert.match(screen, /starts it again, > skips the step/);
		await tui.press(keys.enter); // would send QUIT: refused
		screen = await tui.waitFor('Enter stops before QUIT');
		assert.ok(!/C~? +QUIT/.test(screen), 'QUIT was not sent');
		await tui.press('r');
		await tui.waitFor('A new session: press enter until this step is done');
		await enterUntil(tui, 'Press e to change this line');
		await typeLine(tui, 'e', 'RCPT TO:<friend@example.com>');
		await tui.waitFor('554 5.7.1 <friend@example.com>: Relay access denied');
		await tui.waitFor('done: n next step');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});
