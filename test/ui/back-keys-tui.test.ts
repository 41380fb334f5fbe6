// The way back, from every screen, in the real binary: each screen's footer shows its back
// key, and that key leads to the screen it was opened from with nothing lost on the way.
// (The port picker's b, Esc and Backspace and the remote wizard's Esc are in
// workshop-tui.test.ts; q and Ctrl-C on every screen in ctrl-c.test.ts.)
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {keys, pressToOpen, withTui, type Terminal} from '../support/pty.js';

/** The last line of the screen that is not empty: the footer. */
const footer = (screen: string) => screen.split('\n').filter(line => line.trim() !== '').at(-1) ?? '';

async function toPicker(tui: Terminal): Promise<void> {
	await tui.waitFor('where should the conversation go?');
	await pressToOpen(tui, keys.enter, 'Pick a port'); // the lab (preselected)
}

/** A session on 25 opened by flags: the banner and EHLO's reply on screen. */
async function bannerAndEhlo(tui: Terminal): Promise<void> {
	await tui.waitFor('Next: Open a TCP connection');
	await tui.press(keys.enter);
	await tui.waitFor('220 mx.lab.test');
	await tui.press(keys.enter);
	await tui.waitFor('S  250 SMTPUTF8');
}

test('the first screen: nothing behind it; Esc and b do nothing and eat no key, the footer offers q', {timeout: 60_000}, async () => {
	await withTui([], async tui => {
		const screen = await tui.waitFor(/where should the conversation go\?[\s\S]*q quit/);
		assert.match(footer(screen), /q quit$/);
		await tui.press(keys.escape);
		await tui.press('b');
		await tui.press(keys.down); // the next key still works
		await tui.waitFor('❯ A remote server');
	});
});

test('a session from the port picker: b goes back to the picker, the port still highlighted', {timeout: 60_000}, async () => {
	await withTui([], async tui => {
		await toPicker(tui);
		await tui.press(keys.up);
		await tui.waitFor('❯ 465');
		await tui.press(keys.up);
		await tui.waitFor('❯ 25 ');
		await tui.press(keys.enter);
		const screen = await tui.waitFor(/Next: Open a TCP connection[\s\S]*q quit/);
		assert.match(footer(screen), / b back .* q quit$/);
		await tui.press(keys.enter);
		await tui.waitFor('220 mx.lab.test');
		await tui.press('b');
		await tui.waitFor('❯ 25 ');
	});
});

test('a session opened by flags: b goes to the start screen', {timeout: 60_000}, async () => {
	await withTui(['--port', '2525'], async tui => {
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press('b');
		await tui.waitFor('where should the conversation go?');
	});
});

test('the help overlay and the TLS panel: the footer says esc/b, b goes back to the session as it was', {timeout: 60_000}, async () => {
	await withTui(['--port', '465'], async tui => {
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press(keys.enter);
		await tui.waitFor('220 mx.lab.test');
		for (const open of ['?', 't']) {
			await tui.press(open);
			const overlay = await tui.waitFor(new RegExp(`${open === '?' ? 'Keys \\(press \\? or esc to close\\)' : 'verified: the chain and the host name check out'}[\\s\\S]*q quit`));
			assert.match(footer(overlay), /^(.* )?esc\/b back to the session  \? help  q quit$/);
			await tui.press('b');
			const session = await tui.waitFor(/220 mx\.lab\.test[\s\S]*\? help {2}q quit/);
			assert.match(session, /Next: Say EHLO/, 'the session did not move');
			assert.match(footer(session), / b back .* q quit$/);
		}

		await tui.press('?');
		await tui.waitFor('Keys (press ? or esc to close)');
		await tui.press(keys.escape);
		await tui.waitFor('220 mx.lab.test');
	});
});

