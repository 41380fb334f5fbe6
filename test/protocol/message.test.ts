import {test} from 'node:test';
import assert from 'node:assert/strict';
import {LocalInputError} from '../../source/protocol/errors.js';
import {simpleParser} from 'mailparser';
import {buildMessage, decodeTextBody, dotStuff, encodeData, formatRfc5322Date, isAscii, normalizeCrlf} from '../../source/protocol/message.js';

test('normalizeCrlf turns bare CR and bare LF into CRLF and keeps CRLF', () => {
	assert.equal(normalizeCrlf('a\nb\rc\r\nd'), 'a\r\nb\r\nc\r\nd');
	assert.equal(normalizeCrlf('\n\n'), '\r\n\r\n');
	assert.equal(normalizeCrlf('\r\r\n'), '\r\n\r\n');
	// The SMTP smuggling shape: a bare-LF "end of data" must not survive.
	assert.equal(normalizeCrlf('x\n.\nMAIL FROM:<evil@x>\n'), 'x\r\n.\r\nMAIL FROM:<evil@x>\r\n');
});

test('dotStuff doubles a leading dot on every line', () => {
	assert.equal(dotStuff('.'), '..');
	assert.equal(dotStuff('.\r\n'), '..\r\n');
	assert.equal(dotStuff('a\r\n.\r\nb'), 'a\r\n..\r\nb');
	assert.equal(dotStuff('..x'), '...x');
	assert.equal(dotStuff('a\r\n..x\r\n'), 'a\r\n...x\r\n');
	assert.equal(dotStuff('a.b\r\n x.'), 'a.b\r\n x.');
});

test('encodeData: normalized, stuffed, ends in CRLF, then the end marker', () => {
	assert.equal(encodeData('hello'), 'hello\r\n.\r\n');
	assert.equal(encodeData('hello\r\n'), 'hello\r\n.\r\n');
	assert.equal(encodeData('.\nfirst line was a dot'), '..\r\nfirst line was a dot\r\n.\r\n');
	assert.equal(encodeData('a\n.\nb'), 'a\r\n..\r\nb\r\n.\r\n');
	assert.equal(encodeData('a\n..x'), 'a\r\n...x\r\n.\r\n');
	assert.equal(encodeData(''), '.\r\n');
	// A smuggling attempt with bare LF stays inside the message.
	const encoded = encodeData('x\n.\nRSET\n');
	assert.equal(encoded, 'x\r\n..\r\nRSET\r\n.\r\n');
	assert.equal(encoded.indexOf('\r\n.\r\n'), encoded.length - 5);
});

test('encoded data contains no bare CR or LF', () => {
	const encoded = encodeData('a\rb\nc\r\r\n\n.\r.');
	assert.equal(encoded.replace(/\r\n/g, '').includes('\r'), false);
	assert.equal(encoded.replace(/\r\n/g, '').includes('\n'), false);
});

test('RFC 5322 date', () => {
	assert.equal(formatRfc5322Date(new Date(Date.UTC(2003, 6, 1, 8, 52, 37))), 'Tue, 1 Jul 2003 08:52:37 +0000');
	assert.equal(formatRfc5322Date(new Date(Date.UTC(2024, 11, 31, 23, 5, 9))), 'Tue, 31 Dec 2024 23:05:09 +0000');
});

test('buildMessage: headers, defaults, CRLF', () => {
	const message = buildMessage({
		from: 'alice@example.com',
		to: ['bob@example.net', 'carol@example.org'],
		date: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
		messageId: '<fixed@example.com>',
		headers: ['X-Test: yes'],
		body: 'line one\nline two',
	});
	assert.equal(
		message,
		[
			'Date: Tue, 2 Jan 2024 03:04:05 +0000',
			'From: alice@example.com',
			'To: bob@example.net, carol@example.org',
			'Subject: smtp-tui test message',
			'Message-ID: <fixed@example.com>',
			'X-Test: yes',
			'',
			'line one',
			'line two',
			'',
		].join('\r\n'),
	);
});

