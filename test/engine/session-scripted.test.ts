// The engine against scripted byte-exact servers: what a real but misbehaving server does.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {Session} from '../../source/engine/session.js';
import {makeLabCa} from '../../source/lab/ca.js';
import {scriptedServer, sleep, upgradeServer, type Handler, scriptedSessionOptions, withScriptedServer} from '../support/scripted-server.js';

const ehloReply = '250-mx.test\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n';

const options = scriptedSessionOptions;

const withServer = withScriptedServer;

/** A well-behaved minimal server, used to check that byte splits do not matter. */
const politeServer = (writeSplit: (socket: import('node:net').Socket, text: string) => Promise<void>): Handler => async (socket, reader) => {
	await writeSplit(socket, '220-mx.test ESMTP\r\n220 second banner line\r\n');
	for (;;) {
		const line = await reader.next();
		if (line === undefined) return;
		const verb = line.split(' ')[0]!.toUpperCase();
		if (verb === 'EHLO') await writeSplit(socket, '250-mx.test\r\n250-SIZE 1000\r\n250 8BITMIME\r\n');
		else if (verb === 'DATA') await writeSplit(socket, '354 go\r\n');
		else if (line === '.') await writeSplit(socket, '250 2.0.0 queued\r\n');
		else if (verb === 'QUIT') {
			await writeSplit(socket, '221 2.0.0 bye\r\n');
			socket.end();
			return;
		} else if (verb === 'MAIL' || verb === 'RCPT') await writeSplit(socket, '250 ok\r\n');
	}
};

test('replies split at every byte boundary parse the same as whole ones', async () => {
	const transcripts: string[][] = [];
	const whole = async (socket: import('node:net').Socket, text: string) => {
		socket.write(text);
	};

	const byteByByte = async (socket: import('node:net').Socket, text: string) => {
		for (const byte of Buffer.from(text)) {
			socket.write(Buffer.from([byte]));
			await sleep(1);
		}
	};

	for (const split of [whole, byteByByte]) {
		await withServer(politeServer(split), async port => {
			const session = new Session(options(port));
			assert.equal(await session.runToEnd(), 0, session.failureMessage);
			transcripts.push(session.entries.filter(e => e.direction !== 'info' && !(e.step === 'body' && e.direction === 'client')).map(e => `${e.direction} ${e.code ?? ''} ${e.text}`));
		});
	}

	assert.deepEqual(transcripts[1], transcripts[0]);
	assert.ok(transcripts[0]!.includes('server 220 220 second banner line'));
});

test('STARTTLS response injection: bytes after the 220 are discarded and flagged, never read as replies', async () => {
	const credentials = await makeLabCa('mx.test');
	await withServer(async (socket, reader) => {
		socket.write('220 mx.test ESMTP\r\n');
		let tlsReader = reader;
		let secure: import('node:net').Socket = socket;
		for (;;) {
			const line = await tlsReader.next();
			if (line === undefined) return;
			const verb = line.split(' ')[0]!.toUpperCase();
			if (verb === 'EHLO') {
				secure.write(secure === socket ? ehloReply : '250-mx.test\r\n250 8BITMIME\r\n');
			} else if (verb === 'STARTTLS') {
				// The attack: fake replies in the same packet as the 220.
				socket.write('220 Ready\r\n250-fake\r\n250 AUTH PLAIN\r\n');
				const upgraded = await upgradeServer(socket, reader, credentials, []);
				secure = upgraded.secure;
				tlsReader = upgraded.reader;
			} else if (verb === 'QUIT') {
				secure.write('221 bye\r\n');
				secure.end();
				return;
			} else {
				secure.write('250 ok\r\n');
			}
		}
	}, async port => {
		const session = new Session(options(port, {tls: 'starttls', tlsOptions: {ca: credentials.ca, servername: 'mx.test', insecure: false}, quitAfter: 'ehlo'}));
		// Quit-after EHLO stops after the first EHLO: step by hand past it instead.
		await session.step(); // connect
		await session.step(); // EHLO
		session.close();

		const full = new Session(options(port, {tls: 'starttls', tlsOptions: {ca: credentials.ca, servername: 'mx.test', insecure: false}, to: ['b@mx.test']}));
		await full.step(); // connect
		await full.step(); // EHLO
		await full.step(); // STARTTLS
		const flagged = full.entries.find(e => e.deviation === 'starttls-injection');
		assert.ok(flagged, 'the injected bytes are flagged');
		assert.match(flagged.text, /Discarded \d+ bytes/);
		await full.step(); // EHLO inside TLS: must get the real reply, not the injected one
		const tlsReplies = full.entries.filter(e => e.direction === 'server' && e.tls).map(e => e.text);
		assert.deepEqual(tlsReplies, ['250-mx.test', '250 8BITMIME']);
		assert.ok(!full.state.capabilities?.auth.includes('PLAIN'), 'the injected AUTH never reached the capabilities');
		full.close();
	});
});

