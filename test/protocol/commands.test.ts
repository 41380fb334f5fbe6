import {test} from 'node:test';
import assert from 'node:assert/strict';
import {Buffer} from 'node:buffer';
import {
	auth,
	bdat,
	completeVerb,
	data,
	ehlo,
	helo,
	knownVerbs,
	mailFrom,
	noop,
	quit,
	rcptTo,
	rset,
	starttls,
	validateCommandLine,
	validateResponseLine,
	verbOf,
	vrfy,
} from '../../source/protocol/commands.js';
import {parseEhlo} from '../../source/protocol/ehlo.js';
import {LocalInputError} from '../../source/protocol/errors.js';
import {ReplyParser} from '../../source/protocol/reply-parser.js';

function caps(text: string) {
	const [reply] = new ReplyParser().feed(Buffer.from(text));
	assert.ok(reply);
	return parseEhlo(reply);
}

const full = caps('250-mx\r\n250-SIZE 1000\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n');
const bare = caps('250 mx\r\n');

function localError(pattern: RegExp) {
	return (error: unknown) => {
		assert.ok(error instanceof LocalInputError, 'a LocalInputError');
		assert.equal(error.name, 'LocalInputError');
		assert.match(error.message, pattern);
		return true;
	};
}

test('wire strings of the fixed commands', () => {
	assert.equal(starttls(), 'STARTTLS');
	assert.equal(data(), 'DATA');
	assert.equal(rset(), 'RSET');
	assert.equal(noop(), 'NOOP');
	assert.equal(quit(), 'QUIT');
});

test('HELO and EHLO', () => {
	assert.equal(helo('client.example'), 'HELO client.example');
	assert.equal(ehlo('[127.0.0.1]'), 'EHLO [127.0.0.1]');
	assert.throws(() => ehlo(''), localError(/^The EHLO name is empty\.$/));
	assert.throws(() => ehlo('a b'), localError(/space/));
});

test('AUTH with and without an initial response; empty response is "="', () => {
	assert.equal(auth('login'), 'AUTH LOGIN');
	assert.equal(auth('PLAIN', 'AGFsaWNlAHNlY3JldA=='), 'AUTH PLAIN AGFsaWNlAHNlY3JldA==');
	assert.equal(auth('EXTERNAL', ''), 'AUTH EXTERNAL =');
	assert.throws(() => auth('PL AIN'), localError(/mechanism/));
});

test('MAIL FROM with parameters only when advertised', () => {
	assert.equal(mailFrom('a@b.example'), 'MAIL FROM:<a@b.example>');
	assert.equal(mailFrom('<a@b.example>'), 'MAIL FROM:<a@b.example>');
	assert.equal(mailFrom(''), 'MAIL FROM:<>');
	assert.equal(
		mailFrom('a@b.example', {size: 123, body: '8BITMIME', smtputf8: true}, full),
		'MAIL FROM:<a@b.example> SIZE=123 BODY=8BITMIME SMTPUTF8',
	);
	assert.equal(mailFrom('a@b.example', {body: '7BIT'}, full), 'MAIL FROM:<a@b.example> BODY=7BIT');
	assert.equal(mailFrom('a@b.example', {size: 123, body: '8BITMIME', smtputf8: true}, bare), 'MAIL FROM:<a@b.example>');
	assert.equal(mailFrom('a@b.example', {size: 123, body: '8BITMIME', smtputf8: true}), 'MAIL FROM:<a@b.example>');
	assert.equal(mailFrom('a@b.example', {smtputf8: false}, full), 'MAIL FROM:<a@b.example>');
	assert.throws(() => mailFrom('a@b', {size: -1}, full), localError(/size/));
	assert.throws(() => mailFrom('a@b', {size: 1.5}, full), localError(/size/));
});

test('RCPT TO', () => {
	assert.equal(rcptTo('bob@example.com'), 'RCPT TO:<bob@example.com>');
	assert.equal(rcptTo(' <bob@example.com> '), 'RCPT TO:<bob@example.com>');
	assert.throws(() => rcptTo(''), localError(/^The recipient address is empty\.$/));
});

test('BDAT and VRFY', () => {
	assert.equal(bdat(1024, false), 'BDAT 1024');
	assert.equal(bdat(0, true), 'BDAT 0 LAST');
	assert.throws(() => bdat(-5, true), localError(/BDAT/));
	assert.equal(vrfy('postmaster'), 'VRFY postmaster');
	assert.throws(() => vrfy(' '), localError(/empty/));
});

