// Property-based tests (fast-check) for the code that touches untrusted bytes and user input:
// the reply parser, the command builders, DATA encoding, SASL, redaction and safeText. Each
// property says what must hold for every input: no throw except the typed errors, round trips,
// split invariance, bounded buffering, nothing unsafe or secret in the output.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {Buffer} from 'node:buffer';
import {createHmac} from 'node:crypto';
import fc from 'fast-check';
import * as commands from '../../source/protocol/commands.js';
import {parseEhlo} from '../../source/protocol/ehlo.js';
import {LocalInputError, RemoteProtocolError, type RemoteProtocolErrorKind} from '../../source/protocol/errors.js';
import {encodeData, normalizeCrlf} from '../../source/protocol/message.js';
import {MASK, redactSecrets} from '../../source/protocol/redact.js';
import {ReplyParseError, ReplyParser, type ParserLimits, type Reply} from '../../source/protocol/reply-parser.js';
import {safeText} from '../../source/protocol/safe-text.js';
import {splitAt} from '../support/split.js';
import {createSasl, decodeChallenge} from '../../source/protocol/sasl.js';
import {fuzzParameters} from '../support/fuzz-seed.js';

// ——— generators ———

/** Pieces that make SMTP-looking byte streams, plus raw noise, so shrinking finds short cases. */
const fragment = fc.oneof(
	fc.constantFrom('250-', '250 ', '220 ', '354 ', '334 ', '550-', '550 ', '199 ', '650 ', '25', '2', '250', 'abc', '2.1.0 ', ' '),
	fc.constantFrom('\r\n', '\n', '\r', '\r\r\n', '\0', '\x1b[2J', '\u009b', '\u202e'),
	fc.string({unit: 'binary', maxLength: 12}),
	fc.uint8Array({maxLength: 12}).map(bytes => Buffer.from(bytes).toString('latin1')),
	// Whole lines of many lengths, so multi-line replies reach the line and buffer caps.
	fc.tuple(fc.constantFrom('250-', '250 '), fc.integer({min: 0, max: 30})).map(([head, n]) => `${head}${'x'.repeat(n)}\r\n`),
);
const smtpishBytes = fc.array(fragment, {maxLength: 40}).map(parts => Buffer.from(parts.join(''), 'utf8'));

const cuts = fc.array(fc.nat(), {maxLength: 20});
/** Small caps, so every limit is reached often. */
const smallLimits: ParserLimits = {maxLineLength: 24, maxLines: 4, maxBuffered: 60};

type Outcome = {replies: Reply[]; error?: RemoteProtocolErrorKind};

/** Feeds the pieces; checks the typed-error contract and the buffering bound on the way. */
function parseAll(pieces: Uint8Array[], limits?: Partial<ParserLimits>): Outcome {
	const parser = new ReplyParser(limits);
	const cap = limits?.maxBuffered ?? 1024 * 1024;
	const replies: Reply[] = [];
	for (const piece of pieces) {
		try {
			replies.push(...parser.feed(piece));
		} catch (error) {
			assert.ok(error instanceof ReplyParseError, `only ReplyParseError may escape, got ${String(error)}`);
			assert.ok(error instanceof RemoteProtocolError);
			assert.ok(error.message.length > 0 && !/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(error.message), 'a printable sentence');
			replies.push(...error.completed);
			assert.equal(parser.buffered, 0, 'a failed parser holds nothing');
			// Sticky: the stream has no next boundary, so every later feed fails the same way.
			assert.throws(() => parser.feed(Buffer.from('250 ok\r\n')), (again: unknown) => again instanceof ReplyParseError && again.kind === error.kind && again.completed.length === 0);
			return {replies, error: error.kind};
		}

		assert.ok(parser.buffered <= cap, `buffered ${parser.buffered} > ${cap}`);
	}

	return {replies};
}

const capKinds = new Set<RemoteProtocolErrorKind>(['line-too-long', 'too-much-buffered']);

