// The secret gate (protocol/redact.ts): every real leak masked (clear, base64 at every alignment,
// split across the lines of a reply, typed by hand into AUTH / PASS / APOP), and ordinary text
// left readable (host names that contain a short password).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {Buffer} from 'node:buffer';
import fc from 'fast-check';
import {MASK, redactLines, redactSecrets, SecretGate} from '../../source/protocol/redact.js';
import {explainClientLine} from '../../source/protocol/explain-client.js';
import {fuzzParameters} from '../support/fuzz-seed.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

test('host names and words that contain a short password stay readable', () => {
	for (const [password, text] of [
		['test', '220 mx.exim.test ESMTP Exim 4.96'],
		['x', '220 mx.haraka.test ESMTP Haraka'],
		['lab', '250-mx.lab.test Hello client.example [127.0.0.1]'],
		['mail', '250 2.0.0 Ok: queued as 4Xk2 on mail-relay.example.org'],
		['test', '221 2.0.0 alice@test.example closing connection'],
		['bob', '250 2.1.5 <bob@lab.test> recipient ok'],
	] as const) {
		assert.equal(redactSecrets(text, [password]), text, `${password} in ${text}`);
	}
});

test('a short password standing as a word of its own is masked', () => {
	assert.equal(redactSecrets('535 5.7.8 password test is wrong', ['test']), `535 5.7.8 password ${MASK} is wrong`);
	assert.equal(redactSecrets('535 bad pw=x.', ['x']), `535 bad pw=${MASK}.`);
	assert.equal(redactSecrets('535 "test" rejected', ['test']), `535 "${MASK}" rejected`);
	assert.equal(redactSecrets('535 alice:test', ['test']), `535 alice:${MASK}`);
});

test('a long password is masked wherever it occurs, even inside a name', () => {
	assert.equal(redactSecrets('535 xTr0ub4dor&3-horse-staplex', ['Tr0ub4dor&3-horse-staple']), `535 x${MASK}x`);
});

test('a password echoed across two reply lines is masked on both, in clear and in base64', () => {
	const password = 'Tr0ub4dor&3-horse-staple';
	assert.deepEqual(
		redactLines(['535-5.7.8 you said Tr0ub4do', '535 r&3-horse-staple, wrong'], [password], /^\d{3}[ -]?/),
		[`535-5.7.8 you said ${MASK}`, `535 ${MASK}, wrong`],
	);
	const encoded = b64(`\0alice\0${password}`);
	for (let cut = 1; cut < encoded.length; cut++) {
		const lines = redactLines([`535-echo ${encoded.slice(0, cut)}`, `535 ${encoded.slice(cut)} end`], [password], /^\d{3}[ -]?/);
		assert.ok(!lines.join('\n').includes(encoded.slice(0, cut)) || cut < 4, `cut at ${cut}: ${lines.join(' | ')}`);
		assert.equal(lines[1]!.endsWith(' end'), true);
		assert.ok(lines.every(line => line.includes(MASK)), `cut at ${cut}: ${lines.join(' | ')}`);
	}
});

test('a password split across reply lines with white space at the seam is masked too, in clear and in base64', () => {
	const password = 'Tr0ub4dor&3-horse';
	const prefix = /^\d{3}(?:[ -](?:[245]\.\d{1,3}\.\d{1,3}(?: |$))?)?/;
	for (const [first, second] of [['535-x Tr0ub4do ', '535 r&3-horse'], ['535-x Tr0ub4do\t', '535 r&3-horse'], ['535-x Tr0ub4do', '535  r&3-horse']] as const) {
		const lines = redactLines([first, second], [password], prefix);
		assert.ok(!lines.join('\n').includes('Tr0ub4do') && !lines.join('\n').includes('r&3-horse'), lines.join(' | '));
	}

	const lines = redactLines(['535-AGFsaWNlAF ', '535 RyMHViNGRvciYzLWhvcnNl'], [password], prefix);
	assert.ok(!lines.join('\n').includes('RyMHViNGRvciYzLWhvcnNl'), lines.join(' | '));
	// Ordinary text around a seam is left alone.
	assert.deepEqual(redactLines(['250-mx.test ', '250 SIZE 1000'], [password], prefix), ['250-mx.test ', '250 SIZE 1000']);
});

