// The engine against a real Postfix + Dovecot SASL on loopback (see test/support/postfix.ts).
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {Session, type SessionOptions} from '../../source/engine/session.js';
import {renderJsonLines} from '../../source/export/jsonl.js';
import {renderText} from '../../source/export/text.js';
import {startPostfix, type PostfixInstance} from '../support/postfix.js';

let postfix: PostfixInstance;
before(async () => {
	postfix = await startPostfix();
});
after(async () => {
	await postfix.stop();
});

function options(port: 25 | 465 | 587 | 2525, over: Partial<SessionOptions> = {}): SessionOptions {
	const user = postfix.users[0]!;
	return {
		host: postfix.host,
		port: postfix.ports[port],
		profilePort: port,
		tls: 'auto',
		tlsOptions: {servername: postfix.hostname, ca: postfix.ca, insecure: false},
		ehlo: 'client.example',
		from: `${user.user}@${postfix.domain}`,
		to: [`bob@${postfix.domain}`],
		credentials: port === 25 ? undefined : {user: user.user, password: user.password},
		timeouts: {greeting: 10_000, command: 10_000, mail: 10_000, rcpt: 10_000, data: 10_000, body: 10_000},
		...over,
	};
}

for (const mechanism of ['PLAIN', 'LOGIN']) {
	test(`587: STARTTLS, AUTH ${mechanism} and a message Postfix queues and delivers`, async () => {
		const subject = `interop ${mechanism} ${Date.now()}`;
		const session = new Session(options(587, {mechanism, subject}));
		assert.equal(await session.runToEnd(), 0, session.failureMessage);
		assert.ok(session.entries.some(e => e.direction === 'tls' && e.tlsFacts?.authorized), 'certificate verified');
		assert.ok(session.entries.some(e => e.code === 235 && e.enhanced === '2.7.0'));
		assert.ok(session.entries.some(e => e.code === 250 && /queued as/.test(e.text)));
		const diff = session.entries.find(e => e.text.startsWith('Capabilities changed after TLS'));
		assert.match(diff?.text ?? '', /AUTH PLAIN LOGIN appeared/);
		assert.match(diff?.text ?? '', /STARTTLS went/);
		await postfix.waitForDelivered(subject);
		const password = postfix.users[0]!.password;
		for (const output of [renderText(session.entries, {explain: true}), renderJsonLines(session.entries)]) {
			assert.ok(!output.includes(password));
			assert.ok(!output.includes(Buffer.from(password).toString('base64')));
		}
	});
}

test('587: AUTH before TLS is refused by Postfix with 530 5.7.0', async () => {
	const session = new Session(options(587, {tls: 'none', credentials: undefined, quitAfter: 'ehlo'}));
	await session.step();
	await session.step();
	assert.ok(!session.entries.some(e => e.direction === 'server' && /AUTH/.test(e.text)), 'no AUTH before TLS');
	await session.manual('AUTH PLAIN');
	const reply = session.entries.findLast(e => e.direction === 'server')!;
	assert.equal(reply.code, 530);
	assert.equal(reply.enhanced, '5.7.0');
	assert.match(reply.text, /Must issue a STARTTLS command first/);
	session.close();
});

test('465: implicit TLS from the first byte, AUTH and mail', async () => {
	const session = new Session(options(465));
	assert.equal(await session.runToEnd(), 0, session.failureMessage);
	assert.equal(session.entries.find(e => e.direction === 'server')?.tls, true);
	assert.ok(!session.entries.some(e => e.direction === 'client' && e.text === 'STARTTLS'));
});

test('25: relay to an outside domain is denied with 554 5.7.1, the local domain accepted', async () => {
	const session = new Session(options(25, {to: ['someone@example.com', `bob@${postfix.domain}`]}));
	assert.equal(await session.runToEnd(), 0, session.failureMessage);
	const refused = session.entries.find(e => e.code === 554);
	assert.equal(refused?.enhanced, '5.7.1');
	assert.match(refused?.text ?? '', /Relay access denied/);
	// Explained as the answer to RCPT, not as a greeting ("no SMTP service here").
	assert.match(refused?.explain?.join('\n') ?? '', /^554 — Recipient refused for good, usually by policy/m);
	assert.match(session.entries.find(e => e.direction === 'server')?.explain?.join('\n') ?? '', /^220 — Service ready: the greeting/m);
	assert.match(session.entries.find(e => e.step === 'starttls' && e.code === 220)?.explain?.join('\n') ?? '', /^220 — Ready to start TLS/m);
	assert.ok(!session.entries.some(e => e.direction === 'server' && /^250[- ]AUTH/.test(e.text)), 'port 25 offers no AUTH');
});

