// The mail journey end to end over real loopback sockets: alice submits on the sender's 587,
// the sender's MTA relays to the receiver's port 25 in a second SMTP session, the receiver
// stores the message in bob's mailbox, and bob reads it over POP3 (995, and 110 with STLS).
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {ImapSession} from '../../source/engine/imap.js';
import {Pop3Session} from '../../source/engine/pop3.js';
import {Session} from '../../source/engine/session.js';
import type {JourneyEvent, JourneyLab, JourneyRelay} from '../../source/journey/index.js';
import {startJourneyLab} from '../../source/journey/index.js';
import type {StoredMessage} from '../../source/lab/index.js';
import {ImapFlow} from 'imapflow';
import {receivedFields, stripReceived} from './raw-pop3.js';

let journey: JourneyLab;
const events: JourneyEvent[] = [];
const relaysSeen: JourneyRelay[] = [];
before(async () => {
	journey = await startJourneyLab();
	journey.onEvent(event => events.push(event));
	journey.onRelay(relay => relaysSeen.push(relay));
});
after(async () => {
	await journey.close();
});

/** A message that exercises dot-stuffing and 8-bit text on every hop. */
const submitted = [
	'Date: Sun, 29 Nov 2026 10:00:00 +0000',
	'From: Alice <alice@sender.test>',
	'To: Bob <bob@receiver.test>',
	'Subject: the journey',
	'Message-ID: <journey-1@sender.test>',
	'MIME-Version: 1.0',
	'Content-Type: text/plain; charset=utf-8',
	'Content-Transfer-Encoding: 8bit',
	'',
	'Hello Bob,',
	'.',
	'.a line that starts with a dot',
	'..and one with two',
	'Grüße aus dem Labor — ünïcödé',
	'',
].join('\r\n');

type Submission = {session: Session; queueId: string; relay: JourneyRelay; stored: StoredMessage};

/** Submits on the sender's 587 as alice and follows the message into bob's mailbox. */
async function submit(over: {to?: string[]; rawMessage?: string | Buffer} = {}): Promise<Submission> {
	const session = new Session(journey.submissionOptions(587, {rawMessage: over.rawMessage ?? submitted, to: over.to ?? ['bob@receiver.test'], timeouts: {greeting: 5000, command: 5000}}));
	assert.equal(await session.runToEnd(), 0, session.failureMessage);
	const queued = session.entries.find(entry => entry.step === 'body' && entry.direction === 'server');
	const queueId = /queued as (\S+)/.exec(queued?.text ?? '')?.[1];
	assert.ok(queueId, 'the sender answered 250 queued as <ID>');
	const relay = await journey.relayFor(queueId, 10_000);
	assert.equal(relay.state, 'delivered', relay.failure);
	const stored = journey.mailboxes.list('bob').find(message => message.queueId === relay.receiverQueueId);
	assert.ok(stored, 'the relayed message is in bob\'s mailbox');
	return {session, queueId, relay, stored};
}

let first: Submission;
test('a message submitted on 587 for bob@receiver.test arrives in his mailbox with one Received: per hop', async () => {
	first = await submit();
	const {queueId, relay, stored} = first;
	const fields = receivedFields(stored.raw);
	assert.equal(fields.length, 2, 'one Received: for the relay hop, one for the submission hop');
	// Newest on top (RFC 5321 §4.4): the receiver's hop first, then the sender's.
	assert.match(fields[0]!, new RegExp(`^Received: from smtp\\.sender\\.test \\(unknown \\[127\\.0\\.0\\.1\\]\\) by mx\\.receiver\\.test \\(smtp-tui lab\\) with ESMTPS id ${relay.receiverQueueId} for <bob@receiver\\.test>; \\w{3}, `));
	assert.match(fields[1]!, new RegExp(`^Received: from client\\.example \\(unknown \\[127\\.0\\.0\\.1\\]\\) by smtp\\.sender\\.test \\(smtp-tui lab\\) with ESMTPSA id ${queueId} for <bob@receiver\\.test>; \\w{3}, `));
	assert.notEqual(relay.receiverQueueId, queueId, 'each server gave its own queue ID');
	// Byte for byte: what alice submitted is what is stored, trace headers apart.
	assert.ok(stripReceived(stored.raw).equals(Buffer.from(submitted, 'utf8')), stripReceived(stored.raw).toString('utf8'));
	// The receiver stored exactly what the relay sent, behind its own header.
	assert.ok(stored.raw.subarray(stored.raw.length - relay.sent.length).equals(relay.sent));
	const trace = journey.trace(queueId);
	assert.equal(trace.submitted?.id, queueId);
	assert.equal(trace.relay, relay);
	assert.deepEqual(trace.delivered.map(message => message.uid), [stored.uid]);
});

