import {test} from 'node:test';
import assert from 'node:assert/strict';
import {Buffer} from 'node:buffer';
import {LocalInputError} from '../../source/protocol/errors.js';
import {createSasl, decodeChallenge, type SaslLine} from '../../source/protocol/sasl.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

const password = 'S3cr3t-Pa55word!';
const token = 'ya29.a0AfH6SMBx-token-value_123';

/** Every way the secret could leak into what is shown: clear, base64, and base64 at each byte alignment. */
function leakForms(secret: string): string[] {
	const forms = [secret, b64(secret), b64(secret).replace(/=+$/, '')];
	for (let offset = 0; offset <= 2; offset++) {
		const encoded = Buffer.concat([Buffer.alloc(offset), Buffer.from(secret)]).toString('base64');
		forms.push(encoded.slice(offset === 0 ? 0 : 4, Math.floor((offset + Buffer.byteLength(secret)) / 3) * 4));
	}

	return forms;
}

function assertNoLeak(line: SaslLine, secret: string, extra: string[] = []): void {
	for (const form of [...leakForms(secret), ...extra]) {
		assert.ok(!line.display.includes(form), `display leaks ${form}: ${line.display}`);
		assert.ok(!(line.decoded ?? '').includes(form), `decoded leaks ${form}: ${line.decoded}`);
		assert.ok(!(line.note ?? '').includes(form), `note leaks ${form}`);
	}
}

test('PLAIN: RFC 4616 vector, masked display and decoded', () => {
	const sasl = createSasl('plain', {user: 'tim', password: 'tanstaaftanstaaf'});
	assert.equal(sasl.mechanism, 'PLAIN');
	const line = sasl.start();
	assert.equal(line.wire, 'AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm');
	assert.equal(line.secret, true);
	// "\0tim\0" is 5 bytes: one whole 3-byte group (4 chars) encodes only the prefix.
	assert.equal(line.display, 'AUTH PLAIN AHRp********');
	assert.equal(line.decoded, '\\0tim\\0********');
	assertNoLeak(line, 'tanstaaftanstaaf', ['AHRpbQB0YW5zdGFhZnRhbnN0YWFm']);
});

test('PLAIN with authzid and a longer user shows more of the prefix', () => {
	const creds = {user: 'alice@example.com', password, authzid: 'admin'};
	const line = createSasl('PLAIN', creds).start();
	const whole = b64(`admin\0alice@example.com\0${password}`);
	assert.equal(line.wire, `AUTH PLAIN ${whole}`);
	// prefix "admin\0alice@example.com\0" is 24 bytes → 32 base64 characters shown.
	assert.equal(line.display, `AUTH PLAIN ${whole.slice(0, 32)}********`);
	assert.equal(line.decoded, 'admin\\0alice@example.com\\0********');
	assertNoLeak(line, password, [whole]);
});

test('PLAIN without initial response answers the empty 334, then cancels a second', () => {
	const sasl = createSasl('PLAIN', {user: 'alice', password}, {initialResponse: false});
	const start = sasl.start();
	assert.deepEqual([start.wire, start.display, start.secret], ['AUTH PLAIN', 'AUTH PLAIN', false]);
	const answer = sasl.respond('');
	assert.equal(answer.wire, b64(`\0alice\0${password}`));
	assert.equal(answer.secret, true);
	assertNoLeak(answer, password, [answer.wire]);
	assert.equal(sasl.respond('').wire, '*');
});

test('LOGIN: prompts answered by decoding the challenge', () => {
	const sasl = createSasl('LOGIN', {user: 'alice', password});
	const start = sasl.start();
	assert.deepEqual(start, {wire: 'AUTH LOGIN', display: 'AUTH LOGIN', secret: false});
	const user = sasl.respond('VXNlcm5hbWU6');
	assert.deepEqual(user, {wire: b64('alice'), display: b64('alice'), decoded: 'alice', secret: false});
	const pass = sasl.respond('UGFzc3dvcmQ6');
	assert.equal(pass.wire, b64(password));
	assert.equal(pass.display, '********');
	assert.equal(pass.decoded, '********');
	assert.equal(pass.secret, true);
	assertNoLeak(pass, password);
});

test('LOGIN: prompts in the other order, and unknown prompts go user then password', () => {
	const reversed = createSasl('LOGIN', {user: 'alice', password});
	assert.equal(reversed.respond(b64('Password:')).wire, b64(password));
	assert.equal(reversed.respond(b64('Username:')).wire, b64('alice'));

	const unknown = createSasl('LOGIN', {user: 'alice', password});
	assert.equal(unknown.respond(b64('Benutzer eingeben')).wire, b64('alice'));
	assert.equal(unknown.respond(b64('Kennwort eingeben')).wire, b64(password));
	assert.equal(unknown.respond(b64('???')).wire, '*');
});

