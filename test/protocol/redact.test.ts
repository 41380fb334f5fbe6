import {test} from 'node:test';
import assert from 'node:assert/strict';
import {Buffer} from 'node:buffer';
import {MASK, redactSecrets} from '../../source/protocol/redact.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

test('MASK is eight stars', () => {
	assert.equal(MASK, '********');
});

test('clear secrets are masked everywhere they occur', () => {
	assert.equal(redactSecrets('pw=hunter2 again hunter2', ['hunter2']), 'pw=******** again ********');
});

test('base64 of a secret is masked, with or without padding', () => {
	const secret = 'hunter2';
	assert.equal(redactSecrets(`got ${b64(secret)} back`, [secret]), 'got ******** back');
	assert.equal(redactSecrets(`got ${b64(secret).replace(/=+$/, '')}.`, [secret]), 'got ********.');
});

test('the password inside a PLAIN response is masked at any alignment', () => {
	const password = 'correct horse battery';
	for (const user of ['a', 'ab', 'abc', 'alice@example.com']) {
		const plain = b64(`\0${user}\0${password}`);
		const out = redactSecrets(`AUTH PLAIN ${plain}`, [password]);
		assert.ok(out.includes(MASK), `${user}: ${out}`);
		assert.equal(out.includes(plain), false, user);
		// Decoding whatever base64 is left must not give back most of the password.
		const left = out.slice('AUTH PLAIN '.length).split(MASK).join('');
		assert.equal(Buffer.from(left, 'base64').toString('latin1').includes('horse'), false, user);
	}
});

test('empty secrets are ignored and text without secrets is unchanged', () => {
	assert.equal(redactSecrets('nothing here', ['', 'zzz']), 'nothing here');
	assert.equal(redactSecrets('abc', []), 'abc');
});

test('several secrets, the longer masked whole', () => {
	const out = redactSecrets('token=abcdef12345 pw=abc', ['abc', 'abcdef12345']);
	assert.equal(out, 'token=******** pw=********');
});