test('buildMessage: generated Message-ID uses the sender domain and is unique', () => {
	const first = buildMessage({from: 'Alice <alice@mail.example>', to: ['b@x']});
	const second = buildMessage({from: 'Alice <alice@mail.example>', to: ['b@x']});
	const id = (text: string) => /^Message-ID: (<[^>]+>)$/m.exec(text)?.[1];
	assert.match(id(first) ?? '', /^<[\w.]+@mail\.example>$/);
	assert.notEqual(id(first), id(second));
	assert.match(first, /^Date: \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\n/);
	assert.equal(first.replace(/\r\n/g, '').includes('\n'), false);
});

test('buildMessage: MIME headers only for a non-ASCII body; 8bit where the server takes it, else quoted-printable', () => {
	const ascii = buildMessage({from: 'a@x', to: ['b@y'], body: 'plain'});
	assert.equal(ascii.includes('Content-Type'), false);
	assert.equal(ascii.includes('MIME-Version'), false);
	const eight = buildMessage({from: 'a@x', to: ['b@y'], subject: 'Grüße', body: 'Grüße ✓', eightBit: true});
	assert.match(eight, /\r\nMIME-Version: 1\.0\r\nContent-Type: text\/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n/);
	assert.match(eight, /\r\nSubject: =\?UTF-8\?Q\?Gr=C3=BC=C3=9Fe\?=\r\n/);
	assert.ok(eight.endsWith('\r\n\r\nGrüße ✓\r\n'));
	const seven = buildMessage({from: 'a@x', to: ['b@y'], body: 'Grüße ✓'});
	assert.match(seven, /\r\nContent-Transfer-Encoding: quoted-printable\r\n/);
	assert.ok(seven.endsWith('\r\n\r\nGr=C3=BC=C3=9Fe =E2=9C=93\r\n'), seven);
	assert.ok(isAscii(seven), 'without 8BITMIME the message is 7-bit');
});

const longSubject = 'Grüße aus Köln — ein sehr langer Betreff, der über fünfundsiebzig Zeichen hinausgeht ✓ und noch weiter';

test('buildMessage: encoded-words of at most 75 characters, header lines folded, display names encoded', () => {
	const message = buildMessage({from: 'José Núñez <jose@example.org>', to: ['Zoë <zoe@example.net>', 'bob@example.net'], subject: longSubject, headers: ['X-Note: café crème'], body: 'x'});
	const head = message.split('\r\n\r\n')[0]!;
	for (const word of head.match(/=\?[^?]+\?[QB]\?[^?]*\?=/g) ?? []) assert.ok(word.length <= 75, `encoded-word of ${word.length}: ${word}`);
	for (const line of head.split('\r\n')) assert.ok(line.length <= 78, `header line of ${line.length}: ${line}`);
	assert.match(head, /^Subject: =\?UTF-8\?Q\?.+\?=\r\n =\?UTF-8\?Q\?/m);
	assert.match(head, /^From: =\?UTF-8\?Q\?Jos=C3=A9_N=C3=BA=C3=B1ez\?= <jose@example\.org>$/m);
	assert.match(head, /^To: =\?UTF-8\?Q\?Zo=C3=AB\?= <zoe@example\.net>, bob@example\.net$/m);
	assert.match(head, /^X-Note: =\?UTF-8\?Q\?caf=C3=A9_cr=C3=A8me\?=$/m);
	assert.ok(isAscii(head));
});

test('buildMessage: a real parser (mailparser) reads back the subject, names and body exactly', async () => {
	for (const eightBit of [false, true]) {
		const body = 'Grüße ✓\r\nzweite Zeile — 日本語\r\n' + 'ä'.repeat(400) + '\r\n';
		const parsed = await simpleParser(buildMessage({from: 'José Núñez <jose@example.org>', to: ['bob@example.net'], subject: longSubject, body, eightBit}));
		assert.equal(parsed.subject, longSubject);
		assert.equal(parsed.from?.value[0]?.name, 'José Núñez');
		assert.equal(parsed.text, body.replace(/\r\n/g, '\n'));
	}
});