test('a server that closes right after connecting: one sentence and exit 21', async () => {
	await withServer(socket => {
		socket.end();
	}, async port => {
		const session = new Session(options(port));
		assert.equal(await session.runToEnd(), 21);
		assert.match(session.failureMessage ?? '', /closed the connection/);
	});
});

test('a banner that never comes times out with exit 6', async () => {
	await withServer(() => undefined, async port => {
		const session = new Session(options(port, {timeouts: {greeting: 300}}));
		assert.equal(await session.runToEnd(), 6);
		assert.match(session.failureMessage ?? '', /did not answer with a banner within 0\.3 s/);
	});
});

test('an HTTP server on the port: one sentence about not speaking SMTP', async () => {
	await withServer(socket => {
		socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
	}, async port => {
		const session = new Session(options(port));
		assert.equal(await session.runToEnd(), 21);
		assert.match(session.failureMessage ?? '', /not an SMTP reply.*This port does not seem to speak SMTP\./);
	});
});

test('a 554 banner refuses the session: exit 21', async () => {
	await withServer(socket => {
		socket.write('554 5.7.1 no service for you\r\n');
	}, async port => {
		const session = new Session(options(port));
		assert.equal(await session.runToEnd(), 21);
		assert.ok(session.entries.some(e => e.code === 554));
	});
});

test('a connection refused: exit 3 and a sentence naming the target', async () => {
	const server = await scriptedServer(() => undefined);
	const {port} = server;
	await server.close();
	const session = new Session(options(port));
	assert.equal(await session.runToEnd(), 3);
	assert.match(session.failureMessage ?? '', new RegExp(`127\\.0\\.0\\.1:${port}: the connection was refused`));
});

/** Offers STARTTLS and AUTH, refuses STARTTLS with 454, accepts everything else. */
const refusesStarttls: Handler = async (socket, reader) => {
	socket.write('220 mx.test\r\n');
	for (;;) {
		const line = await reader.next();
		if (line === undefined) return;
		if (line.startsWith('EHLO')) socket.write(ehloReply);
		else if (line === 'STARTTLS') socket.write('454 4.7.0 TLS not available\r\n');
		else if (line === 'DATA') socket.write('354 go\r\n');
		else if (line === 'QUIT') {
			socket.end('221 bye\r\n');
			return;
		} else if (!line.startsWith('AUTH') && (line === '.' || /^(MAIL|RCPT)/.test(line))) socket.write('250 ok\r\n');
		else if (line.startsWith('AUTH')) socket.write('235 ok\r\n');
	}
};