test('CR, LF and NUL are refused in every argument, naming the field', () => {
	const cases: Array<[() => string, RegExp]> = [
		[() => helo('a\r\nRSET'), /^The HELO name contains a line break/],
		[() => ehlo('a\nb'), /^The EHLO name contains a line break/],
		[() => ehlo('a\0b'), /^The EHLO name contains a NUL character/],
		[() => mailFrom('a@b\r\nRCPT TO:<x@y>'), /^The sender address contains a line break/],
		[() => mailFrom('a@b\0'), /^The sender address contains a NUL/],
		[() => rcptTo('a@b\rDATA'), /^The recipient address contains a line break/],
		[() => rcptTo('a@b\0'), /^The recipient address contains a NUL/],
		[() => auth('PLAIN\r\n'), /^The AUTH mechanism contains a line break/],
		[() => auth('PLAIN', 'abc\r\nQUIT'), /^The AUTH initial response contains a line break/],
		[() => vrfy('x\ny'), /^The VRFY argument contains a line break/],
		[() => validateCommandLine('NOOP\r\nQUIT'), /^The command contains a line break/],
		[() => validateCommandLine('NOOP\0'), /^The command contains a NUL/],
	];
	for (const [build, pattern] of cases) {
		assert.throws(build, localError(pattern));
	}

	assert.throws(
		() => rcptTo('x@y\r\nRSET'),
		{message: 'The recipient address contains a line break (CR or LF), which would let it inject SMTP commands.'},
	);
});

test('a command line over 512 octets including CRLF is refused; exactly 512 is fine', () => {
	// "RCPT TO:<" + local + ">" + CRLF = 9 + n + 1 + 2
	const fits = `${'a'.repeat(500 - 2)}@b`;
	assert.equal(Buffer.byteLength(rcptTo(fits)) + 2, 512);
	assert.throws(() => rcptTo(`a${fits}`), localError(/513 octets.*512.*RFC 5321/));
	// Octets, not characters: é is two bytes.
	assert.throws(() => rcptTo(`${'é'.repeat(250)}@b`), localError(/octets/));
});

test('AUTH lines may reach 12288 octets', () => {
	const longResponse = 'A'.repeat(12_288 - 2 - 'AUTH XOAUTH2 '.length);
	assert.equal(auth('XOAUTH2', longResponse).length, 12_286);
	assert.throws(() => auth('XOAUTH2', `${longResponse}A`), localError(/12288.*RFC 4954/));
});

test('validateCommandLine trims trailing spaces and checks length by verb', () => {
	assert.equal(validateCommandLine('noop   '), 'noop');
	assert.equal(validateCommandLine('  HELP\t'), '  HELP');
	assert.throws(() => validateCommandLine('   '), localError(/empty/));
	assert.throws(() => validateCommandLine(`NOOP ${'x'.repeat(600)}`), localError(/512/));
	assert.equal(validateCommandLine(`AUTH PLAIN ${'x'.repeat(600)}`).length, 611);
	assert.equal(validateResponseLine(''), '');
	assert.throws(() => validateResponseLine('a\rb'), localError(/SASL response/));
});

test('verbOf and completeVerb', () => {
	assert.equal(verbOf('mail from:<a@b>'), 'MAIL');
	assert.equal(verbOf('  ehlo x'), 'EHLO');
	assert.equal(verbOf('QUIT'), 'QUIT');
	assert.equal(verbOf(''), '');
	assert.deepEqual(
		knownVerbs,
		['HELO', 'EHLO', 'MAIL', 'RCPT', 'DATA', 'BDAT', 'RSET', 'NOOP', 'QUIT', 'VRFY', 'EXPN', 'HELP', 'STARTTLS', 'AUTH', 'ETRN'],
	);
	assert.deepEqual(completeVerb('e'), ['EHLO', 'EXPN', 'ETRN']);
	assert.deepEqual(completeVerb('st'), ['STARTTLS']);
	assert.deepEqual(completeVerb(''), knownVerbs);
	assert.deepEqual(completeVerb('MAIL FROM'), []);
	assert.deepEqual(completeVerb('xyz'), []);
});
