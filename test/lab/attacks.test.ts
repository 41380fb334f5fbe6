// The opt-in attack personalities, each against the safe default with the very same bytes:
// the vulnerable lab does what it claims, the default lab refuses it.

import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';
import {Session} from '../../source/engine/session.js';
import type {SessionOptions} from '../../source/engine/session.js';
import {attackNames, attackText, parseFault, startLab} from '../../source/lab/index.js';
import type {Lab, LabPort} from '../../source/lab/index.js';
import {LabClients, queued} from '../support/lab-client.js';
import {lastLine} from '../support/raw-smtp.js';

let safe: Lab;
let vulnerable: Lab;
let safeClients: LabClients;
let vulnerableClients: LabClients;

before(async () => {
	safe = await startLab({only: [25, 587]});
	vulnerable = await startLab({only: [25, 587], attacks: [...attackNames]});
	safeClients = new LabClients(safe);
	vulnerableClients = new LabClients(vulnerable);
});

after(async () => {
	safeClients.closeAll();
	vulnerableClients.closeAll();
	await Promise.all([safe.close(), vulnerable.close()]);
});

test('each attack personality is described and labelled deliberately vulnerable; the default lab has none', () => {
	assert.deepEqual(Object.keys(attackText).sort(), [...attackNames].sort());
	for (const name of attackNames) assert.match(attackText[name], /^DELIBERATELY VULNERABLE, for teaching: /, name);
	assert.deepEqual(safe.attacks, []);
	assert.deepEqual(vulnerable.attacks, ['starttls-command-injection', 'starttls-response-injection', 'smuggling']);
});

// The attacker's cleartext rides in the same write as STARTTLS.
const injection = 'STARTTLS\r\nEHLO attacker.example\r\nMAIL FROM:<attacker@evil.example>\r\n';

test('starttls-command-injection: cleartext pipelined behind STARTTLS runs inside TLS (CVE-2011-0411)', async () => {
	for (const port of [25, 587] as const) {
		const client = await vulnerableClients.greeted(port);
		client.write(injection);
		assert.equal(lastLine(await client.readReply()), '220 2.0.0 Ready to start TLS');
		await client.startTls(vulnerableClients.tls());
		// Unasked, the first replies inside TLS answer the attacker's commands.
		const ehlo = await client.readReply();
		assert.equal(ehlo.lines[0], '250-mx.lab.test', `port ${port}: the injected EHLO was answered`);
		// On 587 the injected MAIL is answered too, refused only for want of a login.
		const mail = port === 25 ? '250 2.1.0 Ok' : '530 5.7.0 Authentication required';
		assert.equal(lastLine(await client.readReply()), mail, 'the injected MAIL FROM was answered');
		if (port === 25) {
			// The victim's own transaction now carries the attacker's sender.
			assert.equal(lastLine(await client.command('RCPT TO:<bob@lab.test>')), '250 2.1.5 Ok');
			assert.equal(lastLine(await client.command('DATA')), '354 End data with <CR><LF>.<CR><LF>');
			client.write('Subject: from the victim\r\n\r\nhi\r\n.\r\n');
			assert.match(lastLine(await client.readReply()), queued);
			assert.equal(vulnerable.inbox.at(-1)?.mailFrom, 'attacker@evil.example');
		}
	}
});

test('the safe lab never answers commands pipelined behind STARTTLS, in cleartext or in TLS', async () => {
	for (const port of [25, 587] as const) {
		const client = await safeClients.greeted(port);
		client.write(injection);
		assert.equal(lastLine(await client.readReply()), '220 2.0.0 Ready to start TLS');
		await client.startTls(safeClients.tls());
		assert.equal(client.plaintextAtStartTls.length, 0);
		assert.equal((await client.settle(200)).length, 0, `port ${port}: nothing answered inside TLS`);
		assert.equal(lastLine(await client.command('RCPT TO:<bob@lab.test>')), '503 5.5.1 Error: send HELO/EHLO first', 'no injected EHLO or MAIL took effect');
	}
});

test('starttls-response-injection: fake replies follow the 220 in the same packet, before the handshake', async () => {
	const client = await vulnerableClients.greeted(587);
	client.send('STARTTLS');
	assert.equal(lastLine(await client.readReply()), '220 2.0.0 Ready to start TLS');
	await client.startTls(vulnerableClients.tls());
	assert.equal(client.plaintextAtStartTls.toString('latin1'), '250-fake\r\n250 AUTH PLAIN\r\n');
	const ehlo = await client.command('EHLO client.test');
	assert.ok(ehlo.texts.includes('AUTH PLAIN LOGIN CRAM-MD5'), 'the real EHLO reply follows inside TLS');

	const clean = await safeClients.greeted(587);
	clean.send('STARTTLS');
	assert.equal(lastLine(await clean.readReply()), '220 2.0.0 Ready to start TLS');
	await clean.startTls(safeClients.tls());
	assert.equal(clean.plaintextAtStartTls.length, 0, 'the safe lab sends nothing between its 220 and the handshake');
});