test('opportunistic STARTTLS refused with 454: the session goes on UNENCRYPTED with a note; credentials still refused', async () => {
	await withServer(refusesStarttls, async (port, received) => {
		const session = new Session(options(port, {tls: 'auto', profilePort: 25}));
		assert.equal(await session.runToEnd(), 0, session.failureMessage);
		assert.deepEqual(received.slice(0, 4), ['EHLO client.example', 'STARTTLS', 'MAIL FROM:<a@client.example>', 'RCPT TO:<b@mx.test>']);
		assert.ok(received.includes('DATA') && received.includes('.'), received.join(' | '));
		const note = session.entries.find(e => e.deviation === 'plaintext-fallback');
		assert.match(note?.text ?? '', /refused with 454; .* continues UNENCRYPTED/);
	});
	await withServer(refusesStarttls, async (port, received) => {
		const session = new Session(options(port, {tls: 'auto', profilePort: 25, credentials: {user: 'alice', password: 'secret-pw'}}));
		assert.equal(await session.runToEnd(), 28);
		assert.match(session.failureMessage ?? '', /Refusing to send credentials over a connection without TLS/);
		assert.ok(!received.some(l => l.startsWith('AUTH') || l.startsWith('MAIL')), received.join(' | '));
	});
});

test('STARTTLS refused where TLS is required: no cleartext fallback, no credentials sent', async () => {
	await withServer(refusesStarttls, async (port, received) => {
		const session = new Session(options(port, {tls: 'starttls', credentials: {user: 'alice', password: 'secret-pw'}}));
		assert.equal(await session.runToEnd(), 29);
		assert.ok(!received.some(l => l.startsWith('AUTH') || l.startsWith('MAIL')), `nothing after STARTTLS but QUIT: ${received.join(' | ')}`);
		assert.equal(received.at(-1), 'QUIT');
	});
});

test('a server that replies before the command is sent is flagged', async () => {
	await withServer(async (socket, reader) => {
		socket.write('220 mx.test\r\n250 unasked\r\n');
		for (;;) {
			const line = await reader.next();
			if (line === undefined) return;
			if (line === 'QUIT') {
				socket.end('221 bye\r\n');
				return;
			}

			socket.write('250 ok\r\n');
		}
	}, async port => {
		const session = new Session(options(port, {quitAfter: 'ehlo'}));
		await session.runToEnd();
		assert.ok(session.entries.some(e => e.direction === 'server' && /before it was asked/.test(e.deviation ?? '')));
	});
});

test('AUTH challenges that never end are cancelled after a cap', async () => {
	await withServer(async (socket, reader) => {
		socket.write('220 mx.test\r\n');
		for (;;) {
			const line = await reader.next();
			if (line === undefined) return;
			if (line.startsWith('EHLO')) socket.write('250-mx.test\r\n250 AUTH LOGIN\r\n');
			else if (line === '*') socket.write('501 5.7.0 cancelled\r\n');
			else if (line === 'QUIT') {
				socket.end('221 bye\r\n');
				return;
			} else socket.write('334 VXNlcm5hbWU6\r\n');
		}
	}, async (port, received) => {
		const session = new Session(options(port, {credentials: {user: 'alice', password: 'pw'}, insecureAuth: true}));
		assert.equal(await session.runToEnd(), 28);
		assert.match(session.failureMessage ?? '', /more than 10 AUTH challenges/);
		assert.ok(received.includes('*'));
	});
});

/** A server that offers neither SMTPUTF8 nor 8BITMIME and accepts anything else. */
const sevenBitServer: Handler = async (socket, reader) => {
	socket.write('220 old.test ESMTP\r\n');
	for (;;) {
		const line = await reader.next();
		if (line === undefined) return;
		const verb = line.split(' ')[0]!.toUpperCase();
		if (verb === 'EHLO') socket.write('250-old.test\r\n250 SIZE 100000\r\n');
		else if (verb === 'DATA') {
			socket.write('354 go ahead\r\n');
			while ((await reader.next()) !== '.') { /* the message */ }
			socket.write('250 ok\r\n');
		} else if (verb === 'QUIT') {
			socket.end('221 bye\r\n');
			return;
		} else socket.write('250 ok\r\n');
	}
};

