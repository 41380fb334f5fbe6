import {test} from 'node:test';
import assert from 'node:assert/strict';
import {LocalInputError} from '../../source/protocol/errors.js';
import {buildMessage, dotStuff, encodeData, formatRfc5322Date, normalizeCrlf} from '../../source/protocol/message.js';

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

test('buildMessage: MIME headers only for a non-ASCII body; non-ASCII subject is encoded', () => {
	const ascii = buildMessage({from: 'a@x', to: ['b@y'], body: 'plain'});
	assert.equal(ascii.includes('Content-Type'), false);
	assert.equal(ascii.includes('MIME-Version'), false);
	const utf8 = buildMessage({from: 'a@x', to: ['b@y'], subject: 'Grüße', body: 'Grüße ✓'});
	assert.match(utf8, /\r\nMIME-Version: 1\.0\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
	assert.match(utf8, /\r\nSubject: =\?UTF-8\?B\?R3LDvMOfZQ==\?=\r\n/);
	assert.ok(utf8.endsWith('\r\n\r\nGrüße ✓\r\n'));
});

test('buildMessage: CR/LF in header values and malformed extra headers are refused', () => {
	assert.throws(() => buildMessage({from: 'a@x', to: ['b@y'], subject: 'hi\r\nBcc: c@z'}), LocalInputError);
	assert.throws(() => buildMessage({from: 'a@x\nBcc: c@z', to: ['b@y']}), LocalInputError);
	assert.throws(() => buildMessage({from: 'a@x', to: ['b@y\r']}), LocalInputError);
	assert.throws(() => buildMessage({from: 'a@x', to: ['b@y'], headers: ['X-A: 1\r\nX-B: 2']}), LocalInputError);
	assert.throws(() => buildMessage({from: 'a@x', to: ['b@y'], headers: ['no colon here']}), /Name: value/);
});
