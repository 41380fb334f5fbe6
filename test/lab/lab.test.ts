// The lab's port personalities over real loopback sockets, byte for byte.

import {createHmac} from 'node:crypto';
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';
import {startLab} from '../../source/lab/index.js';
import type {CapturedMessage, Lab, LabPort} from '../../source/lab/index.js';
import {RawSmtpClient, lastLine, plainToken} from '../support/raw-smtp.js';
import type {RawReply} from '../support/raw-smtp.js';

let lab: Lab;
const clients: RawSmtpClient[] = [];

before(async () => {
	// Every client here stays open until the end: more than the default 20 per IP at once.
	lab = await startLab({limits: {maxClientsPerIp: 200}});
});

after(async () => {
	for (const client of clients) client.close();
	await lab.close();
});

const banner = '220 mx.lab.test ESMTP smtp-tui lab';
const startTlsFirst = '530 5.7.0 Must issue a STARTTLS command first';

function port(personality: LabPort): number {
	const listening = lab.ports[personality];
	assert.ok(listening, `port-${personality} personality is listening`);
	return listening;
}

function tlsFor(servername = 'mx.lab.test') {
	return {ca: lab.ca, servername};
}

/** Connects and reads the greeting. */
async function open(personality: LabPort): Promise<RawSmtpClient> {
	const client = await RawSmtpClient.connect({
		port: port(personality),
		tls: personality === 465 ? tlsFor() : undefined,
	});
	clients.push(client);
	assert.equal(lastLine(await client.readReply()), banner);
	return client;
}

/** Connects, EHLO, STARTTLS (unless 465), EHLO again: a session inside TLS, not logged in. */
async function openSecure(personality: LabPort): Promise<{client: RawSmtpClient; ehlo: RawReply}> {
	const client = await open(personality);
	if (personality !== 465) {
		await client.command('EHLO client.test');
		assert.equal(lastLine(await client.command('STARTTLS')), '220 2.0.0 Ready to start TLS');
		await client.startTls(tlsFor());
	}

	const ehlo = await client.command('EHLO client.test');
	return {client, ehlo};
}

async function openLoggedIn(personality: LabPort): Promise<RawSmtpClient> {
	const {client} = await openSecure(personality);
	assert.equal(lastLine(await client.command(`AUTH PLAIN ${plainToken('alice', 'wonderland')}`)), '235 2.7.0 Authentication successful');
	return client;
}

/** Dot-stuffs and terminates a body that uses CRLF line ends (as a correct client does). */
function dataFor(body: Buffer): Buffer {
	const stuffed = body.toString('latin1').replaceAll(/(^|\r\n)\./g, '$1..');
	return Buffer.from(`${stuffed}\r\n.\r\n`, 'latin1');
}

async function sendMessage(client: RawSmtpClient, from: string, to: string[], body: Buffer): Promise<string> {
	assert.equal(lastLine(await client.command(`MAIL FROM:<${from}>`)), '250 2.1.0 Ok');
	for (const rcpt of to) {
		assert.equal(lastLine(await client.command(`RCPT TO:<${rcpt}>`)), '250 2.1.5 Ok');
	}

	assert.equal(lastLine(await client.command('DATA')), '354 End data with <CR><LF>.<CR><LF>');
	client.write(dataFor(body));
	const done = lastLine(await client.readReply());
	const match = /^250 2\.0\.0 Ok: queued as ([\dA-F]{10})$/.exec(done);
	assert.ok(match, `queued reply, got ${done}`);
	return match[1]!;
}

function captured(id: string): CapturedMessage {
	const message = lab.inbox.find(entry => entry.id === id);
	assert.ok(message, `message ${id} is in the inbox`);
	return message;
}

const sampleBody = Buffer.concat([
	Buffer.from('From: Alice <alice@lab.test>\r\nSubject: byte-exact\r\n\r\n'),
	Buffer.from('.a line that starts with a dot\r\n..two dots\r\n.\r\n'),
	Buffer.from([0xc3, 0xa9, 0xff, 0x00, 0x09]), // 8-bit and odd bytes pass through untouched
	Buffer.from('\r\nlast line'),
]);
// What the lab keeps: the body with dot-stuffing undone and the CRLF before the final dot.
const sampleRaw = Buffer.concat([sampleBody, Buffer.from('\r\n')]);

