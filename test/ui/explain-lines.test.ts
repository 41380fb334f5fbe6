// What the Explain pane says about a selected transcript line, and that nothing the server
// controls reaches the terminal raw.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {explainCommand, explainMessageLine, explainReplyLines, explainStep} from '../../source/protocol/explain.js';
import type {TlsFacts, TranscriptEntry} from '../../source/protocol/transcript.js';
import {explainEntry, type ExplainLine} from '../../source/ui/explain-lines.js';

function entry(over: Partial<TranscriptEntry>): TranscriptEntry {
	return {seq: 0, direction: 'server', text: '', step: 'connect', stepIndex: 0, at: 0, tls: false, secret: false, ...over};
}

const texts = (lines: ExplainLine[]) => lines.map(line => line.text);

// Anything a terminal would act on: C0 but TAB, DEL, C1 (0x9B is a one-byte CSI).
const rawControl = /[\x00-\x08\x0A-\x1F\x7F-\x9F]/;

function assertNoRawControl(lines: ExplainLine[]): void {
	for (const line of lines) assert.doesNotMatch(line.text, rawControl, `raw control character in ${JSON.stringify(line.text)}`);
}

const facts: TlsFacts = {
	protocol: 'TLSv1.3',
	cipher: 'TLS_AES_256_GCM_SHA384',
	authorized: true,
	subject: 'CN=mx.lab.test',
	issuer: 'CN=smtp-tui lab CA',
	subjectAltNames: ['DNS:mx.lab.test', 'IP Address:127.0.0.1'],
	validFrom: 'Jan  1 00:00:00 2025 GMT',
	validTo: 'Jan  2 00:00:00 2025 GMT',
	servername: 'mx.lab.test',
};

test('no entry selected: a dim hint to press enter', () => {
	assert.deepEqual(explainEntry(undefined, []), [{text: 'Nothing yet. Press enter to connect.', tone: 'dim'}]);
});

test('server 554: the line as heading, then the engine\'s explanation lines in order', () => {
	const explain = explainReplyLines(554, '5.7.1');
	const refused = entry({direction: 'server', step: 'rcpt', text: '554 5.7.1 <someone@example.com>: Relay access denied', code: 554, enhanced: '5.7.1', last: true, explain});
	assert.equal(explain.length, 2, 'the protocol layer explains both the code and the enhanced code');
	assert.deepEqual(explainEntry(refused, [refused]), [
		{text: '554 5.7.1 <someone@example.com>: Relay access denied', tone: 'heading'},
		{text: explain[0]},
		{text: explain[1]},
	]);
});

test('client AUTH with a secret: says it is masked and shows the decoded form with NULs escaped', () => {
	const auth = entry({direction: 'client', step: 'auth', text: 'AUTH PLAIN AGFsaWNlAA********', secret: true, decoded: '\0alice\0********'});
	const lines = explainEntry(auth, [auth]);
	assert.deepEqual(lines[0], {text: 'AUTH PLAIN AGFsaWNlAA********', tone: 'heading'});
	assert.deepEqual(lines[1], {text: 'Secret: masked here, in every export and in saved transcripts.', tone: 'dim'});
	assert.deepEqual(lines[2], {text: 'base64 decoded: "\\x00alice\\x00********"'});
	assertNoRawControl(lines);
});

test('a secret SASL continuation line is not explained as an unknown command', () => {
	const answer = entry({direction: 'client', step: 'auth', text: '********', secret: true, decoded: '********'});
	const lines = texts(explainEntry(answer, [answer]));
	assert.ok(!lines.some(line => line.startsWith('Unrecognised command')), lines.join('\n'));
	assert.ok(lines.includes('base64 decoded: "********"'));
});

test('a plain client command gets the command explanation with its RFC', () => {
	const ehlo = entry({direction: 'client', step: 'ehlo', text: 'EHLO client.example'});
	const command = explainCommand('EHLO');
	assert.deepEqual(explainEntry(ehlo, [ehlo]), [
		{text: 'EHLO client.example', tone: 'heading'},
		{text: `${command.summary} (${command.rfc})`},
	]);
});