test('the relay is a real second SMTP session: EHLO as the sending server, STARTTLS, no AUTH, MAIL/RCPT/DATA, 250 queued', () => {
	const {relay, queueId} = first;
	const clientLines = relay.entries.filter(entry => entry.direction === 'client' && entry.step !== 'body').map(entry => entry.text);
	assert.equal(clientLines[0], 'EHLO smtp.sender.test');
	assert.equal(clientLines[1], 'STARTTLS');
	assert.equal(clientLines[2], 'EHLO smtp.sender.test', 'EHLO again inside TLS (RFC 3207 §4.2)');
	assert.match(clientLines[3]!, /^MAIL FROM:<alice@sender\.test> SIZE=\d+ BODY=8BITMIME$/);
	assert.deepEqual(clientLines.slice(4), ['RCPT TO:<bob@receiver.test>', 'DATA', 'QUIT']);
	assert.ok(!relay.entries.some(entry => entry.step === 'auth'), 'server to server: no AUTH');
	const handshake = relay.entries.find(entry => entry.direction === 'tls');
	assert.equal(handshake?.step, 'starttls');
	assert.equal(handshake?.tlsFacts?.authorized, true, 'the receiver\'s certificate verified against its CA');
	assert.match(handshake?.tlsFacts?.subject ?? '', /CN=mx\.receiver\.test/);
	const banner = relay.entries.find(entry => entry.direction === 'server');
	assert.equal(banner?.text, '220 mx.receiver.test ESMTP smtp-tui lab');
	assert.match(relay.entries.find(entry => entry.step === 'body' && entry.direction === 'server')?.text ?? '', /^250 2\.0\.0 Ok: queued as [\dA-F]{10}$/);
	// The message lines went out inside TLS, the sender's Received: first.
	const body = relay.entries.filter(entry => entry.direction === 'client' && entry.step === 'body');
	assert.ok(body.every(entry => entry.tls));
	assert.match(body[0]!.text, /^Received: from client\.example/);
	assert.ok(body.some(entry => entry.text === '..'), 'a lone "." in the message is dot-stuffed on the wire');
	// The receiving lab saw it as a server would: a TLS session from smtp.sender.test, not logged in.
	const received = journey.receiver.inbox.find(message => message.id === relay.receiverQueueId);
	assert.equal(received?.helo, 'smtp.sender.test');
	assert.equal(received?.tls, true);
	assert.equal(received?.user, undefined);
	assert.equal(received?.transmission, 'ESMTPS');
	assert.equal(received?.port, 25);
	assert.ok(journey.receiver.stats().perPort[25].sessions >= 1);
	// Listeners heard every stage, in order.
	assert.ok(relaysSeen.includes(relay));
	const mine = events.filter(event => {
		switch (event.type) {
			case 'submitted':
				return event.message.id === queueId;
			case 'delivered':
				return event.message.queueId === relay.receiverQueueId;
			case 'relay-started':
			case 'relay-finished':
				return event.relay === relay;
			default:
				return false;
		}
	});
	assert.deepEqual(mine.map(event => event.type), ['submitted', 'relay-started', 'delivered', 'relay-finished']);
});

function pop3(port: 110 | 995, stored: StoredMessage, over: Partial<ConstructorParameters<typeof Pop3Session>[0]> = {}): Pop3Session {
	const number = journey.mailboxes.list('bob').indexOf(stored) + 1;
	assert.ok(number > 0);
	return new Pop3Session(journey.retrievalOptions(port, {retrieve: number, timeouts: {command: 5000, greeting: 5000}, ...over}));
}

