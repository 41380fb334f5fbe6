// The journey with IMAP in leg 3, in a real pty: chosen with --retrieval imap or with i; the
// message IMAP fetches is the one leg 1 sent; keys that come while a step is in flight are
// refused, never run; a second run reads the second message; a resize keeps the transcript.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {keys, pressToOpen, spawnTui, type Terminal} from '../support/pty.js';

/** The journey starts two labs, a CA and a DKIM key: on a loaded machine that takes a while (a bound, not an assertion). */
const startupMs = 30_000;

/** Legs 1 and 2 with a, from the journey screen's first frame to bob's mailbox. */
async function firstTwoLegs(tui: Terminal): Promise<string> {
	await tui.waitFor('▶alice\'s client', startupMs);
	await tui.press('a');
	const leg1 = await tui.waitFor('This leg is over: enter goes on to leg 2');
	await tui.press(keys.enter);
	await tui.waitFor('Relay: her provider delivers');
	await tui.press('a');
	await tui.waitFor('▶bob\'s mailbox');
	await tui.waitFor('This leg is over: enter goes on to leg 3');
	return leg1;
}

test('smtp-tui journey --retrieval imap: leg 3 steps IMAP (tags, untagged lines, the literal, \\Seen) and fetches the message leg 1 sent', {timeout: 120_000}, async () => {
	const tui = spawnTui(['journey', '--retrieval', 'imap'], {rows: 100});
	try {
		await tui.waitFor('3 Retrieval · IMAP 993', startupMs);
		const leg1 = await firstTwoLegs(tui);
		const sent = /C~ Message-ID: (<[^>\s]+>)/.exec(leg1)?.[1];
		assert.ok(sent, `leg 1 shows the Message-ID it sent:\n${leg1}`);
		await tui.press(keys.enter);
		let screen = await tui.waitFor('enter starts leg 3 with IMAP');
		assert.match(screen, /IMAP, unlike POP3:/, 'the Explain pane says how IMAP differs before the first step');
		await tui.press(keys.enter); // one step: connect, TLS, the greeting
		screen = await tui.waitFor(/S~ \* OK \[CAPABILITY IMAP4rev1/);
		assert.match(screen, /A1 CAPABILITY␍␊/, 'Next shows the tagged command before it goes out');
		await tui.press('a');
		screen = await tui.waitFor('▶bob\'s reader');
		screen = await tui.waitFor('The journey is complete');
		assert.match(screen, /C~ A2 LOGIN "bob" \*{8}/, 'the password is masked');
		assert.match(screen, /S~ \* LIST \(\\HasNoChildren\) "\/" INBOX/, 'folders');
		assert.match(screen, /S~ \* 1 EXISTS/);
		assert.match(screen, /S~ \* 1 FETCH \(FLAGS \(\) BODY\[\] \{\d+\}/, 'the message comes as a literal, not yet \\Seen');
		assert.match(screen, /C~ A6 STORE 1 \+FLAGS \(\\Seen\)/);
		assert.match(screen, /S~ \* 1 FETCH \(FLAGS \(\\Seen\)\)/, 'flags live on the server');
		assert.match(screen, /S~ \* BYE Logging out/);
		assert.match(screen, /S~ A7 OK Logout completed\./);
		assert.match(screen, /Tagged with A7: this is the end of/, 'the selected line (the last) is explained');
		const fetched = /S~ Message-ID: (<[^>\s]+>)/.exec(screen)?.[1];
		assert.equal(fetched, sent, 'IMAP fetched the message leg 1 submitted');
		assert.match(screen, /Received: lines \(2\)/);
		assert.ok(!tui.output().includes('builder'), 'bob\'s password never reaches the terminal');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('keys pressed back to back while a step is in flight: the first steps, the others are refused on screen, never run', {timeout: 90_000}, async () => {
	const tui = spawnTui(['journey']);
	try {
		await tui.waitFor('▶alice\'s client', startupMs);
		// In one read: the first enter connects; the two after it come while that step is in flight.
		await tui.typeFast('\r\r\r');
		let screen = await tui.waitFor('A step is still running: that key was not run');
		screen = await tui.waitFor(/S {2}220 smtp\.sender\.test/);
		await tui.waitFor('EHLO client.example␍␊');
		screen = tui.screen();
		assert.doesNotMatch(screen, /C {2}EHLO/, 'no second step ran: EHLO is still only the next line');
		assert.equal((screen.match(/Connected to /g) ?? []).length, 1, 'one connection');
		await tui.press(keys.enter);
		screen = await tui.waitFor(/S {2}250[- ]/);
		assert.equal((screen.match(/C {2}EHLO client\.example/g) ?? []).length, 1, 'enter after the refusal runs the next step once');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('journey run twice from the picker with i (IMAP): leg 3 fetches the second message, not the first', {timeout: 180_000}, async () => {
	const tui = spawnTui([], {rows: 100});
	try {
		await tui.waitFor('where should the conversation go?');
		await tui.press(keys.enter);
		await tui.waitFor('j journey');
		for (const run of [1, 2]) {
			await pressToOpen(tui, 'j', '3 Retrieval · POP3 995');
			await tui.press('i');
			await tui.waitFor('3 Retrieval · IMAP 993');
			await firstTwoLegs(tui);
			await tui.press(keys.enter);
			await tui.press('a');
			const screen = await tui.waitFor('The journey is complete');
			assert.match(screen, new RegExp(`S~ \\* ${run} EXISTS`), `run ${run}: bob's INBOX holds ${run} message(s)`);
			assert.match(screen, new RegExp(`C~ A5 FETCH ${run} \\(FLAGS BODY\\.PEEK\\[\\]\\)`), `run ${run} fetches message ${run}`);
			assert.match(screen, new RegExp(`S~ \\* ${run} FETCH \\(FLAGS \\(\\) BODY\\[\\] \\{`), 'the new message is not yet \\Seen');
			await tui.press('p');
			await tui.waitFor('Leg 3 has started with IMAP');
			await pressToOpen(tui, 'b', 'Pick a port');
		}

		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('resize to 60x20 and back during the journey keeps the leg, its transcript and the relay', {timeout: 90_000}, async () => {
	const tui = spawnTui(['journey'], {rows: 64});
	try {
		await firstTwoLegs(tui);
		const before = await tui.waitFor(/S~ 221 2\.0\.0 Bye/);
		const queued = /queued as (\w+)/.exec(before)?.[1];
		assert.ok(queued, 'the relay leg shows the receiver\'s queue ID');
		tui.resize(60, 20);
		await tui.waitFor('Make the terminal at least 80×24');
		tui.resize(120, 64);
		const after = await tui.waitFor('This leg is over: enter goes on to leg 3');
		assert.match(after, new RegExp(`queued as ${queued}`), 'the same relay transcript');
		assert.match(after, /▶bob's mailbox/);
		await tui.press(keys.enter);
		await tui.press('a');
		await tui.waitFor('▶bob\'s reader');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('at 80x24 the whole journey frame fits: header, diagram and footer stay on screen through the IMAP leg', {timeout: 120_000}, async () => {
	const tui = spawnTui(['journey', '--retrieval', 'imap'], {columns: 80, rows: 24});
	try {
		await tui.waitFor('▶alice → smtp.sender.test', startupMs);
		await tui.press('a');
		await tui.waitFor('This leg is over: enter goes on to leg 2');
		await tui.press(keys.enter);
		await tui.waitFor('Relay: her provider delivers');
		await tui.press('a');
		await tui.waitFor('▶bob\'s mailbox');
		await tui.waitFor('This leg is over: enter goes on to leg 3');
		await tui.press(keys.enter);
		await tui.press('a');
		const screen = await tui.waitFor('The journey is complete');
		const lines = screen.split('\n');
		assert.match(lines[0]!, /^journey · alice@sender\.test → bob@receiver\.test/, `the header is the first row:\n${screen}`);
		assert.match(lines[1]!, /▶bob's reader/, 'the diagram is the second row');
		assert.ok(lines.some(line => line.startsWith('enter step')), 'the footer is on screen');
		assert.match(screen, /Received: lines \(2\)/);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});