test('client STARTTLS gets its step explanation; a message line is read as header or body by what came before it', () => {
	const starttls = entry({direction: 'client', step: 'starttls', text: 'STARTTLS'});
	assert.ok(texts(explainEntry(starttls, [starttls])).includes(explainStep('starttls').summary));
	const transcript = [
		entry({seq: 0, direction: 'client', step: 'data', text: 'DATA'}),
		entry({seq: 1, direction: 'server', step: 'data', text: '354 go ahead', code: 354}),
		entry({seq: 2, direction: 'client', step: 'body', text: 'Subject: hello'}),
		entry({seq: 3, direction: 'client', step: 'body', text: ''}),
		entry({seq: 4, direction: 'client', step: 'body', text: 'Subject: not a header here'}),
		entry({seq: 5, direction: 'client', step: 'body', text: '..dot'}),
		entry({seq: 6, direction: 'client', step: 'body', text: '.'}),
	];
	const reading = (seq: number) => texts(explainEntry(transcript[seq], transcript)).slice(1);
	assert.deepEqual(reading(2), explainMessageLine('Subject: hello', true));
	assert.deepEqual(reading(3), explainMessageLine('', true));
	assert.deepEqual(reading(4), explainMessageLine('Subject: not a header here', false));
	assert.deepEqual(reading(5), explainMessageLine('..dot', false));
	assert.deepEqual(reading(6), explainMessageLine('.', false));
	assert.ok(!reading(2).some(line => line.startsWith('Unrecognised command')), 'a message line is not a command');
	// A line typed by hand carries the engine's reading already: it is not said twice.
	const typed = entry({direction: 'client', step: 'body', text: 'hi', explain: explainMessageLine('hi', false)});
	assert.deepEqual(texts(explainEntry(typed, [typed])).slice(1), explainMessageLine('hi', false));
});

test('a deviation is shown as a warning', () => {
	const bare = entry({direction: 'server', step: 'connect', text: '220 mx ESMTP', deviation: 'The server ended a line with a bare LF instead of CRLF (RFC 5321 §2.3.8).'});
	assert.ok(explainEntry(bare, [bare]).some(line => line.tone === 'warning' && line.text === '⚠ The server ended a line with a bare LF instead of CRLF (RFC 5321 §2.3.8).'));
});

test('EHLO reply inside TLS: the latest "Capabilities changed after TLS" note is added as a heading', () => {
	const older = entry({seq: 3, direction: 'info', step: 'ehlo', text: 'Capabilities changed after TLS: nothing changed.'});
	const reply = entry({seq: 9, direction: 'server', step: 'ehlo', tls: true, text: '250 SMTPUTF8', code: 250, last: true});
	const change = entry({seq: 10, direction: 'info', step: 'ehlo', text: 'Capabilities changed after TLS: AUTH PLAIN LOGIN appeared; STARTTLS went.', tls: true});
	const lines = explainEntry(reply, [older, reply, change]);
	assert.deepEqual(lines.at(-1), {text: 'Capabilities changed after TLS: AUTH PLAIN LOGIN appeared; STARTTLS went.', tone: 'heading'});
	assert.ok(!texts(lines).includes(older.text), 'only the latest note');
});

test('EHLO reply before TLS, or with no note recorded: no capability change line', () => {
	const change = entry({direction: 'info', step: 'ehlo', text: 'Capabilities changed after TLS: AUTH PLAIN appeared.'});
	const plain = entry({direction: 'server', step: 'ehlo', tls: false, text: '250 STARTTLS', code: 250});
	assert.ok(!texts(explainEntry(plain, [plain, change])).some(line => line.startsWith('Capabilities changed')));
	const secure = entry({direction: 'server', step: 'ehlo', tls: true, text: '250 SMTPUTF8', code: 250});
	assert.ok(!texts(explainEntry(secure, [secure])).some(line => line.startsWith('Capabilities changed')));
});

