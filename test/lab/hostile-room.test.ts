// The lab holds a hostile room: connections are counted from accept (TLS handshakes included),
// capped before any handshake, and dropped when they take too long to reach a session, to
// finish a line (slowloris) or at all; meanwhile a legitimate client (swaks, a real one, from
// another loopback address) is served on every port and no accepted message is lost. The
// attackers come from 127.0.0.2, the legitimate clients from 127.0.0.1: two client IPs on
// loopback. Deadlines are small here and the tests wait on the lab's events, never on time.

import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import net from 'node:net';
import {test} from 'node:test';
import type {Lab, LabEvent, LabPort} from '../../source/lab/index.js';
import {withLab} from '../support/lab-client.js';
import type {RawSmtpClient} from '../support/raw-smtp.js';
import {lastLine} from '../support/raw-smtp.js';

const attacker = '127.0.0.2';
const timeoutExceeded = '421 4.4.2 mx.lab.test Error: timeout exceeded';

const sleep = async (ms: number) =>
	new Promise(resolve => {
		setTimeout(resolve, ms);
	});

type Swaks = {code: number; output: string};

/** swaks, a real client, sends one message on `personality` the way a student would. */
async function swaks(lab: Lab, personality: LabPort, subject: string): Promise<Swaks> {
	const tls = personality === 465 ? ['--tlsc'] : personality === 25 ? [] : ['--tls'];
	const login = personality === 25 ? [] : ['--auth', 'PLAIN', '--auth-user', 'alice', '--auth-password', 'wonderland'];
	const args = ['--server', '127.0.0.1', '--port', String(lab.ports[personality]), ...tls, ...login, '--from', 'alice@lab.test', '--to', 'bob@lab.test', '--header', `Subject: ${subject}`, '--timeout', '15'];
	return new Promise(resolve => {
		execFile('swaks', args, {timeout: 30_000}, (error, stdout, stderr) => {
			resolve({code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, output: `${stdout}${stderr}`});
		});
	});
}

/** swaks on every port at once; each must deliver, and its message must be in the inbox. */
async function servedOnEveryPort(lab: Lab, label: string): Promise<void> {
	const ports: LabPort[] = [25, 465, 587, 2525];
	const results = await Promise.all(ports.map(async port => swaks(lab, port, `${label} ${port}`)));
	for (const [index, result] of results.entries()) assert.equal(result.code, 0, `swaks on ${ports[index]}: ${result.output}`);
	for (const port of ports) {
		assert.ok(lab.inbox.some(message => message.raw.toString('latin1').includes(`Subject: ${label} ${port}`)), `the message sent on ${port} is kept`);
	}
}

/** Resolves with the first event from now on that `match` accepts. */
async function nextEvent(lab: Lab, match: (event: LabEvent) => boolean, timeoutMs = 10_000): Promise<LabEvent> {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			stop();
			reject(new Error('no such lab event'));
		}, timeoutMs);
		const stop = lab.onEvent(event => {
			if (!match(event)) return;
			clearTimeout(timer);
			stop();
			resolve(event);
		});
	});
}

/** A raw TCP socket from `from` that sends `bytes` and then nothing; resolves once connected. */
async function stalled(port: number, from: string, bytes: Buffer): Promise<net.Socket> {
	return new Promise((resolve, reject) => {
		const socket = net.connect({host: '127.0.0.1', port, localAddress: from}, () => {
			socket.write(bytes);
			resolve(socket);
		});
		socket.on('error', reject);
	});
}

const closedSocket = async (socket: net.Socket) =>
	new Promise<void>(resolve => {
		if (socket.destroyed) resolve();
		else socket.once('close', () => resolve());
	});

/** The first bytes of a ClientHello: a handshake record that announces 512 bytes, then stops. */
const partialClientHello = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);

/** Writes one byte every `everyMs` (never a line end) until the lab answers or `max` bytes went. */
async function trickle(client: RawSmtpClient, max: number, everyMs: number): Promise<number> {
	let sent = 0;
	while (sent < max && !client.ended && client.buffered.length === 0) {
		client.write('N');
		sent++;
		await sleep(everyMs);
	}

	return sent;
}

test('a 465 handshake flood from one address: capped before the handshake, each dropped at the deadline; swaks is served on every port meanwhile', {timeout: 60_000}, async () => {
	await withLab({limits: {handshakeTimeoutMs: 2000, maxClientsPerIp: 20}}, async lab => {
		const refused: LabEvent[] = [];
		const stop = lab.onEvent(event => {
			if (event.type === 'connect' && event.detail) refused.push(event);
		});
		const flood = await Promise.all(Array.from({length: 30}, async () => stalled(lab.ports[465]!, attacker, partialClientHello)));
		for (let wait = 0; wait < 200 && refused.length < 10; wait++) await sleep(10);
		assert.equal(refused.length, 10, 'past 20 from one address, refused at accept');
		assert.ok(refused.every(event => event.ip === attacker && event.port === 465));
		assert.equal(lab.stats().connectionsNow, 20, 'twenty half-open handshakes are counted as connections');

		await servedOnEveryPort(lab, 'during the flood');

		await Promise.all(flood.map(closedSocket));
		stop();
		const stats = lab.stats();
		assert.equal(stats.limitsHit.refused, 10);
		assert.equal(stats.limitsHit.timeout, 20, 'every stalled handshake was dropped at its deadline');
		for (let wait = 0; wait < 200 && lab.stats().connectionsNow > 0; wait++) await sleep(10);
		assert.equal(lab.stats().connectionsNow, 0);
	});
});

