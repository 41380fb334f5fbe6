// The SMTP client conversation with no network at all (h11's test_io style): a scripted peer
// answers each line the conversation sends, its bytes fed whole or one byte at a time, and the
// exact client bytes are compared whole (Go's net/smtp TestBasic). Deterministic: no socket,
// no timer, no sleep.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {Buffer} from 'node:buffer';
import {SessionFailure} from '../../source/protocol/failure.js';
import {SmtpClientConversation, type EntryDraft, type SmtpClientOptions, type StepOutcome} from '../../source/protocol/smtp-client.js';
import type {TlsFacts} from '../../source/protocol/transcript.js';

const facts: TlsFacts = {protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', authorized: true, subjectAltNames: []};

/** A server script: what it says for each line it receives (undefined: nothing, e.g. a body line). */
type Script = {banner: string; answer: (line: string, state: {inData: boolean}) => string | undefined};

type Split = 'whole' | 'bytes';

class Harness {
	readonly wire: Buffer[] = [];
	readonly entries: EntryDraft[] = [];
	closed = false;
	tlsStarts = 0;
	private pending: Buffer[] = [];
	private inData = false;
	private partial = '';

	constructor(readonly conversation: SmtpClientConversation, private readonly script: Script, private readonly split: Split = 'whole') {}

	/** Everything the client sent, as one text. */
	get sent(): string {
		return Buffer.concat(this.wire).toString('latin1');
	}

	step(override?: string): StepOutcome {
		this.conversation.step(override);
		return this.drive();
	}

	manual(line: string): StepOutcome {
		this.conversation.manual(line);
		return this.drive();
	}

	run(): void {
		for (let i = 0; i < 50 && !this.conversation.done; i++) this.step();
		assert.ok(this.conversation.done, 'the plan ends');
	}

	/** Bytes the server sends without being asked. */
	say(text: string): void {
		this.pending.push(Buffer.from(text, 'latin1'));
	}

	private feed(bytes: Buffer): void {
		if (this.split === 'whole') this.conversation.receiveData(bytes);
		else for (const byte of bytes) this.conversation.receiveData(Uint8Array.of(byte));
	}

	private received(data: Buffer): void {
		this.wire.push(data);
		this.partial += data.toString('latin1');
		for (let at = this.partial.indexOf('\r\n'); at !== -1; at = this.partial.indexOf('\r\n')) {
			const line = this.partial.slice(0, at);
			this.partial = this.partial.slice(at + 2);
			const state = {inData: this.inData};
			const answer = this.script.answer(line, state);
			this.inData = state.inData;
			if (answer !== undefined) this.say(answer);
		}
	}

	private drive(): StepOutcome {
		for (let guard = 0; guard < 10_000; guard++) {
			const event = this.conversation.nextEvent();
			switch (event.type) {
				case 'entry':
					this.entries.push(event.entry);
					break;
				case 'reply':
					break;
				case 'connect':
					this.say(this.script.banner);
					this.conversation.connected(event.implicitTls ? facts : undefined);
					break;
				case 'send':
					this.received(event.data);
					break;
				case 'need-data': {
					const bytes = this.pending.shift();
					assert.ok(bytes, `the conversation waits for ${event.waitingFor}, but the script has nothing to say`);
					this.feed(bytes);
					break;
				}

				case 'start-tls':
					this.tlsStarts++;
					this.conversation.tlsStarted(facts);
					for (const bytes of this.pending.splice(0)) this.feed(bytes); // in cleartext: injected
					break;
				case 'close':
					this.closed = true;
					break;
				case 'step-done':
					return event.outcome;
				case 'idle':
					assert.fail('idle in the middle of a step');
			}
		}

		assert.fail('the step never ended');
	}
}

function options(over: Partial<SmtpClientOptions> = {}): SmtpClientOptions {
	return {
		target: 'mx.test:587',
		tls: 'starttls',
		insecureTls: false,
		ehlo: 'client.example',
		from: 'alice@client.example',
		to: ['bob@mx.test', 'carol@mx.test'],
		date: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
		messageId: '<fixed@client.example>',
		subject: 'hello',
		body: 'line one\n.leading dot\nlast',
		...over,
	};
}

/** A polite submission server: STARTTLS, then AUTH PLAIN/LOGIN, then mail. */
const submission: Script = {
	banner: '220-mx.test ESMTP\r\n220 second banner line\r\n',
	answer(line, state) {
		if (state.inData) {
			if (line !== '.') return undefined;
			state.inData = false;
			return '250 2.0.0 queued as 1\r\n';
		}

		const verb = line.split(' ')[0]!.toUpperCase();
		switch (verb) {
			case 'EHLO':
				return '250-mx.test\r\n250-STARTTLS\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN\r\n';
			case 'STARTTLS':
				return '220 2.0.0 go ahead\r\n';
			case 'AUTH':
				return line === 'AUTH LOGIN' ? '334 VXNlcm5hbWU6\r\n' : '235 2.7.0 ok\r\n';
			case 'DATA':
				state.inData = true;
				return '354 go ahead\r\n';
			case 'QUIT':
				return '221 2.0.0 bye\r\n';
			default:
				// LOGIN's answers: the user name, then the password.
				if (line === Buffer.from('alice').toString('base64')) return '334 UGFzc3dvcmQ6\r\n';
				if (line === Buffer.from('s3cret-horse').toString('base64')) return '235 2.7.0 ok\r\n';
				return '250 ok\r\n';
		}
	},
};

const expectedWire = [
	'EHLO client.example',
	'STARTTLS',
	'EHLO client.example',
	`AUTH PLAIN ${Buffer.from('\0alice\0s3cret-horse').toString('base64')}`,
	'MAIL FROM:<alice@client.example>',
	'RCPT TO:<bob@mx.test>',
	'RCPT TO:<carol@mx.test>',
	'DATA',
	'Date: Fri, 2 Jan 2026 03:04:05 +0000',
	'From: alice@client.example',
	'To: bob@mx.test, carol@mx.test',
	'Subject: hello',
	'Message-ID: <fixed@client.example>',
	'',
	'line one',
	'..leading dot',
	'last',
	'.',
	'QUIT',
	'',
].join('\r\n');

test('a submission plan: the exact client bytes, whole and byte by byte, and the same transcript', () => {
	const transcripts: string[][] = [];
	for (const split of ['whole', 'bytes'] as const) {
		const h = new Harness(new SmtpClientConversation(options({credentials: {user: 'alice', password: 's3cret-horse'}})), submission, split);
		h.run();
		assert.equal(h.sent, expectedWire);
		assert.equal(h.conversation.firstFailure, undefined);
		assert.equal(h.tlsStarts, 1);
		assert.ok(h.closed, 'QUIT closes the connection');
		assert.equal(h.conversation.stepNumber, 11);
		transcripts.push(h.entries.map(e => `${e.direction} ${e.tls ? 'tls' : 'clear'} ${e.code ?? ''} ${e.text}`));
	}

	assert.deepEqual(transcripts[1], transcripts[0]);
	const shown = transcripts[0]!.join('\n');
	assert.ok(!shown.includes('s3cret-horse') && !shown.includes(Buffer.from('\0alice\0s3cret-horse').toString('base64')), 'the password never shows');
	assert.ok(transcripts[0]!.includes('server clear 220 220 second banner line'), 'a multi-line banner is one reply of two lines');
	assert.ok(transcripts[0]!.includes('client tls  ..leading dot'), 'body lines are shown dot-stuffed, inside TLS');
});

test('multi-line EHLO: the capabilities are learnt, and forgotten after STARTTLS', () => {
	const h = new Harness(new SmtpClientConversation(options()), submission);
	h.step(); // connect
	h.step(); // EHLO
	assert.deepEqual(h.conversation.state.capabilities?.auth, ['PLAIN', 'LOGIN']);
	assert.equal(h.conversation.next().kind, 'starttls');
	h.step();
	assert.equal(h.conversation.state.tls, true);
	assert.equal(h.conversation.state.capabilities, undefined);
	assert.equal(h.conversation.next().kind, 'ehlo');
});

test('STARTTLS response injection: bytes after the 220 are discarded and flagged, never parsed as replies', () => {
	const injecting: Script = {
		banner: '220 mx.test\r\n',
		answer: line => line.startsWith('EHLO') ? '250-mx.test\r\n250 STARTTLS\r\n' : line === 'STARTTLS' ? '220 go ahead\r\n250-fake\r\n250 AUTH NONE\r\n' : '250 ok\r\n',
	};
	for (const split of ['whole', 'bytes'] as const) {
		const h = new Harness(new SmtpClientConversation(options({to: ['bob@mx.test']})), injecting, split);
		h.step();
		h.step();
		assert.equal(h.step().ok, true);
		const flagged = h.entries.find(e => e.deviation === 'starttls-injection');
		// Whole: the injected lines came in the 220's own packet; byte by byte they came later, in clear.
		assert.ok(flagged, `split ${split}: the injection is flagged`);
		assert.match(flagged.text, /Discarded 25 bytes .*250-fake/);
		h.step(); // EHLO inside TLS: answered by the script, not by the injected lines
		assert.equal(h.sent.split('\r\n').filter(line => line.startsWith('EHLO')).length, 2);
		assert.ok(!h.conversation.state.capabilities?.auth.includes('NONE'), 'injected capabilities were never read');
	}
});

test('AUTH LOGIN: each 334 is answered in turn, and the password is masked in the transcript', () => {
	const h = new Harness(new SmtpClientConversation(options({credentials: {user: 'alice', password: 's3cret-horse'}, mechanism: 'LOGIN'})), submission, 'bytes');
	for (let i = 0; i < 5; i++) h.step();
	assert.equal(h.conversation.state.authenticated, true);
	const lines = h.sent.split('\r\n');
	assert.deepEqual(lines.slice(3, 6), ['AUTH LOGIN', Buffer.from('alice').toString('base64'), Buffer.from('s3cret-horse').toString('base64')]);
	const auth = h.entries.filter(e => e.step === 'auth');
	assert.deepEqual(auth.filter(e => e.direction === 'server').map(e => e.decoded), ['Username:', 'Password:', undefined]);
	assert.ok(auth.some(e => e.direction === 'client' && e.secret && e.text === '********'));
	assert.ok(!JSON.stringify(h.entries).includes(Buffer.from('s3cret-horse').toString('base64')));
});

test('body lines pass the secret gate: the password in clear or base64 is masked, the other lines are kept as they are', () => {
	const password = 's3cret-horse';
	const body = [`my password is ${password}, ok`, `encoded ${Buffer.from(`x${password}y`).toString('base64')} here`, 'Line 2 of a long message body, to make a long transcript.', 'a b cd ef'].join('\n');
	const h = new Harness(new SmtpClientConversation(options({credentials: {user: 'alice', password}, body})), submission);
	let preview: string[] = [];
	for (let i = 0; i < 50 && !h.conversation.done; i++) {
		if (h.conversation.next().kind === 'body') preview = [...h.conversation.peek().lines];
		h.step();
	}

	assert.ok(h.sent.includes(`my password is ${password}, ok`), 'the message itself goes out unchanged');
	const shown = h.entries.filter(e => e.step === 'body' && e.direction === 'client').map(e => e.text);
	assert.deepEqual(preview, shown, 'the Next pane shows the body as the transcript then does, masked the same way');
	assert.ok(shown.includes('my password is ********, ok'), shown.join('\n'));
	assert.ok(shown.includes('encoded ******** here'), shown.join('\n'));
	assert.ok(shown.includes('Line 2 of a long message body, to make a long transcript.'));
	assert.ok(shown.includes('a b cd ef'));
	const all = JSON.stringify(h.entries);
	assert.ok(!all.includes(password) && !all.includes(Buffer.from(password).toString('base64').slice(0, 12)));
});

test('a raw 8-bit message that is not UTF-8 goes out byte for byte, dot-stuffed and CRLF-normalised', () => {
	const raw = Buffer.concat([Buffer.from('Subject: x\r\n\r\n', 'latin1'), Buffer.from([0xe9, 0xff, 0x80, 0x0a, 0x2e, 0xc3, 0x28, 0x0d, 0x0a])]);
	const h = new Harness(new SmtpClientConversation(options({tls: 'none', to: ['bob@mx.test'], rawMessage: raw})), submission);
	h.run();
	const sent = Buffer.concat(h.wire);
	const data = sent.indexOf('DATA\r\n') + 'DATA\r\n'.length;
	const end = sent.indexOf('\r\n.\r\n', data);
	assert.deepEqual(sent.subarray(data, end + 2), Buffer.concat([Buffer.from('Subject: x\r\n\r\n', 'latin1'), Buffer.from([0xe9, 0xff, 0x80, 0x0d, 0x0a, 0x2e, 0x2e, 0xc3, 0x28, 0x0d, 0x0a])]));
	assert.match(h.sent, /MAIL FROM:<alice@client\.example> BODY=8BITMIME\r\n/);
});

test('a line that is not an SMTP reply: a protocol failure, the connection closed, the lines shown', () => {
	const broken: Script = {banner: '220 mx.test\r\n', answer: () => 'HTTP/1.1 400 Bad Request\r\n'};
	const h = new Harness(new SmtpClientConversation(options({tls: 'none'})), broken, 'bytes');
	h.step();
	const outcome = h.step();
	assert.equal(outcome.ok, false);
	assert.equal(outcome.failure?.kind, 'protocol');
	assert.match(outcome.failure!.message, /not an SMTP reply/);
	assert.equal(h.closed, true);
	assert.equal(h.conversation.done, true);
	assert.equal(h.conversation.firstFailure?.step, 'ehlo');
});

test('a mixed-code multi-line reply is refused, with the lines received shown before the error', () => {
	const mixed: Script = {banner: '220 mx.test\r\n', answer: () => '250-mx.test\r\n251 oops\r\n'};
	const h = new Harness(new SmtpClientConversation(options({tls: 'none'})), mixed);
	h.step();
	const outcome = h.step();
	assert.equal(outcome.failure?.kind, 'protocol');
	const server = h.entries.filter(e => e.direction === 'server').map(e => e.text);
	assert.deepEqual(server.slice(-2), ['250-mx.test', '251 oops']);
	assert.equal(h.entries.at(-1)!.direction, 'error');
});

test('manual commands: RSET and NOOP, then DATA typed by hand with its lines after 354', () => {
	const h = new Harness(new SmtpClientConversation(options({tls: 'none', to: ['bob@mx.test']})), submission);
	for (let i = 0; i < 4; i++) h.step(); // connect, EHLO, MAIL, RCPT
	assert.equal(h.manual('RSET').ok, true);
	assert.equal(h.conversation.state.mailDone, false, 'RSET forgets the transaction');
	assert.equal(h.manual('noop').ok, true);
	h.step(); // MAIL again
	h.step(); // RCPT again
	assert.equal(h.manual('DATA').ok, true);
	assert.equal(h.conversation.inMessage, true);
	assert.equal(h.manual('Subject: typed').ok, true);
	assert.equal(h.manual('').ok, true);
	assert.equal(h.manual('.dot first').ok, true);
	assert.equal(h.conversation.peek().lines.join(), '.', 'the body step only ends the typed message');
	assert.equal(h.manual('.').ok, true);
	assert.equal(h.conversation.inMessage, false);
	assert.equal(h.conversation.next().kind, 'quit');
	// Typed message lines go out as typed (the user does the dot-stuffing, as in telnet).
	assert.match(h.sent, /DATA\r\nSubject: typed\r\n\r\n\.dot first\r\n\.\r\n$/);
	const typed = h.entries.filter(e => e.direction === 'client' && e.step === 'body');
	assert.ok(typed[0]!.explain!.length > 0, 'a typed header line is explained');
});

test('step n/m counts the plan\'s steps: DATA, the message and QUIT typed by hand count as theirs, the message\'s lines and NOOP do not, RSET takes the transaction back', () => {
	const h = new Harness(new SmtpClientConversation(options({tls: 'none', to: ['bob@mx.test']})), submission);
	const counter = () => `${h.conversation.stepNumber}/${h.conversation.plannedSteps}`;
	for (let i = 0; i < 4; i++) h.step(); // connect, EHLO, MAIL, RCPT
	assert.equal(counter(), '4/7');
	h.manual('NOOP');
	assert.equal(counter(), '4/7', 'NOOP is no step of the plan');
	h.manual('DATA');
	assert.equal(counter(), '5/7', 'DATA typed by hand is the plan\'s DATA');
	for (const line of ['Subject: typed', '', 'one', 'two']) h.manual(line);
	assert.equal(counter(), '5/7', 'message lines are not steps');
	h.manual('.');
	assert.equal(h.conversation.next().kind, 'quit');
	assert.equal(counter(), '6/7', 'the lone dot ends the plan\'s message step');
	h.manual('RSET');
	assert.equal(h.conversation.next().kind, 'mail');
	assert.equal(counter(), '2/7', 'after RSET, MAIL is step 3 again');
	for (let i = 0; i < 4; i++) h.step(); // MAIL, RCPT, DATA, the message
	assert.equal(counter(), '6/7');
	h.manual('QUIT');
	assert.equal(counter(), '7/7');
});

test('a second message in the same session is byte for byte the first (same Date and Message-ID), though the first is not kept after it is sent', () => {
	// No Message-ID given: the one made for the first message must be the one the second reuses.
	const h = new Harness(new SmtpClientConversation(options({tls: 'none', to: ['bob@mx.test'], messageId: undefined})), submission);
	for (let i = 0; i < 6; i++) h.step(); // connect, EHLO, MAIL, RCPT, DATA, the message
	assert.equal(h.manual('RSET').ok, true);
	for (let i = 0; i < 4; i++) h.step(); // MAIL, RCPT, DATA, the message again
	const messages = h.sent.split('DATA\r\n').slice(1).map(part => part.slice(0, part.indexOf('\r\n.\r\n')));
	assert.equal(messages.length, 2);
	assert.match(messages[0]!, /^Date: Fri, 2 Jan 2026 03:04:05 \+0000\r\n[^]*Message-ID: <[^>]+@client\.example>\r\n[^]*line one\r\n\.\.leading dot\r\nlast$/);
	assert.equal(messages[1], messages[0]);
	const shown = h.entries.filter(e => e.step === 'body' && e.direction === 'client').map(e => e.text);
	assert.deepEqual(shown.slice(shown.length / 2), shown.slice(0, shown.length / 2), 'the second message is shown as the first was');
	assert.equal(shown.filter(text => text === '.').length, 2);
});

test('STARTTLS edited into an invalid command goes out as a manual command and keeps STARTTLS next', () => {
	const h = new Harness(new SmtpClientConversation(options()), {...submission, answer: (line, state) => line === 'STARTTLSX' ? '500 5.5.1 unknown\r\n' : submission.answer(line, state)});
	h.step();
	h.step();
	const outcome = h.step('STARTTLSX');
	assert.equal(outcome.ok, false);
	assert.equal(h.conversation.next().kind, 'starttls');
	assert.ok(h.entries.some(e => e.direction === 'info' && /not STARTTLS, so it goes out as a manual command and STARTTLS is still next/.test(e.text)));
	assert.equal(h.conversation.stepNumber, 2, 'a manual command is not a planned step');
});

test('opportunistic STARTTLS refused with 454: the session goes on in cleartext, saying so', () => {
	const refusing: Script = {...submission, answer: (line, state) => line === 'STARTTLS' ? '454 4.7.0 TLS not available\r\n' : submission.answer(line, state)};
	const h = new Harness(new SmtpClientConversation(options({tls: 'opportunistic', to: ['bob@mx.test']})), refusing);
	h.run();
	assert.equal(h.conversation.firstFailure, undefined);
	assert.equal(h.conversation.state.plaintextFallback, true);
	assert.equal(h.tlsStarts, 0);
	assert.ok(h.entries.some(e => e.deviation === 'plaintext-fallback' && /UNENCRYPTED/.test(e.text)));
	assert.match(h.sent, /\r\n\.\r\nQUIT\r\n$/);
});

test('--quit-after rcpt: QUIT right after the last RCPT, no DATA', () => {
	const h = new Harness(new SmtpClientConversation(options({tls: 'none', quitAfter: 'rcpt'})), submission);
	h.run();
	assert.deepEqual(h.sent.split('\r\n').map(line => line.split(' ')[0]), ['EHLO', 'MAIL', 'RCPT', 'RCPT', 'QUIT', '']);
});

test('a reply sent out of turn is shown before the next command, flagged', () => {
	const h = new Harness(new SmtpClientConversation(options({tls: 'none'})), submission);
	h.step();
	h.say('250 unasked\r\n');
	h.conversation.receiveData(Buffer.from('421 going away\r\n'));
	h.step(); // EHLO
	const texts = h.entries.map(e => e.text);
	const unasked = texts.indexOf('421 going away');
	assert.ok(unasked >= 0 && unasked < texts.indexOf('EHLO client.example'), 'shown before EHLO');
	assert.match(h.entries[unasked]!.deviation ?? '', /before it was asked/);
});

test('a second step while one is in flight is refused, and the first goes on', () => {
	const conversation = new SmtpClientConversation(options({tls: 'none'}));
	conversation.step();
	assert.equal(conversation.nextEvent().type, 'entry');
	assert.equal(conversation.busy, true);
	assert.throws(() => conversation.step(), /already in progress/);
	assert.throws(() => conversation.manual('NOOP'), /already in progress/);
	for (let event = conversation.nextEvent(); ; event = conversation.nextEvent()) {
		if (event.type === 'connect') {
			conversation.connected();
			break;
		}
	}

	conversation.receiveData(Buffer.from('220 hi\r\n'));
	let last = conversation.nextEvent();
	while (last.type !== 'step-done') last = conversation.nextEvent();
	assert.equal(last.outcome.ok, true);
	assert.equal(conversation.busy, false);
});

test('a driver failure (a read deadline) ends the step with its own failure and closes', () => {
	const conversation = new SmtpClientConversation(options({tls: 'none'}));
	conversation.step();
	let event = conversation.nextEvent();
	while (event.type !== 'connect') event = conversation.nextEvent();
	conversation.connected();
	while (event.type !== 'need-data') event = conversation.nextEvent();
	assert.equal(event.banner, true, 'the first read on a plaintext connection is the banner');
	conversation.failed(new SessionFailure('timeout', 'mx.test:587 did not answer with a banner within 2 s.'));
	const kinds: string[] = [];
	for (event = conversation.nextEvent(); event.type !== 'step-done'; event = conversation.nextEvent()) kinds.push(event.type);
	assert.equal(event.outcome.failure?.kind, 'timeout');
	assert.ok(kinds.includes('close'));
	assert.equal(conversation.firstFailure?.kind, 'timeout');
});

test('receiveReply (replies framed by the driver) gives the same transcript as receiveData', async () => {
	const {ReplyParser} = await import('../../source/protocol/reply-parser.js');
	const viaBytes = new Harness(new SmtpClientConversation(options({tls: 'none', to: ['bob@mx.test']})), submission);
	viaBytes.run();
	const conversation = new SmtpClientConversation(options({tls: 'none', to: ['bob@mx.test']}));
	const framed = new Harness(conversation, submission);
	const parser = new ReplyParser();
	conversation.receiveData = (data: Uint8Array) => {
		for (const reply of parser.feed(data)) conversation.receiveReply(reply);
	};

	framed.run();
	assert.equal(framed.sent, viaBytes.sent);
	assert.deepEqual(framed.entries.map(e => e.text), viaBytes.entries.map(e => e.text));
});