test('compare\'s port chooser: esc/b in its footer, Esc and b go back to the picker', {timeout: 60_000}, async () => {
	await withTui([], async tui => {
		await toPicker(tui);
		for (const back of [keys.escape, 'b']) {
			await pressToOpen(tui, 'c', /Compare which ports\?[\s\S]*space toggle {2}enter start {2}esc\/b back {2}\? help {2}q quit/);
			await tui.press(back);
			await tui.waitFor(/^(?![\s\S]*Compare which ports\?)[\s\S]*enter open/); // the chooser closed
		}

		await tui.press(keys.down); // the picker has the keys again
		await tui.waitFor('❯ 2525');
	});
});

test('compare from the picker: b goes back to the picker; compare opened by flags: b goes to the start screen', {timeout: 90_000}, async () => {
	await withTui([], async tui => {
		await toPicker(tui);
		await pressToOpen(tui, 'c', 'Compare which ports?');
		await tui.press(keys.enter);
		await tui.waitFor('compare · lab · step 0/');
		await pressToOpen(tui, keys.enter, 'step 1/');
		const screen = await tui.waitFor(/step 1\/[\s\S]*q quit/);
		assert.match(footer(screen), / b back {2}\? help {2}q quit$/);
		await tui.press('b');
		await tui.waitFor('Pick a port');
	});
	await withTui(['compare', '25', '587'], async tui => {
		const screen = await tui.waitFor(/compare · lab · step 0\/[\s\S]*q quit/);
		assert.match(footer(screen), / b back {2}\? help {2}q quit$/);
		await tui.press('b');
		await tui.waitFor('where should the conversation go?');
	});
});

test('probe, fault menu, inbox and journey from the picker: each shows its back key and goes back to the picker', {timeout: 120_000}, async () => {
	await withTui([], async tui => {
		await toPicker(tui);
		const screens: Array<{opener: string; shown: string; back: RegExp; key: string}> = [
			{opener: 'p', shown: 'Nothing wrong found.', back: /b back {2}\? help {2}q quit$/m, key: 'b'},
			{opener: 'f', shown: 'lab faults', back: /enter\/esc back {2}\? help {2}q quit/m, key: keys.escape},
			{opener: 'i', shown: 'No messages yet.', back: /esc\/b back {2}\? help {2}q quit$/m, key: 'b'},
			{opener: 'j', shown: '▶alice\'s client', back: / b back {2}\? help {2}q quit$/m, key: 'b'},
		];
		for (const {opener, shown, back, key} of screens) {
			await pressToOpen(tui, opener, shown, 20_000);
			await tui.waitFor(back); // the footer shows the back key
			await tui.press(key);
			await tui.waitFor(/Pick a port[\s\S]*enter open/);
		}
	}, {rows: 48});
});