// ——— the reply parser ———

test('parser: any bytes, any split: replies or a typed error, never anything else; buffering stays under the cap', () => {
	fc.assert(fc.property(smtpishBytes, cuts, (bytes, at) => {
		parseAll(splitAt(bytes, at));
		parseAll(splitAt(bytes, at), smallLimits);
	}), fuzzParameters(8000));
});

test('parser: split invariance: every split gives the same replies and fails at the same point', () => {
	fc.assert(fc.property(smtpishBytes, cuts, cuts, fc.boolean(), (bytes, a, b, small) => {
		const limits = small ? smallLimits : undefined;
		const whole = parseAll([bytes], limits);
		const one = parseAll(splitAt(bytes, a), limits);
		const two = parseAll(splitAt(bytes, b), limits);
		for (const other of [one, two]) {
			assert.deepEqual(other.replies, whole.replies);
			assert.equal(other.error !== undefined, whole.error !== undefined, `failed in one split only: ${String(other.error)} vs ${String(whole.error)}`);
			// Which cap trips first may depend on where a long line was cut; format errors may not.
			if (!(capKinds.has(other.error!) && capKinds.has(whole.error!))) assert.equal(other.error, whole.error);
		}
	}), fuzzParameters(8000));
});

test('parser: split invariance near the caps: multi-line replies whose lines and total sit around the limits', () => {
	const nearCaps = fc.array(fc.integer({min: 0, max: 26}), {minLength: 1, maxLength: 5}).map(lengths => Buffer.from(lengths.map((n, i) => `250${i === lengths.length - 1 ? ' ' : '-'}${'x'.repeat(n)}\r\n`).join('')));
	fc.assert(fc.property(nearCaps, cuts, (bytes, at) => {
		const whole = parseAll([bytes], smallLimits);
		const split = parseAll(splitAt(bytes, at), smallLimits);
		assert.deepEqual(split.replies, whole.replies);
		assert.equal(split.error !== undefined, whole.error !== undefined, `failed in one split only: ${String(split.error)} vs ${String(whole.error)}`);
	}), fuzzParameters(6000));
});

// Well-formed replies: a code, some lines of text without CR or LF, maybe an enhanced code.
const lineText = fc.string({unit: 'grapheme', maxLength: 40}).filter(text => !/[\r\n]/.test(text) && !/^[245]\.\d{1,3}\.\d{1,3}(?=\s|$)/.test(text));
const enhancedCode = fc.tuple(fc.constantFrom('2', '4', '5'), fc.integer({min: 0, max: 999}), fc.integer({min: 0, max: 999})).map(([c, s, d]) => `${c}.${s}.${d}`);
const replySpec = fc.record({
	code: fc.integer({min: 200, max: 599}),
	texts: fc.array(lineText, {minLength: 1, maxLength: 6}),
	enhanced: fc.option(enhancedCode, {nil: undefined}),
	bareLf: fc.boolean(),
	bareCode: fc.boolean(),
});
type ReplySpec = typeof replySpec extends fc.Arbitrary<infer T> ? T : never;

function serialize(spec: ReplySpec): {wire: string; expected: Reply} {
	const texts = [...spec.texts];
	if (spec.enhanced) texts[texts.length - 1] = `${spec.enhanced} ${texts.at(-1)!}`;
	const raw = texts.map((text, index) => {
		const last = index === texts.length - 1;
		// A last line with no text may be just the three digits (RFC 5321 §4.2: "250" alone).
		if (last && text === '' && spec.bareCode) return String(spec.code);
		return `${spec.code}${last ? ' ' : '-'}${text}`;
	});
	const expected: Reply = {code: spec.code, lines: texts, raw, bareLf: spec.bareLf};
	if (spec.enhanced) expected.enhanced = spec.enhanced;
	return {wire: raw.map(line => line + (spec.bareLf ? '\n' : '\r\n')).join(''), expected};
}