test('property: a secret (3+ bytes) inside base64 at any alignment and any split never survives decoding', () => {
	fc.assert(
		fc.property(
			fc.string({minLength: 3, maxLength: 30, unit: 'grapheme'}),
			fc.string({maxLength: 12}),
			fc.string({maxLength: 12}),
			fc.nat(200),
			(secret, before, after, cutAt) => {
				fc.pre(Buffer.byteLength(secret) >= 3 && !/\s/.test(secret));
				const encoded = b64(`${before}${secret}${after}`);
				const cut = cutAt % (encoded.length + 1);
				const [one = '', two = ''] = redactLines([`334 ${encoded.slice(0, cut)}`, `334 ${encoded.slice(cut)}`], [secret], /^\d{3}[ -]?/);
				const joined = one.slice(4) + two.slice(4);
				const runs = joined.match(/[A-Za-z\d+/]+=*/g) ?? [];
				for (const run of runs) {
					for (let offset = 0; offset < 4; offset++) {
						assert.ok(!Buffer.from(run.slice(offset), 'base64').includes(Buffer.from(secret)), `${JSON.stringify(secret)} survives in ${joined}`);
					}
				}

				assert.ok(!joined.includes(secret) || secret.length < 8);
			},
		),
		fuzzParameters(300),
	);
});

test('property: ordinary dotted host names never change, whatever short password', () => {
	const label = fc.stringMatching(/^[a-z\d]([a-z\d-]{0,8}[a-z\d])?$/);
	fc.assert(
		fc.property(fc.array(label, {minLength: 2, maxLength: 4}), fc.nat(3), (labels, pick) => {
			const host = labels.join('.');
			const password = labels[pick % labels.length]!;
			fc.pre(password.length < 8);
			const text = `220 ${host} ESMTP ready`;
			// The password must be one of the labels, not a whole word of the banner ("ESMTP").
			fc.pre(!['220', 'ESMTP', 'ready'].includes(password) && host !== password);
			assert.equal(redactSecrets(text, [password]), text);
		}),
		fuzzParameters(300),
	);
});

test('the gate masks AUTH PLAIN typed by hand, learns the password and masks its echo', () => {
	const gate = new SecretGate([], 'smtp');
	const typed = `AUTH PLAIN ${b64('\0alice\0wonderland')}`;
	const shown = gate.client(typed);
	assert.deepEqual(shown, {text: `AUTH PLAIN ${MASK}`, secret: true, decoded: `\\0alice\\0${MASK}`});
	assert.deepEqual(gate.server(['535-5.7.8 wonderland', `535 ${b64('wonderland')}`]), [`535-5.7.8 ${MASK}`, `535 ${MASK}`]);
	gate.replied(false);
	assert.equal(gate.client('NOOP wonderland').text, `NOOP ${MASK}`, 'client lines are scrubbed too');
});

test('the gate follows an AUTH LOGIN exchange typed by hand: the user shown, the password masked', () => {
	const gate = new SecretGate([], 'smtp');
	assert.deepEqual(gate.client('AUTH LOGIN'), {text: 'AUTH LOGIN', secret: false});
	gate.replied(true, b64('Username:'));
	assert.deepEqual(gate.client(b64('alice')), {text: b64('alice'), secret: false, decoded: 'alice'});
	gate.replied(true, b64('Password:'));
	assert.deepEqual(gate.client(b64('Tr0ub4dor')), {text: MASK, secret: true, decoded: MASK});
	gate.replied(false);
	assert.equal(gate.text('you typed Tr0ub4dor'), `you typed ${MASK}`);
	assert.deepEqual(gate.client('MAIL FROM:<a@b>'), {text: 'MAIL FROM:<a@b>', secret: false}, 'the exchange is over');
});

test('a SASL response typed in clear by mistake is masked too; "*" cancels and shows', () => {
	const gate = new SecretGate([], 'smtp');
	gate.client('AUTH LOGIN');
	gate.replied(true, b64('Password:'));
	assert.equal(gate.client('my password').text, MASK);
	gate.replied(true, b64('Password:'));
	assert.equal(gate.client('*').text, '*');
});

test('the gate masks POP3 PASS, APOP and AUTH typed by hand', () => {
	const gate = new SecretGate([], 'pop3');
	assert.deepEqual(gate.client('USER alice'), {text: 'USER alice', secret: false});
	assert.deepEqual(gate.client('PASS wonder land'), {text: `PASS ${MASK}`, secret: true});
	assert.equal(gate.server(['-ERR wonder land is wrong'])[0], `-ERR ${MASK} is wrong`);
	assert.deepEqual(gate.client('APOP alice c4c9334bac560ecc979e58001b3e22fb'), {text: `APOP alice ${MASK}`, secret: true});
	assert.equal(gate.client(`AUTH PLAIN ${b64('\0alice\0s3cret!')}`).text, `AUTH PLAIN ${MASK}`);
	assert.equal(gate.text('s3cret!'), MASK);
});

