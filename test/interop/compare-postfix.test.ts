// Compare against a real Postfix + Dovecot: the same summary facts as against the lab.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {Comparison} from '../../source/engine/compare.js';
import {startPostfix, type PostfixInstance} from '../support/postfix.js';

let postfix: PostfixInstance;
let comparison: Comparison;
before(async () => {
	postfix = await startPostfix();
	const user = postfix.users[0]!;
	comparison = new Comparison({
		ports: [25, 465, 587, 2525],
		outside: 'friend@example.com',
		own: `bob@${postfix.domain}`,
		sessionFor: port => ({
			host: postfix.host,
			port: postfix.ports[port as 25 | 465 | 587 | 2525],
			profilePort: port,
			tls: 'auto',
			tlsOptions: {servername: postfix.hostname, ca: postfix.ca, insecure: false},
			ehlo: 'client.example',
			from: `${user.user}@${postfix.domain}`,
			to: [],
			credentials: port === 25 ? undefined : {user: user.user, password: user.password},
			timeouts: {greeting: 10_000, command: 10_000, mail: 10_000, rcpt: 10_000, data: 10_000, body: 10_000},
		}),
	});
	await comparison.runToEnd();
});
after(async () => {
	comparison.close();
	await postfix.stop();
});

const summary = (port: number) => comparison.summaries().find(s => s.port === port)!;

test('Postfix 25: no AUTH, outside recipient refused with 554 5.7.1, own domain accepted', () => {
	const s = summary(25);
	assert.deepEqual(s.authAfterTls, []);
	assert.equal(s.authBeforeTlsReply, '503 5.5.1');
	assert.deepEqual(s.relayOutside, {accepted: false, reply: '554 5.7.1'});
	assert.equal(s.ownDomain.accepted, true);
	assert.equal(s.messageAccepted, true);
});

for (const port of [587, 2525]) {
	test(`Postfix ${port}: 530 5.7.0 before TLS, AUTH PLAIN LOGIN after, no mail without login, relays after`, () => {
		const s = summary(port);
		assert.equal(s.tls, 'starttls');
		assert.equal(s.authBeforeTlsReply, '530 5.7.0');
		assert.deepEqual(s.authAfterTls, ['PLAIN', 'LOGIN']);
		// Postfix takes MAIL and refuses at RCPT (smtpd_delay_reject): the probe reads the RCPT.
		assert.equal(s.mailWithoutAuth.accepted, false);
		assert.match(s.mailWithoutAuth.reply ?? '', /^(530|554) 5\.7\./);
		assert.equal(s.relayOutside.accepted, true);
		assert.equal(s.messageAccepted, true);
	});
}

test('Postfix 465: implicit TLS, AUTH, relays after login', () => {
	const s = summary(465);
	assert.equal(s.tls, 'implicit');
	assert.deepEqual(s.authAfterTls, ['PLAIN', 'LOGIN']);
	assert.equal(s.relayOutside.accepted, true);
});

test('the plain-words explanation holds for Postfix too', () => {
	const sentences = comparison.report('postfix').sentences;
	assert.ok(sentences.includes('587 and 2525 demand STARTTLS before AUTH: login is offered only once the connection is encrypted.'), sentences.join('\n'));
	assert.ok(sentences.some(s => s.startsWith('25 accepts mail only for the server\'s own domain')));
});