test('a UTF-8 address to a server without SMTPUTF8: one sentence before MAIL, exit 23, no MAIL sent', async () => {
	await withServer(sevenBitServer, async (port, received) => {
		const session = new Session(options(port, {to: ['zoë@mx.test']}));
		assert.equal(await session.runToEnd(), 23);
		assert.equal(session.failureMessage, 'An address is not ASCII (UTF-8 mail, RFC 6531), and the server does not offer SMTPUTF8 in EHLO; smtp-tui did not send MAIL. Use an ASCII address here, or a server that offers SMTPUTF8.');
		assert.ok(!received.some(line => line.startsWith('MAIL')), received.join(' | '));
		assert.equal(received.at(-1), 'QUIT');
	});
});

test('a UTF-8 body to a server without 8BITMIME goes quoted-printable (7-bit), with a note, and no BODY= parameter', async () => {
	await withServer(sevenBitServer, async (port, received) => {
		const session = new Session(options(port, {body: 'Grüße ✓\n', subject: 'Grüße'}));
		assert.equal(await session.runToEnd(), 0, session.failureMessage);
		assert.match(received.find(line => line.startsWith('MAIL')) ?? '', /^MAIL FROM:<a@client\.example> SIZE=\d+$/);
		assert.ok(received.includes('Content-Transfer-Encoding: quoted-printable'));
		assert.ok(received.includes('Gr=C3=BC=C3=9Fe =E2=9C=93'));
		assert.ok(received.every(line => /^[\x20-\x7e\t]*$/.test(line)), 'only 7-bit bytes went out');
		assert.ok(session.entries.some(e => e.direction === 'info' && /does not offer 8BITMIME, so the UTF-8 body goes quoted-printable/.test(e.text)));
	});
});

/** Accepts every command except a RCPT to @elsewhere.test, which it refuses with 550. */
const refusesElsewhere: Handler = async (socket, reader) => {
	socket.write('220 mx.test ESMTP\r\n');
	for (;;) {
		const line = await reader.next();
		if (line === undefined) return;
		const verb = line.split(' ')[0]!.toUpperCase();
		if (verb === 'EHLO') socket.write('250-mx.test\r\n250 8BITMIME\r\n');
		else if (verb === 'RCPT' && line.includes('@elsewhere.test')) socket.write('550 5.7.1 relay denied\r\n');
		else if (verb === 'DATA') socket.write('354 go\r\n');
		else if (line === '.') socket.write('250 2.0.0 queued\r\n');
		else if (verb === 'QUIT') {
			socket.write('221 bye\r\n');
			socket.end();
			return;
		} else if (verb === 'MAIL' || verb === 'RCPT') socket.write('250 ok\r\n');
	}
};

test('--quit-after rcpt stops after the last RCPT even when that one is refused: no DATA', async () => {
	const exits: number[] = [];
	for (const to of [['ok@mx.test', 'bad@elsewhere.test'], ['bad@elsewhere.test', 'ok@mx.test']]) {
		await withServer(refusesElsewhere, async (port, received) => {
			const session = new Session(options(port, {to, quitAfter: 'rcpt'}));
			exits.push(await session.runToEnd());
			assert.deepEqual(received, ['EHLO client.example', 'MAIL FROM:<a@client.example>', `RCPT TO:<${to[0]}>`, `RCPT TO:<${to[1]}>`, 'QUIT']);
		});
	}

	assert.equal(exits[0], exits[1], 'the order of the refused recipient does not change the outcome');
});

test('a UTF-8 address in a --header To: to a server without SMTPUTF8 is the same local error as in the envelope', async () => {
	await withServer(sevenBitServer, async (port, received) => {
		const session = new Session(options(port, {headers: ['To: Zoë <zoë@mx.test>']}));
		assert.equal(await session.runToEnd(), 23);
		assert.match(session.failureMessage ?? '', /An address is not ASCII/);
		assert.ok(!received.some(line => line.startsWith('MAIL')), received.join(' | '));
	});
});