function sessionOptions(lab: Lab, port: LabPort): SessionOptions {
	return {
		host: lab.host,
		port: lab.ports[port]!,
		profilePort: port,
		tls: 'starttls',
		tlsOptions: {servername: lab.hostname, ca: lab.ca, insecure: false},
		ehlo: 'client.example',
		from: 'alice@lab.test',
		to: ['bob@lab.test'],
		credentials: {user: 'alice', password: 'wonderland'},
		timeouts: {greeting: 5000, command: 5000},
	};
}

test('the smtp-tui engine flags the injected replies (starttls-injection) and ignores them; not on the safe lab', async () => {
	const session = new Session(sessionOptions(vulnerable, 587));
	try {
		assert.equal(await session.runToEnd(), 0, session.failureMessage);
		const flagged = session.entries.filter(entry => entry.deviation === 'starttls-injection');
		assert.equal(flagged.length, 1);
		assert.equal(flagged[0]!.step, 'starttls');
		assert.match(flagged[0]!.text, /Discarded 26 bytes/);
		assert.ok(!session.entries.some(entry => entry.direction === 'server' && entry.text.includes('fake')), 'never read as a reply');
		assert.deepEqual(session.state.capabilities?.auth, ['PLAIN', 'LOGIN', 'CRAM-MD5'], 'the capabilities come from the real EHLO');
	} finally {
		session.close();
	}

	const clean = new Session(sessionOptions(safe, 587));
	try {
		assert.equal(await clean.runToEnd(), 0, clean.failureMessage);
		assert.ok(!clean.entries.some(entry => entry.deviation === 'starttls-injection'));
	} finally {
		clean.close();
	}
});

const smuggled = [
	'Subject: first\r\n\r\nhello\n.\n',
	'MAIL FROM:<evil@example.org>\r\nRCPT TO:<bob@lab.test>\r\nDATA\r\n',
	'Subject: smuggled\r\n\r\nevil\r\n.\r\n',
].join('');

async function inData(clients: LabClients) {
	const client = await clients.greeted(25);
	assert.equal(lastLine(await client.command('MAIL FROM:<a@example.org>')), '250 2.1.0 Ok');
	assert.equal(lastLine(await client.command('RCPT TO:<bob@lab.test>')), '250 2.1.5 Ok');
	assert.equal(lastLine(await client.command('DATA')), '354 End data with <CR><LF>.<CR><LF>');
	return client;
}

test('smuggling: <LF>.<LF> ends DATA and a second message is smuggled in behind it', async () => {
	const client = await inData(vulnerableClients);
	const before = vulnerable.inbox.length;
	client.write(smuggled);
	const replies = [];
	for (let index = 0; index < 5; index++) replies.push(lastLine(await client.readReply()));
	assert.match(replies[0]!, queued, 'the first message ended at <LF>.<LF>');
	assert.deepEqual(replies.slice(1, 4), ['250 2.1.0 Ok', '250 2.1.5 Ok', '354 End data with <CR><LF>.<CR><LF>']);
	assert.match(replies[4]!, queued, 'the smuggled message was accepted');
	const [first, second] = vulnerable.inbox.slice(before);
	assert.equal(first?.raw.toString(), 'Subject: first\r\n\r\nhello\r\n');
	assert.equal(first?.mailFrom, 'a@example.org');
	assert.equal(second?.raw.toString(), 'Subject: smuggled\r\n\r\nevil\r\n');
	assert.equal(second?.mailFrom, 'evil@example.org');
});

test('the safe lab: <LF>.<LF> does not end DATA; the smuggling attempt arrives as one message, bare LFs normalised', async () => {
	const client = await inData(safeClients);
	const before = safe.inbox.length;
	client.write('Subject: first\r\n\r\nhello\n.\n');
	assert.equal((await client.settle(200)).length, 0, 'still inside DATA');
	client.write(smuggled);
	assert.match(lastLine(await client.readReply()), /^250 2\.0\.0 Ok: queued as /);
	assert.equal((await client.settle(200)).length, 0, 'the smuggled MAIL, RCPT and DATA never ran');
	const captured = safe.inbox.slice(before);
	assert.equal(captured.length, 1, 'one message, not two');
	const raw = captured[0]!.raw.toString();
	assert.ok(!/[^\r]\n/.test(raw), 'stored with CRLF line ends only');
	assert.match(raw, /\r\nMAIL FROM:<evil@example\.org>\r\n/, 'the would-be command is message text');
	assert.equal(captured[0]!.mailFrom, 'a@example.org');
});

test('the bare-lf-reject fault (Postfix smtpd_forbid_bare_newline = yes): the smuggling attempt gets 521 and a hang-up', async () => {
	const strict = await startLab({only: [25], faults: [parseFault('25:bare-lf-reject')]});
	const clients = new LabClients(strict);
	try {
		const client = await inData(clients);
		client.write(smuggled);
		assert.equal(lastLine(await client.readReply()), '521 5.5.2 mx.lab.test Error: bare <LF> received');
		await client.waitForClose();
		assert.equal(strict.inbox.length, 0, 'nothing captured');
	} finally {
		clients.closeAll();
		await strict.close();
	}
});