test('every personality greets with the lab banner (465 inside TLS)', async () => {
	assert.equal(lab.host, '127.0.0.1');
	assert.deepEqual(Object.keys(lab.ports).map(Number), [25, 465, 587, 2525]);
	for (const personality of [25, 465, 587, 2525] as const) {
		const client = await open(personality);
		assert.equal(client.secure, personality === 465);
		assert.equal(lastLine(await client.command('QUIT')), '221 2.0.0 Bye');
	}
});

test('the banner comes at once: a client that pipelines EHLO right after connecting is served, banner first (465 inside TLS)', async () => {
	// smtp-server on its own holds every banner 100 ms and answers such a client
	// "421 You talk too soon"; the lab greets at once (its pause is the greet-pause fault).
	for (const personality of [25, 465, 587, 2525] as const) {
		const client = await RawSmtpClient.connect({port: port(personality), tls: personality === 465 ? tlsFor() : undefined});
		clients.push(client);
		client.send('EHLO client.test');
		assert.equal(lastLine(await client.readReply()), banner, `${personality}: the banner first`);
		const ehlo = await client.readReply();
		assert.equal(ehlo.code, 250, `${personality}: the pipelined EHLO answered: ${ehlo.lines.join(' | ')}`);
		assert.equal(lastLine(await client.command('QUIT')), '221 2.0.0 Bye');
	}
});

test('25: EHLO offers STARTTLS and no AUTH, in Postfix order; HELO is just the name', async () => {
	const client = await open(25);
	const ehlo = await client.command('EHLO client.test');
	assert.deepEqual(ehlo.lines, [
		'250-mx.lab.test',
		'250-PIPELINING',
		'250-SIZE 10240000',
		'250-STARTTLS',
		'250-ENHANCEDSTATUSCODES',
		'250-8BITMIME',
		'250 SMTPUTF8',
	]);
	assert.equal(lastLine(await client.command('HELO client.test')), '250 mx.lab.test');
});

test('25: AUTH is refused with 503 not enabled, before and after TLS', async () => {
	const client = await open(25);
	await client.command('EHLO client.test');
	assert.equal(lastLine(await client.command(`AUTH PLAIN ${plainToken('alice', 'wonderland')}`)), '503 5.5.1 Error: authentication not enabled');
	assert.equal(lastLine(await client.command('STARTTLS')), '220 2.0.0 Ready to start TLS');
	await client.startTls(tlsFor());
	const ehlo = await client.command('EHLO client.test');
	assert.ok(!ehlo.texts.some(text => text.startsWith('AUTH')), 'no AUTH after TLS either');
	assert.ok(!ehlo.texts.includes('STARTTLS'), 'no STARTTLS inside TLS');
	assert.equal(lastLine(await client.command('AUTH LOGIN')), '503 5.5.1 Error: authentication not enabled');
});

test('25: accepts mail from anyone for the lab domain and refuses to relay elsewhere', async () => {
	const client = await open(25);
	await client.command('EHLO client.test');
	assert.equal(lastLine(await client.command('MAIL FROM:<outsider@example.org>')), '250 2.1.0 Ok');
	assert.equal(
		lastLine(await client.command('RCPT TO:<someone@example.com>')),
		'554 5.7.1 <someone@example.com>: Relay access denied',
	);
	assert.equal(lastLine(await client.command('RCPT TO:<bob@lab.test>')), '250 2.1.5 Ok');
	assert.equal(lastLine(await client.command('RCPT TO:<Carol@LAB.TEST>')), '250 2.1.5 Ok', 'the domain is case-insensitive');
	assert.equal(lastLine(await client.command('DATA')), '354 End data with <CR><LF>.<CR><LF>');
	client.write(dataFor(sampleBody));
	const id = /queued as (\w+)$/.exec(lastLine(await client.readReply()))?.[1];
	assert.ok(id);
	const message = captured(id);
	assert.equal(message.port, 25);
	assert.equal(message.listenPort, port(25));
	assert.equal(message.mailFrom, 'outsider@example.org');
	assert.deepEqual(message.rcptTo, ['bob@lab.test', 'Carol@LAB.TEST']);
	assert.equal(message.tls, false);
	assert.equal(message.user, undefined);
	assert.deepEqual(message.raw, sampleRaw);
	assert.equal(lastLine(await client.command('QUIT')), '221 2.0.0 Bye');
});

