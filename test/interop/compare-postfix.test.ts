// Compare against a real Postfix + Dovecot: the same summary facts as against the lab.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {Comparison} from '../../source/engine/compare.js';
import {cliPath} from '../support/pty.js';
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

test('compare HOST 25=P 465=P 587=P 2525=P: each column gets its port\'s profile (implicit TLS on 465, no login on 25)', async () => {
	const user = postfix.users[0]!;
	const {ports} = postfix;
	const {code, stdout, stderr} = await new Promise<{code: number; stdout: string; stderr: string}>(resolve => {
		const child = execFile(process.execPath, [
			cliPath, 'compare', postfix.host, `25=${ports[25]}`, `465=${ports[465]}`, `587=${ports[587]}`, `2525=${ports[2525]}`,
			'--to', `bob@${postfix.domain}`, '--from', `${user.user}@${postfix.domain}`, '--user', user.user, '--password-env', 'PF_PASSWORD',
			'--servername', postfix.hostname, '--ca', postfix.caFile, '--timeout', '10', '--json',
		], {env: {...process.env, PF_PASSWORD: user.password}, timeout: 60_000}, (error, out, err) => {
			resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: out, stderr: err});
		});
		child.stdin?.end();
	});
	assert.equal(code, 0, stderr + stdout);
	const report = JSON.parse(stdout) as {ports: number[]; summaries: Array<{port: number; tls: string; authAfterTls: string[]; relayOutside: {accepted: boolean}; messageAccepted: boolean}>};
	assert.deepEqual(report.ports, [25, 465, 587, 2525]);
	const by = (port: number) => report.summaries.find(s => s.port === port)!;
	assert.equal(by(465).tls, 'implicit');
	assert.equal(by(587).tls, 'starttls');
	assert.deepEqual(by(25).authAfterTls, []);
	assert.equal(by(25).relayOutside.accepted, false, 'no login on the 25 column, so no relay');
	for (const port of [465, 587, 2525]) assert.equal(by(port).relayOutside.accepted, true, `${port} logged in and relays`);
	for (const port of [25, 465, 587, 2525]) assert.equal(by(port).messageAccepted, true, `${port} took the message`);
	assert.ok(!stdout.includes(user.password), 'the password never shows');
});
