// The IMAP client conversation with no socket: a scripted server side in, the exact client bytes
// out, and the same events however the server's bytes are split (one byte at a time included).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import type {ImapEvent} from '../../source/protocol/imap.js';
import {
	ImapClientConversation, ImapFramer, ImapUsageError, capabilityList, fetchData, flagList, imapString, inSequenceSet, needData, nodeBytes, nodeText,
	parseImapCommand, parseSequenceSet,
} from '../../source/protocol/imap.js';

/** Every event until the conversation needs data. */
function drain(imap: ImapClientConversation): ImapEvent[] {
	const events: ImapEvent[] = [];
	for (let event = imap.nextEvent(); event !== needData; event = imap.nextEvent()) events.push(event);
	return events;
}

/** Feeds `bytes` in pieces of `size` (0: all at once), collecting events after each piece. */
function feed(imap: ImapClientConversation, bytes: Buffer, size = 0): ImapEvent[] {
	const events: ImapEvent[] = [];
	const step = size || bytes.length;
	for (let offset = 0; offset < bytes.length; offset += step) {
		imap.receiveData(bytes.subarray(offset, offset + step));
		events.push(...drain(imap));
	}

	return events;
}

const message = Buffer.concat([Buffer.from('Subject: caf'), Buffer.from([0xe9]), Buffer.from('\r\n\r\nna'), Buffer.from([0xef, 0xff]), Buffer.from('ve\r\n')]);

/**
 * One whole session, driven the way a driver would: what the client sends is computed by the
 * conversation and compared byte for byte; the server's side is a script.
 */
function session(chunk: number): {sent: Buffer[]; events: ImapEvent[]} {
	const imap = new ImapClientConversation();
	const sent: Buffer[] = [];
	const events: ImapEvent[] = [];
	const server = (text: string | Buffer) => {
		const got = feed(imap, typeof text === 'string' ? Buffer.from(text, 'latin1') : text, chunk);
		events.push(...got);
		for (const event of got) if (event.type === 'continuation') sent.push(event.send);
		return got;
	};

	const send = (command: Parameters<ImapClientConversation['send']>[0]) => {
		sent.push(imap.send(command).bytes);
	};

	server('* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n');
	send({name: 'STARTTLS'});
	// A man in the middle answers for the server before the handshake: dropped, never a reply.
	server('A1 OK Begin TLS\r\n* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n');
	assert.equal(imap.state, 'tls');
	server('A2 OK also injected\r\n');
	imap.tlsStarted();
	send({name: 'LOGIN', args: [{string: 'bob'}, {string: 'p\u00e4ss word'}]});
	server('+ OK\r\n');
	server('A2 OK [CAPABILITY IMAP4rev1] Logged in\r\n');
	send({name: 'SELECT', args: [{atom: 'INBOX'}]});
	server('* 1 EXISTS\r\n* OK [UIDVALIDITY 7] UIDs valid\r\nA3 OK [READ-WRITE] Select completed.\r\n');
	send({name: 'UID FETCH', args: [{raw: '1:*'}, {raw: '(FLAGS BODY[])'}]});
	server(Buffer.concat([Buffer.from(`* 1 FETCH (UID 4 BODY[] {${message.length}}\r\n`), message, Buffer.from(' FLAGS (\\Seen))\r\nA4 OK Fetch completed.\r\n')]));
	send({name: 'AUTHENTICATE', args: [{atom: 'PLAIN'}], continuations: [Buffer.from('AGJvYgBidWlsZGVy')]});
	server('+ \r\nA5 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n');
	send({name: 'LOGOUT'});
	server('* BYE Logging out\r\nA6 OK Logout completed.\r\n');
	imap.receiveData(Buffer.alloc(0));
	events.push(...drain(imap));
	return {sent, events};
}

