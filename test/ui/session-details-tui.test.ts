// The smaller places a student got stuck, each in the real binary: an edited STARTTLS step,
// the step counter and manual commands, the 502 explanation, the fault menu's too-big in
// EHLO, c in a session opened by flags, and the footer at 120 and 80 columns.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {explainPane, keys, pressToOpen, spawnTui, type Terminal} from '../support/pty.js';

const statusLine = (screen: string) => screen.split('\n')[0] ?? '';
const footer = (screen: string) => screen.split('\n').filter(line => line.trim() !== '').at(-1) ?? '';

/** Opens the manual input, types `line` and sends it; waits for `reply`. */
async function manual(tui: Terminal, line: string, reply: string | RegExp): Promise<string> {
	await tui.press('m');
	await tui.waitFor('Manual command');
	await tui.type(line);
	await tui.press(keys.enter);
	return tui.waitFor(reply);
}

test('587: STARTTLS edited into a typo goes out by hand, gets 502 (explained as the lab says it) and STARTTLS stays next; manual lines are not steps', {timeout: 60_000}, async () => {
	const tui = spawnTui(['--port', '587']);
	try {
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press(keys.enter);
		await tui.waitFor('220 mx.lab.test');
		await tui.press(keys.enter);
		let screen = await tui.waitFor('S  250 SMTPUTF8');
		const counted = / step (\d+)\/(\d+)/.exec(statusLine(screen));
		assert.ok(counted, statusLine(screen));
		const [, done, total] = counted;
		assert.equal(done, '2');

		// A manual command: answered, but the plan does not move and the counter does not count it.
		screen = await manual(tui, 'NOOP', 'C  NOOP');
		screen = await tui.waitFor(/S {2}250 2\.0\.0 Ok/);
		assert.match(statusLine(screen), new RegExp(` step ${done}/${total} `), 'a manual command is not a step');

		await tui.press('e');
		await tui.waitFor('Edit the next command');
		await tui.type('Z'); // STARTTLSZ
		await tui.press(keys.enter);
		screen = await tui.waitFor('C  STARTTLSZ');
		screen = await tui.waitFor('502 5.5.2 Error: command not recognized');
		assert.ok(!screen.includes('will not fall back'), 'the session did not end');
		assert.match(screen, /Next: Ask for TLS/, 'STARTTLS is still the next step');
		assert.match(screen, /STARTTLS␍␊/);
		assert.match(statusLine(screen), new RegExp(` step ${done}/${total} `));
		// The 502 is selected (the newest line): its explanation agrees with the lab's text.
		assert.match(explainPane(screen), /502 — Command not implemented: not offered here, or not known at all \(the lab answers 502 to both\)/);

		await tui.press(keys.enter); // the real STARTTLS
		screen = await tui.waitFor('TLS handshake: TLSv1.3');
		assert.match(statusLine(screen), new RegExp(` step ${Number(done) + 1}/${total} `));
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('the fault menu\'s too-big on 587: the next 587 session\'s EHLO advertises the new SIZE', {timeout: 60_000}, async () => {
	const tui = spawnTui();
	try {
		await tui.waitFor('where should the conversation go?');
		await pressToOpen(tui, keys.enter, 'f faults');
		await pressToOpen(tui, 'f', 'lab faults');
		for (let i = 0; i < 4; i++) await tui.press(keys.down);
		await tui.waitFor('too-big: SIZE advertises a small limit');
		await tui.press(' '); // on for 587, 1000 bytes
		await tui.waitFor(/too-big +· +· +on 1000 +·/);
		await tui.press(keys.escape);
		await tui.waitFor('Pick a port');
		await tui.press(keys.enter); // 587
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press(keys.enter);
		await tui.waitFor('220 mx.lab.test');
		await tui.press(keys.enter);
		const screen = await tui.waitFor('S  250 SMTPUTF8');
		assert.match(screen, /S {2}250-SIZE 1000\b/);
		assert.ok(!screen.includes('SIZE 10240000'), 'not the default limit');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('c in a session opened with --port 587 opens the compare port chooser, and compare runs', {timeout: 60_000}, async () => {
	const tui = spawnTui(['--port', '587']);
	try {
		const screen = await tui.waitFor(/Next: Open a TCP connection[\s\S]*q quit/);
		assert.match(footer(screen), / c compare /);
		await pressToOpen(tui, 'c', 'Compare which ports?');
		await tui.press(keys.enter);
		await tui.waitFor('compare · lab · step 0/');
		await pressToOpen(tui, keys.enter, 'compare · lab · step 1/');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('the footer is never cut: "? help  q quit" ends it at 120 and 80 columns, in a session and a lesson', {timeout: 90_000}, async () => {
	for (const [args, columns] of [[['--port', '587'], 120], [['--port', '587'], 80], [['lesson', 'auth-decoded'], 120], [['lesson', 'auth-decoded'], 80]] as const) {
		const tui = spawnTui([...args], {columns, rows: 40});
		try {
			// The whole frame: the footer line has begun.
			const screen = await tui.waitFor(/Next: Open a TCP connection[\s\S]*\n(n next|enter send) /);
			const last = footer(screen);
			assert.match(last, /\? help {2}q quit$/, `${args.join(' ')} at ${columns}: ${last}`);
			assert.ok(!last.includes('…'), `nothing cut: ${last}`);
			assert.ok(last.length <= columns);
			await tui.press('q');
			assert.equal(await tui.exited, 0);
		} finally {
			tui.kill();
		}
	}
});

test('after DATA\'s 354, a paste of several message lines goes out line by line and the lab stores the message', {timeout: 60_000}, async () => {
	const tui = spawnTui(['--port', '25']);
	try {
		await tui.waitFor('Next: Open a TCP connection');
		for (const reply of ['220 mx.lab.test', 'S  250 SMTPUTF8', 'TLS handshake', 'S~ 250 SMTPUTF8', 'S~ 250 2.1.0 Ok', 'S~ 250 2.1.5 Ok']) {
			await tui.press(keys.enter);
			await tui.waitFor(reply);
		}

		await manual(tui, 'DATA', 'Message line (after 354)');
		await tui.typeFast('Subject: pasted in one go\r\rline one\r..dotted\r.\r'); // one paste
		const screen = await tui.waitFor(/250 2\.0\.0 Ok: queued as/);
		for (const line of [/C~ Subject: pasted in one go/, /C~ line one/, /C~ \.\.dotted/, /C~ \.\s*│/]) assert.match(screen, line);
		await pressToOpen(tui, 'i', 'pasted in one go');
		await tui.press(keys.enter);
		const message = await tui.waitFor('.dotted');
		assert.match(message, /line one/);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('the null sender MAIL FROM:<>: explained as a bounce sender, shown as <> in the inbox list and the message', {timeout: 90_000}, async () => {
	const tui = spawnTui(['--port', '25', '--from', '<>']);
	try {
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press('a');
		await tui.waitFor('221 2.0.0 Bye', 20_000);
		// Select the MAIL line (from the first line, as many rows down as it is): its Explain pane names the null sender.
		await tui.press('g');
		const rows = (await tui.waitFor(/▶·· Connecting/)).split('\n');
		const down = rows.findIndex(row => row.includes('C~ MAIL FROM:<>')) - rows.findIndex(row => row.includes('▶'));
		for (let i = 0; i < down; i++) await tui.press('j');
		await tui.waitFor(/▶C~ MAIL FROM:<>/);
		assert.match(explainPane(tui.screen()), /The empty sender <> \(the null reverse-path\): the sender of bounces/);
		await pressToOpen(tui, 'i', 'smtp-tui test message');
		assert.match(tui.screen(), /❯ 25 .*<> +bob@lab\.test/, 'the list names the sender <>, not nobody');
		await tui.press(keys.enter);
		const message = await tui.waitFor('MAIL FROM:<>  RCPT TO:<bob@lab.test>');
		assert.match(message, /The empty sender <> \(the null reverse-path\)/);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});