test('planned SASL lines keep sasl.ts\'s display; XOAUTH2 typed by hand hides the token', () => {
	const gate = new SecretGate(['tok-123456789'], 'smtp');
	assert.deepEqual(gate.client('AUTH PLAIN AGFsaWNlAHg=', {display: `AUTH PLAIN AGFsaWNlAA${MASK}`, secret: true}), {text: `AUTH PLAIN AGFsaWNlAA${MASK}`, secret: true, decoded: undefined});
	gate.replied(false);
	const shown = gate.client(`AUTH XOAUTH2 ${b64('user=alice\x01auth=Bearer other-token-42\x01\x01')}`);
	assert.equal(shown.decoded, `user=alice\\x01auth=Bearer ${MASK}\\x01\\x01`);
	assert.equal(gate.text('other-token-42'), MASK);
});

// Issue 17: "AUTH LOGIN" typed at the 334 goes as the user name (masked: an answer), but once a
// non-334 reply ends the exchange the next line is a command again, shown and explained as one.
for (const [code, ending] of [
	[235, 'after a 235 (authenticated)'],
	[501, 'after a 501 (malformed answer)'],
	[535, 'after a 535 (credentials refused)'],
	[454, 'after a 454 (temporary failure)'],
] as const) {
	test(`an exchange ends ${ending}: the next AUTH LOGIN is a command again, the answers stay masked`, () => {
		const gate = new SecretGate([], 'smtp');
		assert.deepEqual(gate.client('AUTH LOGIN'), {text: 'AUTH LOGIN', secret: false});
		gate.replied(true, b64('Username:'));
		assert.equal(gate.awaitingResponse, true);
		assert.deepEqual(gate.client('AUTH LOGIN'), {text: MASK, secret: true, decoded: MASK}, 'typed at the 334, it is the answer');
		if (code === 235) {
			gate.replied(true, b64('Password:'));
			assert.deepEqual(gate.client(b64('Tr0ub4dor')), {text: MASK, secret: true, decoded: MASK});
		}

		gate.replied(false);
		assert.equal(gate.awaitingResponse, false, `${code} ends the exchange`);
		assert.equal(gate.carriesCredentials('AUTH LOGIN'), false);
		const again = gate.client('AUTH LOGIN');
		assert.deepEqual(again, {text: 'AUTH LOGIN', secret: false});
		assert.match(explainClientLine({direction: 'client', step: 'auth', text: again.text, secret: again.secret})[0]!, /^Starts a SASL login/);
		gate.replied(true, b64('Username:'));
		assert.deepEqual(gate.client(b64('alice')), {text: b64('alice'), secret: false, decoded: 'alice'}, 'a new exchange is followed too');
		gate.replied(true, b64('Password:'));
		assert.deepEqual(gate.client(b64('Tr0ub4dor')), {text: MASK, secret: true, decoded: MASK});
		assert.equal(gate.text('echo AUTH LOGIN Tr0ub4dor'), `echo ${MASK} ${MASK}`, 'what was answered stays a secret in every other text');
	});
}

test('334, then "*", then 501: the next AUTH LOGIN is a command, shown and explained as one', () => {
	const gate = new SecretGate([], 'smtp');
	gate.client('AUTH LOGIN');
	gate.replied(true, b64('Username:'));
	assert.deepEqual(gate.client('*'), {text: '*', secret: false});
	gate.replied(false);
	assert.equal(gate.awaitingResponse, false);
	assert.deepEqual(gate.client('AUTH LOGIN'), {text: 'AUTH LOGIN', secret: false});
	assert.equal(gate.awaitingResponse, false, 'no challenge until the server sends one');
});

test('a command typed at a 334 by mistake does not mask that command later, only its arguments stay gated', () => {
	const gate = new SecretGate([], 'smtp');
	gate.client('AUTH LOGIN');
	gate.replied(true, b64('Password:'));
	assert.equal(gate.client('EHLO client.example').text, MASK);
	gate.replied(false);
	assert.equal(gate.client('EHLO client.example').text, 'EHLO client.example');
	gate.replied(false);
	gate.learn('hunter22');
	assert.equal(gate.client('MAIL FROM:<hunter22@example.org>').text, `MAIL FROM:<${MASK}@example.org>`);
	assert.equal(gate.client('hunter22').text, MASK, 'a line that is not a command is masked whole');
});
