// The inbox's view of a captured message: MIME parsed, and every string terminal-safe.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {stripVTControlCharacters} from 'node:util';
import React from 'react';
import {render} from 'ink-testing-library';
import type {CapturedMessage} from '../../source/lab/index.js';
import {decodeBytes, messageViewLines, parseCapturedMessage, rawLine, rawLineStarts, wrap} from '../../source/ui/inbox-model.js';
import {InboxScreen} from '../../source/ui/inbox-screen.js';
import {inboxIndex, inboxReducer, initialInboxState} from '../../source/ui/inbox-state.js';
import {keys} from './keys.js';

function captured(raw: Buffer | string): CapturedMessage {
	return {
		id: 'ABCDEF0123',
		port: 587,
		listenPort: 40_587,
		mailFrom: 'alice@lab.test',
		rcptTo: ['bob@lab.test'],
		tls: true,
		user: 'alice',
		receivedAt: new Date('2024-05-01T10:00:00Z'),
		raw: typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw,
	};
}

const multipart = [
	'From: "Alice Liddell" <alice@lab.test>',
	'To: Bob <bob@lab.test>, carol@lab.test',
	`Subject: =?UTF-8?B?${Buffer.from('Grüße, report attached').toString('base64')}?=`,
	'Date: Wed, 1 May 2024 10:00:00 +0000',
	'Message-ID: <m1@lab.test>',
	'X-Long: first part',
	'\tcontinued',
	'MIME-Version: 1.0',
	'Content-Type: multipart/mixed; boundary="b1"',
	'',
	'This is a multi-part message in MIME format.',
	'--b1',
	'Content-Type: text/plain; charset=utf-8',
	'Content-Transfer-Encoding: quoted-printable',
	'',
	'Hello Bob,=0D=0Athe report is attached.',
	'--b1',
	'Content-Type: application/pdf; name="report.pdf"',
	'Content-Disposition: attachment; filename="report.pdf"',
	'Content-Transfer-Encoding: base64',
	'',
	Buffer.from('%PDF-1.4 twelve').toString('base64'),
	'--b1',
	'Content-Type: image/png',
	'Content-Disposition: attachment',
	'Content-Transfer-Encoding: base64',
	'',
	Buffer.from([0x89, 0x50, 0x4e, 0x47]).toString('base64'),
	'--b1--',
	'',
].join('\r\n');

test('a multipart message: addresses, decoded subject, headers in order, body, attachments', async () => {
	const message = await parseCapturedMessage(captured(multipart));
	assert.equal(message.problem, undefined);
	assert.equal(message.from, '"Alice Liddell" <alice@lab.test>');
	assert.equal(message.to, '"Bob" <bob@lab.test>, carol@lab.test');
	assert.equal(message.subject, 'Grüße, report attached');
	assert.equal(message.date, 'Wed, 1 May 2024 10:00:00 +0000');
	assert.deepEqual(message.headers.map(([name]) => name), ['From', 'To', 'Subject', 'Date', 'Message-ID', 'X-Long', 'MIME-Version', 'Content-Type']);
	assert.deepEqual(message.headers[2], ['Subject', 'Grüße, report attached'], 'encoded words decoded');
	assert.deepEqual(message.headers[5], ['X-Long', 'first part continued'], 'folded lines unfolded');
	assert.deepEqual(message.headers[7], ['Content-Type', 'multipart/mixed; boundary="b1"'], 'as sent otherwise');
	assert.deepEqual(message.text, ['Hello Bob,', 'the report is attached.']);
	assert.deepEqual(message.parts, [
		{filename: 'report.pdf', contentType: 'application/pdf', size: 15},
		{contentType: 'image/png', size: 4},
	]);

	const lines = messageViewLines(captured(multipart), message, 60).map(line => line.text);
	assert.ok(lines.includes('  report.pdf  application/pdf  15 B'), lines.join('\n'));
	assert.ok(lines.includes('Hello Bob,'));
	assert.ok(lines.every(line => [...line].length <= 60), 'every line fits the width');
	const wide = messageViewLines(captured(multipart), message, 120).map(line => line.text);
	assert.ok(wide.some(line => line.includes('port 587 (listening on 40587) · TLS 🔒 · logged in as alice')), wide.join('\n'));
});

