// The lab's hardening limits over real loopback sockets: line length, message size,
// recipients, sessions in all and per IP, idle time, failed logins.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {LabConfigError, defaultLimits, startLab} from '../../source/lab/index.js';
import type {Lab, LabOptions} from '../../source/lab/index.js';
import {LabClients, withLab, labBanner, queued, sendMail} from '../support/lab-client.js';
import type {RawSmtpClient} from '../support/raw-smtp.js';
import {lastLine, plainToken} from '../support/raw-smtp.js';

const sleep = async (ms: number) =>
	new Promise(resolve => {
		setTimeout(resolve, ms);
	});

const tooManyConnections = '421 4.7.0 mx.lab.test Error: too many connections';

/** Waits until the lab counts `open` connections (closes are reported asynchronously). */
async function settleTo(lab: Lab, open: number): Promise<void> {
	for (let wait = 0; wait < 40 && lab.stats().connectionsNow !== open; wait++) await sleep(25);
	assert.equal(lab.stats().connectionsNow, open);
}

test('the defaults: 512-octet lines, 10240000 bytes, 100 recipients, 200 sessions, 20 per IP, 60 s idle, 10 failed logins per connection, an inbox of 500 / 100 MB', async () => {
	assert.deepEqual(defaultLimits, {
		maxLineLength: 512,
		maxMessageBytes: 10_240_000,
		maxRecipients: 100,
		maxClients: 200,
		maxClientsPerIp: 20,
		idleTimeoutMs: 60_000,
		handshakeTimeoutMs: 10_000,
		commandTimeoutMs: 10_000,
		minDataRate: 500,
		sessionTimeoutMs: 1_800_000,
		maxAuthFailures: 10,
		authFailureDelayMs: 1000,
		authFailureDelayMaxMs: 15_000,
		maxAuthFailuresPerMinute: 30,
		maxInboxMessages: 500,
		maxInboxBytes: 100_000_000,
		maxReceivingBytes: 50_000_000,
	});
	await withLab({only: [25], limits: {maxRecipients: 4}}, async lab => {
		assert.deepEqual(lab.limits, {...defaultLimits, maxRecipients: 4}, 'one limit changed, the others kept');
	});
});

test('nonsense limits are refused before anything listens', async () => {
	await assert.rejects(startLab({limits: {maxClients: 0}}), (error: unknown) => {
		assert.ok(error instanceof LabConfigError);
		assert.equal(error.message, 'The lab limit maxClients is 0; it must be a whole number of at least 1.');
		return true;
	});
	await assert.rejects(startLab({limits: {idleTimeoutMs: 1.5}}), /idleTimeoutMs is 1\.5/);
	await assert.rejects(startLab({limits: {maxLines: 3} as LabOptions['limits']}), /no limit "maxLines"/);
	await assert.rejects(startLab({attacks: ['heartbleed' as 'smuggling']}), /no attack personality "heartbleed"/);
});

test('a command line over 512 octets (CRLF included) gets 500 5.5.2 and the session goes on', async () => {
	await withLab({only: [25, 587]}, async (_lab, clients) => {
		const client = await clients.greeted(25);
		// NOOP ignores its argument: a handy line of any length.
		assert.equal(lastLine(await client.command(`NOOP ${'x'.repeat(505)}`)), '250 2.0.0 Ok', '510 + CRLF = 512 octets: fine');
		assert.equal(lastLine(await client.command(`NOOP ${'x'.repeat(506)}`)), '500 5.5.2 Error: command too long', '513 octets');
		assert.equal(lastLine(await client.command(`MAIL FROM:<${'a'.repeat(600)}@example.org>`)), '500 5.5.2 Error: command too long');
		assert.equal(lastLine(await client.command('MAIL FROM:<a@example.org>')), '250 2.1.0 Ok', 'the session goes on');
		assert.equal(lastLine(await client.command(`RCPT TO:<${'b'.repeat(600)}@lab.test>`)), '500 5.5.2 Error: command too long');

		// AUTH lines may reach 12288 octets (RFC 4954): a long token is read, and refused as a login.
		const secure = await clients.secure(587);
		const longToken = plainToken('alice', 'p'.repeat(3000));
		assert.equal(lastLine(await secure.command(`AUTH PLAIN ${longToken}`)), '535 5.7.8 Error: authentication failed: authentication failure');
		assert.equal(lastLine(await secure.command('AUTH LOGIN')), '334 VXNlcm5hbWU6');
		assert.equal(lastLine(await secure.command(Buffer.from('alice').toString('base64'))), '334 UGFzc3dvcmQ6');
		assert.equal(lastLine(await secure.command('x'.repeat(13_000))), '500 5.5.2 Error: command too long', 'over 12288 even for AUTH');
		assert.equal(lastLine(await secure.command('NOOP')), '250 2.0.0 Ok', 'and the AUTH exchange was abandoned');
	});
});

