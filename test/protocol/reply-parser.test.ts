import {test} from 'node:test';
import assert from 'node:assert/strict';
import {Buffer} from 'node:buffer';
import {RemoteProtocolError} from '../../source/protocol/errors.js';
import {
	defaultParserLimits,
	ReplyParseError,
	ReplyParser,
	type Reply,
} from '../../source/protocol/reply-parser.js';

const ehloBytes = Buffer.from(
	'250-mx.example Hello there\r\n250-SIZE 10240000\r\n250-AUTH PLAIN LOGIN\r\n250 2.0.0 SMTPUTF8\r\n',
);

const ehloReply: Reply = {
	code: 250,
	enhanced: '2.0.0',
	lines: ['mx.example Hello there', 'SIZE 10240000', 'AUTH PLAIN LOGIN', '2.0.0 SMTPUTF8'],
	raw: ['250-mx.example Hello there', '250-SIZE 10240000', '250-AUTH PLAIN LOGIN', '250 2.0.0 SMTPUTF8'],
	bareLf: false,
};

function feedAll(parser: ReplyParser, pieces: Uint8Array[]): Reply[] {
	return pieces.flatMap((piece) => parser.feed(piece));
}

function expectKind(kind: RemoteProtocolError['kind']) {
	return (error: unknown) => {
		assert.ok(error instanceof RemoteProtocolError, 'a RemoteProtocolError');
		assert.equal(error.name, 'RemoteProtocolError');
		assert.equal(error.kind, kind);
		return true;
	};
}

test('defaults are 4096 / 512 / 1 MiB', () => {
	assert.deepEqual(defaultParserLimits, {maxLineLength: 4096, maxLines: 512, maxBuffered: 1_048_576});
});

test('parses a multi-line reply fed whole', () => {
	const parser = new ReplyParser();
	assert.deepEqual(parser.feed(ehloBytes), [ehloReply]);
	assert.equal(parser.buffered, 0);
});

test('parses the same when fed one byte at a time', () => {
	const parser = new ReplyParser();
	const replies: Reply[] = [];
	for (let i = 0; i < ehloBytes.length; i++) {
		const got = parser.feed(ehloBytes.subarray(i, i + 1));
		// Nothing may come out before the very last byte.
		if (i < ehloBytes.length - 1) {
			assert.deepEqual(got, []);
		}

		replies.push(...got);
	}

	assert.deepEqual(replies, [ehloReply]);
});

test('parses the same at every two-way split', () => {
	for (let cut = 0; cut <= ehloBytes.length; cut++) {
		const parser = new ReplyParser();
		const replies = feedAll(parser, [ehloBytes.subarray(0, cut), ehloBytes.subarray(cut)]);
		assert.deepEqual(replies, [ehloReply], `split at ${cut}`);
	}
});

test('a split inside a multi-byte UTF-8 character decodes correctly', () => {
	const bytes = Buffer.from('250 héllo ✓\r\n');
	for (let cut = 0; cut <= bytes.length; cut++) {
		const parser = new ReplyParser();
		const [reply] = feedAll(parser, [bytes.subarray(0, cut), bytes.subarray(cut)]);
		assert.deepEqual(reply?.lines, ['héllo ✓'], `split at ${cut}`);
	}
});

test('several replies in one chunk come out in order', () => {
	const parser = new ReplyParser();
	const replies = parser.feed(Buffer.from('250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n'));
	assert.deepEqual(
		replies.map((reply) => [reply.code, reply.enhanced]),
		[
			[250, '2.1.0'],
			[250, '2.1.5'],
			[354, undefined],
		],
	);
	assert.equal('enhanced' in replies[2]!, false);
});

test('code alone, code with space, empty continuation', () => {
	const parser = new ReplyParser();
	assert.deepEqual(parser.feed(Buffer.from('220\r\n')), [
		{code: 220, lines: [''], raw: ['220'], bareLf: false},
	]);
	assert.deepEqual(parser.feed(Buffer.from('250-\r\n250 \r\n')), [
		{code: 250, lines: ['', ''], raw: ['250-', '250 '], bareLf: false},
	]);
});

test('enhanced code is taken from the last line only, and must be followed by space or end', () => {
	const parser = new ReplyParser();
	const [multi] = parser.feed(Buffer.from('530-5.7.0 Authentication Required.\r\n530 Learn more\r\n'));
	assert.equal(multi?.enhanced, undefined);
	const [alone] = parser.feed(Buffer.from('250 2.0.0\r\n'));
	assert.equal(alone?.enhanced, '2.0.0');
	const [notCode] = parser.feed(Buffer.from('250 2.0.0x ok\r\n'));
	assert.equal(notCode?.enhanced, undefined);
	const [badClass] = parser.feed(Buffer.from('250 3.0.0 ok\r\n'));
	assert.equal(badClass?.enhanced, undefined);
	const [three] = parser.feed(Buffer.from('550 5.7.123 no\r\n'));
	assert.equal(three?.enhanced, '5.7.123');
	assert.deepEqual(three?.lines, ['5.7.123 no']);
});