test('parser round trip: well-formed replies, serialized and cut anywhere, parse back exactly', () => {
	fc.assert(fc.property(fc.array(replySpec, {minLength: 1, maxLength: 5}), cuts, (specs, at) => {
		const serialized = specs.map(serialize);
		const bytes = Buffer.from(serialized.map(s => s.wire).join(''), 'utf8');
		const outcome = parseAll(splitAt(bytes, at));
		assert.equal(outcome.error, undefined);
		assert.deepEqual(outcome.replies, serialized.map(s => s.expected));
		for (const reply of outcome.replies) assert.doesNotThrow(() => parseEhlo(reply));
	}), fuzzParameters(5000));
});

test('parser: a reply whose bytes exceed a cap fails with that cap, however it is cut', () => {
	fc.assert(fc.property(fc.integer({min: 25, max: 200}), cuts, (length, at) => {
		const long = Buffer.from(`250 ${'x'.repeat(length)}\r\n`);
		const outcome = parseAll(splitAt(long, at), smallLimits);
		assert.ok(outcome.error !== undefined && capKinds.has(outcome.error), String(outcome.error));
		assert.deepEqual(outcome.replies, []);
	}), fuzzParameters(300));
});

// ——— command builders ———

const anyText = fc.oneof(
	fc.string({unit: 'binary', maxLength: 40}),
	fc.string({maxLength: 600}),
	fc.tuple(fc.string({maxLength: 10}), fc.constantFrom('\r', '\n', '\r\n', '\0'), fc.string({maxLength: 10})).map(parts => parts.join('')),
);

type Built = {line: string; limit: number};

/** A builder either returns a safe line within its limit, or throws LocalInputError. */
function checkBuilder(build: () => Built | string, input: string): void {
	let result: Built | string;
	try {
		result = build();
	} catch (error) {
		assert.ok(error instanceof LocalInputError, `only LocalInputError may escape, got ${String(error)}`);
		assert.match(error.message, /^[A-Z].*[.)]$/, 'one sentence');
		return;
	}

	const {line, limit} = typeof result === 'string' ? {line: result, limit: commands.maxCommandLine} : result;
	assert.ok(!/[\r\n\0]/.test(input), `accepted ${JSON.stringify(input)} with CR, LF or NUL`);
	assert.ok(!/[\r\n\0]/.test(line), 'the line holds no CR, LF or NUL');
	assert.ok(Buffer.byteLength(line, 'utf8') + 2 <= limit, `${Buffer.byteLength(line)} octets over ${limit}`);
}

test('command builders: any text gives a safe line or a LocalInputError; CR, LF and NUL are always refused', () => {
	fc.assert(fc.property(anyText, fc.nat({max: 100_000_000}), (text, size) => {
		checkBuilder(() => commands.ehlo(text), text);
		checkBuilder(() => commands.helo(text), text);
		checkBuilder(() => commands.mailFrom(text, {size, body: '8BITMIME', smtputf8: true}), text);
		checkBuilder(() => commands.rcptTo(text), text);
		checkBuilder(() => commands.vrfy(text), text);
		checkBuilder(() => ({line: commands.auth(text), limit: commands.maxAuthLine}), text);
		checkBuilder(() => ({line: commands.auth('PLAIN', text), limit: commands.maxAuthLine}), text);
		checkBuilder(() => ({line: commands.validateCommandLine(text), limit: commands.verbOf(text) === 'AUTH' ? commands.maxAuthLine : commands.maxCommandLine}), text);
		checkBuilder(() => ({line: commands.validateResponseLine(text), limit: commands.maxAuthLine}), text);
	}), fuzzParameters(8000));
});

const address = fc.tuple(fc.stringMatching(/^[a-z0-9._+-]{1,30}$/), fc.stringMatching(/^[a-z0-9-]{1,20}(\.[a-z]{2,6}){1,2}$/)).map(([local, domain]) => `${local}@${domain}`);