test('25: AUTH is refused by Postfix with 503 5.5.1', async () => {
	const session = new Session(options(25, {quitAfter: 'ehlo'}));
	await session.step();
	await session.step();
	await session.manual('AUTH PLAIN');
	const reply = session.entries.findLast(e => e.direction === 'server')!;
	assert.equal(reply.code, 503);
	assert.equal(reply.enhanced, '5.5.1');
	session.close();
});

test('587: --auth CRAM-MD5 where Postfix offers only PLAIN LOGIN stops before AUTH with exit 28', async () => {
	const session = new Session(options(587, {mechanism: 'CRAM-MD5'}));
	assert.equal(await session.runToEnd(), 28);
	assert.equal(session.failureMessage, 'The server offers AUTH PLAIN LOGIN, not CRAM-MD5 (asked for with --auth); smtp-tui did not send AUTH. Leave out --auth to use one it offers.');
	assert.ok(!session.entries.some(e => e.direction === 'client' && /^AUTH/.test(e.text)), 'no AUTH line went out');
	assert.ok(!session.entries.some(e => e.direction === 'client' && /^MAIL/.test(e.text)), 'and no mail either');
	assert.equal(session.entries.findLast(e => e.direction === 'client')?.text, 'QUIT');
});

test('25: UTF-8 addresses go with SMTPUTF8, an 8-bit body with BODY=8BITMIME; Postfix delivers the bytes unchanged', async () => {
	const subject = `Grüße ${Date.now()} — ein Betreff, der lang genug ist, um gefaltet zu werden ✓`;
	const body = 'Grüße aus Köln ✓\r\n日本語のテキスト\r\n';
	const session = new Session(options(25, {from: 'jösé@exämple.org', to: [`zoë@${postfix.domain}`], subject, body}));
	assert.equal(await session.runToEnd(), 0, session.failureMessage);
	const mail = session.entries.find(e => e.direction === 'client' && e.text.startsWith('MAIL FROM'));
	assert.match(mail?.text ?? '', /^MAIL FROM:<jösé@exämple\.org> SIZE=\d+ BODY=8BITMIME SMTPUTF8$/);
	assert.ok(session.entries.some(e => e.direction === 'client' && e.text === `RCPT TO:<zoë@${postfix.domain}>`));
	const delivered = await postfix.waitForDelivered('Gr=C3=BC=C3=9Fe');
	assert.ok(delivered.includes(body.replace(/\r\n/g, '\n')), 'the 8bit body arrives byte for byte (the Maildir keeps LF line ends)');
	assert.match(delivered, /^Content-Transfer-Encoding: 8bit$/m);
	assert.match(delivered, /^From: jösé@exämple\.org$/m);
});

test('25: a raw 8-bit message that is not UTF-8 (every byte 0x80-0xFF) reaches Postfix\'s Maildir byte for byte', async () => {
	const {readdir, readFile} = await import('node:fs/promises');
	const {join} = await import('node:path');
	const tag = `raw8-${Date.now()}`;
	const high = Buffer.from(Array.from({length: 128}, (_, i) => 0x80 + i));
	const lines = [0, 32, 64, 96].map(at => high.subarray(at, at + 32));
	const header = Buffer.from(`From: <alice@${postfix.domain}>\r\nTo: <bob@${postfix.domain}>\r\nSubject: ${tag}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n`, 'latin1');
	const crlf = Buffer.from('\r\n');
	const raw = Buffer.concat([header, ...lines.flatMap(line => [line, crlf])]);
	const session = new Session(options(25, {rawMessage: raw}));
	assert.equal(await session.runToEnd(), 0, session.failureMessage);
	assert.match(session.entries.find(e => e.direction === 'client' && e.text.startsWith('MAIL FROM'))?.text ?? '', /BODY=8BITMIME/);
	await postfix.waitForDelivered(tag);
	let delivered: Buffer | undefined;
	for (const sub of ['new', 'cur']) {
		for (const name of await readdir(join(postfix.maildir, sub)).catch(() => [] as string[])) {
			const bytes = await readFile(join(postfix.maildir, sub, name));
			if (bytes.includes(tag)) delivered = bytes;
		}
	}

	assert.ok(delivered, 'delivered');
	// The Maildir keeps LF line ends; the body bytes are exactly the ones sent, none turned into U+FFFD.
	const body = delivered.subarray(delivered.indexOf('\n\n') + 2);
	assert.deepEqual(body, Buffer.concat(lines.flatMap(line => [line, Buffer.from('\n')])));
});