test('a whole session: the exact client bytes, and STARTTLS drops what came before the handshake', () => {
	const {sent, events} = session(0);
	assert.deepEqual(sent.map(bytes => bytes.toString('utf8')), [
		'A1 STARTTLS\r\n',
		'A2 LOGIN "bob" {10}\r\n',
		'p\u00e4ss word\r\n',
		'A3 SELECT INBOX\r\n',
		'A4 UID FETCH 1:* (FLAGS BODY[])\r\n',
		'A5 AUTHENTICATE PLAIN\r\n',
		'AGJvYgBidWlsZGVy\r\n',
		'A6 LOGOUT\r\n',
	]);
	assert.deepEqual(events.map(event => event.type), [
		'greeting', 'tagged', 'discarded', 'discarded', 'continuation', 'tagged', 'untagged', 'untagged', 'tagged', 'untagged', 'tagged', 'continuation', 'tagged', 'untagged', 'tagged', 'closed',
	]);
	const greeting = events[0]!;
	assert.ok(greeting.type === 'greeting' && greeting.code === 'CAPABILITY' && greeting.text === 'ready');
	assert.deepEqual(greeting.type === 'greeting' ? capabilityList(greeting.codeArgs!) : [], ['IMAP4REV1', 'STARTTLS', 'LOGINDISABLED']);
	const starttls = events[1]!;
	assert.ok(starttls.type === 'tagged' && starttls.startTls && starttls.command === 'STARTTLS');
	const discarded = events.filter(event => event.type === 'discarded').map(event => (event.type === 'discarded' ? event.bytes.toString() : ''));
	assert.deepEqual(discarded.join(''), '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\nA2 OK also injected\r\n');
	const login = events[5]!;
	assert.ok(login.type === 'tagged' && login.tag === 'A2' && login.status === 'OK' && login.code === 'CAPABILITY' && login.text === 'Logged in');
	const fetched = events.find(event => event.type === 'untagged' && fetchData(event.line));
	assert.ok(fetched?.type === 'untagged');
	const data = fetchData(fetched.line)!;
	assert.equal(data.seq, 1);
	assert.equal(nodeText(data.items.get('UID')), '4');
	assert.deepEqual(nodeBytes(data.items.get('BODY[]')), message);
	assert.deepEqual(flagList(data.items.get('FLAGS')), ['\\Seen']);
	const refused = events[12]!;
	assert.ok(refused.type === 'tagged' && refused.status === 'NO' && refused.code === 'AUTHENTICATIONFAILED' && refused.command === 'AUTHENTICATE');
});

test('one byte at a time, or in pieces of 7, gives the same events as all at once', () => {
	const whole = session(0);
	for (const size of [1, 7]) {
		const split = session(size);
		assert.deepEqual(split.sent, whole.sent);
		// Discarded bytes arrive in as many pieces as they were fed; their concatenation is the same.
		const simplify = (events: ImapEvent[]) => events.filter(event => event.type !== 'discarded');
		assert.deepEqual(simplify(split.events), simplify(whole.events));
	}
});

test('the server\'s mistakes are protocol errors: no greeting, an unknown tag, a line too long, a literal too large', () => {
	const cases: Array<[string, string, ConstructorParameters<typeof ImapClientConversation>[0]?]> = [
		['A1 OK hello\r\n', 'not an IMAP greeting'],
		['* OK hi\r\nZ9 OK what\r\n', 'tag Z9, which was never sent'],
		[`* OK ${'x'.repeat(100)}\r\n`, 'a line longer than 64 bytes', {maxLineLength: 64}],
		['* OK hi\r\n* 1 FETCH (BODY[] {999999}\r\n', 'a response larger than 1000 bytes', {maxLiteralSize: 1000}],
		['* OK hi\r\n+ go on\r\n', '"+" but no command was waiting'],
	];
	for (const [script, expected, limits] of cases) {
		const imap = new ImapClientConversation(limits);
		const events = feed(imap, Buffer.from(script));
		const last = events.at(-1);
		assert.ok(last?.type === 'protocol-error', script);
		assert.ok(last.message.includes(expected), `${last.message} should say ${expected}`);
		assert.equal(imap.state, 'closed');
	}
});