test('command builders round trip: the address, the verb and the parameters come back out', () => {
	fc.assert(fc.property(address, fc.boolean(), fc.nat({max: 50_000_000}), (addr, bracketed, size) => {
		const given = bracketed ? `<${addr}>` : ` ${addr} `;
		const rcpt = commands.rcptTo(given);
		assert.equal(rcpt, `RCPT TO:<${addr}>`);
		assert.equal(commands.verbOf(rcpt), 'RCPT');
		const caps = parseEhlo({code: 250, lines: ['mx.test', 'SIZE 100000000', '8BITMIME'], raw: [], bareLf: false});
		assert.equal(commands.mailFrom(given, {size, body: '8BITMIME'}, caps), `MAIL FROM:<${addr}> SIZE=${size} BODY=8BITMIME`);
		assert.equal(commands.mailFrom(given, {size}), `MAIL FROM:<${addr}>`, 'no parameters the server did not offer');
		assert.equal(commands.validateCommandLine(`${rcpt} \t `), rcpt);
	}), fuzzParameters(3000));
});

// ——— DATA encoding ———

/** What a server does with DATA bytes: split at CRLF, stop at the lone dot, undo the stuffing. */
function receive(data: string): string {
	const lines = data.split('\r\n');
	assert.equal(lines.pop(), '', 'ends with CRLF');
	assert.equal(lines.pop(), '.', 'ends with the lone dot');
	for (const line of lines) assert.notEqual(line, '.', 'no early end of data');
	return lines.map(line => (line.startsWith('.') ? line.slice(1) : line)).map(line => line + '\r\n').join('');
}

const bodyText = fc.array(fc.oneof(fc.constantFrom('.', '..', '\r', '\n', '\r\n', '\n.\n', '\r\n.\r\n', '\r.\r', ' ', 'x'), fc.string({unit: 'binary', maxLength: 8})), {maxLength: 30}).map(parts => parts.join(''));

test('DATA encoding: CRLF only, dot-stuffed, exactly one end of data, and the server reads back the body', () => {
	fc.assert(fc.property(bodyText, body => {
		const data = encodeData(body);
		assert.ok(!/\r(?!\n)|(?<!\r)\n/.test(data), 'no bare CR or LF');
		const normalized = normalizeCrlf(body);
		const expected = normalized === '' || normalized.endsWith('\r\n') ? normalized : normalized + '\r\n';
		assert.equal(receive(data), expected);
	}), fuzzParameters(10000));
});

// ——— SASL and redaction ———

const secretText = fc.string({unit: 'grapheme', minLength: 8, maxLength: 40}).filter(s => !/[\r\n\0\x01*]/.test(s));
const userName = fc.stringMatching(/^[a-z][a-z0-9.@_-]{0,20}$/);
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** A secret must not appear in clear, nor as its own base64 with or without padding. */
function assertHidden(shown: string, secret: string, what: string): void {
	assert.ok(!shown.includes(secret), `${what} shows the secret`);
	assert.ok(!shown.includes(b64(secret).replace(/=+$/, '')), `${what} shows the secret's base64`);
}

