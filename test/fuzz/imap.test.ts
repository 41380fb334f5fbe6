// Property-based tests (fast-check) for the IMAP code that reads untrusted bytes: the lab's
// server conversation (a client's commands) and the client conversation (a server's replies).
// Whatever arrives, in whatever pieces: no throw, bounded buffering, the same answer however
// the bytes are split, and nothing sent behind STARTTLS runs after it.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type {LabUser} from '../../source/lab/index.js';
import {Mailboxes} from '../../source/lab/index.js';
import {ImapConversation, defaultImapLimits} from '../../source/lab/imap.js';
import {ImapClientConversation, needData} from '../../source/protocol/imap.js';
import type {ImapEvent} from '../../source/protocol/imap.js';
import {capturedMessage} from '../support/captured.js';
import {fuzzParameters} from '../support/fuzz-seed.js';
import {splitAt} from '../support/split.js';

const users: LabUser[] = [{user: 'bob', password: 'builder', address: 'bob@receiver.test'}];

function mailboxes(): Mailboxes {
	const boxes = new Mailboxes('mx.receiver.test', users);
	boxes.deliver(capturedMessage(['bob@receiver.test'], Buffer.from('Subject: a\r\n\r\nhello\r\n'), {id: 'FUZZ000001'}));
	boxes.deliver(capturedMessage(['bob@receiver.test'], Buffer.from([0x53, 0x3a, 0x20, 0xff, 0x0d, 0x0a, 0x0d, 0x0a, 0xe9, 0x0d, 0x0a]), {id: 'FUZZ000002'}));
	return boxes;
}

const limits = {...defaultImapLimits, maxLineLength: 200, maxLiteralSize: 64, maxBadCommands: 1000};

/** Pieces of IMAP-looking client input, plus noise. */
const commandPiece = fc.oneof(
	fc.constantFrom('a LOGIN bob builder\r\n', 'b SELECT INBOX\r\n', 'c EXAMINE inbox\r\n', 'd FETCH 1:* (FLAGS BODY[] ENVELOPE)\r\n', 'e UID FETCH * (BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n'),
	fc.constantFrom('f STORE 1 +FLAGS (\\Seen)\r\n', 'g UID STORE 1:2 -FLAGS.SILENT (\\Deleted)\r\n', 'h SEARCH UNSEEN\r\n', 'i EXPUNGE\r\n', 'j CLOSE\r\n', 'k NOOP\r\n', 'l LIST "" *\r\n'),
	fc.constantFrom('m AUTHENTICATE PLAIN\r\n', 'AGJvYgBidWlsZGVy\r\n', '*\r\n', 'n STARTTLS\r\n', 'o LOGOUT\r\n', '{5}\r\n', '{3+}\r\n', '{99999}\r\n', '(((', ')))', '"', '\\', '[', '<0.5>'),
	fc.constantFrom('\r\n', '\n', '\r', '\0', ' ', '\x1b[2J', '\u009b', '*', '+', '1:*', '0', '4294967296'),
	fc.uint8Array({maxLength: 16}).map(bytes => Buffer.from(bytes).toString('latin1')),
);
const clientBytes = fc.array(commandPiece, {maxLength: 30}).map(parts => Buffer.from(parts.join(''), 'latin1'));

/** Feeds the pieces until the conversation closes or upgrades; returns all it answered and why it stopped. */
function serve(pieces: Buffer[]): {reply: Buffer; then: string} {
	const imap = new ImapConversation({port: 993, hostname: 'mx.receiver.test', mailboxes: mailboxes(), limits, event() {}}, true);
	const out: Buffer[] = [];
	for (const piece of pieces) {
		const answer = imap.receive(piece);
		out.push(answer.reply);
		if (answer.then !== 'none') return {reply: Buffer.concat(out), then: answer.then};
	}

	return {reply: Buffer.concat(out), then: 'none'};
}

