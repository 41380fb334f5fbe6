// The lab's IMAP server conversation, byte by byte and with no socket: exact bytes in, exact
// bytes out, and the same answer however the client's bytes are split.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import type {LabUser} from '../../source/lab/index.js';
import {Mailboxes} from '../../source/lab/index.js';
import {ImapConversation, defaultImapLimits, envelope} from '../../source/lab/imap.js';
import type {ImapEventType, ImapLimits} from '../../source/lab/imap.js';
import {capturedMessage} from '../support/captured.js';

const users: LabUser[] = [
	{user: 'bob', password: 'builder', address: 'bob@receiver.test'},
	{user: 'carol', password: 'cards', address: 'carol@receiver.test'},
];
const hostname = 'mx.receiver.test';

/** A message with 8-bit bytes that are not UTF-8 (latin1 é, a lone 0xff) in header and body. */
const eightBit = Buffer.concat([
	Buffer.from('From: "Doe, Jane" <jane@sender.test>\r\nTo: bob@receiver.test, Carol <carol@receiver.test>\r\nSubject: caf', 'latin1'),
	Buffer.from([0xe9]),
	Buffer.from('\r\nMessage-ID: <m1@sender.test>\r\nDate: Sun, 29 Nov 2026 10:00:00 +0000\r\n\r\nna', 'latin1'),
	Buffer.from([0xef, 0x76, 0x65, 0xff]),
	Buffer.from('\r\n.line with a dot\r\n', 'latin1'),
]);

let sequence = 0;
/** Queue IDs restart with each setup(), so two setups hold byte-identical mailboxes. */
function captured(rcptTo: string[], raw: Buffer) {
	sequence++;
	return capturedMessage(rcptTo, raw, {id: `IMAP${String(sequence).padStart(6, '0')}`, mailFrom: 'jane@sender.test'});
}

function setup(): Mailboxes {
	sequence = 0;
	const mailboxes = new Mailboxes(hostname, users);
	mailboxes.deliver(captured(['bob@receiver.test'], eightBit));
	mailboxes.deliver(captured(['bob@receiver.test'], Buffer.from('From: alice@sender.test\r\nSubject: second\r\n\r\nhello\r\n')));
	return mailboxes;
}

type Events = Array<{type: ImapEventType; user?: string; detail?: string}>;

function conversation(mailboxes: Mailboxes, secure = true, limits: Partial<ImapLimits> = {}, events: Events = []): ImapConversation {
	return new ImapConversation({
		port: secure ? 993 : 143,
		hostname,
		mailboxes,
		limits: {...defaultImapLimits, ...limits},
		event(type, user, detail) {
			events.push({type, user, detail});
		},
	}, secure);
}