test('SASL PLAIN, LOGIN, CRAM-MD5, XOAUTH2: the wire is right, what may be shown hides the secret', () => {
	fc.assert(fc.property(userName, secretText, (user, secret) => {
		fc.pre(!user.includes(secret) && !secret.includes(user) && !b64(`\0${user}\0`).includes(b64(secret).slice(0, 8)));
		const plain = createSasl('PLAIN', {user, password: secret}).start();
		assert.equal(plain.wire, `AUTH PLAIN ${b64(`\0${user}\0${secret}`)}`);
		assert.ok(plain.secret);
		for (const shown of [plain.display, plain.decoded ?? '']) assertHidden(shown, secret, 'PLAIN');
		assert.ok(!plain.display.includes(b64(`\0${user}\0${secret}`)));

		const login = createSasl('LOGIN', {user, password: secret});
		assert.equal(login.start().wire, 'AUTH LOGIN');
		assert.equal(login.respond(b64('Username:')).wire, b64(user));
		const password = login.respond(b64('Password:'));
		assert.equal(password.wire, b64(secret));
		for (const shown of [password.display, password.decoded ?? '']) assertHidden(shown, secret, 'LOGIN');

		const challenge = b64(`<${user}.1@mx.test>`);
		const cram = createSasl('CRAM-MD5', {user, password: secret}).respond(challenge);
		const digest = createHmac('md5', secret).update(Buffer.from(challenge, 'base64')).digest('hex');
		assert.equal(Buffer.from(cram.wire, 'base64').toString('utf8'), `${user} ${digest}`);
		assert.ok(!cram.display.includes(digest) && !(cram.decoded ?? '').includes(digest), 'CRAM-MD5 hides the digest');

		const xoauth = createSasl('XOAUTH2', {user, token: secret}).start();
		const whole = `user=${user}\x01auth=Bearer ${secret}\x01\x01`;
		assert.equal(xoauth.wire, `AUTH XOAUTH2 ${b64(whole)}`);
		for (const shown of [xoauth.display, xoauth.decoded ?? '']) {
			assertHidden(shown, secret, 'XOAUTH2');
			assert.ok(!shown.includes(b64(whole)), 'XOAUTH2 shows the whole encoded string');
		}
	}), fuzzParameters(4000));
});

test('SASL: bad credentials give a LocalInputError, never another error', () => {
	fc.assert(fc.property(anyText, anyText, fc.constantFrom('PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2', 'plain', 'GSSAPI', ''), (user, secret, mechanism) => {
		try {
			const exchange = createSasl(mechanism, {user, password: secret, token: secret});
			exchange.start();
			exchange.respond(b64('Password:'));
			exchange.respond('not base64 at all!');
			exchange.cancel();
		} catch (error) {
			assert.ok(error instanceof LocalInputError, `got ${String(error)}`);
		}
	}), fuzzParameters(6000));
});

test('redactSecrets: a secret embedded in clear, in base64 and inside a longer base64 string never survives', () => {
	fc.assert(fc.property(secretText, fc.string({maxLength: 20}), fc.string({maxLength: 20}), fc.nat({max: 2}), (secret, before, after, shift) => {
		fc.pre(!MASK.includes(secret));
		const padding = 'p'.repeat(shift);
		const text = `${before}${secret}${after} ${b64(secret)} ${b64(`${padding}\0user\0${secret}\x01\x01`)}`;
		const redacted = redactSecrets(text, [secret]);
		assertHidden(redacted, secret, 'redacted text');
		assert.equal(redactSecrets(redacted, [secret]), redacted, 'idempotent');
	}), fuzzParameters(6000));
});

// ——— terminal safety ———

const unsafe = /[\x00-\x08\x0A-\x1F\x7F-\x9F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/;

test('safeText and decodeChallenge: nothing a terminal acts on survives; printable text is left alone', () => {
	fc.assert(fc.property(fc.oneof(fc.string({unit: 'binary', maxLength: 60}), bodyText), fc.string({unit: 'grapheme-ascii', maxLength: 40}), (text, ascii) => {
		const safe = safeText(text);
		assert.ok(!unsafe.test(safe), JSON.stringify(safe));
		assert.equal(safeText(safe), safe, 'idempotent');
		fc.pre(!/[\x00-\x1f\x7f]/.test(ascii));
		assert.equal(safeText(ascii), ascii);
		assert.ok(!unsafe.test(safeText(decodeChallenge(b64(text)))));
		assert.equal(decodeChallenge(b64(text)), Buffer.from(text, 'utf8').toString('utf8'));
		assert.doesNotThrow(() => decodeChallenge(text));
	}), fuzzParameters(10000));
});