test('25: the null sender and postmaster are accepted', async () => {
	const client = await open(25);
	await client.command('EHLO client.test');
	assert.equal(lastLine(await client.command('MAIL FROM:<>')), '250 2.1.0 Ok');
	assert.equal(lastLine(await client.command('RCPT TO:<postmaster>')), '250 2.1.5 Ok');
});

for (const personality of [587, 2525] as const) {
	test(`${personality}: before TLS, EHLO lists STARTTLS and no AUTH; AUTH and MAIL get 530`, async () => {
		const client = await open(personality);
		const ehlo = await client.command('EHLO client.test');
		assert.ok(ehlo.texts.includes('STARTTLS'));
		assert.ok(!ehlo.texts.some(text => text.startsWith('AUTH')), `no AUTH before TLS: ${ehlo.lines.join(' | ')}`);
		assert.equal(lastLine(await client.command(`AUTH PLAIN ${plainToken('alice', 'wonderland')}`)), startTlsFirst);
		assert.equal(lastLine(await client.command('AUTH LOGIN')), startTlsFirst, 'no 334 prompt: no password in clear');
		assert.equal(lastLine(await client.command('MAIL FROM:<alice@lab.test>')), startTlsFirst);
		assert.equal(lastLine(await client.command('NOOP')), '250 2.0.0 Ok');
	});

	test(`${personality}: after STARTTLS, AUTH is offered; MAIL needs it; a bad password gets 535`, async () => {
		const {client, ehlo} = await openSecure(personality);
		assert.ok(ehlo.texts.includes('AUTH PLAIN LOGIN CRAM-MD5'), ehlo.lines.join(' | '));
		assert.ok(!ehlo.texts.includes('STARTTLS'));
		assert.equal(lastLine(await client.command('MAIL FROM:<alice@lab.test>')), '530 5.7.0 Authentication required');
		assert.equal(
			lastLine(await client.command(`AUTH PLAIN ${plainToken('alice', 'not-the-password')}`)),
			'535 5.7.8 Error: authentication failed: authentication failure',
		);
		assert.equal(
			lastLine(await client.command(`AUTH PLAIN ${plainToken('mallory', 'wonderland')}`)),
			'535 5.7.8 Error: authentication failed: authentication failure',
		);
		assert.equal(lastLine(await client.command(`AUTH PLAIN ${plainToken('alice', 'wonderland')}`)), '235 2.7.0 Authentication successful');
		assert.equal(lastLine(await client.command('AUTH LOGIN')), '503 5.5.1 Error: already authenticated');
	});

	test(`${personality}: an authenticated client relays anywhere; the message is captured byte-exact`, async () => {
		const client = await openLoggedIn(personality);
		const id = await sendMessage(client, 'alice@lab.test', ['friend@example.com', 'bob@lab.test'], sampleBody);
		const message = captured(id);
		assert.equal(message.port, personality);
		assert.equal(message.listenPort, port(personality));
		assert.equal(message.mailFrom, 'alice@lab.test');
		assert.deepEqual(message.rcptTo, ['friend@example.com', 'bob@lab.test']);
		assert.equal(message.tls, true);
		assert.equal(message.user, 'alice');
		assert.ok(message.receivedAt instanceof Date);
		assert.deepEqual(message.raw, sampleRaw);
		assert.equal(lastLine(await client.command('QUIT')), '221 2.0.0 Bye');
	});
}

test('587: AUTH LOGIN prompts Username/Password and accepts the address as user name', async () => {
	const {client} = await openSecure(587);
	assert.equal(lastLine(await client.command('AUTH LOGIN')), '334 VXNlcm5hbWU6');
	assert.equal(lastLine(await client.command(Buffer.from('bob@lab.test').toString('base64'))), '334 UGFzc3dvcmQ6');
	assert.equal(lastLine(await client.command(Buffer.from('builder').toString('base64'))), '235 2.7.0 Authentication successful');
	const id = await sendMessage(client, 'bob@lab.test', ['x@example.net'], Buffer.from('Subject: hi\r\n\r\nhello'));
	assert.equal(captured(id).user, 'bob');
});