test('CRAM-MD5: RFC 2195 example', () => {
	const sasl = createSasl('cram-md5', {user: 'tim', password: 'tanstaaftanstaaf'});
	assert.deepEqual(sasl.start(), {wire: 'AUTH CRAM-MD5', display: 'AUTH CRAM-MD5', secret: false});
	const challenge = 'PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+';
	assert.equal(decodeChallenge(challenge), '<1896.697170952@postoffice.reston.mci.net>');
	const line = sasl.respond(challenge);
	assert.equal(Buffer.from(line.wire, 'base64').toString(), 'tim b913a602c7eda7a495b4e6e7334d3890');
	assert.equal(line.wire, 'dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw');
	assert.equal(line.display, '<base64 hidden>');
	assert.equal(line.decoded, 'tim ********');
	assert.equal(line.secret, true);
	assertNoLeak(line, 'tanstaaftanstaaf', ['b913a602c7eda7a495b4e6e7334d3890', line.wire]);
});

test('XOAUTH2: initial response, masked token, empty answer to an error challenge', () => {
	const sasl = createSasl('XOAUTH2', {user: 'alice@example.com', token});
	const start = sasl.start();
	const whole = b64(`user=alice@example.com\x01auth=Bearer ${token}\x01\x01`);
	assert.equal(start.wire, `AUTH XOAUTH2 ${whole}`);
	assert.equal(start.secret, true);
	assert.match(start.display, /^AUTH XOAUTH2 [A-Za-z\d+/]+\*{8}$/);
	assert.ok(whole.startsWith(start.display.slice('AUTH XOAUTH2 '.length, -8)));
	assert.equal(start.decoded, 'user=alice@example.com\\x01auth=Bearer ********\\x01\\x01');
	assertNoLeak(start, token, [whole]);

	const error = b64('{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}');
	const answer = sasl.respond(error);
	assert.equal(answer.wire, '');
	assert.equal(answer.secret, false);
	assert.match(answer.display, /empty line/);
	assert.ok(answer.note);
});

test('cancel is "*" for every mechanism', () => {
	for (const mechanism of ['PLAIN', 'LOGIN', 'CRAM-MD5']) {
		const line = createSasl(mechanism, {user: 'u', password: 'p'}).cancel();
		assert.equal(line.wire, '*');
		assert.equal(line.secret, false);
	}

	assert.equal(createSasl('XOAUTH2', {user: 'u', token: 't'}).cancel().wire, '*');
});

test('unknown mechanism and missing secrets are local errors', () => {
	assert.throws(
		() => createSasl('GSSAPI', {user: 'u', password: 'p'}),
		(error: unknown) =>
			error instanceof LocalInputError && /GSSAPI/.test(error.message) && /PLAIN, LOGIN, CRAM-MD5, XOAUTH2/.test(error.message),
	);
	for (const mechanism of ['PLAIN', 'LOGIN', 'CRAM-MD5']) {
		assert.throws(() => createSasl(mechanism, {user: 'u'}), LocalInputError, mechanism);
		assert.throws(() => createSasl(mechanism, {user: 'u', password: ''}), LocalInputError, mechanism);
	}

	assert.throws(() => createSasl('XOAUTH2', {user: 'u', password: 'p'}), /token/);
	assert.throws(() => createSasl('PLAIN', {user: '', password: 'p'}), /user name/);
});

test('separators and line breaks inside credentials are refused', () => {
	assert.throws(() => createSasl('PLAIN', {user: 'a\0b', password: 'p'}), LocalInputError);
	assert.throws(() => createSasl('PLAIN', {user: 'a', password: 'p\0q'}), LocalInputError);
	assert.throws(() => createSasl('XOAUTH2', {user: 'a\x01', token: 't'}), LocalInputError);
	assert.throws(() => createSasl('LOGIN', {user: 'a\r\nb', password: 'p'}), /user name contains a line break/);
	assert.throws(() => createSasl('LOGIN', {user: 'a', password: 'p\n'}), /trailing newline/);
});

test('decodeChallenge: text, empty, and invalid base64', () => {
	assert.equal(decodeChallenge('VXNlcm5hbWU6'), 'Username:');
	assert.equal(decodeChallenge(''), '');
	assert.equal(decodeChallenge('not base64!'), '(not valid base64)');
	assert.equal(decodeChallenge('abc'), '(not valid base64)');
});