test('the lab\'s IMAP server: any client bytes, any split: no throw, the same answer, every line CRLF-ended', () => {
	fc.assert(
		fc.property(clientBytes, fc.array(fc.nat(), {maxLength: 12}), (bytes, cuts) => {
			const whole = serve([bytes]);
			const split = serve(splitAt(bytes, cuts));
			assert.equal(split.then, whole.then);
			assert.deepEqual(split.reply, whole.reply);
			// Every reply line ends in CRLF (literals carry their own bytes, so check only the end).
			if (whole.reply.length > 0) assert.equal(whole.reply.subarray(-2).toString('latin1'), '\r\n');
		}),
		fuzzParameters(300),
	);
});

test('the lab\'s IMAP server: nothing after STARTTLS in the same bytes is answered', () => {
	fc.assert(
		fc.property(clientBytes, bytes => {
			const imap = new ImapConversation({port: 143, hostname: 'mx.receiver.test', mailboxes: mailboxes(), limits, event() {}}, false);
			const answer = imap.receive(Buffer.concat([Buffer.from('s1 STARTTLS\r\n'), bytes]));
			assert.equal(answer.then, 'starttls');
			assert.equal(answer.reply.toString('latin1'), 's1 OK Begin TLS negotiation now.\r\n');
		}),
		fuzzParameters(200),
	);
});

/** Pieces of IMAP-looking server output, plus noise. */
const responsePiece = fc.oneof(
	fc.constantFrom('* OK ready\r\n', '* CAPABILITY IMAP4rev1\r\n', '* 1 EXISTS\r\n', '* 1 FETCH (FLAGS (\\Seen) BODY[] {5}\r\n', 'hello', ')\r\n', 'A1 OK done\r\n', 'A2 NO [ALERT] no\r\n', '+ go\r\n'),
	fc.constantFrom('* BYE\r\n', 'A9 OK ?\r\n', '{3}\r\n', '{99999999}\r\n', '* 1 FETCH (ENVELOPE (NIL "s" (("n" NIL "m" "h")) NIL NIL NIL NIL NIL NIL NIL))\r\n', '(((', '"', '\\', '[', ']'),
	fc.constantFrom('\r\n', '\n', '\0', ' ', '\x1b[2J', '\u009b', '*', '+'),
	fc.uint8Array({maxLength: 16}).map(bytes => Buffer.from(bytes).toString('latin1')),
);
const serverBytes = fc.array(responsePiece, {maxLength: 30}).map(parts => Buffer.from(parts.join(''), 'latin1'));

/** Feeds the pieces to a client that sent two commands; returns every event until it needs data or is closed. */
function read(pieces: Buffer[]): ImapEvent[] {
	const imap = new ImapClientConversation({maxLineLength: 300, maxLiteralSize: 1000, maxMessageSize: 2000, maxUntagged: 50});
	const events: ImapEvent[] = [];
	let sent = false;
	// An empty buffer would say the server closed: only real pieces are fed.
	for (const piece of pieces.filter(candidate => candidate.length > 0)) {
		imap.receiveData(piece);
		for (let event = imap.nextEvent(); event !== needData; event = imap.nextEvent()) {
			events.push(event);
			if (!sent && imap.state === 'open') {
				sent = true;
				imap.send({name: 'NOOP'});
				imap.send({name: 'LOGIN', args: [{string: 'bob'}, {string: 'b\u00fcilder'}]});
			}
		}

		assert.ok(events.length < 10_000, 'a bounded number of events');
	}

	return events;
}

test('the IMAP client conversation: any server bytes, any split: no throw, the same events', () => {
	fc.assert(
		fc.property(serverBytes, fc.array(fc.nat(), {maxLength: 12}), (bytes, cuts) => {
			const whole = read([bytes]);
			const split = read(splitAt(bytes, cuts));
			assert.deepEqual(split, whole);
			const errors = whole.filter(event => event.type === 'protocol-error');
			assert.ok(errors.length <= 1, 'one protocol error ends the conversation');
			if (errors.length === 1) assert.equal(whole.at(-1)?.type, 'protocol-error');
		}),
		fuzzParameters(300),
	);
});
