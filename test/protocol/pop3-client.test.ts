// The POP3 client conversation (protocol/pop3-client.ts) without sockets: a scripted server's
// bytes in, every split of them, the events out and the exact client bytes, compared whole.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {Pop3ClientConversation, Pop3ParseError, Pop3UsageError, type Pop3ClientEvent} from '../../source/protocol/pop3-client.js';

/** Feeds `bytes` in pieces cut at `cuts` and returns every event, in order. */
function run(conversation: Pop3ClientConversation, bytes: Buffer, cuts: number[] = []): Pop3ClientEvent[] {
	const events: Pop3ClientEvent[] = [];
	let from = 0;
	for (const cut of [...cuts, bytes.length]) {
		conversation.receiveData(bytes.subarray(from, cut));
		for (let event = conversation.nextEvent(); event; event = conversation.nextEvent()) events.push(event);
		from = cut;
	}

	return events;
}

/** What an event shows, for comparing runs: the verb answered, the status line, the content. */
function summary(events: Pop3ClientEvent[]): string[] {
	return events.map(event => `${event.answers} ${event.response.raw}${event.response.data ? ` [${event.response.data.toString('latin1')}]` : ''}${event.startTls ? ' start-tls' : ''}`);
}

/** One whole session: each command the client sends, then the bytes the server answers with. */
const script: Array<[string | undefined, string]> = [
	[undefined, '+OK POP3 ready\r\n'],
	['CAPA', '+OK\r\nUSER\r\nSTLS\r\n.\r\n'],
	['USER bob', '+OK\r\n'],
	['PASS builder', '+OK logged in\r\n'],
	['STAT', '+OK 1 40\r\n'],
	['LIST', '+OK\r\n1 40\r\n.\r\n'],
	['RETR 1', '+OK 40 octets\r\nSubject: x\r\n\r\n..dot\r\n.\r\n'],
	['QUIT', '+OK bye\r\n'],
];

function wholeSession(cutsFor: (bytes: Buffer) => number[]): {sent: Buffer; events: string[]} {
	const conversation = new Pop3ClientConversation();
	const sent: Buffer[] = [];
	const events: Pop3ClientEvent[] = [];
	for (const [command, answer] of script) {
		if (command !== undefined) sent.push(conversation.send(command));
		const bytes = Buffer.from(answer, 'latin1');
		events.push(...run(conversation, bytes, cutsFor(bytes)));
	}

	return {sent: Buffer.concat(sent), events: summary(events)};
}

test('a whole session: the exact client bytes out, and the same events however the answers are split', () => {
	const whole = wholeSession(() => []);
	assert.equal(whole.sent.toString('latin1'), 'CAPA\r\nUSER bob\r\nPASS builder\r\nSTAT\r\nLIST\r\nRETR 1\r\nQUIT\r\n');
	assert.deepEqual(whole.events, [
		'greeting +OK POP3 ready',
		'CAPA +OK [USER\r\nSTLS\r\n]',
		'USER +OK',
		'PASS +OK logged in',
		'STAT +OK 1 40',
		'LIST +OK [1 40\r\n]',
		'RETR +OK 40 octets [Subject: x\r\n\r\n.dot\r\n]',
		'QUIT +OK bye',
	]);
	const byteByByte = wholeSession(bytes => Array.from({length: bytes.length - 1}, (_, index) => index + 1));
	assert.deepEqual(byteByByte, whole);
	for (let cut = 1; cut < 12; cut++) assert.deepEqual(wholeSession(bytes => (cut < bytes.length ? [cut] : [])), whole, `split at ${cut}`);
});

test('one command at a time: a second send before the answer is refused, and nothing is spent', () => {
	const conversation = new Pop3ClientConversation();
	assert.throws(() => conversation.send('CAPA'), Pop3UsageError, 'not before the greeting');
	run(conversation, Buffer.from('+OK hi\r\n'));
	conversation.send('STAT');
	assert.equal(conversation.waitingFor, 'STAT');
	assert.throws(() => conversation.send('LIST'), /before the answer to STAT has come/);
	assert.throws(() => new Pop3ClientConversation().send('USER a\r\nPASS b'), Pop3UsageError);
});

test('a -ERR to a multi-line command is one line; the next response is read for the next command', () => {
	const conversation = new Pop3ClientConversation();
	run(conversation, Buffer.from('+OK hi\r\n'));
	conversation.send('RETR 9');
	assert.deepEqual(summary(run(conversation, Buffer.from('-ERR [SYS/TEMP] no such message\r\n'))), ['RETR -ERR [SYS/TEMP] no such message']);
	conversation.send('NOOP');
	assert.deepEqual(summary(run(conversation, Buffer.from('+OK\r\n'))), ['NOOP +OK']);
});

test('STLS: the +OK asks for TLS; bytes after it are never a response, only the remainder', () => {
	const conversation = new Pop3ClientConversation();
	run(conversation, Buffer.from('+OK hi\r\n'));
	conversation.send('STLS');
	const events = run(conversation, Buffer.from('+OK begin TLS\r\n+OK fake answer to USER\r\n'), [3]);
	assert.deepEqual(summary(events), ['STLS +OK begin TLS start-tls']);
	assert.equal(conversation.state, 'tls');
	assert.throws(() => conversation.send('USER bob'), /while TLS is being started/);
	assert.equal(run(conversation, Buffer.from('more\r\n')).length, 0);
	assert.equal(conversation.takeRemainder().toString('latin1'), '+OK fake answer to USER\r\nmore\r\n');
	conversation.tlsStarted();
	conversation.send('CAPA');
	assert.deepEqual(summary(run(conversation, Buffer.from('+OK\r\nUSER\r\n.\r\n'))), ['CAPA +OK [USER\r\n]']);
	assert.throws(() => conversation.tlsStarted(), Pop3UsageError);
});

test('bytes while no command waits are held raw, not parsed, and handed out as unsolicited', () => {
	const conversation = new Pop3ClientConversation();
	run(conversation, Buffer.from('+OK hi\r\n'));
	assert.equal(run(conversation, Buffer.from('+OK early\r\n')).length, 0);
	assert.equal(conversation.takeUnsolicited().toString('latin1'), '+OK early\r\n');
	assert.equal(conversation.takeUnsolicited().length, 0);
	conversation.send('STAT');
	assert.deepEqual(summary(run(conversation, Buffer.from('+OK 0 0\r\n'))), ['STAT +OK 0 0']);
});

test('the peer\'s faults are Pop3ParseErrors: a line that is not POP3, a status line past its cap', () => {
	const smtp = new Pop3ClientConversation();
	assert.throws(() => run(smtp, Buffer.from('220 mx.example ESMTP\r\n')), Pop3ParseError);
	const long = new Pop3ClientConversation({maxStatusLength: 20});
	assert.throws(() => run(long, Buffer.from(`+OK ${'x'.repeat(30)}`)), /longer than 20 bytes/);
});
