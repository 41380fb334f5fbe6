// The IMAP client session (engine/imap.ts) against the lab's IMAP server, over loopback: 993
// (implicit TLS) and 143 (STARTTLS), LOGIN and AUTHENTICATE PLAIN, SELECT, FETCH of the stored
// bytes, STORE \Seen; and against scripted servers that misbehave.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {ImapSession, imapExitCodes, type ImapSessionOptions} from '../../source/engine/imap.js';
import type {JourneyLab} from '../../source/journey/index.js';
import {startJourneyLab} from '../../source/journey/index.js';
import type {StoredMessage} from '../../source/lab/index.js';
import {eightBitMessage} from '../support/captured.js';
import {lastLine, RawSmtpClient} from '../support/raw-smtp.js';

let journey: JourneyLab;
let stored: StoredMessage;
const message = eightBitMessage({from: 'Jane <jane@sender.test>', to: 'bob@receiver.test', messageId: '<imap-session@sender.test>'});

before(async () => {
	journey = await startJourneyLab();
	const smtp = await RawSmtpClient.connect({port: journey.receiver.ports[25]!});
	await smtp.readReply();
	assert.equal((await smtp.command('EHLO smtp.sender.test')).code, 250);
	assert.equal(lastLine(await smtp.command('MAIL FROM:<jane@sender.test> BODY=8BITMIME')), '250 2.1.0 Ok');
	assert.equal(lastLine(await smtp.command('RCPT TO:<bob@receiver.test>')), '250 2.1.5 Ok');
	assert.equal((await smtp.command('DATA')).code, 354);
	smtp.write(Buffer.concat([Buffer.from(message.toString('latin1').replace(/^\./gm, '..'), 'latin1'), Buffer.from('.\r\n')]));
	assert.equal((await smtp.readReply()).code, 250);
	smtp.close();
	stored = await journey.mailboxes.waitFor(candidate => candidate.user === 'bob', 10_000);
});
after(async () => {
	await journey.close();
});

function options(port: 143 | 993, over: Partial<ImapSessionOptions> = {}): ImapSessionOptions {
	return {
		host: '127.0.0.1',
		port: journey.imap.ports[port]!,
		profilePort: port,
		tls: 'auto',
		tlsOptions: {ca: journey.pop3Ca, servername: journey.receiver.hostname, insecure: false},
		user: 'bob',
		password: 'builder',
		timeouts: {connect: 5000, greeting: 5000, command: 5000, fetch: 5000},
		...over,
	};
}