test('hostile headers and body reach the model escaped: ESC, OSC 52, CSI, bidi overrides, C1', async () => {
	const evilSubject = `hi \u001B]52;c;aGVsbG8=\u0007 \u202Eevil`;
	const raw = Buffer.concat([
		Buffer.from([
			`From: =?UTF-8?B?${Buffer.from('Mal\u001B[2Jlory \u202Egnp.exe').toString('base64')}?= <mallory@evil.test>`,
			`Subject: =?UTF-8?B?${Buffer.from(evilSubject).toString('base64')}?=`,
			'X-Evil: a\u001B[31mred\u009B31m',
			'Content-Type: text/plain; charset=utf-8',
			'',
			'body \u001B]8;;http://evil.test\u0007link\u001B]8;;\u0007 \u202Ereversed \u009B2J',
			'',
		].join('\r\n'), 'utf8'),
		// A lone 0x9B byte (one-byte CSI in 8-bit terminals), not valid UTF-8.
		Buffer.from([0x9b, 0x33, 0x31, 0x6d, 0x0d, 0x0a]),
	]);
	const message = await parseCapturedMessage(captured(raw));
	const everything = [message.from, message.to, message.subject, message.date, ...message.headers.flat(), ...message.text, ...message.parts.flatMap(p => [p.filename ?? '', p.contentType])];
	for (const text of everything) {
		assert.ok(!/[\u0000-\u0008\u000A-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/.test(text), `escaped: ${JSON.stringify(text)}`);
	}

	assert.equal(message.subject, 'hi \\x1b]52;c;aGVsbG8=\\x07 \\u202eevil');
	assert.equal(message.from, '"Mal\\x1b[2Jlory \\u202egnp.exe" <mallory@evil.test>');
	assert.deepEqual(message.headers.find(([name]) => name === 'X-Evil'), ['X-Evil', 'a\\x1b[31mred\\x9b31m']);
	assert.equal(message.text[0], 'body \\x1b]8;;http://evil.test\\x07link\\x1b]8;;\\x07 \\u202ereversed \\x9b2J');

	// The raw view: every line escaped, the lone 0x9B byte shown as \x9b (not U+FFFD).
	const starts = rawLineStarts(captured(raw).raw);
	const rawLines = starts.map((_, index) => rawLine(captured(raw).raw, starts, index));
	assert.equal(rawLines.length, 7);
	assert.equal(rawLines[2], 'X-Evil: a\\x1b[31mred\\x9b31m');
	assert.equal(rawLines[6], '\\x9b31m');
	assert.ok(rawLines.every(line => !/[\u0000-\u0008\u000A-\u001F\u007F-\u009F]/.test(line)));
});

test('raw UTF-8 in headers (RFC 6532) reads as UTF-8, not as Latin-1', async () => {
	const message = await parseCapturedMessage(captured('From: Jürgen <j@lab.test>\r\nX-Note: Grüße\r\nSubject: Grüße\r\n\r\nbody\r\n'));
	assert.equal(message.from, '"Jürgen" <j@lab.test>');
	assert.equal(message.subject, 'Grüße');
	assert.deepEqual(message.headers[1], ['X-Note', 'Grüße']);
});

test('a message that is not MIME at all still opens, with its envelope', async () => {
	const message = await parseCapturedMessage(captured('just some words\r\nno headers here\r\n'));
	assert.equal(message.from, 'alice@lab.test', 'the envelope stands in for a missing From');
	assert.equal(message.to, 'bob@lab.test');
	assert.equal(message.subject, '');
});

test('decodeBytes keeps UTF-8 and shows every other byte as \\xNN', () => {
	assert.equal(decodeBytes(Buffer.from('Grüße ✓', 'utf8')), 'Grüße ✓');
	assert.equal(decodeBytes(Buffer.from([0x61, 0xff, 0xc3, 0xbc, 0xc3])), 'a\\xffü\\xc3');
});

test('raw lines: CRLF dropped, tabs expanded, lines windowed by offsets', () => {
	const raw = Buffer.from('A: 1\r\nB:\tx\r\n\r\nbody\r\n');
	const starts = rawLineStarts(raw);
	assert.deepEqual(starts, [0, 6, 12, 14]);
	assert.deepEqual(starts.map((_, i) => rawLine(raw, starts, i)), ['A: 1', 'B:      x', '', 'body']);
	assert.equal(rawLine(raw, starts, 99), '');
});

test('wrap cuts by code point', () => {
	assert.deepEqual(wrap('abcdefg', 3), ['abc', 'def', 'g']);
	assert.deepEqual(wrap('äöü', 2), ['äö', 'ü']);
	assert.deepEqual(wrap('short', 10), ['short']);
});

test('inbox state: newest first, the selection stays on its message as new ones arrive', () => {
	let state = inboxReducer({...initialInboxState, height: 3}, {type: 'count', count: 2});
	assert.equal(state.cursor, 0);
	assert.equal(inboxIndex(state, state.cursor), 1, 'row 0 is the newest (last in the inbox)');
	state = inboxReducer(state, {type: 'move', delta: 1});
	assert.equal(inboxIndex(state, state.cursor), 0);
	state = inboxReducer(state, {type: 'open'});
	assert.equal(state.mode, 'message');
	state = inboxReducer(state, {type: 'count', count: 5});
	assert.equal(inboxIndex(state, state.cursor), 0, 'the open message is still the same one');
	state = inboxReducer(state, {type: 'lines', lines: 10});
	state = inboxReducer(state, {type: 'page', direction: 1});
	assert.equal(state.scroll, 2);
	state = inboxReducer(state, {type: 'end'});
	assert.equal(state.scroll, 7, 'scrolls no further than the last screenful');
	state = inboxReducer(state, {type: 'toggle-raw'});
	assert.equal(state.mode, 'raw');
	assert.equal(state.scroll, 0);
	state = inboxReducer(state, {type: 'back'});
	assert.equal(state.mode, 'message');
	state = inboxReducer(state, {type: 'back'});
	assert.equal(state.mode, 'list');
	state = inboxReducer(state, {type: 'move', delta: -9});
	assert.equal(state.cursor, 0);
	assert.equal(state.top, 0);
	state = inboxReducer(state, {type: 'end'});
	assert.equal(state.cursor, 4);
	assert.equal(state.top, 2, 'the list scrolls to keep the cursor in view');
});

test('the inbox screen updates live, newest first, and keeps the selection on its message', async () => {
	const inbox: CapturedMessage[] = [];
	const listeners = new Set<(message: CapturedMessage) => void>();
	const lab = {
		inbox,
		onMessage(listener: (message: CapturedMessage) => void) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
	};
	const arrive = (subject: string, id: string) => {
		const message = {...captured(`Subject: ${subject}\r\nFrom: alice@lab.test\r\n\r\nbody of ${subject}\r\n`), id};
		inbox.push(message);
		for (const listener of listeners) listener(message);
	};

	const instance = render(React.createElement(InboxScreen, {lab, columns: 100, rows: 24, onBack() {}, onQuit() {}}));
	const frame = () => stripVTControlCharacters(instance.lastFrame() ?? '');
	const waitFor = async (wanted: RegExp) => {
		for (let i = 0; i < 200 && !wanted.test(frame()); i++) await new Promise(resolve => setTimeout(resolve, 20));
		assert.match(frame(), wanted);
		await new Promise(resolve => setTimeout(resolve, 50));
	};

	try {
		await waitFor(/No messages yet/);
		arrive('first message', 'AAAAAAAAA1');
		await waitFor(/❯ 587 .*first message/);
		arrive('second message', 'AAAAAAAAA2');
		await waitFor(/second message[\s\S]*❯ 587 .*first message/);
		assert.match(frame(), /2 messages/);
		instance.stdin.write(keys.enter);
		await waitFor(/body of first message/);
		arrive('third message', 'AAAAAAAAA3');
		await waitFor(/message 1 of 3|3 messages/);
		assert.match(frame(), /body of first message/, 'the open message does not change as others arrive');
	} finally {
		instance.unmount();
	}
});
