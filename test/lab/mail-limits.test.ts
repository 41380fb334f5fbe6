// The lab's POP3 and IMAP listeners have the SMTP side's protections, shared with it: the gate's
// connection caps counted from accept, its handshake, per-line and idle deadlines, the one
// failed-login table (a guess on IMAP holds the next one on POP3 and SMTP), and back-pressure:
// a client that pipelines FETCHes and reads nothing holds one answer, not all of them, while a
// real client (Python's imaplib) is served in the same run. Raw loopback sockets for the
// attacker (127.0.0.2 where a second address is needed); limits are small, and the tests wait
// on events and replies, never on durations.

import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import {test} from 'node:test';
import type {Lab, LabEvent} from '../../source/lab/index.js';
import {lastLine, plainToken} from '../support/raw-smtp.js';
import {sendMail, withLab} from '../support/lab-client.js';

const attacker = '127.0.0.2';

/** A line-oriented client for any of the lab's ports: bytes in, wait for text, see the close. */
class Lines {
	text = '';
	closed = false;
	private readonly waiters = new Set<() => void>();

	static async open(port: number, options: {tls?: {ca: string; servername: string}; localAddress?: string} = {}): Promise<Lines> {
		return new Promise((resolve, reject) => {
			const plain = net.connect({host: '127.0.0.1', port, localAddress: options.localAddress});
			const socket = options.tls ? tls.connect({socket: plain, ca: options.tls.ca, servername: options.tls.servername}) : plain;
			socket.once(options.tls ? 'secureConnect' : 'connect', () => {
				resolve(new Lines(socket));
			});
			socket.once('error', reject);
			socket.once('close', () => {
				reject(new Error('closed before the connection was up'));
			});
		});
	}

	constructor(readonly socket: net.Socket) {
		socket.on('data', (chunk: Buffer) => {
			this.text += chunk.toString('latin1');
			this.notify();
		});
		socket.on('error', () => undefined);
		socket.on('close', () => {
			this.closed = true;
			this.notify();
		});
	}

	write(text: string): void {
		this.socket.write(text);
	}

	/** Resolves once the received text matches; fails if the connection closes first (or after 20 s, a hang). */
	async until(pattern: RegExp): Promise<string> {
		return this.wait(() => pattern.test(this.text), () => `waiting for ${String(pattern)}, got ${JSON.stringify(this.text.slice(-300))}`);
	}

	async waitForClose(): Promise<string> {
		return this.wait(() => this.closed, () => `waiting for the lab to close the connection, got ${JSON.stringify(this.text.slice(-300))}`, true);
	}

	close(): void {
		this.socket.destroy();
	}

	private async wait(done: () => boolean, what: () => string, closing = false): Promise<string> {
		return new Promise((resolve, reject) => {
			const check = () => {
				if (done()) {
					finish();
					resolve(this.text);
				} else if (this.closed && !closing) {
					finish();
					reject(new Error(`closed while ${what()}`));
				}
			};

			const timer = setTimeout(() => {
				finish();
				reject(new Error(`no answer in 20 s: ${what()}`));
			}, 20_000);
			const finish = () => {
				clearTimeout(timer);
				this.waiters.delete(check);
			};

			this.waiters.add(check);
			check();
		});
	}

	private notify(): void {
		for (const waiter of [...this.waiters]) waiter();
	}
}

function mailPort(lab: Lab, port: 110 | 995 | 143 | 993): number {
	const listening = port === 110 || port === 995 ? lab.mail?.pop3.ports[port] : lab.mail?.imap.ports[port];
	assert.ok(listening, `the ${port} personality listens`);
	return listening;
}

function labTls(lab: Lab) {
	return {ca: lab.ca, servername: lab.hostname};
}

/** IMAP on 993, greeted and logged in as bob (from `localAddress`). */
async function imapLoggedIn(lab: Lab, localAddress?: string): Promise<Lines> {
	const client = await Lines.open(mailPort(lab, 993), {tls: labTls(lab), localAddress});
	await client.until(/^\* OK .*\r\n/);
	client.write('a LOGIN bob builder\r\nb SELECT INBOX\r\n');
	await client.until(/\r\nb OK /);
	return client;
}

