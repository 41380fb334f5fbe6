// Lines that start with a dot, as RFC 5321 §4.5.2 says the receiver stores them ("If the first
// character is a period and there are other characters on the line, the first character is
// deleted"): the same raw DATA bytes sent over real sockets to the lab and to a real Postfix
// give the same stored body. Then the other side: our own client dot-stuffs such lines, so
// both servers store them exactly as written.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {startLab, type Lab} from '../../source/lab/index.js';
import {Session} from '../../source/engine/session.js';
import {RawSmtpClient} from '../support/raw-smtp.js';
import {startPostfix, type PostfixInstance} from '../support/postfix.js';

let postfix: PostfixInstance;
let lab: Lab;
before(
	async () => {
		[postfix, lab] = await Promise.all([startPostfix(), startLab({only: [25]})]);
	},
	{timeout: 40_000},
);
after(async () => {
	await Promise.all([postfix?.stop(), lab?.close()]);
});

type Server = {port: number; domain: string; tls?: {ca: string; servername: string}};

/** The body lines (after the header's blank line) of every case, as sent on the wire. */
const wireLines = ['.hidden', '..x', '...', '..', '.. two', 'plain', '. space', '....four'];

/** What RFC 5321 §4.5.2 stores for each: the first dot of a line that starts with one goes. */
const storedLines = ['hidden', '.x', '..', '.', '. two', 'plain', ' space', '...four'];

function rawData(subject: string, lines: string[]): Buffer {
	return Buffer.from(`Subject: ${subject}\r\n\r\n${lines.map(line => `${line}\r\n`).join('')}.\r\n`, 'latin1');
}

/** One SMTP transaction with exactly these DATA bytes, written as `pieces` writes (1: one write). */
async function sendRaw(server: Server, data: Buffer, pieces: 'whole' | 'byte by byte'): Promise<void> {
	const client = await RawSmtpClient.connect({port: server.port, timeoutMs: 10_000});
	try {
		assert.equal((await client.readReply()).code, 220);
		assert.equal((await client.command('EHLO client.example')).code, 250);
		if (server.tls) {
			assert.equal((await client.command('STARTTLS')).code, 220);
			await client.startTls(server.tls);
			assert.equal((await client.command('EHLO client.example')).code, 250);
		}

		assert.equal((await client.command(`MAIL FROM:<alice@${server.domain}>`)).code, 250);
		assert.equal((await client.command(`RCPT TO:<bob@${server.domain}>`)).code, 250);
		assert.equal((await client.command('DATA')).code, 354);
		if (pieces === 'whole') client.write(data);
		else for (const byte of data) client.write(Buffer.from([byte]));
		const reply = await client.readReply();
		assert.equal(reply.code, 250, reply.lines.join(' '));
		await client.command('QUIT');
	} finally {
		client.close();
	}
}

/** The stored body (after the header section), with LF line ends (Postfix's Maildir keeps LF). */
function bodyOf(message: string): string {
	const text = message.replaceAll('\r\n', '\n');
	return text.slice(text.indexOf('\n\n') + 2);
}

async function postfixBody(subject: string): Promise<string> {
	return bodyOf(await postfix.waitForDelivered(`Subject: ${subject}`, 20_000));
}

function labBody(subject: string): string {
	const message = lab.inbox.find(candidate => candidate.raw.includes(`Subject: ${subject}\r\n`));
	assert.ok(message, `the lab stored "${subject}"`);
	return bodyOf(message.raw.toString('latin1'));
}

function labServer(tls: boolean): Server {
	return {port: lab.ports[25]!, domain: lab.domain, tls: tls ? {ca: lab.ca, servername: 'mx.lab.test'} : undefined};
}

const postfixServer = (): Server => ({port: postfix.ports[25], domain: postfix.domain});

const expected = storedLines.map(line => `${line}\n`).join('');

test('the same raw DATA bytes (lines .hidden, ..x, ..., .., a lone dot ending): the lab stores what Postfix stores, as RFC 5321 §4.5.2 says', {timeout: 60_000}, async () => {
	const subject = `dots raw ${Date.now()}`;
	await sendRaw(postfixServer(), rawData(subject, wireLines), 'whole');
	const fromPostfix = await postfixBody(subject);
	assert.equal(fromPostfix, expected, 'Postfix deletes the first dot of every line that starts with one');

	const cases: Array<{name: string; tls: boolean; pieces: 'whole' | 'byte by byte'}> = [
		{name: 'one write', tls: false, pieces: 'whole'},
		{name: 'one byte per write', tls: false, pieces: 'byte by byte'},
		{name: 'inside STARTTLS', tls: true, pieces: 'whole'},
	];
	for (const {name, tls, pieces} of cases) {
		const labSubject = `${subject} ${name}`;
		await sendRaw(labServer(tls), rawData(labSubject, wireLines), pieces);
		assert.equal(labBody(labSubject), fromPostfix, `the lab (${name}) stores the body byte for byte as Postfix does`);
	}
});

test('a refused DATA, then a message: the lab still reads each dot line right', {timeout: 30_000}, async () => {
	const subject = `dots after refused DATA ${Date.now()}`;
	const client = await RawSmtpClient.connect({port: lab.ports[25]!, timeoutMs: 10_000});
	try {
		await client.readReply();
		await client.command('EHLO client.example');
		assert.ok((await client.command('DATA')).code >= 500, 'DATA before RCPT is refused');
		await client.command(`MAIL FROM:<alice@${lab.domain}>`);
		await client.command(`RCPT TO:<bob@${lab.domain}>`);
		assert.equal((await client.command('DATA')).code, 354);
		// "DATA" as a message line is just a line.
		client.write(rawData(subject, ['DATA', ...wireLines]));
		assert.equal((await client.readReply()).code, 250);
	} finally {
		client.close();
	}

	assert.equal(labBody(subject), `DATA\n${expected}`);
});

test('our client dot-stuffs lines that start with a dot: the lab and Postfix both store them as written', {timeout: 60_000}, async () => {
	const subject = `dots client ${Date.now()}`;
	const message = `Subject: ${subject}\r\n\r\n${wireLines.map(line => `${line}\r\n`).join('')}`;
	const written = wireLines.map(line => `${line}\n`).join('');
	for (const server of [postfixServer(), labServer(false)]) {
		const session = new Session({
			host: '127.0.0.1',
			port: server.port,
			profilePort: 25,
			tls: 'none',
			tlsOptions: {insecure: false},
			ehlo: 'client.example',
			from: `alice@${server.domain}`,
			to: [`bob@${server.domain}`],
			rawMessage: message,
			timeouts: {greeting: 10_000, command: 10_000, mail: 10_000, rcpt: 10_000, data: 10_000, body: 10_000},
		});
		assert.equal(await session.runToEnd(), 0, session.failureMessage);
		const sent = session.entries.filter(entry => entry.direction === 'client' && entry.step === 'body').map(entry => entry.text);
		for (const line of wireLines) {
			const stuffed = line.startsWith('.') ? `.${line}` : line;
			assert.ok(sent.includes(stuffed), `"${line}" went out as "${stuffed}"`);
		}
	}

	assert.equal(await postfixBody(subject), written);
	assert.equal(labBody(subject), written);
});
