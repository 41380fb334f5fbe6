// Raw SMTP sessions against a running lab, in the steps most lab tests need: greet, go into
// TLS, log in, hand over a message. Every step asserts the lab's normal reply, so a test only
// spells out the step it is about.

import assert from 'node:assert/strict';
import {startLab} from '../../source/lab/index.js';
import type {Lab, LabOptions, LabPort} from '../../source/lab/index.js';
import {RawSmtpClient, lastLine, plainToken} from './raw-smtp.js';

export const labBanner = '220 mx.lab.test ESMTP smtp-tui lab';

export class LabClients {
	private readonly open: RawSmtpClient[] = [];

	constructor(private readonly lab: Lab) {}

	port(personality: LabPort): number {
		const listening = this.lab.ports[personality];
		assert.ok(listening, `port-${personality} personality is listening`);
		return listening;
	}

	tls() {
		return {ca: this.lab.ca, servername: this.lab.hostname};
	}

	/** Connects (TLS first on 465); reads nothing. `localAddress` 127.0.0.2 is a second client IP. */
	async connect(personality: LabPort, timeoutMs?: number, localAddress?: string): Promise<RawSmtpClient> {
		const client = await RawSmtpClient.connect({
			port: this.port(personality),
			tls: personality === 465 ? this.tls() : undefined,
			timeoutMs,
			localAddress,
		});
		this.open.push(client);
		return client;
	}

	/** Connects, reads the banner, says EHLO. */
	async greeted(personality: LabPort, localAddress?: string): Promise<RawSmtpClient> {
		const client = await this.connect(personality, undefined, localAddress);
		assert.equal(lastLine(await client.readReply()), labBanner);
		assert.equal((await client.command('EHLO client.test')).code, 250);
		return client;
	}

	/** Greeted, then inside TLS (STARTTLS unless 465) with EHLO said again. */
	async secure(personality: LabPort, localAddress?: string): Promise<RawSmtpClient> {
		const client = await this.greeted(personality, localAddress);
		if (personality !== 465) {
			assert.equal(lastLine(await client.command('STARTTLS')), '220 2.0.0 Ready to start TLS');
			await client.startTls(this.tls());
			assert.equal((await client.command('EHLO client.test')).code, 250);
		}

		return client;
	}

	/** Ready to send mail: port 25 greeted, the submission ports in TLS and logged in as alice. */
	async ready(personality: LabPort): Promise<RawSmtpClient> {
		if (personality === 25) return this.greeted(25);
		const client = await this.secure(personality);
		assert.equal(lastLine(await client.command(`AUTH PLAIN ${plainToken('alice', 'wonderland')}`)), '235 2.7.0 Authentication successful');
		return client;
	}

	closeAll(): void {
		for (const client of this.open.splice(0)) client.close();
	}
}

/** MAIL, RCPT (each must be accepted), DATA, a small message: returns the final reply line. */
export async function sendMail(client: RawSmtpClient, from: string, to: string[], body = 'Subject: test\r\n\r\nhello\r\n'): Promise<string> {
	assert.equal(lastLine(await client.command(`MAIL FROM:<${from}>`)), '250 2.1.0 Ok');
	for (const rcpt of to) assert.equal(lastLine(await client.command(`RCPT TO:<${rcpt}>`)), '250 2.1.5 Ok');
	assert.equal(lastLine(await client.command('DATA')), '354 End data with <CR><LF>.<CR><LF>');
	client.write(`${body}.\r\n`);
	return lastLine(await client.readReply());
}

export const queued = /^250 2\.0\.0 Ok: queued as [\dA-F]{10}$/;

/** Runs `body` with a lab started with `options`, closing both the clients and the lab. */
export async function withLab(options: LabOptions, body: (lab: Lab, clients: LabClients) => Promise<void>): Promise<void> {
	const lab = await startLab(options);
	const clients = new LabClients(lab);
	try {
		await body(lab, clients);
	} finally {
		clients.closeAll();
		await lab.close();
	}
}