test('bare LF is accepted and recorded', () => {
	const parser = new ReplyParser();
	const [reply] = parser.feed(Buffer.from('250-a\n250 b\r\n'));
	assert.deepEqual(reply?.lines, ['a', 'b']);
	assert.deepEqual(reply?.raw, ['250-a', '250 b']);
	assert.equal(reply?.bareLf, true);
	const [clean] = parser.feed(Buffer.from('250 ok\r\n'));
	assert.equal(clean?.bareLf, false);
});

test('CR split from its LF across chunks is still CRLF', () => {
	const parser = new ReplyParser();
	assert.deepEqual(parser.feed(Buffer.from('250 ok\r')), []);
	const [reply] = parser.feed(Buffer.from('\n'));
	assert.equal(reply?.bareLf, false);
	assert.deepEqual(reply?.raw, ['250 ok']);
});

test('invalid UTF-8 becomes U+FFFD', () => {
	const parser = new ReplyParser();
	const [reply] = parser.feed(Buffer.from([0x32, 0x35, 0x30, 0x20, 0xff, 0x41, 0x0d, 0x0a]));
	assert.deepEqual(reply?.lines, ['\uFFFDA']);
});

test('mixed codes in one reply are a remote error', () => {
	const parser = new ReplyParser();
	assert.throws(() => parser.feed(Buffer.from('250-ok\r\n550 no\r\n')), expectKind('mixed-codes'));
});

test('first digit outside 2-5 is bad-code', () => {
	for (const line of ['199 hi\r\n', '600 hi\r\n', '099 hi\r\n']) {
		assert.throws(() => new ReplyParser().feed(Buffer.from(line)), expectKind('bad-code'), line);
	}
});

test('lines not shaped like replies are malformed', () => {
	for (const line of ['hello\r\n', '25 ok\r\n', '2500 ok\r\n', '250_ok\r\n', '\r\n', ' 250 ok\r\n']) {
		assert.throws(() => new ReplyParser().feed(Buffer.from(line)), expectKind('malformed'), JSON.stringify(line));
	}
});

test('malformed message quotes the line safely', () => {
	assert.throws(
		() => new ReplyParser().feed(Buffer.from('\x1b[2Jhi\r\n')),
		(error: unknown) => error instanceof RemoteProtocolError && error.message.includes('\\x1b[2Jhi') && !error.message.includes('\x1b'),
	);
});

test('replies completed before a fault travel on the error, and the parser stays failed', () => {
	const parser = new ReplyParser();
	let caught: unknown;
	try {
		parser.feed(Buffer.from('250 ok\r\nnonsense\r\n'));
	} catch (error) {
		caught = error;
	}

	assert.ok(caught instanceof ReplyParseError);
	assert.equal(caught.kind, 'malformed');
	assert.deepEqual(caught.completed.map((reply) => reply.raw), [['250 ok']]);
	assert.equal(caught.line, 'nonsense');
	assert.equal(parser.buffered, 0);
	assert.throws(
		() => parser.feed(Buffer.from('250 ok\r\n')),
		(error: unknown) => error instanceof ReplyParseError && error.kind === 'malformed' && error.completed.length === 0,
	);
	parser.reset();
	assert.equal(parser.feed(Buffer.from('250 ok\r\n')).length, 1);
});

test('a line at exactly maxLineLength is fine; one byte more is line-too-long', () => {
	const text = `250 ${'x'.repeat(96)}`; // 100 bytes
	const ok = new ReplyParser({maxLineLength: 100});
	assert.equal(ok.feed(Buffer.from(`${text}\r\n`)).length, 1);
	// Byte at a time too, so the held CR is not counted against the line.
	const slow = new ReplyParser({maxLineLength: 100});
	const bytes = Buffer.from(`${text}\r\n`);
	const replies = [];
	for (const byte of bytes) {
		replies.push(...slow.feed(Uint8Array.of(byte)));
	}

	assert.equal(replies.length, 1);
	assert.throws(() => new ReplyParser({maxLineLength: 100}).feed(Buffer.from(`${text}y\r\n`)), expectKind('line-too-long'));
	assert.throws(() => new ReplyParser({maxLineLength: 100}).feed(Buffer.from(`${text}y\n`)), expectKind('line-too-long'));
});

test('the default line cap message is one plain sentence', () => {
	assert.throws(
		() => new ReplyParser().feed(Buffer.alloc(5000, 0x41)),
		{message: 'The server sent a reply line longer than 4096 bytes.'},
	);
});

test('a 10 MB line with no newline throws long before it is all buffered', () => {
	const parser = new ReplyParser();
	const chunk = Buffer.alloc(64 * 1024, 0x41);
	chunk.write('250 ');
	const total = 10 * 1024 * 1024;
	let fed = 0;
	let error: unknown;
	while (fed < total) {
		try {
			parser.feed(chunk);
		} catch (caught) {
			error = caught;
			break;
		}

		fed += chunk.length;
	}

	assert.ok(error instanceof RemoteProtocolError);
	assert.equal(error.kind, 'line-too-long');
	assert.equal(fed, 0, 'the very first chunk is refused');
	assert.equal(parser.buffered, 0);
});