test('TLS facts, verified: version, cipher, certificate names and a check mark', () => {
	const handshake = entry({direction: 'tls', step: 'starttls', text: 'TLS handshake: TLSv1.3', tls: true, tlsFacts: facts});
	assert.deepEqual(explainEntry(handshake, [handshake]).slice(1), [
		{text: 'TLSv1.3 · TLS_AES_256_GCM_SHA384'},
		{text: 'subject CN=mx.lab.test'},
		{text: 'issuer CN=smtp-tui lab CA'},
		{text: 'names DNS:mx.lab.test, IP Address:127.0.0.1'},
		{text: 'valid Jan  1 00:00:00 2025 GMT → Jan  2 00:00:00 2025 GMT'},
		{text: 'verified ✓', tone: undefined},
	]);
});

test('TLS facts, not verified: the reason as a warning; missing fields shown as ? and none', () => {
	const unverified: TlsFacts = {protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256', authorized: false, authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT', subjectAltNames: []};
	const handshake = entry({direction: 'tls', step: 'starttls', text: 'TLS handshake: TLSv1.2', tls: true, tlsFacts: unverified});
	const lines = explainEntry(handshake, [handshake]);
	assert.deepEqual(lines.at(-1), {text: 'NOT verified: DEPTH_ZERO_SELF_SIGNED_CERT', tone: 'warning'});
	const all = texts(lines);
	assert.ok(all.includes('subject ?'));
	assert.ok(all.includes('issuer ?'));
	assert.ok(all.includes('names none'));
	assert.ok(all.includes('valid ? → ?'));
	assert.ok(!all.includes('verified ✓'));
	const noReason = explainEntry(entry({direction: 'tls', tlsFacts: {...unverified, authorizationError: undefined}}), []);
	assert.equal(noReason.at(-1)?.text, 'NOT verified: unknown reason');
});

// ESC [2J clears the screen, OSC 52 writes the clipboard, 0x9B is a one-byte CSI.
const hostile = 'mx \u001B[2J\u001B]52;c;aGVsbG8=\u0007 \u009B31m done';

test('control characters in the entry\'s own fields are escaped in every output line', () => {
	const evil = entry({
		direction: 'server',
		step: 'auth',
		text: `334 ${hostile}`,
		code: 334,
		decoded: hostile,
		deviation: hostile,
		explain: [hostile],
		tlsFacts: {...facts, authorized: false, authorizationError: hostile, subject: hostile, issuer: hostile, subjectAltNames: [`DNS:${hostile}`], validFrom: hostile, validTo: hostile},
	});
	const lines = explainEntry(evil, [evil]);
	assertNoRawControl(lines);
	assert.equal(lines[0]?.text, '334 mx \\x1b[2J\\x1b]52;c;aGVsbG8=\\x07 \\x9b31m done', 'escaped visibly, not dropped');
	assert.ok(texts(lines).some(line => line.includes('\\x9b31m')), 'the one-byte CSI shown as an escape');
});

test('control characters in the "Capabilities changed after TLS" note are escaped too', () => {
	// The engine builds this note from the server's EHLO keywords (upper-cased), so a hostile
	// server controls its text: "250 X\e]52;c;aGk=\a" after STARTTLS gives this entry.
	const reply = entry({direction: 'server', step: 'ehlo', tls: true, text: '250 X\u001B]52;c;aGk=\u0007', code: 250, last: true});
	const change = entry({direction: 'info', step: 'ehlo', tls: true, text: 'Capabilities changed after TLS: X\u001B]52;C;AGK=\u0007 appeared; STARTTLS went.'});
	const lines = explainEntry(reply, [reply, change]);
	assert.ok(texts(lines).some(line => line.startsWith('Capabilities changed after TLS: X')), 'the note is shown');
	assertNoRawControl(lines);
});
