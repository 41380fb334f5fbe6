// End-to-end: the built smtp-tui binary in a real pseudo-terminal against the embedded lab.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {keys, spawnTui} from '../support/pty.js';

test('587: pick the port, step through STARTTLS, AUTH and the message, quit with 0', async () => {
	const tui = spawnTui();
	try {
		await tui.waitFor('where should the conversation go?');
		await tui.press(keys.enter); // the lab (preselected)
		await tui.waitFor('Pick a port');
		await tui.press(keys.enter); // 587 (preselected)
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press(keys.enter); // connect
		await tui.waitFor('220 mx.lab.test ESMTP');
		await tui.press(keys.enter); // EHLO
		await tui.waitFor('250 SMTPUTF8');
		let screen = tui.screen();
		assert.ok(!/AUTH PLAIN/.test(screen), 'no AUTH before TLS');
		await tui.press(keys.enter); // STARTTLS
		screen = await tui.waitFor('TLS handshake: TLSv1.3');
		await tui.press(keys.enter); // EHLO again
		screen = await tui.waitFor('Capabilities changed after TLS');
		assert.match(screen, /S~ 250-AUTH PLAIN LOGIN CRAM-MD5/);
		assert.match(screen, /·· Capabilities changed after TLS: AUTH PLAIN LOGIN CRAM-MD5 appeare/);
		assert.match(screen, /LOGIN CRAM-MD5 appeared; STARTTLS went\./, 'the explain pane shows the whole diff');

		// The TLS panel.
		await tui.press('t');
		screen = await tui.waitFor('verified: the chain and the host name check out');
		assert.match(screen, /subject\s+CN=mx\.lab\.test/);
		await tui.press(keys.escape);
		await tui.waitFor('Next: Log in');

		// AUTH: the next bytes are shown decoded with the password masked, before they go.
		screen = tui.screen();
		assert.match(screen, /AUTH PLAIN AGFsaWNl\*{8}␍␊/);
		assert.match(screen, /"\\0alice\\0\*{8}"/);
		await tui.press(keys.enter);
		screen = await tui.waitFor('235 2.7.0 Authentication successful');
		assert.ok(!screen.includes('wonderland'));
		assert.ok(!tui.output().includes('wonderland'), 'the password never reached the terminal');
		assert.ok(!tui.output().includes(Buffer.from('\0alice\0wonderland').toString('base64')));

		await tui.press(keys.enter); // MAIL
		await tui.waitFor('250 2.1.0 Ok');
		await tui.press(keys.enter); // RCPT
		await tui.waitFor('250 2.1.5 Ok');
		await tui.press(keys.enter); // DATA
		await tui.waitFor('354 End data');
		await tui.press(keys.enter); // the message
		screen = await tui.waitFor(/250 2\.0\.0 Ok: queued as [0-9A-F]+/);
		assert.match(screen, /Success; nothing more to say|Requested action completed/);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('25: an outside recipient is refused with 554 5.7.1 and explained as relay denied', async () => {
	const tui = spawnTui(['--port', '25']);
	try {
		await tui.waitFor('Next: Open a TCP connection');
		for (const expected of ['220 mx.lab.test', '250 SMTPUTF8', 'TLS handshake', /S~ 250 SMTPUTF8/, '250 2.1.0 Ok']) {
			await tui.press(keys.enter);
			await tui.waitFor(expected);
		}

		// Edit the RCPT line to an outside domain.
		await tui.press('e');
		await tui.waitFor('Edit the next command');
		for (let left = 'bob@lab.test>'.length; left > 0; left--) {
			await tui.press('\u007F');
			await tui.waitFor(new RegExp(`> RCPT TO:<${'bob@lab.test>'.slice(0, left - 1).replaceAll('.', '\\.')} *│`));
		}

		// One key at a time, each seen on screen before the next (Ink rebinds input handlers
		// only after it draws; a key in between would edit a stale value).
		const typed = 'someone@example.com>';
		for (let i = 1; i <= typed.length; i++) {
			await tui.press(typed[i - 1]!);
			await tui.waitFor(`> RCPT TO:<${typed.slice(0, i)}`);
		}

		await tui.press(keys.enter);
		await tui.waitFor('554 5.7.1 <someone@example.com>: Relay access denied');
		await tui.press(keys.up); // select the refusal
		const screen = await tui.waitFor(/554 — /);
		assert.match(screen, /5\.7\.1 — /, 'the explain pane explains the enhanced code too');
		assert.match(screen, /relay|Relay/);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('help overlay lists every key; manual command completes verbs and refuses nothing unsafe', async () => {
	const tui = spawnTui(['--port', '2525']);
	try {
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press('?');
		let screen = await tui.waitFor('Keys (press ? or esc to close)');
		for (const text of ['send the next step', 'edit the next command', 'skip the next step', 'run all remaining steps', 'type any SMTP command', 'restart the session', 'quit']) {
			assert.ok(screen.includes(text), `help lists "${text}"`);
		}

		await tui.press('?');
		await tui.waitFor('Nothing sent yet'); // the transcript is back: the overlay closed
		await tui.press(keys.enter);
		await tui.waitFor('220 mx.lab.test');
		await tui.press('m');
		await tui.waitFor('Manual command');
		await tui.press('N');
		await tui.waitFor('> N');
		await tui.press('O');
		await tui.waitFor(/NOOP/);
		await tui.press(keys.tab);
		await tui.press(keys.enter);
		screen = await tui.waitFor(/C  NOOP/);
		await tui.waitFor(/250/);
		await tui.press('a'); // run all to the end
		screen = await tui.waitFor('221 2.0.0 Bye');
		assert.match(screen, /The session is over/);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('a terminal smaller than 80×24 gets a clear message instead of a broken layout', async () => {
	const tui = spawnTui([], {columns: 60, rows: 20});
	try {
		await tui.waitFor('Make the terminal at least 80×24 (it is 60×20 now)');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('NO_COLOR turns colours off; FORCE_COLOR turns them on', async () => {
	const colour = /\u001B\[(3\d|9\d)(;\d+)*m/;
	for (const [env, coloured] of [[{NO_COLOR: '1'}, false], [{FORCE_COLOR: '1'}, true]] as const) {
		const tui = spawnTui(['--port', '25'], {env});
		try {
			await tui.waitFor('Next: Open a TCP connection');
			await tui.press(keys.enter);
			await tui.waitFor('220 mx.lab.test');
			assert.equal(colour.test(tui.output()), coloured, JSON.stringify(env));
			await tui.press('q');
			assert.equal(await tui.exited, 0);
		} finally {
			tui.kill();
		}
	}
});

test('hostile server text reaches the screen escaped, never raw', async () => {
	const {scriptedServer} = await import('../support/scripted-server.js');
	const server = await scriptedServer(socket => {
		socket.write('220 evil \u001B[2J\u001B]52;c;aGVsbG8=\u0007 \u009B31m \u202Eevil\r\n');
	});
	const tui = spawnTui(['--host', '127.0.0.1', '--port', String(server.port), '--to', 'a@b.test', '--tls', 'none']);
	try {
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press(keys.enter);
		const screen = await tui.waitFor('220 evil');
		assert.match(screen, /220 evil \\x1b\[2J\\x1b\]52;c;aGVsbG8=\\x07 \\x9b31m \\u202eevil/);
		assert.ok(!tui.output().includes('\u001B]52'), 'no OSC 52 reached the terminal');
		assert.ok(!tui.output().includes('\u001B[2J'), 'no clear-screen reached the terminal');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
		await server.close();
	}
});

test('a provider preset from the first screen: the note shown, host and port filled in, password masked', {timeout: 60_000}, async () => {
	const tui = spawnTui();
	try {
		await tui.waitFor('where should the conversation go?');
		await tui.select('A mail provider');
		await tui.press(keys.enter);
		await tui.waitFor('which provider?');
		await tui.select('SendGrid');
		await tui.press(keys.enter);
		await tui.waitFor('The user name is literally "apikey"');
		await tui.press(keys.enter); // port 587
		await tui.waitFor('User name (apikey)');
		// A hint is never a value: the literal user name is typed.
		await tui.type('apikey');
		await tui.press(keys.enter);
		await tui.waitFor('│ Password, key or token');
		await tui.type('hunter2');
		await tui.press(keys.enter);
		await tui.waitFor('│ Sender address');
		await tui.press(keys.enter); // empty: the default sender
		await tui.waitFor('│ Recipient address');
		await tui.type('someone@example.com');
		await tui.press(keys.enter);
		await tui.waitFor('│ CA certificate file');
		await tui.press(keys.enter); // empty: the system's CAs
		await tui.waitFor('(7/7)');
		await tui.press(keys.enter); // empty: verify the certificate
		// The session opens; nothing is sent until enter, so no connection leaves this machine.
		const screen = await tui.waitFor('smtp.sendgrid.net:587 submission, STARTTLS · not connected');
		assert.ok(!tui.output().includes('hunter2'), 'the typed key never reached the terminal');
		assert.match(screen, /Next: Open a TCP connection/);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('p on the port picker probes the four lab ports and shows the diagnosis', {timeout: 60_000}, async () => {
	const tui = spawnTui();
	try {
		await tui.waitFor('where should the conversation go?');
		await tui.press(keys.enter);
		await tui.waitFor('p probe');
		await tui.press('p');
		const screen = await tui.waitFor('Nothing wrong found.');
		assert.match(screen, /probe · the embedded lab · 4\/4 ports answered/);
		assert.match(screen, /465 {3}submission, implicit TLS {3}open/);
		assert.match(screen, /AUTH before TLS: none · after TLS: PLAIN LOGIN CRAM-MD5/);
		await tui.press('b');
		await tui.waitFor('Pick a port');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('--lab-cert wrong-host --insecure: the TLS panel says in words why the certificate is not verified', {timeout: 60_000}, async () => {
	const tui = spawnTui(['--port', '465', '--lab-cert', 'wrong-host', '--insecure']);
	try {
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press(keys.enter);
		await tui.waitFor('220 mx.lab.test');
		await tui.press('t');
		const screen = await tui.waitFor('NOT verified: it does not name mx.lab.test; it covers DNS:other.example');
		assert.match(screen, /names\s+DNS:other\.example/);
		await tui.press(keys.escape);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('resizing below 80×24 shows the size message; growing again brings the screen back', {timeout: 60_000}, async () => {
	const tui = spawnTui(['--port', '587']);
	try {
		await tui.waitFor('Next: Open a TCP connection');
		tui.resize(70, 20);
		await tui.waitFor('Make the terminal at least 80×24 (it is 70×20 now)');
		tui.resize(100, 30);
		const screen = await tui.waitFor('Next: Open a TCP connection');
		assert.ok(!screen.includes('Make the terminal'), 'the message is gone');
		await tui.press(keys.enter);
		await tui.waitFor('220 mx.lab.test');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});