test('slowloris: a line trickled one byte at a time gets 421 4.4.2 timeout exceeded, in plaintext, inside STARTTLS and on 465, whatever the idle timeout', {timeout: 60_000}, async () => {
	await withLab({limits: {commandTimeoutMs: 300, idleTimeoutMs: 60_000}}, async (lab, clients) => {
		const plain = await clients.connect(25, 5000, attacker);
		await plain.readReply();
		const startTls = await clients.connect(587, 5000, attacker);
		await startTls.readReply();
		await startTls.command('EHLO slow.test');
		assert.equal(lastLine(await startTls.command('STARTTLS')), '220 2.0.0 Ready to start TLS');
		await startTls.startTls(clients.tls());
		const implicit = await clients.connect(465, 5000, attacker);
		await implicit.readReply();
		const inData = await clients.connect(2525, 5000, attacker);
		await inData.readReply();
		await inData.command('EHLO slow.test');

		const attacks = [plain, startTls, implicit, inData].map(async client => trickle(client, 200, 40));
		await servedOnEveryPort(lab, 'during slowloris');
		const sent = await Promise.all(attacks);
		for (const [index, client] of [plain, startTls, implicit, inData].entries()) {
			assert.ok(sent[index]! < 200, `dropped before the trickle ended (${sent[index]} bytes)`);
			assert.equal(lastLine(await client.readReply()), timeoutExceeded);
			await client.waitForClose();
		}

		assert.equal(lab.stats().limitsHit.timeout, 4);
	});
});

test('slowloris inside a message: each line of DATA has the same deadline; fast lines are fine', {timeout: 30_000}, async () => {
	await withLab({only: [25], limits: {commandTimeoutMs: 300}}, async (lab, clients) => {
		const client = await clients.greeted(25);
		assert.equal(lastLine(await client.command('MAIL FROM:<a@lab.test>')), '250 2.1.0 Ok');
		assert.equal(lastLine(await client.command('RCPT TO:<bob@lab.test>')), '250 2.1.5 Ok');
		assert.equal(lastLine(await client.command('DATA')), '354 End data with <CR><LF>.<CR><LF>');
		client.write('Subject: slow\r\n\r\n');
		const dropped = nextEvent(lab, event => event.type === 'limit');
		const sent = await trickle(client, 200, 40);
		assert.ok(sent < 200);
		assert.match((await dropped).detail ?? '', /a line was still incomplete/);
		assert.equal(lastLine(await client.readReply()), timeoutExceeded);
		assert.equal(lab.inbox.length, 0, 'an unfinished message is not kept');
	});
});

test('the session deadline: a client that keeps sending complete commands is still dropped in the end', {timeout: 30_000}, async () => {
	await withLab({only: [25], limits: {sessionTimeoutMs: 500}}, async (lab, clients) => {
		const dropped = nextEvent(lab, event => event.type === 'limit');
		const client = await clients.greeted(25, attacker);
		let noops = 0;
		let reply = '';
		while (noops < 100) {
			noops++;
			reply = lastLine(await client.command('NOOP'));
			if (reply !== '250 2.0.0 Ok') break;
			await sleep(20);
		}

		assert.equal(reply, timeoutExceeded);
		assert.ok(noops < 100);
		await client.waitForClose();
		assert.equal((await dropped).detail, 'the session lasted 500 ms');
	});
});

test('over the connection limits swaks hears the documented 421 (and a freed slot serves it again)', {timeout: 30_000}, async () => {
	await withLab({only: [25], limits: {maxClients: 2}}, async (lab, clients) => {
		const one = await clients.greeted(25, attacker);
		await clients.greeted(25, attacker);
		const refused = await swaks(lab, 25, 'refused');
		assert.equal(refused.code, 21, 'swaks: the banner failed');
		assert.match(refused.output, /<\*\* 421 4\.7\.0 mx\.lab\.test Error: too many connections/);
		one.close();
		for (let wait = 0; wait < 200 && lab.stats().connectionsNow > 1; wait++) await sleep(10);
		assert.equal((await swaks(lab, 25, 'served')).code, 0);
	});
});

test('POP3S and IMAPS count sockets from accept too (the lab\'s gate): a stalled handshake beyond the limit is closed at once', {timeout: 30_000}, async () => {
	const {makeLabCertificates} = await import('../../source/lab/ca.js');
	const {Mailboxes, startImapServer, startPop3Server} = await import('../../source/lab/index.js');
	const hostname = 'mx.lab.test';
	const material = await makeLabCertificates(hostname, 'valid');
	const mailboxes = new Mailboxes(hostname, [{user: 'bob', password: 'builder', address: 'bob@lab.test'}]);
	const pop3 = await startPop3Server({hostname, mailboxes, tls: material, limits: {maxClients: 1}});
	const imap = await startImapServer({hostname, mailboxes, tls: material, limits: {maxClients: 1}});
	const sockets: net.Socket[] = [];
	try {
		for (const port of [pop3.ports[995]!, imap.ports[993]!]) {
			const held = await stalled(port, attacker, partialClientHello);
			const second = await stalled(port, attacker, partialClientHello);
			sockets.push(held, second);
			await closedSocket(second);
			assert.ok(!held.destroyed, 'the first is still waiting for its handshake');
		}
	} finally {
		for (const socket of sockets) socket.destroy();
		await pop3.close();
		await imap.close();
	}
});