/** The lab's limit events from now on. */
function limitEvents(lab: Lab): {events: LabEvent[]; stop: () => void} {
	const events: LabEvent[] = [];
	const stop = lab.onEvent(event => {
		if (event.type === 'limit') events.push(event);
	});
	return {events, stop};
}

/** Resolves once the lab counts no open connection (its close events say so). */
async function allClosed(lab: Lab): Promise<void> {
	await new Promise<void>((resolve, reject) => {
		const check = () => {
			if (lab.stats().connectionsNow > 0) return;
			finish();
			resolve();
		};

		const timer = setTimeout(() => {
			finish();
			reject(new Error(`still ${lab.stats().connectionsNow} connections counted after 20 s`));
		}, 20_000);
		const finish = () => {
			clearTimeout(timer);
			stop();
		};

		const stop = lab.onEvent(check);
		check();
	});
}

async function run(file: string, args: string[]): Promise<{code: number; stdout: string; stderr: string}> {
	return new Promise(resolve => {
		execFile(file, args, {timeout: 60_000, maxBuffer: 64 * 1024 * 1024}, (error, stdout, stderr) => {
			resolve({code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr});
		});
	});
}

const imaplibScript = String.raw`
import imaplib, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
m = imaplib.IMAP4_SSL('127.0.0.1', port, ssl_context=ssl.create_default_context(cafile=cafile), timeout=30)
m.login('bob', 'builder')
m.select('INBOX')
typ, data = m.fetch('2', '(BODY.PEEK[])')
print(typ, len(data[0][1]))
m.logout()
`;

test('F1: 200 FETCHes of a 5 MB message pipelined and never read: the lab holds one answer at a time, and imaplib is served meanwhile', async () => {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-mail-limits-'));
	await withLab({only: [25], mailboxes: {}}, async (lab, clients) => {
		const big = `Subject: big\r\n\r\n${`${'x'.repeat(76)}\r\n`.repeat(66_000)}`;
		const small = 'Subject: small\r\n\r\nhello\r\n';
		const smtp = await clients.greeted(25);
		assert.match(await sendMail(smtp, 'alice@lab.test', ['bob@lab.test'], big), /^250 /);
		assert.match(await sendMail(smtp, 'alice@lab.test', ['bob@lab.test'], small), /^250 /);
		const [first, second] = lab.mail!.mailboxes.list('bob');
		assert.ok(first && second && first.raw.length > 5_000_000, 'a 5 MB message and a small one are in bob\'s mailbox');

		const fetched: string[] = [];
		const stop = lab.mail!.imap.onEvent(event => {
			if (event.type === 'fetch') fetched.push(event.detail ?? '');
		});
		const slow = await imapLoggedIn(lab, attacker);
		// Reads nothing from now on: the kernel's buffers fill and the lab's writes stop draining.
		slow.socket.pause();
		slow.write(Array.from({length: 200}, (_, index) => `f${index} FETCH 1 BODY.PEEK[]\r\n`).join(''));
		await new Promise<void>(resolve => {
			const check = lab.mail!.imap.onEvent(event => {
				if (event.type === 'fetch') {
					check();
					resolve();
				}
			});
		});

		const caFile = path.join(dir, 'ca.pem');
		const script = path.join(dir, 'fetch.py');
		await writeFile(caFile, lab.ca);
		await writeFile(script, imaplibScript);
		const result = await run('python3', [script, String(mailPort(lab, 993)), caFile]);
		assert.equal(result.code, 0, result.stderr);
		assert.equal(result.stdout.trim(), `OK ${second.raw.length}`, 'imaplib got the whole small message while the attack was on');

		const ofBig = fetched.filter(uids => uids === String(first.imapUid)).length;
		assert.ok(ofBig >= 1 && ofBig < 10, `the unread connection's FETCHes wait for it to read: ${ofBig} of 200 answered`);
		const buffered = lab.mail!.imap.bufferedBytes();
		assert.ok(buffered < 3 * first.raw.length, `at most one answer queued for the unread client: ${buffered} bytes`);
		stop();
		slow.close();
		await slow.waitForClose();
	});
	await rm(dir, {recursive: true, force: true});
});