test('587: AUTH CRAM-MD5 with the right and the wrong password', async () => {
	const {client} = await openSecure(587);
	const answer = (challenge: RawReply, password: string) => {
		const text = Buffer.from(challenge.texts[0]!, 'base64').toString();
		const digest = createHmac('md5', password).update(text).digest('hex');
		return Buffer.from(`alice ${digest}`).toString('base64');
	};

	const first = await client.command('AUTH CRAM-MD5');
	assert.equal(first.code, 334);
	assert.equal(lastLine(await client.command(answer(first, 'wrong'))), '535 5.7.8 Error: authentication failed: authentication failure');
	const second = await client.command('AUTH CRAM-MD5');
	assert.equal(lastLine(await client.command(answer(second, 'wonderland'))), '235 2.7.0 Authentication successful');
});

test('465: TLS from the first byte; a plaintext client hears nothing', async () => {
	const plain = await RawSmtpClient.connect({port: port(465)});
	clients.push(plain);
	const heard = await plain.settle(300);
	assert.equal(heard.length, 0, 'no cleartext banner: the server waits for a ClientHello');

	const {client, ehlo} = await openSecure(465);
	assert.ok(client.secure);
	assert.ok(ehlo.texts.includes('AUTH PLAIN LOGIN CRAM-MD5'));
	assert.ok(!ehlo.texts.includes('STARTTLS'));
	assert.equal(lastLine(await client.command('MAIL FROM:<alice@lab.test>')), '530 5.7.0 Authentication required');
	assert.equal(lastLine(await client.command(`AUTH PLAIN ${plainToken('alice', 'nope')}`)), '535 5.7.8 Error: authentication failed: authentication failure');
	assert.equal(lastLine(await client.command(`AUTH PLAIN ${plainToken('alice', 'wonderland')}`)), '235 2.7.0 Authentication successful');
	const id = await sendMessage(client, 'alice@lab.test', ['far@example.com'], sampleBody);
	const message = captured(id);
	assert.equal(message.port, 465);
	assert.equal(message.tls, true);
	assert.equal(message.user, 'alice');
	assert.deepEqual(message.raw, sampleRaw);
});

for (const personality of [587, 25] as const) {
	test(`${personality}: plaintext pipelined after STARTTLS never runs inside TLS (CVE-2011-0411)`, async () => {
		const client = await open(personality);
		await client.command('EHLO client.test');
		// One write: the RSET arrives in the same segment as STARTTLS.
		client.write('STARTTLS\r\nRSET\r\n');
		assert.equal(lastLine(await client.readReply()), '220 2.0.0 Ready to start TLS');
		await client.startTls(tlsFor());
		assert.equal(client.plaintextAtStartTls.length, 0, 'nothing was answered in plaintext either');
		// RSET and NOOP both answer "250 2.0.0 Ok", so follow NOOP with HELP (214): had RSET run,
		// a second 250 would arrive before the 214.
		assert.equal(lastLine(await client.command('NOOP')), '250 2.0.0 Ok');
		const help = await client.command('HELP');
		assert.equal(help.code, 214, `the reply after NOOP is HELP's, got ${help.lines.join(' | ')}`);
		assert.equal((await client.settle(100)).length, 0, 'no reply is left over');
	});
}

test('DATA ends only at CRLF.CRLF; bare LFs are normalised to CRLF (Postfix 3.9 normalize), nothing smuggled', async () => {
	const client = await open(25);
	await client.command('EHLO client.test');
	await client.command('MAIL FROM:<a@example.org>');
	await client.command('RCPT TO:<bob@lab.test>');
	assert.equal(lastLine(await client.command('DATA')), '354 End data with <CR><LF>.<CR><LF>');
	const before = lab.inbox.length;
	// Smuggling attempts: "\n.\n", "\n.\r\n" and "\r\n.\n" must not end the message.
	client.write('Subject: smuggle\r\n\r\nhi\n.\nMAIL FROM:<evil@example.org>\r\n');
	client.write('x\n.\r\nRCPT TO:<victim@example.com>\r\ny\r\n.\nDATA\r\n');
	assert.equal((await client.settle(200)).length, 0, 'no reply: still inside DATA');
	client.write('\r\n.\r\n');
	assert.match(lastLine(await client.readReply()), /^250 2\.0\.0 Ok: queued as /);
	assert.equal(lab.inbox.length, before + 1, 'one message');
	const raw = lab.inbox.at(-1)!.raw.toString();
	assert.equal(raw, 'Subject: smuggle\r\n\r\nhi\r\n.\r\nMAIL FROM:<evil@example.org>\r\nx\r\n.\r\nRCPT TO:<victim@example.com>\r\ny\r\n.\r\nDATA\r\n\r\n');
	assert.equal(lastLine(await client.command('NOOP')), '250 2.0.0 Ok', 'the session goes on');
});