test('POP3 on 995 (implicit TLS) returns the stored bytes: the submitted message plus the two trace headers', async () => {
	const session = pop3(995, first.stored);
	assert.equal(await session.runToEnd(), 0, session.failureMessage);
	const retrieved = session.retrieved;
	assert.ok(retrieved, 'RETR returned a message');
	assert.ok(retrieved.equals(first.stored.raw), 'RETR gives exactly the stored bytes');
	assert.ok(stripReceived(retrieved).equals(Buffer.from(submitted, 'utf8')), 'and without the trace headers, exactly what was submitted');
	assert.equal(receivedFields(retrieved).length, 2);
	const steps = session.entries.filter(entry => entry.direction === 'client').map(entry => entry.step);
	assert.deepEqual(steps, ['pop-capa', 'pop-user', 'pop-pass', 'pop-stat', 'pop-list', 'pop-retr', 'pop-quit']);
	assert.equal(session.entries.find(entry => entry.direction === 'tls')?.step, 'connect', 'TLS from the first byte');
	assert.ok(session.entries.filter(entry => entry.direction !== 'info').every(entry => entry.tls));
	assert.equal(session.entries.find(entry => entry.direction === 'server')?.text, '+OK mx.receiver.test POP3 smtp-tui lab ready.');
	assert.ok(session.stat && session.stat.messages >= 1);
	assert.equal(session.listing?.find(item => item.number === session.options.retrieve)?.octets, first.stored.raw.length);
	assert.match(session.entries.find(entry => entry.step === 'pop-retr' && entry.direction === 'server')?.text ?? '', new RegExp(`^\\+OK ${first.stored.raw.length} octets$`));
	assert.ok(session.entries.some(entry => entry.step === 'pop-retr' && entry.text === '..'), 'the transcript shows the byte-stuffed line as it came');
});

test('POP3 on 110: CAPA offers STLS and hides USER; after STLS, CAPA again and USER appears; same bytes', async () => {
	const session = pop3(110, first.stored);
	assert.equal(await session.runToEnd(), 0, session.failureMessage);
	const clientLines = session.entries.filter(entry => entry.direction === 'client').map(entry => `${entry.tls ? '~' : ' '}${entry.text}`);
	assert.deepEqual(clientLines.slice(0, 4), [' CAPA', ' STLS', '~CAPA', '~USER bob']);
	assert.ok(session.capabilitiesBeforeTls?.includes('STLS'));
	assert.ok(!session.capabilitiesBeforeTls?.includes('USER'), 'no USER before TLS, as Dovecot');
	assert.ok(session.state.capabilities?.includes('USER'));
	assert.ok(session.entries.some(entry => entry.direction === 'info' && entry.text === 'Capabilities changed after TLS: USER appeared; STLS went.'));
	const handshake = session.entries.find(entry => entry.direction === 'tls');
	assert.equal(handshake?.step, 'pop-stls');
	assert.equal(handshake?.tlsFacts?.authorized, true);
	const retrieved = session.retrieved;
	assert.ok(retrieved, 'RETR returned a message');
	assert.ok(retrieved.equals(first.stored.raw));
	assert.ok(stripReceived(retrieved).equals(Buffer.from(submitted, 'utf8')));
});

test('the POP3 password never appears in the transcript, in clear or in base64', async () => {
	const session = pop3(995, first.stored);
	assert.equal(await session.runToEnd(), 0, session.failureMessage);
	const pass = session.entries.find(entry => entry.step === 'pop-pass' && entry.direction === 'client');
	assert.equal(pass?.text, 'PASS ********');
	assert.equal(pass?.secret, true);
	const everything = JSON.stringify(session.entries);
	assert.ok(!everything.includes('builder'));
	assert.ok(!everything.includes(Buffer.from('builder').toString('base64').replace(/=+$/, '')));
	assert.equal(session.peek().kind, 'done');
});