test('misuse is refused before anything is sent: a command before the greeting, CR/LF in an argument', () => {
	const imap = new ImapClientConversation();
	assert.throws(() => imap.send({name: 'NOOP'}), ImapUsageError);
	feed(imap, Buffer.from('* OK hi\r\n'));
	assert.throws(() => imap.send({name: 'SELECT', args: [{atom: 'INBOX\r\nA9 LOGOUT'}]}), ImapUsageError);
	assert.throws(() => imap.send({name: 'FETCH', args: [{raw: '1 (FLAGS)\r\n'}]}), ImapUsageError);
	assert.throws(() => imap.send({name: 'X\r\nY'}), ImapUsageError);
	// A string with CR or LF is not refused: it goes as a literal, which may hold anything.
	assert.equal(imap.send({name: 'LOGIN', args: [{string: 'a\r\nb'}, {string: 'c'}]}).bytes.toString(), 'A1 LOGIN {4}\r\n');
});

test('imapString quotes 7-bit text (escaping " and \\) and sends anything else as a literal', () => {
	assert.equal(imapString('plain').toString(), '"plain"');
	assert.equal(imapString('say "hi" \\o/').toString(), '"say \\"hi\\" \\\\o/"');
	assert.equal(imapString('').toString(), '""');
	assert.deepEqual(imapString(Buffer.from([0x61, 0xff])), Buffer.from([0x7b, 0x32, 0x7d, 0x0d, 0x0a, 0x61, 0xff]));
	assert.equal(imapString('two\r\nlines').toString(), '{10}\r\ntwo\r\nlines');
});

test('the framer holds a literal\'s bytes whatever they are, and cuts messages exactly', () => {
	const framer = new ImapFramer({maxLineLength: 100, maxLiteralSize: 100, maxMessageSize: 300});
	framer.push(Buffer.from('a LOGIN {5}\r\n}\r\n{1}'));
	assert.deepEqual(framer.next(), {type: 'literal', size: 5, synchronizing: true, prefix: Buffer.from('a LOGIN {5}')});
	assert.equal(framer.next(), undefined);
	framer.push(Buffer.from(' x\r\nb NOOP\r\n'));
	assert.deepEqual(framer.next(), {type: 'message', bytes: Buffer.from('a LOGIN {5}\r\n}\r\n{1} x')});
	assert.deepEqual(framer.next(), {type: 'message', bytes: Buffer.from('b NOOP')});
	assert.equal(framer.next(), undefined);
	assert.equal(framer.buffered, 0);
});

test('sequence sets: ranges either way round, "*", and the RFC\'s n:* that always holds the largest', () => {
	assert.deepEqual(parseSequenceSet('1:3,5,7:*'), [[1, 3], [5, 5], [7, Infinity]]);
	assert.deepEqual(parseSequenceSet('9:2'), [[2, 9]]);
	for (const bad of ['', '0', '1:0', '1,,2', 'a', '1:2:3', '4294967296']) assert.equal(parseSequenceSet(bad), undefined, bad);
	const set = parseSequenceSet('10:*')!;
	assert.equal(inSequenceSet(set, 4, 4), true);
	assert.equal(inSequenceSet(set, 3, 4), false);
	assert.equal(inSequenceSet(parseSequenceSet('*')!, 6, 6), true);
	// The command parser takes a lone "*" (which emailjs-imap-handler alone refuses).
	assert.equal(nodeText(parseImapCommand(Buffer.from('a FETCH * FLAGS')).attributes[0]), '*:*');
	assert.equal(nodeText(parseImapCommand(Buffer.from('a UID STORE 2,* +FLAGS (\\Seen)')).attributes[0]), '2,*:*');
});