test('F2: one failed-login table for SMTP, POP3 and IMAP: a guess on one protocol holds the next on another; the rate cap refuses unchecked', async () => {
	await withLab({only: [465], mailboxes: {}, limits: {authFailureDelayMs: 20, authFailureDelayMaxMs: 80, maxAuthFailuresPerMinute: 3}}, async (lab, clients) => {
		const limits = limitEvents(lab);
		const imap = await Lines.open(mailPort(lab, 993), {tls: labTls(lab), localAddress: attacker});
		await imap.until(/^\* OK /);
		imap.write('a LOGIN alice guess1\r\n');
		await imap.until(/\r\na NO \[AUTHENTICATIONFAILED\] Authentication failed\.\r\n/);
		assert.equal(limits.events.length, 0, 'the first failure is not held');

		const pop3 = await Lines.open(mailPort(lab, 995), {tls: labTls(lab), localAddress: attacker});
		await pop3.until(/^\+OK .*\r\n/);
		pop3.write('USER alice\r\n');
		await pop3.until(/\r\n\+OK\r\n/);
		let repliedBeforeHold: boolean | undefined;
		const watchPop3 = lab.onEvent(event => {
			if (event.type === 'limit' && event.port === 995) repliedBeforeHold = pop3.text.includes('-ERR');
		});
		pop3.write('PASS guess2\r\n');
		await pop3.until(/-ERR \[AUTH\] Authentication failed\.\r\n/);
		watchPop3();
		assert.equal(repliedBeforeHold, false, 'the POP3 answer came only after its hold began');
		assert.deepEqual(limits.events.map(event => [event.port, event.ip, event.detail]), [[995, attacker, `login held 20 ms: 1 failed logins from ${attacker}`]], 'IMAP\'s failure holds the POP3 guess');

		const smtp = await clients.greeted(465, attacker);
		assert.match(lastLine(await smtp.command(`AUTH PLAIN ${plainToken('alice', 'guess3')}`)), /^535 /);
		assert.deepEqual(limits.events.slice(1).map(event => [event.port, event.detail]), [[465, `AUTH held 40 ms: 2 failed logins from ${attacker}`]], 'IMAP\'s and POP3\'s failures hold the SMTP AUTH');

		// Three failures in the minute from this address: the right password is refused unchecked.
		imap.write('b LOGIN alice wonderland\r\n');
		await imap.until(/\r\nb NO \[UNAVAILABLE\] Too many failed logins from your address, try again later\.\r\n/);
		assert.ok(limits.events.some(event => event.port === 993 && event.detail === `login refused: 3 failed logins from ${attacker} in the last minute`));
		pop3.write('USER alice\r\nPASS wonderland\r\n');
		await pop3.until(/-ERR \[SYS\/TEMP\] Too many failed logins from your address, try again later\.\r\n/);

		// Another address is neither held nor refused.
		const before = limits.events.length;
		const student = await imapLoggedIn(lab);
		assert.match(student.text, /\r\na OK \[CAPABILITY [^\]]*\] Logged in\r\n/);
		assert.equal(limits.events.length, before, 'nothing held for 127.0.0.1');
		const hit = lab.stats().limitsHit;
		assert.ok(hit['auth-delay'] >= 2 && hit['auth-rate'] >= 2, `the dashboard counts the IMAP/POP3 holds and refusals: ${JSON.stringify(hit)}`);
		limits.stop();
		for (const client of [imap, pop3, student]) client.close();
	});
});