test('USER before STLS on 110 is refused with Dovecot\'s [AUTH] reply, and PASS is never sent', async () => {
	const session = pop3(110, first.stored, {tls: 'none', insecureAuth: true});
	assert.equal(await session.runToEnd(), 28, 'exit code 28: the login failed');
	const refusal = session.entries.find(entry => entry.step === 'pop-user' && entry.direction === 'server');
	assert.equal(refusal?.text, '-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.');
	assert.ok(refusal?.explain?.some(line => line.includes('RFC 3206')), 'the [AUTH] code is explained');
	assert.ok(!session.entries.some(entry => entry.step === 'pop-pass'), 'no PASS after a refused USER');
	assert.equal(session.entries.filter(entry => entry.direction === 'client').at(-1)?.text, 'QUIT');
	assert.equal(session.retrieved, undefined);
	assert.ok(session.entries.every(entry => !entry.tls));
});

test('without TLS the client itself refuses to send the password (exit 28, no USER on the wire)', async () => {
	const session = pop3(110, first.stored, {tls: 'none'});
	assert.equal(await session.runToEnd(), 28);
	assert.match(session.failureMessage ?? '', /^Refusing to send the password over a connection without TLS/);
	assert.deepEqual(session.entries.filter(entry => entry.direction === 'client').map(entry => entry.text), ['CAPA', 'QUIT']);
});

test('recipients outside both lab domains are not relayed; the receiver\'s are', async () => {
	const notRelayed: JourneyEvent[] = [];
	const stop = journey.onEvent(event => {
		if (event.type === 'not-relayed') notRelayed.push(event);
	});
	try {
		const {relay} = await submit({to: ['someone@example.com', 'bob@receiver.test']});
		assert.deepEqual(relay.recipients, ['bob@receiver.test']);
		assert.deepEqual(relay.entries.filter(entry => entry.step === 'rcpt' && entry.direction === 'client').map(entry => entry.text), ['RCPT TO:<bob@receiver.test>']);
		assert.equal(notRelayed.length, 1);
		assert.ok(notRelayed[0]?.type === 'not-relayed' && notRelayed[0].recipients.join() === 'someone@example.com');
		assert.match(notRelayed[0]?.type === 'not-relayed' ? notRelayed[0].reason : '', /never sends mail anywhere/);
		// Two recipients: the sender's Received: names none of them (as Postfix does).
		const header = relay.entries.filter(entry => entry.step === 'body' && entry.direction === 'client').slice(0, 3).map(entry => entry.text);
		assert.match(header[0]!, /^Received: from client\.example /);
		assert.match(header[1]!, /^\tby smtp\.sender\.test \(smtp-tui lab\) with ESMTPSA id [\dA-F]{10}$/);
		assert.match(header[2]!, /^\t\w{3}, \d{1,2} \w{3} \d{4} /);
	} finally {
		stop();
	}
});

test('a hop the receiver refuses is recorded as failed, with the receiver\'s reply in its transcript', async () => {
	const session = new Session(journey.submissionOptions(587, {to: ['full@receiver.test'], timeouts: {command: 5000}}));
	assert.equal(await session.runToEnd(), 0, 'the sender accepts it: it cannot know yet');
	const queueId = /queued as (\S+)/.exec(session.entries.findLast(entry => entry.code === 250)?.text ?? '')?.[1] ?? '';
	const relay = await journey.relayFor(queueId, 10_000);
	assert.equal(relay.state, 'failed');
	assert.match(relay.failure ?? '', /No recipient was accepted/);
	assert.ok(relay.entries.some(entry => entry.direction === 'server' && entry.code === 552 && entry.enhanced === '5.2.2'));
	assert.equal(relay.receiverQueueId, undefined);
	assert.deepEqual(journey.trace(queueId).delivered, []);
});

test('relay "manual": the hop waits for its caller and goes one step at a time', async () => {
	const manual = await startJourneyLab({relay: 'manual'});
	try {
		const session = new Session(manual.submissionOptions(465, {rawMessage: submitted, timeouts: {command: 5000}}));
		assert.equal(await session.runToEnd(), 0, session.failureMessage);
		await new Promise(resolve => {
			setTimeout(resolve, 100);
		});
		const relay = manual.relays[0];
		assert.ok(relay);
		assert.equal(relay.state, 'waiting');
		assert.equal(relay.entries.length, 0, 'nothing sent before the first step');
		assert.equal(relay.peek().kind, 'connect');
		await assert.rejects(manual.relayFor(relay.queueId, 100), /did not finish within 100 ms/);
		await relay.step();
		assert.equal(relay.state, 'running');
		assert.equal(relay.entries.filter(entry => entry.direction === 'server').at(-1)?.text, '220 mx.receiver.test ESMTP smtp-tui lab');
		assert.equal(relay.peek().lines[0], 'EHLO smtp.sender.test');
		assert.equal(manual.mailboxes.list('bob').length, 0);
		await relay.run();
		assert.equal(relay.state, 'delivered');
		assert.equal(manual.mailboxes.list('bob').length, 1);
		assert.ok(stripReceived(manual.mailboxes.list('bob')[0]!.raw).equals(Buffer.from(submitted, 'utf8')));
		assert.match(receivedFields(manual.mailboxes.list('bob')[0]!.raw)[1] ?? '', /with ESMTPSA id/, '465 is TLS and logged in too');
	} finally {
		await manual.close();
	}
});