/** Sends `text` (latin1) and returns the reply as latin1 text, with what the server does next. */
function say(imap: ImapConversation, text: string | Buffer): {text: string; then: string} {
	const answer = imap.receive(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
	return {text: answer.reply.toString('latin1'), then: answer.then};
}

function loggedIn(mailboxes = setup()): ImapConversation {
	const imap = conversation(mailboxes);
	assert.match(say(imap, 'a LOGIN bob builder\r\n').text, /^a OK /);
	return imap;
}

test('on 143 the greeting offers STARTTLS with LOGINDISABLED; LOGIN and AUTHENTICATE are refused before TLS', () => {
	const imap = conversation(setup(), false);
	assert.equal(imap.greeting().toString(), '* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ STARTTLS LOGINDISABLED] mx.receiver.test IMAP smtp-tui lab ready.\r\n');
	const privacy = 'NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.';
	assert.deepEqual(say(imap, 'a1 LOGIN bob builder\r\n'), {text: `a1 ${privacy}\r\n`, then: 'none'});
	assert.deepEqual(say(imap, 'a2 AUTHENTICATE PLAIN AGJvYgBidWlsZGVy\r\n'), {text: `a2 ${privacy}\r\n`, then: 'none'});
	assert.deepEqual(say(imap, 'a3 SELECT INBOX\r\n'), {text: 'a3 BAD Please log in first.\r\n', then: 'none'});
});

test('STARTTLS: OK then upgrade, and a command pipelined behind it in cleartext is dropped, never run', () => {
	const events: Events = [];
	const imap = conversation(setup(), false, {}, events);
	assert.deepEqual(say(imap, 'a1 STARTTLS\r\na2 LOGIN bob builder\r\n'), {text: 'a1 OK Begin TLS negotiation now.\r\n', then: 'starttls'});
	imap.secure = true;
	assert.deepEqual(say(imap, 'a3 CAPABILITY\r\n'), {text: '* CAPABILITY IMAP4rev1 SASL-IR LITERAL+ AUTH=PLAIN\r\na3 OK Capability completed.\r\n', then: 'none'});
	assert.equal(events.filter(event => event.type === 'login').length, 0);
	assert.deepEqual(say(imap, 'a4 STARTTLS\r\n'), {text: 'a4 BAD TLS is already active.\r\n', then: 'none'});
});

test('LOGIN with a synchronizing literal: "+ OK" asks for it; LITERAL+ needs no "+"', () => {
	const imap = conversation(setup());
	assert.deepEqual(say(imap, 'a1 LOGIN {3}\r\n'), {text: '+ OK\r\n', then: 'none'});
	assert.deepEqual(say(imap, 'bob {7+}\r\nbuilder\r\n'), {text: 'a1 OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+] Logged in\r\n', then: 'none'});
});

test('AUTHENTICATE PLAIN with a "+" continuation and with an initial response (SASL-IR); "*" aborts', () => {
	const plain = Buffer.from('\0bob\0builder').toString('base64');
	let imap = conversation(setup());
	assert.deepEqual(say(imap, 'a1 AUTHENTICATE PLAIN\r\n'), {text: '+ \r\n', then: 'none'});
	assert.match(say(imap, `${plain}\r\n`).text, /^a1 OK \[CAPABILITY IMAP4rev1 SASL-IR LITERAL\+\] Logged in\r\n$/);
	imap = conversation(setup());
	assert.match(say(imap, `a1 AUTHENTICATE PLAIN ${plain}\r\n`).text, /^a1 OK /);
	imap = conversation(setup());
	say(imap, 'a1 AUTHENTICATE PLAIN\r\n');
	assert.equal(say(imap, '*\r\n').text, 'a1 BAD Authentication aborted by client.\r\n');
	assert.equal(say(imap, 'a2 AUTHENTICATE CRAM-MD5\r\n').text, 'a2 NO Unsupported authentication mechanism.\r\n');
});

test('three failed logins end the connection; the user name goes into the event as given, bounded', () => {
	const events: Events = [];
	const imap = conversation(setup(), true, {}, events);
	assert.deepEqual(say(imap, 'a1 LOGIN bob wrong\r\n'), {text: 'a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n', then: 'none'});
	assert.equal(say(imap, `a2 AUTHENTICATE PLAIN ${Buffer.from('\0bob\0nope').toString('base64')}\r\n`).then, 'none');
	assert.deepEqual(say(imap, 'a3 LOGIN "\x1b[2Jmallory" x\r\n'), {text: 'a3 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n* BYE Too many invalid authentication attempts.\r\n', then: 'close'});
	assert.deepEqual(events.map(event => event.type), ['login-failed', 'login-failed', 'login-failed']);
	assert.equal(events[2]!.user, '\x1b[2Jmallory');
});

test('SELECT INBOX: flags, counts, UIDVALIDITY and UIDNEXT; another mailbox does not exist', () => {
	const mailboxes = setup();
	const imap = loggedIn(mailboxes);
	assert.equal(say(imap, 'b1 SELECT Archive\r\n').text, 'b1 NO [NONEXISTENT] Mailbox doesn\'t exist (the lab has INBOX only).\r\n');
	assert.deepEqual(say(imap, 'b2 SELECT inbox\r\n'), {
		text: [
			'* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)',
			'* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)] Flags permitted.',
			'* 2 EXISTS',
			'* 0 RECENT',
			'* OK [UNSEEN 1] First unseen.',
			`* OK [UIDVALIDITY ${mailboxes.uidValidity}] UIDs valid`,
			'* OK [UIDNEXT 3] Predicted next UID',
			'b2 OK [READ-WRITE] Select completed.',
			'',
		].join('\r\n'),
		then: 'none',
	});
});

test('LIST: INBOX for "*" and "%", the delimiter for "", nothing for other names', () => {
	const imap = loggedIn();
	assert.equal(say(imap, 'c1 LIST "" "*"\r\n').text, '* LIST (\\HasNoChildren) "/" INBOX\r\nc1 OK List completed.\r\n');
	assert.equal(say(imap, 'c2 LIST "" %\r\n').text, '* LIST (\\HasNoChildren) "/" INBOX\r\nc2 OK List completed.\r\n');
	assert.equal(say(imap, 'c3 LIST "" ""\r\n').text, '* LIST (\\Noselect) "/" ""\r\nc3 OK List completed.\r\n');
	assert.equal(say(imap, 'c4 LIST "" Sent\r\n').text, 'c4 OK List completed.\r\n');
	assert.equal(say(imap, 'c5 STATUS INBOX (MESSAGES UNSEEN UIDNEXT)\r\n').text, '* STATUS INBOX (MESSAGES 2 UNSEEN 2 UIDNEXT 3)\r\nc5 OK Status completed.\r\n');
});

test('FETCH BODY[] sends the message as a literal, byte for byte (8-bit, not UTF-8), and sets \\Seen for good', () => {
	const mailboxes = setup();
	const stored = mailboxes.list('bob')[0]!;
	let imap = loggedIn(mailboxes);
	say(imap, 'd1 SELECT INBOX\r\n');
	const reply = imap.receive(Buffer.from('d2 FETCH 1 (UID RFC822.SIZE BODY[])\r\n')).reply;
	const head = Buffer.from(`* 1 FETCH (UID 1 RFC822.SIZE ${stored.raw.length} BODY[] {${stored.raw.length}}\r\n`);
	assert.deepEqual(reply, Buffer.concat([head, stored.raw, Buffer.from(' FLAGS (\\Seen))\r\nd2 OK Fetch completed.\r\n')]));
	assert.equal(stored.raw.includes(eightBit), true);
	// A new session sees the flag: it lives in the mailbox, not in the connection.
	imap = loggedIn(mailboxes);
	say(imap, 'd3 EXAMINE INBOX\r\n');
	assert.equal(say(imap, 'd4 FETCH 1:* FLAGS\r\n').text, '* 1 FETCH (FLAGS (\\Seen))\r\n* 2 FETCH (FLAGS ())\r\nd4 OK Fetch completed.\r\n');
});

test('BODY.PEEK[HEADER] and RFC822.HEADER leave \\Seen alone; BODY[TEXT] and header fields are cut exactly', () => {
	const mailboxes = setup();
	const stored = mailboxes.list('bob')[1]!;
	const imap = loggedIn(mailboxes);
	say(imap, 'e1 SELECT INBOX\r\n');
	const header = stored.raw.subarray(0, stored.raw.indexOf('\r\n\r\n') + 4).toString('latin1');
	assert.equal(say(imap, 'e2 FETCH 2 (BODY.PEEK[HEADER])\r\n').text, `* 2 FETCH (BODY[HEADER] {${header.length}}\r\n${header})\r\ne2 OK Fetch completed.\r\n`);
	assert.equal(say(imap, 'e3 FETCH 2 (BODY.PEEK[HEADER.FIELDS (subject from)])\r\n').text, '* 2 FETCH (BODY[HEADER.FIELDS (SUBJECT FROM)] {44}\r\nFrom: alice@sender.test\r\nSubject: second\r\n\r\n)\r\ne3 OK Fetch completed.\r\n');
	assert.equal(say(imap, 'e4 FETCH 2 FLAGS\r\n').text, '* 2 FETCH (FLAGS ())\r\ne4 OK Fetch completed.\r\n');
	assert.equal(say(imap, 'e5 FETCH 2 BODY.PEEK[TEXT]<1.3>\r\n').text, '* 2 FETCH (BODY[TEXT]<1> {3}\r\nell)\r\ne5 OK Fetch completed.\r\n');
	assert.equal(say(imap, 'e6 FETCH 2 BODY[TEXT]\r\n').text, '* 2 FETCH (BODY[TEXT] {7}\r\nhello\r\n FLAGS (\\Seen))\r\ne6 OK Fetch completed.\r\n');
});

test('ENVELOPE quotes what it may and sends 8-bit as a literal; INTERNALDATE is the delivery time', () => {
	const mailboxes = setup();
	const imap = loggedIn(mailboxes);
	say(imap, 'f1 EXAMINE INBOX\r\n');
	const text = say(imap, 'f2 FETCH 1 (ENVELOPE)\r\n').text;
	assert.equal(text, [
		'* 1 FETCH (ENVELOPE ("Sun, 29 Nov 2026 10:00:00 +0000" {4}\r\ncaf\xe9',
		' (("Doe, Jane" NIL "jane" "sender.test")) (("Doe, Jane" NIL "jane" "sender.test")) (("Doe, Jane" NIL "jane" "sender.test"))',
		' ((NIL NIL "bob" "receiver.test")("Carol" NIL "carol" "receiver.test")) NIL NIL NIL "<m1@sender.test>"))\r\nf2 OK Fetch completed.\r\n',
	].join(''));
	assert.match(say(imap, 'f3 FETCH 1 INTERNALDATE\r\n').text, /^\* 1 FETCH \(INTERNALDATE "\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d \+0000"\)\r\n/);
});

test('STORE +FLAGS, -FLAGS, FLAGS and .SILENT; UID STORE answers with the UID; EXAMINE is read-only', () => {
	const mailboxes = setup();
	let imap = loggedIn(mailboxes);
	say(imap, 'g1 SELECT INBOX\r\n');
	assert.equal(say(imap, 'g2 STORE 1:2 +FLAGS (\\Seen \\flagged)\r\n').text, '* 1 FETCH (FLAGS (\\Seen \\Flagged))\r\n* 2 FETCH (FLAGS (\\Seen \\Flagged))\r\ng2 OK Store completed.\r\n');
	assert.equal(say(imap, 'g3 UID STORE 2 -FLAGS.SILENT (\\Flagged)\r\n').text, 'g3 OK Store completed.\r\n');
	assert.equal(say(imap, 'g4 UID STORE 1 FLAGS (\\Answered)\r\n').text, '* 1 FETCH (UID 1 FLAGS (\\Answered))\r\ng4 OK Store completed.\r\n');
	assert.equal(say(imap, 'g5 STORE 1 +FLAGS (\\Recent)\r\n').text, 'g5 BAD Error in IMAP command STORE: Invalid system flag (the lab keeps \\Answered \\Flagged \\Deleted \\Seen \\Draft).\r\n');
	assert.deepEqual(mailboxes.list('bob').map(message => [...message.flags]), [['\\Answered'], ['\\Seen']]);
	imap = loggedIn(mailboxes);
	say(imap, 'g6 EXAMINE INBOX\r\n');
	assert.equal(say(imap, 'g7 STORE 1 +FLAGS (\\Deleted)\r\n').text, 'g7 NO Mailbox is read-only.\r\n');
	assert.equal(say(imap, 'g8 SEARCH UNSEEN\r\n').text, '* SEARCH 1\r\ng8 OK Search completed.\r\n');
});

test('sequence sets: ranges, lists, "*", reversed ranges; UID n:* includes the last; a number past the end is BAD', () => {
	const mailboxes = setup();
	mailboxes.deliver(captured(['bob@receiver.test'], Buffer.from('Subject: third\r\n\r\n3\r\n')));
	const imap = loggedIn(mailboxes);
	say(imap, 'h1 EXAMINE INBOX\r\n');
	const seqs = (text: string) => [...text.matchAll(/^\* (\d+) FETCH/gm)].map(match => Number(match[1]));
	assert.deepEqual(seqs(say(imap, 'h2 FETCH 3:1 UID\r\n').text), [1, 2, 3]);
	assert.deepEqual(seqs(say(imap, 'h3 FETCH 1,3 UID\r\n').text), [1, 3]);
	assert.deepEqual(seqs(say(imap, 'h4 FETCH * UID\r\n').text), [3]);
	assert.deepEqual(seqs(say(imap, 'h5 UID FETCH 9:* FLAGS\r\n').text), [3]);
	assert.equal(say(imap, 'h5 UID FETCH 9:* FLAGS\r\n').text, '* 3 FETCH (UID 3 FLAGS ())\r\nh5 OK UID Fetch completed.\r\n');
	assert.equal(say(imap, 'h6 FETCH 4 UID\r\n').text, 'h6 BAD Error in IMAP command FETCH: Invalid messageset.\r\n');
	assert.equal(say(imap, 'h7 FETCH 0:2 UID\r\n').text, 'h7 BAD Error in IMAP command FETCH: Invalid messageset.\r\n');
	assert.equal(say(imap, 'h8 UID SEARCH UID 2:*\r\n').text, '* SEARCH 2 3\r\nh8 OK Search completed.\r\n');
});

test('NOOP reports what changed: a message POP3 deleted (EXPUNGE) and a new delivery (EXISTS)', () => {
	const mailboxes = setup();
	const imap = loggedIn(mailboxes);
	say(imap, 'i1 SELECT INBOX\r\n');
	mailboxes.remove('bob', [mailboxes.list('bob')[0]!.uid]);
	mailboxes.deliver(captured(['bob@receiver.test'], Buffer.from('Subject: new\r\n\r\nnew\r\n')));
	assert.equal(say(imap, 'i2 NOOP\r\n').text, '* 1 EXPUNGE\r\n* 2 EXISTS\r\ni2 OK NOOP completed.\r\n');
	assert.equal(say(imap, 'i3 FETCH 1:* UID\r\n').text, '* 1 FETCH (UID 2)\r\n* 2 FETCH (UID 3)\r\ni3 OK Fetch completed.\r\n');
});

test('EXPUNGE removes \\Deleted messages from the mailbox, highest number first; CLOSE does it silently', () => {
	const mailboxes = setup();
	mailboxes.deliver(captured(['bob@receiver.test'], Buffer.from('Subject: third\r\n\r\n3\r\n')));
	const imap = loggedIn(mailboxes);
	say(imap, 'j1 SELECT INBOX\r\n');
	say(imap, 'j2 STORE 1,3 +FLAGS.SILENT (\\Deleted)\r\n');
	assert.equal(say(imap, 'j3 EXPUNGE\r\n').text, '* 3 EXPUNGE\r\n* 1 EXPUNGE\r\nj3 OK Expunge completed.\r\n');
	assert.deepEqual(mailboxes.list('bob').map(message => message.imapUid), [2]);
	say(imap, 'j4 STORE 1 +FLAGS (\\Deleted)\r\n');
	assert.equal(say(imap, 'j5 CLOSE\r\n').text, 'j5 OK Close completed.\r\n');
	assert.equal(mailboxes.list('bob').length, 0);
	assert.equal(say(imap, 'j6 FETCH 1 UID\r\n').text, 'j6 BAD No mailbox selected.\r\n');
});

test('LOGOUT says BYE, then OK, then the server closes', () => {
	const events: Events = [];
	const imap = conversation(setup(), true, {}, events);
	say(imap, 'k1 LOGIN bob builder\r\n');
	assert.deepEqual(say(imap, 'k2 LOGOUT\r\n'), {text: '* BYE Logging out\r\nk2 OK Logout completed.\r\n', then: 'close'});
	assert.deepEqual(events.map(event => event.type), ['login', 'logout']);
});

test('garbage, unknown commands and a line too long: BAD with the tag when there is one; limits close', () => {
	let imap = conversation(setup(), true, {maxBadCommands: 3});
	assert.equal(say(imap, 'l1 FROB\r\n').text, 'l1 BAD Error in IMAP command FROB: Unknown command.\r\n');
	assert.equal(say(imap, 'l2 LOGIN "unterminated\r\n').text, 'l2 BAD Error in IMAP command received by server.\r\n');
	assert.deepEqual(say(imap, '((( \r\n'), {text: '* BAD Error in IMAP command received by server.\r\n* BYE Too many invalid IMAP commands.\r\n', then: 'close'});
	imap = conversation(setup(), true, {maxLineLength: 64});
	assert.deepEqual(say(imap, `m1 LOGIN ${'x'.repeat(100)}`), {text: '* BYE Too long argument.\r\n', then: 'close'});
	imap = conversation(setup(), true, {maxLiteralSize: 10});
	assert.deepEqual(say(imap, 'n1 LOGIN {11}\r\n'), {text: 'n1 BAD Literal too large.\r\n', then: 'none'});
	assert.deepEqual(say(imap, 'n2 LOGIN {11+}\r\n'), {text: '* BYE Too long argument.\r\n', then: 'close'});
});

test('the same answers however the bytes are split: one byte at a time equals all at once', () => {
	const script = Buffer.concat([
		Buffer.from('s1 LOGIN {3}\r\nbob builder\r\ns2 SELECT INBOX\r\ns3 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER] BODY[])\r\n'),
		Buffer.from('s4 STORE 2 -FLAGS (\\Seen)\r\ns5 FETCH 1 (ENVELOPE RFC822.SIZE)\r\ns6 LOGOUT\r\n'),
	]);
	const whole = conversation(setup());
	const all = whole.receive(script);
	const single = conversation(setup());
	const pieces: Buffer[] = [];
	let then = 'none';
	for (const byte of script) {
		const answer = single.receive(Buffer.from([byte]));
		pieces.push(answer.reply);
		then = answer.then;
	}

	assert.equal(all.then, 'close');
	assert.equal(then, 'close');
	assert.deepEqual(Buffer.concat(pieces), all.reply);
	assert.match(all.reply.toString('latin1'), /^\+ OK\r\ns1 OK /);
	assert.match(all.reply.toString('latin1'), /s6 OK Logout completed\.\r\n$/);
});

test('STARTTLS with an argument is BAD, no upgrade; a FETCH partial past 32 bits (or of length 0) is BAD', () => {
	const plain = conversation(setup(), false);
	assert.deepEqual(say(plain, 's1 STARTTLS now\r\n'), {text: 's1 BAD Error in IMAP command STARTTLS: Unexpected arguments.\r\n', then: 'none'});
	assert.deepEqual(say(plain, 's2 STARTTLS\r\n'), {text: 's2 OK Begin TLS negotiation now.\r\n', then: 'starttls'});
	const imap = loggedIn();
	assert.match(say(imap, 'b SELECT INBOX\r\n').text, /\r\nb OK /);
	assert.equal(say(imap, 'f1 FETCH 1 BODY.PEEK[]<4294967296>\r\n').text, 'f1 BAD Error in IMAP command FETCH: Invalid partial.\r\n');
	assert.equal(say(imap, 'f2 FETCH 1 BODY.PEEK[]<0.4294967296>\r\n').text, 'f2 BAD Error in IMAP command FETCH: Invalid partial.\r\n');
	assert.equal(say(imap, 'f3 FETCH 1 BODY.PEEK[]<0.0>\r\n').text, 'f3 BAD Error in IMAP command FETCH: Invalid partial.\r\n');
	assert.match(say(imap, 'f4 FETCH 1 BODY.PEEK[]<4294967295.1>\r\n').text, /^\* 1 FETCH \(BODY\[\]<4294967295> \{0\}\r\n\)\r\nf4 OK /);
});

test('ENVELOPE: a bare CR inside Subject stays in it (sent as a literal), and never starts a field of its own', () => {
	const raw = Buffer.from('Subject: cr\rin\rsubject\r\nX-Note: a\rFrom: spoof@evil.test\r\nFrom: a@lab.test\r\n\r\nbody\r\n', 'latin1');
	assert.equal(envelope(raw).toString('latin1'), '(NIL {13}\r\ncr\rin\rsubject ((NIL NIL "a" "lab.test")) ((NIL NIL "a" "lab.test")) ((NIL NIL "a" "lab.test")) NIL NIL NIL NIL NIL)');
});