test('beyond smtp-server\'s 16 KB parser cap a line still gets 421 and a hang-up (documented)', async () => {
	await withLab({only: [25]}, async (_lab, clients) => {
		const client = await clients.greeted(25);
		client.send(`NOOP ${'x'.repeat(17_000)}`);
		assert.equal(lastLine(await client.readReply()), '421 4.4.2 Error: Command line too long');
		await client.waitForClose();
	});
});

test('maxLineLength can be set: 100 octets', async () => {
	await withLab({only: [25], limits: {maxLineLength: 100}}, async (_lab, clients) => {
		const client = await clients.greeted(25);
		assert.equal(lastLine(await client.command(`NOOP ${'x'.repeat(93)}`)), '250 2.0.0 Ok');
		assert.equal(lastLine(await client.command(`NOOP ${'x'.repeat(94)}`)), '500 5.5.2 Error: command too long');
	});
});

test('maxMessageBytes: SIZE advertises it, a larger message gets Postfix\'s limit text and is not kept', async () => {
	await withLab({only: [25], limits: {maxMessageBytes: 500}}, async (lab, clients) => {
		const client = await clients.connect(25);
		await client.readReply();
		assert.ok((await client.command('EHLO client.test')).texts.includes('SIZE 500'));
		assert.equal(lastLine(await client.command('MAIL FROM:<a@example.org> SIZE=501')), '552 5.3.4 Message size exceeds fixed limit');
		await client.command('MAIL FROM:<a@example.org>');
		await client.command('RCPT TO:<bob@lab.test>');
		await client.command('DATA');
		client.write(`Subject: big\r\n\r\n${'x'.repeat(600)}\r\n.\r\n`);
		assert.equal(lastLine(await client.readReply()), '552 5.3.4 Message size exceeds fixed limit');
		assert.equal(lab.inbox.length, 0);
		assert.equal(lab.stats().faultsHit['too-big'], 0, 'a limit, not a fault');
	});
});

test('recipients per message: 100 by default, then 452 4.5.3; a repeat of an accepted one is no new recipient', async () => {
	await withLab({only: [25]}, async (lab, clients) => {
		const client = await clients.greeted(25);
		await client.command('MAIL FROM:<a@example.org>');
		for (let index = 0; index < 100; index++) {
			assert.equal(lastLine(await client.command(`RCPT TO:<user${index}@lab.test>`)), '250 2.1.5 Ok');
		}

		assert.equal(lastLine(await client.command('RCPT TO:<user100@lab.test>')), '452 4.5.3 Error: too many recipients');
		assert.equal(lastLine(await client.command('RCPT TO:<user7@lab.test>')), '250 2.1.5 Ok');
		await client.command('DATA');
		client.write('Subject: many\r\n\r\nhi\r\n.\r\n');
		assert.match(lastLine(await client.readReply()), queued);
		assert.equal(lab.inbox[0]?.rcptTo.length, 100);
		assert.equal(lab.stats().faultsHit['too-many-recipients'], 0, 'a limit, not a fault');
	});

	await withLab({only: [25], limits: {maxRecipients: 1}}, async (_lab, clients) => {
		const client = await clients.greeted(25);
		await client.command('MAIL FROM:<a@example.org>');
		assert.equal(lastLine(await client.command('RCPT TO:<a@lab.test>')), '250 2.1.5 Ok');
		assert.equal(lastLine(await client.command('RCPT TO:<b@lab.test>')), '452 4.5.3 Error: too many recipients');
	});
});