test('SIZE: MAIL with SIZE over 10240000 is refused; an oversized message is refused and not kept', async () => {
	const client = await open(25);
	await client.command('EHLO client.test');
	assert.equal(
		lastLine(await client.command('MAIL FROM:<a@example.org> SIZE=10240001')),
		'552 5.3.4 Message size exceeds fixed limit',
	);
	assert.equal(lastLine(await client.command('MAIL FROM:<a@example.org> SIZE=1000')), '250 2.1.0 Ok');
	await client.command('RCPT TO:<bob@lab.test>');
	await client.command('DATA');
	const before = lab.inbox.length;
	const line = `${'a'.repeat(998)}\r\n`;
	client.write(Buffer.from(line.repeat(Math.ceil(10_240_001 / line.length))));
	client.write('.\r\n');
	assert.equal(lastLine(await client.readReply(15_000)), '552 5.3.4 Message size exceeds fixed limit');
	assert.equal(lab.inbox.length, before);
	assert.equal(lastLine(await client.command('NOOP')), '250 2.0.0 Ok', 'the session goes on');
});

test('replies in Postfix words: unknown command 502, RSET and NOOP Ok, DATA without RCPT', async () => {
	const client = await open(25);
	assert.equal(lastLine(await client.command('MAIL FROM:<a@example.org>')), '503 5.5.1 Error: send HELO/EHLO first');
	await client.command('EHLO client.test');
	assert.equal(lastLine(await client.command('FROBNICATE')), '502 5.5.2 Error: command not recognized');
	assert.equal(lastLine(await client.command('RSET')), '250 2.0.0 Ok');
	assert.equal(lastLine(await client.command('MAIL FROM:<a@example.org>')), '250 2.1.0 Ok');
	assert.equal(lastLine(await client.command('DATA')), '554 5.5.1 Error: no valid recipients');
});

test('the certificate verifies against lab.ca for mx.lab.test, localhost and 127.0.0.1', async () => {
	for (const servername of ['mx.lab.test', 'localhost', undefined]) {
		const client = await RawSmtpClient.connect({port: port(465), tls: {ca: lab.ca, servername}});
		clients.push(client);
		const socket = client.tlsSocket;
		assert.ok(socket?.authorized, `authorized for ${servername ?? '127.0.0.1'}`);
		const cert = socket.getPeerCertificate();
		assert.equal(cert.subject.CN, 'mx.lab.test');
		assert.equal(cert.subjectaltname, 'DNS:mx.lab.test, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
		assert.equal(lastLine(await client.readReply()), banner);
	}

	await assert.rejects(
		RawSmtpClient.connect({port: port(465), tls: {servername: 'mx.lab.test'}}),
		/self[- ]signed|unable to (get|verify)/i,
		'without the lab CA the chain does not verify',
	);
	await assert.rejects(
		RawSmtpClient.connect({port: port(465), tls: {ca: lab.ca, servername: 'mail.example.com'}}),
		/altnames|does not match/i,
		'a name the certificate does not carry is refused',
	);
});

test('STARTTLS upgrade verifies the same certificate (587)', async () => {
	const client = await open(587);
	await client.command('EHLO client.test');
	await client.command('STARTTLS');
	const socket = await client.startTls({ca: lab.ca, servername: 'localhost'});
	assert.ok(socket.authorized);
	assert.match(socket.getProtocol() ?? '', /^TLSv1\.[23]$/);
});

test('onMessage listeners hear each message; unsubscribing stops them; a throwing one is contained', async () => {
	const heard: string[] = [];
	const unsubscribe = lab.onMessage(message => heard.push(message.id));
	const stopThrower = lab.onMessage(() => {
		throw new Error('listener bug');
	});
	const client = await open(25);
	await client.command('EHLO client.test');
	const first = await sendMessage(client, 'a@example.org', ['bob@lab.test'], Buffer.from('Subject: 1\r\n\r\none'));
	unsubscribe();
	const second = await sendMessage(client, 'a@example.org', ['bob@lab.test'], Buffer.from('Subject: 2\r\n\r\ntwo'));
	stopThrower();
	assert.deepEqual(heard, [first]);
	assert.equal(lab.inbox.at(-1)?.id, second);
	assert.equal(lab.inbox.at(-2)?.id, first);
});