test('close() ends a relay still waiting and frees every port', async () => {
	const manual = await startJourneyLab({relay: 'manual'});
	const session = new Session(manual.submissionOptions(587, {timeouts: {command: 5000}}));
	assert.equal(await session.runToEnd(), 0, session.failureMessage);
	await new Promise(resolve => {
		setTimeout(resolve, 50);
	});
	const relay = manual.relays[0]!;
	await manual.close();
	assert.equal(relay.state, 'failed');
	assert.equal(relay.failure, 'The journey lab closed before this relay finished.');
	const refused = new Pop3Session(manual.retrievalOptions(995, {timeouts: {connect: 2000}}));
	assert.equal(await refused.runToEnd(), 3, 'nothing listens on the POP3 port any more');
});

test('8-bit mail that is not UTF-8 (every byte 0x80-0xFF) is bytes end to end: submission, relay, POP3 RETR and IMAP FETCH (ours and imapflow) give the identical bytes', async () => {
	const high = Buffer.from(Array.from({length: 128}, (_, index) => 0x80 + index));
	const message = Buffer.concat([
		Buffer.from('From: Alice <alice@sender.test>\r\nTo: Bob <bob@receiver.test>\r\nSubject: bytes\r\nMessage-ID: <journey-bytes@sender.test>\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n', 'latin1'),
		high.subarray(0, 64), Buffer.from('\r\n.dot\r\n'), high.subarray(64), Buffer.from('\r\n'),
	]);
	assert.ok(!Buffer.from(message.toString('utf8'), 'utf8').equals(message), 'the message is not valid UTF-8');
	const {relay, stored} = await submit({rawMessage: message});
	assert.ok(relay.sent.subarray(relay.sent.length - message.length).equals(message), 'the relay hands on the bytes it took');
	assert.ok(stripReceived(stored.raw).equals(message), 'bob\'s mailbox holds the submitted bytes, only trace headers added');
	assert.ok(!stored.raw.includes(Buffer.from('\uFFFD', 'utf8')), 'no U+FFFD anywhere');
	const session = pop3(995, stored);
	assert.equal(await session.runToEnd(), 0, session.failureMessage);
	assert.ok(session.retrieved?.equals(stored.raw), 'POP3 RETR returns the stored bytes');
	const imap = new ImapSession(journey.imapRetrievalOptions(993, {fetch: journey.mailboxes.list('bob').indexOf(stored) + 1, timeouts: {command: 5000, greeting: 5000}}));
	assert.equal(await imap.runToEnd(), 0, imap.failureMessage);
	assert.ok(imap.fetched?.equals(stored.raw), 'IMAP FETCH (the project\'s ImapSession) returns the stored bytes');
	const client = new ImapFlow({
		host: '127.0.0.1',
		port: journey.imap.ports[993]!,
		secure: true,
		tls: {ca: [journey.pop3Ca], servername: journey.receiver.hostname, rejectUnauthorized: true},
		auth: {user: 'bob', pass: 'builder'},
		logger: false,
		disableAutoIdle: true,
	});
	await client.connect();
	try {
		await client.mailboxOpen('INBOX');
		const number = journey.mailboxes.list('bob').indexOf(stored) + 1;
		const fetched = await client.fetchOne(String(number), {source: true});
		assert.ok(fetched && fetched.source?.equals(stored.raw), 'IMAP FETCH (imapflow) returns the stored bytes');
	} finally {
		await client.logout();
	}
});