test('F3: IMAP and POP3 count against the lab\'s per-address and total connection caps, from accept, with SMTP', async () => {
	await withLab({only: [25], mailboxes: {}, limits: {maxClientsPerIp: 2, maxClients: 3}}, async (lab, clients) => {
		const held = [await Lines.open(mailPort(lab, 143)), await Lines.open(mailPort(lab, 110))];
		await held[0]!.until(/^\* OK /);
		await held[1]!.until(/^\+OK /);
		assert.equal(lab.stats().perPort[143].connectionsNow, 1, 'the dashboard\'s port rows count IMAP');
		assert.equal(lab.stats().perPort[110].connectionsNow, 1, 'and POP3');

		const imapOver = await Lines.open(mailPort(lab, 143));
		await imapOver.until(/^\* BYE \[UNAVAILABLE\] Too many connections from your address, try again later\.\r\n/);
		await imapOver.waitForClose();
		const pop3Over = await Lines.open(mailPort(lab, 110));
		await pop3Over.until(/^-ERR \[SYS\/TEMP\] Too many connections from your address, try again later\.\r\n/);
		await pop3Over.waitForClose();
		const smtpOver = await clients.connect(25);
		assert.equal(lastLine(await smtpOver.readReply()), '421 4.7.0 mx.lab.test Error: too many connections from 127.0.0.1', 'SMTP shares the count');
		// Before a TLS handshake nothing readable can be said: refused on 993 by a hang-up.
		await assert.rejects(Lines.open(mailPort(lab, 993), {tls: labTls(lab)}));

		const other = await Lines.open(mailPort(lab, 143), {localAddress: attacker});
		await other.until(/^\* OK /);
		const third = await Lines.open(mailPort(lab, 110), {localAddress: '127.0.0.3'});
		await third.until(/^-ERR \[SYS\/TEMP\] Too many connections, try again later\.\r\n/);
		assert.ok(lab.stats().limitsHit.refused >= 5, 'every refusal is counted');
		for (const client of [...held, other, third]) client.close();
	});
});

test('F4: TLS handshakes never finished on 993, 995 and after STARTTLS on 143 are dropped at the handshake deadline, counted meanwhile', async () => {
	await withLab({only: [25], mailboxes: {}, limits: {handshakeTimeoutMs: 300}}, async lab => {
		const limits = limitEvents(lab);
		const silent = await Promise.all([Lines.open(mailPort(lab, 993)), Lines.open(mailPort(lab, 995))]);
		assert.ok(lab.stats().connectionsNow >= 2, 'half-open handshakes count from accept');
		const upgrading = await Lines.open(mailPort(lab, 143));
		await upgrading.until(/^\* OK /);
		upgrading.write('s STARTTLS\r\n');
		await upgrading.until(/\r\ns OK /);
		for (const client of [...silent, upgrading]) await client.waitForClose();
		const dropped = limits.events.filter(event => /TLS handshake not finished/.test(event.detail ?? '')).map(event => event.port).sort();
		assert.deepEqual(dropped, [143, 993, 995]);
		await allClosed(lab);
		limits.stop();
	});
});

test('F5: a command line trickled in is dropped at the per-line deadline on IMAP and POP3; --idle-timeout applies when given', async () => {
	await withLab({only: [25], mailboxes: {}, limits: {commandTimeoutMs: 300, idleTimeoutMs: 1500}}, async lab => {
		const limits = limitEvents(lab);
		for (const [port, greeting, goodbye] of [
			[143, /^\* OK /, /\* BYE Disconnected: timeout exceeded\.\r\n/],
			[110, /^\+OK /, /-ERR Disconnected: timeout exceeded\.\r\n/],
		] as const) {
			const trickle = await Lines.open(mailPort(lab, port));
			await trickle.until(greeting);
			// One byte at a time, each after the lab has had time to tick: bounded to 200 bytes.
			for (let sent = 0; sent < 200 && !trickle.closed; sent++) {
				trickle.write('x');
				await new Promise(resolve => setTimeout(resolve, 50));
			}

			await trickle.waitForClose();
			assert.match(trickle.text, goodbye);
			assert.ok(limits.events.some(event => event.port === port && /a line was still incomplete/.test(event.detail ?? '')), `the ${port} drop is a counted limit`);
		}

		const idle = await Lines.open(mailPort(lab, 143));
		await idle.until(/^\* OK /);
		await idle.waitForClose();
		assert.match(idle.text, /\* BYE Disconnected for inactivity\.\r\n$/, 'the idle timeout given applies to IMAP too');
		limits.stop();
	});
});