test('j on the port picker opens the journey and moves nothing; ↓ moves; back on the picker the pointer is where it was', {timeout: 90_000}, async () => {
	await withTui([], async tui => {
		await toPicker(tui);
		assert.match(footer(await tui.waitFor('❯ 587 ')), / j journey /);
		await tui.press(keys.down);
		await tui.waitFor(/^(?=[\s\S]*❯ 2525 )[\s\S]*2525 · alternative/);
		// One key, one thing: j is the journey's, the list does not also take it as ↓.
		await tui.press('j');
		await tui.waitFor('▶alice\'s client', 30_000);
		await tui.press('b');
		const screen = await tui.waitFor(/Pick a port[\s\S]*enter open/);
		assert.match(screen, /^(?=[\s\S]*❯ 2525 )[\s\S]*2525 · alternative/, `the pointer stays on 2525:\n${screen}`);
		await tui.press('?');
		const help = await tui.waitFor('Keys (press ? or esc to close)');
		assert.match(help, /↑↓\/k +move between the ports/);
		assert.match(help, /j +follow one message's whole journey/);
	}, {rows: 48});
});

test('the inbox from a session: b goes back to the same session, transcript kept', {timeout: 60_000}, async () => {
	await withTui(['--port', '25'], async tui => {
		await bannerAndEhlo(tui);
		await tui.press('i');
		await tui.waitFor('No messages yet.');
		await tui.press('b');
		const screen = await tui.waitFor('S  250 SMTPUTF8');
		assert.match(screen, /S {2}220 mx\.lab\.test/);
		assert.match(screen, /step 2\//);
	});
});

test('compare from a session: Esc on the port chooser, and b from the comparison, go back to the same session, transcript and step kept', {timeout: 90_000}, async () => {
	await withTui(['--port', '25'], async tui => {
		await bannerAndEhlo(tui);
		await pressToOpen(tui, 'c', 'Compare which ports?');
		await tui.press(keys.escape);
		let screen = await tui.waitFor(/^(?![\s\S]*Compare which ports\?)[\s\S]*S {2}250 SMTPUTF8/);
		assert.match(screen, /S {2}220 mx\.lab\.test/);
		assert.match(screen, /step 2\//);
		assert.match(screen, /Next: Ask for TLS/, 'the same step is next');
		await pressToOpen(tui, 'c', 'Compare which ports?');
		await tui.press(keys.enter);
		await tui.waitFor('compare · lab · step 0/');
		await tui.press('b');
		screen = await tui.waitFor(/S {2}250 SMTPUTF8[\s\S]*Next: Ask for TLS/);
		assert.match(screen, /step 2\//);
		await tui.press(keys.enter); // the session's own connection is still open: STARTTLS goes out on it
		screen = await tui.waitFor('220 2.0.0 Ready to start TLS');
		assert.equal(screen.split('\n').filter(line => line.includes('Connecting to')).length, 1, 'no new connection');
	});
});

test('a lesson: b goes back one step (shown in the footer), at step 1 it says so; after "Lesson complete" b goes back to the last step', {timeout: 90_000}, async () => {
	await withTui(['lesson', 'starttls'], async tui => {
		let screen = await tui.waitFor(/step 1 of 3[\s\S]*q quit/);
		assert.match(footer(screen), /b back a step/);
		await tui.press('b');
		await tui.waitFor('This is the first step: nothing to go back to');
		await tui.press(keys.enter);
		await tui.waitFor('220 mx.lab.test');
		await tui.press(keys.enter);
		await tui.waitFor('✓ Before TLS the server lists STARTTLS and no AUTH');
		await tui.press('n');
		await tui.waitFor('step 2 of 3');
		await tui.press('b');
		screen = await tui.waitFor('step 1 of 3');
		assert.match(screen, /✓ Before TLS the server lists STARTTLS/, 'the step done stays done');
		await tui.press('n');
		await tui.waitFor('step 2 of 3');
		await tui.press('>'); // skip it
		await tui.waitFor('step 3 of 3');
		await tui.press('>');
		screen = await tui.waitFor('Lesson complete');
		assert.match(screen, /b: back a step/);
		await tui.press('b');
		await tui.waitFor('step 3 of 3');
	});
});

test('the journey opened by smtp-tui journey: nothing behind it, b is not offered and changes nothing', {timeout: 120_000}, async () => {
	await withTui(['journey'], async tui => {
		const screen = await tui.waitFor(/▶alice's client[\s\S]*q quit/, 30_000); // the journey's lab starts first
		assert.ok(!/ b back/.test(footer(screen)), footer(screen));
		assert.match(footer(screen), /q quit$/);
		await tui.press('b');
		await tui.press(keys.enter);
		await tui.waitFor('220 smtp.sender.test');
		// At the end it offers only what works here: no "b goes back".
		for (const leg of [1, 2, 3]) {
			await pressToOpen(tui, 'a', leg < 3 ? `This leg is over: enter goes on to leg ${leg + 1}` : 'The journey is complete', 30_000);
			if (leg === 1) await pressToOpen(tui, keys.enter, 'Next: Open a TCP connection', 20_000);
			if (leg === 2) {
				await pressToOpen(tui, keys.enter, 'enter starts leg 3', 20_000);
				await pressToOpen(tui, keys.enter, /Connected to|S~? +\+OK/, 20_000);
			}
		}

		assert.match(tui.screen(), /The journey is complete: q quits\./);
	});
});