test('buildMessage: a line over 998 characters goes quoted-printable even when it is ASCII', () => {
	const message = buildMessage({from: 'a@x', to: ['b@y'], body: 'y'.repeat(2000), eightBit: true});
	assert.match(message, /Content-Transfer-Encoding: quoted-printable/);
	for (const line of message.split('\r\n')) assert.ok(line.length <= 998);
});

test('buildMessage: bytes that are not UTF-8 are attached base64 and come back byte for byte, no U+FFFD', async () => {
	const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe, 0x2e, 0x0d, 0x0a, 0x2e, 0x80]);
	assert.equal(decodeTextBody(bytes), undefined);
	assert.equal(decodeTextBody(new TextEncoder().encode('Grüße')), 'Grüße');
	const message = buildMessage({from: 'a@x', to: ['b@y'], body: bytes, bodyName: 'logo.png'});
	assert.ok(isAscii(message));
	assert.ok(!message.includes('\uFFFD'));
	assert.match(message, /Content-Type: application\/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="logo\.png"/);
	const parsed = await simpleParser(message);
	assert.deepEqual(new Uint8Array(parsed.attachments[0]!.content), bytes);
});

test('buildMessage: CR/LF in header values and malformed extra headers are refused', () => {
	assert.throws(() => buildMessage({from: 'a@x', to: ['b@y'], subject: 'hi\r\nBcc: c@z'}), LocalInputError);
	assert.throws(() => buildMessage({from: 'a@x\nBcc: c@z', to: ['b@y']}), LocalInputError);
	assert.throws(() => buildMessage({from: 'a@x', to: ['b@y\r']}), LocalInputError);
	assert.throws(() => buildMessage({from: 'a@x', to: ['b@y'], headers: ['X-A: 1\r\nX-B: 2']}), LocalInputError);
	assert.throws(() => buildMessage({from: 'a@x', to: ['b@y'], headers: ['no colon here']}), /Name: value/);
});

test('buildMessage: a --header From/To/Reply-To replaces the default field; display names round-trip through mailparser', async () => {
	const raw = buildMessage({
		from: 'a@client.example',
		to: ['b@mx.test'],
		headers: ['From: "Zoë, the Ünicode one" <u@x.example>', 'to: "Smith, John" <john@mx.test>, plain@mx.test', 'Reply-To: Ünï <reply@x.example>'],
	});
	const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
	assert.equal(head.match(/^From:/gim)?.length, 1, head);
	assert.equal(head.match(/^To:/gim)?.length, 1, head);
	assert.equal(head.match(/^Reply-To:/gim)?.length, 1, head);
	// RFC 2047 §5: no encoded-word inside a quoted string.
	assert.doesNotMatch(head, /"[^"\r\n]*=\?/, head);
	assert.ok(isAscii(head), head);
	const parsed = await simpleParser(raw);
	assert.deepEqual(parsed.from?.value, [{name: 'Zoë, the Ünicode one', address: 'u@x.example'}]);
	const to = Array.isArray(parsed.to) ? parsed.to : [parsed.to];
	assert.deepEqual(to.flatMap(field => field?.value ?? []), [{name: 'Smith, John', address: 'john@mx.test'}, {name: '', address: 'plain@mx.test'}]);
	assert.deepEqual(parsed.replyTo?.value, [{name: 'Ünï', address: 'reply@x.example'}]);
});

test('buildMessage: a quoted non-ASCII display name in --from is encoded as a phrase, the address outside it', async () => {
	const raw = buildMessage({from: '"Zoë, the Ünicode one" <u@x.example>', to: ['b@mx.test']});
	const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
	assert.doesNotMatch(head, /"[^"\r\n]*=\?/, head);
	assert.match(head, /^From: =\?UTF-8\?Q\?[^\r\n]*\?= <u@x\.example>$/m);
	const parsed = await simpleParser(raw);
	assert.deepEqual(parsed.from?.value, [{name: 'Zoë, the Ünicode one', address: 'u@x.example'}]);
});