test('maxClients over the whole lab: the third session (on any port) gets 421 and is closed; a freed slot is reused', async () => {
	await withLab({only: [25, 587], limits: {maxClients: 2, maxClientsPerIp: 10}}, async (lab, clients) => {
		const first = await clients.greeted(25);
		await clients.greeted(587);
		const third = await clients.connect(587);
		assert.equal(lastLine(await third.readReply()), tooManyConnections);
		await third.waitForClose();
		const fourth = await clients.connect(25);
		assert.equal(lastLine(await fourth.readReply()), tooManyConnections, 'the limit is for the lab, not per port');
		await fourth.waitForClose();

		await first.command('QUIT');
		await settleTo(lab, 1);
		const again = await clients.connect(25);
		assert.equal(lastLine(await again.readReply()), labBanner, 'a freed slot is given out again');
		assert.equal(lab.stats().sessionsTotal, 5, 'refused sessions are counted too');
	});
});

test('maxClientsPerIp: counted from accept; the third from 127.0.0.1 is refused before any TLS handshake, with 421 in plaintext', async () => {
	await withLab({only: [25, 465], limits: {maxClients: 10, maxClientsPerIp: 2}}, async (lab, clients) => {
		const first = await clients.connect(465);
		assert.equal(lastLine(await first.readReply()), labBanner);
		await clients.greeted(25);
		await assert.rejects(clients.connect(465), /socket disconnected before secure TLS connection/, 'on 465 nothing readable can be said before TLS: closed');
		const plain = await clients.connect(25);
		assert.equal(lastLine(await plain.readReply()), `${tooManyConnections} from 127.0.0.1`, "Postfix's words");
		await plain.waitForClose();
		assert.equal(lab.stats().limitsHit.refused, 2);
		first.close();
		await settleTo(lab, 1);
		const again = await clients.connect(25);
		assert.equal(lastLine(await again.readReply()), labBanner);
	});
});

test('idle time: a silent client gets 421 4.4.2 timeout exceeded and is dropped; talking keeps it alive', async () => {
	await withLab({only: [25], limits: {idleTimeoutMs: 300}}, async (_lab, clients) => {
		const talker = await clients.greeted(25);
		const silent = await clients.connect(25);
		assert.equal(lastLine(await silent.readReply()), labBanner);
		for (let index = 0; index < 4; index++) {
			await sleep(150);
			assert.equal(lastLine(await talker.command('NOOP')), '250 2.0.0 Ok', 'within the idle time');
		}

		assert.equal(lastLine(await silent.readReply(1000)), '421 4.4.2 mx.lab.test Error: timeout exceeded');
		await silent.waitForClose(1000);
		assert.equal(talker.ended, false);
	});
});

async function failLogin(client: RawSmtpClient): Promise<string> {
	return lastLine(await client.command(`AUTH PLAIN ${plainToken('alice', 'wrong')}`));
}

test('failed logins: the third bad password gets 535 then 421 and a hang-up; two then the right one is fine', async () => {
	const failed = '535 5.7.8 Error: authentication failed: authentication failure';
	// The penalty delay is another test's (auth-penalty.test.ts): 1 ms here.
	await withLab({only: [587], limits: {maxAuthFailures: 3, authFailureDelayMs: 1, authFailureDelayMaxMs: 1}}, async (_lab, clients) => {
		const client = await clients.secure(587);
		assert.equal(await failLogin(client), failed);
		assert.equal(await failLogin(client), failed);
		assert.equal(await failLogin(client), failed);
		assert.equal(lastLine(await client.readReply()), '421 4.7.0 mx.lab.test Error: too many authentication failures');
		await client.waitForClose();

		const patient = await clients.secure(587);
		assert.equal(await failLogin(patient), failed);
		assert.equal(await failLogin(patient), failed);
		assert.equal(lastLine(await patient.command(`AUTH PLAIN ${plainToken('alice', 'wonderland')}`)), '235 2.7.0 Authentication successful');
		assert.equal((await patient.settle(100)).length, 0, 'no 421');
	});

	await withLab({only: [465], limits: {maxAuthFailures: 1, authFailureDelayMs: 1, authFailureDelayMaxMs: 1}}, async (_lab, clients) => {
		const client = await clients.secure(465);
		assert.equal(await failLogin(client), failed);
		assert.equal(lastLine(await client.readReply()), '421 4.7.0 mx.lab.test Error: too many authentication failures');
		await client.waitForClose();
	});
});