test('a 10 MB line fed in small pieces never holds more than the cap', () => {
	const parser = new ReplyParser();
	const piece = Buffer.alloc(1000, 0x41);
	let fed = 0;
	let maxHeld = 0;
	assert.throws(() => {
		while (fed < 10 * 1024 * 1024) {
			parser.feed(piece);
			fed += piece.length;
			maxHeld = Math.max(maxHeld, parser.buffered);
		}
	}, expectKind('line-too-long'));
	assert.ok(maxHeld <= 4096, `held ${maxHeld}`);
	assert.ok(fed < 5000, `fed ${fed} before failing`);
});

test('10 MB of continuation lines that never finish hits too-much-buffered at the cap', () => {
	const parser = new ReplyParser({maxLines: 1_000_000});
	const line = Buffer.from(`250-${'x'.repeat(1000)}\r\n`);
	let fed = 0;
	assert.throws(() => {
		while (fed < 10 * 1024 * 1024) {
			parser.feed(line);
			fed += line.length;
		}
	}, expectKind('too-much-buffered'));
	assert.ok(fed <= 1_048_576, `fed ${fed}`);
	assert.equal(parser.buffered, 0);
});

test('maxBuffered counts the partial line too', () => {
	const parser = new ReplyParser({maxBuffered: 50, maxLineLength: 1000});
	parser.feed(Buffer.from(`250-${'a'.repeat(20)}\r\n`)); // 26 bytes held
	assert.equal(parser.buffered, 26);
	assert.throws(() => parser.feed(Buffer.from(`250-${'b'.repeat(30)}`)), expectKind('too-much-buffered'));
});

test('more than maxLines lines is too-many-lines; exactly maxLines is fine', () => {
	const reply = (count: number) => `${'250-x\r\n'.repeat(count - 1)}250 x\r\n`;
	assert.equal(new ReplyParser({maxLines: 5}).feed(Buffer.from(reply(5)))[0]?.lines.length, 5);
	assert.throws(() => new ReplyParser({maxLines: 5}).feed(Buffer.from(reply(6))), expectKind('too-many-lines'));
	assert.throws(() => new ReplyParser().feed(Buffer.from(reply(513))), expectKind('too-many-lines'));
});

test('buffered reports held bytes, and takeRemainder returns and clears them', () => {
	const parser = new ReplyParser();
	const replies = parser.feed(Buffer.from('220 2.0.0 Ready to start TLS\r\n250-fake\r\n250 AUTH PL'));
	assert.deepEqual(replies.map((reply) => reply.code), [220]);
	assert.equal(parser.buffered, '250-fake\r\n250 AUTH PL'.length);
	assert.equal(parser.takeRemainder().toString(), '250-fake\r\n250 AUTH PL');
	assert.equal(parser.buffered, 0);
	// The injected bytes are gone: the rest of that fake line is now a bare "AIN", which is malformed.
	assert.throws(() => parser.feed(Buffer.from('AIN\r\n')), expectKind('malformed'));
});

test('reset forgets a partial reply', () => {
	const parser = new ReplyParser();
	parser.feed(Buffer.from('250-one\r\n250 tw'));
	parser.reset();
	assert.equal(parser.buffered, 0);
	assert.deepEqual(parser.feed(Buffer.from('221 bye\r\n')).map((reply) => reply.raw), [['221 bye']]);
});

test('a reused chunk buffer does not corrupt held bytes', () => {
	const parser = new ReplyParser();
	const chunk = Buffer.from('250 he');
	parser.feed(chunk);
	chunk.fill(0x5a);
	const [reply] = parser.feed(Buffer.from('llo\r\n'));
	assert.deepEqual(reply?.lines, ['hello']);
});

test('accepts a Uint8Array view with an offset', () => {
	const backing = new Uint8Array(Buffer.from('xx250 ok\r\nyy'));
	const view = backing.subarray(2, 10);
	assert.deepEqual(new ReplyParser().feed(view).map((reply) => reply.raw), [['250 ok']]);
});

test('random many-way splits of a whole conversation parse the same as one feed', () => {
	const conversation = Buffer.from(
		'220 mx.example ESMTP\r\n' +
			ehloBytes.toString() +
			'334 VXNlcm5hbWU6\n235 2.7.0 Authentication successful\r\n354 End data with <CR><LF>.<CR><LF>\r\n221 2.0.0 Bye\r\n',
	);
	const expected = new ReplyParser().feed(conversation);
	assert.equal(expected.length, 6);
	let seed = 42;
	const random = () => {
		// Small deterministic LCG so a failure can be reproduced.
		seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
		return seed / 2_147_483_648;
	};

	for (let round = 0; round < 200; round++) {
		const parser = new ReplyParser();
		const replies: Reply[] = [];
		let pos = 0;
		while (pos < conversation.length) {
			const size = 1 + Math.floor(random() * 12);
			replies.push(...parser.feed(conversation.subarray(pos, pos + size)));
			pos += size;
		}

		assert.deepEqual(replies, expected, `round ${round}`);
	}
});