for (const port of [993, 143] as const) {
	test(`the IMAP session against the lab on ${port}: step by step to LOGOUT, FETCH gives the stored bytes`, async () => {
		const session = new ImapSession(options(port, {list: true}));
		const kinds: string[] = [];
		assert.match(session.peek().lines[0] ?? '', /^\(connect to /);
		while (!session.done) {
			kinds.push(session.next().kind);
			const outcome = await session.step();
			assert.equal(outcome.ok, true, session.failureMessage);
		}

		assert.equal(session.exitCode, 0, session.failureMessage);
		assert.deepEqual(kinds, ['connect', 'imap-capability', ...(port === 143 ? ['imap-starttls', 'imap-capability'] : []), 'imap-login', 'imap-list', 'imap-select', 'imap-fetch', 'imap-logout']);
		assert.ok(session.fetched?.equals(stored.raw), 'FETCH BODY.PEEK[]: exactly the stored bytes');
		assert.ok(session.folders?.some(folder => folder.name === 'INBOX'));
		assert.equal(session.tlsFacts?.authorized, true);
		// The lab offers AUTH=PLAIN inside TLS: the default login is AUTHENTICATE PLAIN, the password never shown.
		const login = session.entries.filter(entry => entry.step === 'imap-login' && entry.direction === 'client');
		assert.match(login[0]!.text, /^A\d+ AUTHENTICATE PLAIN$/);
		assert.equal(login[1]!.text, '********');
		assert.ok(!JSON.stringify(session.entries).includes('builder'));
		assert.ok(!JSON.stringify(session.entries).includes(Buffer.from('\0bob\0builder').toString('base64')));
		assert.ok(session.entries.some(entry => entry.direction === 'server' && /^\* \d+ EXISTS$/.test(entry.text)));
		const cleartext = session.entries.filter(entry => entry.direction === 'client' && !entry.tls).map(entry => entry.step);
		assert.deepEqual(cleartext, port === 143 ? ['imap-capability', 'imap-starttls'] : [], 'nothing but CAPABILITY and STARTTLS in cleartext');
	});
}

test('LOGIN with a quoted password, and STORE \\Seen: the flag is on the server afterwards', async () => {
	const session = new ImapSession(options(993, {auth: 'login', markSeen: true}));
	assert.equal(await session.runToEnd(), 0, session.failureMessage);
	const login = session.entries.find(entry => entry.step === 'imap-login' && entry.direction === 'client');
	assert.match(login?.text ?? '', /^A\d+ LOGIN "bob" \*{8}$/);
	assert.ok(session.flags?.includes('\\Seen'), `flags after STORE: ${session.flags?.join(' ')}`);
	const again = new ImapSession(options(993));
	assert.equal(await again.runToEnd(), 0);
	assert.ok(again.flags?.includes('\\Seen'), 'a later session sees \\Seen: flags live on the server');
});

test('a wrong password: NO, exit 28, then LOGOUT', async () => {
	const session = new ImapSession(options(993, {password: 'wrong'}));
	assert.equal(await session.runToEnd(), 28);
	assert.match(session.failureMessage ?? '', /refused with NO/);
	assert.ok(session.entries.some(entry => entry.step === 'imap-logout' && entry.direction === 'client'));
});

test('a folder that does not exist: SELECT refused, exit 44', async () => {
	const session = new ImapSession(options(993, {mailbox: 'Nowhere'}));
	assert.equal(await session.runToEnd(), imapExitCodes.select);
});

/** A one-connection scripted IMAP server; `onLine` answers each command line. */
async function scripted(greeting: string, onLine: (line: string, socket: net.Socket) => void): Promise<{port: number; close: () => void}> {
	const server = net.createServer(socket => {
		socket.on('error', () => undefined);
		let buffered = '';
		socket.on('data', chunk => {
			buffered += chunk.toString('latin1');
			for (let end = buffered.indexOf('\r\n'); end !== -1; end = buffered.indexOf('\r\n')) {
				const line = buffered.slice(0, end);
				buffered = buffered.slice(end + 2);
				onLine(line, socket);
			}
		});
		socket.write(greeting);
	});
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	return {port: (server.address() as net.AddressInfo).port, close: () => server.close()};
}

test('the connection closed during SELECT: exit 44, one sentence', async () => {
	const server = await scripted('* OK ready\r\n', (line, socket) => {
		const [tag, verb] = line.split(' ');
		if (verb === 'SELECT') socket.destroy();
		else if (verb === 'CAPABILITY') socket.write(`* CAPABILITY IMAP4rev1\r\n${tag} OK done\r\n`);
		else socket.write(`${tag} OK done\r\n`);
	});
	try {
		const session = new ImapSession({host: '127.0.0.1', port: server.port, tls: 'none', insecureAuth: true, tlsOptions: {insecure: false}, user: 'bob', password: 'builder', timeouts: {command: 3000}});
		assert.equal(await session.runToEnd(), imapExitCodes.select);
		assert.match(session.failureMessage ?? '', /closed the connection/);
	} finally {
		server.close();
	}
});

test('a second IMAP step while one is in flight is refused and never sent', async () => {
	const received: string[] = [];
	let answer: (() => void) | undefined;
	const server = await scripted('* OK ready\r\n', (line, socket) => {
		received.push(line);
		answer = () => socket.write('* CAPABILITY IMAP4rev1\r\nA1 OK done\r\n');
	});
	try {
		const session = new ImapSession({host: '127.0.0.1', port: server.port, tls: 'none', insecureAuth: true, tlsOptions: {insecure: false}, user: 'bob', password: 'builder', timeouts: {command: 3000}});
		await session.step();
		const capability = session.step();
		assert.match((await session.step()).failure?.message ?? '', /already in flight/);
		for (let i = 0; i < 150 && !answer; i++) await new Promise(resolve => setTimeout(resolve, 20));
		answer!();
		assert.equal((await capability).ok, true);
		assert.deepEqual(received, ['A1 CAPABILITY']);
		session.close();
	} finally {
		server.close();
	}
});

test('an SMTP server on the IMAP port: one sentence saying so, exit 21', async () => {
	const server = await scripted('220 mx.example ESMTP\r\n', () => undefined);
	try {
		const session = new ImapSession({host: '127.0.0.1', port: server.port, tls: 'none', tlsOptions: {insecure: false}, user: 'bob', password: 'builder', timeouts: {greeting: 3000}});
		assert.equal(await session.runToEnd(), 21);
		assert.match(session.failureMessage ?? '', /not IMAP.*This port does not seem to speak IMAP\.$/);
	} finally {
		server.close();
	}
});
