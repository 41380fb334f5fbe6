// Checks that the private Postfix + Dovecot instance really has the four port personalities
// the smtp-tui interop tests rely on (PROTOCOL.md §1, PEERS.md), using independent clients:
// raw node:net/node:tls dialogs, swaks and openssl s_client.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import {startPostfix} from '../support/postfix.js';
import type {PostfixInstance} from '../support/postfix.js';

let pf: PostfixInstance;
let startupMs = 0;

before(
	async () => {
		const started = performance.now();
		pf = await startPostfix();
		startupMs = performance.now() - started;
	},
	{timeout: 40_000},
);

after(async () => {
	await pf?.stop();
});

const TEST = {timeout: 30_000};
const ALICE = {user: 'alice', password: 'wonderland'};

// ---------------------------------------------------------------------------------------------
// A minimal SMTP dialog over a raw socket: send a line, read one (possibly multi-line) reply.

type Reply = {code: number; lines: string[]; last: string};

class Dialog {
	private socket: net.Socket;
	private buffer = '';
	private lines: string[] = [];
	private readonly replies: Reply[] = [];
	private waiter: ((reply: Reply | Error) => void) | undefined;
	private failure: Error | undefined;
	private readonly onData = (chunk: Buffer): void => this.feed(chunk.toString('latin1'));
	private readonly onEnd = (): void => this.fail(new Error('the server closed the connection'));
	private readonly onError = (error: Error): void => this.fail(error);

	private constructor(socket: net.Socket) {
		this.socket = socket;
		this.attach(socket);
	}

	static async open(port: number, implicitTls = false): Promise<Dialog> {
		const socket = implicitTls
			? tls.connect({host: pf.host, port, ca: pf.ca, servername: pf.hostname})
			: net.connect({host: pf.host, port});
		await new Promise<void>((resolve, reject) => {
			socket.once(implicitTls ? 'secureConnect' : 'connect', () => resolve());
			socket.once('error', reject);
		});
		return new Dialog(socket);
	}

	get tlsSocket(): tls.TLSSocket | undefined {
		return this.socket instanceof tls.TLSSocket ? this.socket : undefined;
	}

	async reply(timeoutMs = 10_000): Promise<Reply> {
		const ready = this.replies.shift();
		if (ready !== undefined) return ready;
		if (this.failure !== undefined) throw this.failure;
		const result = await new Promise<Reply | Error>(resolve => {
			const timer = setTimeout(() => resolve(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
			this.waiter = value => {
				clearTimeout(timer);
				resolve(value);
			};
		});
		this.waiter = undefined;
		if (result instanceof Error) throw result;
		return result;
	}

	async send(line: string): Promise<Reply> {
		this.socket.write(`${line}\r\n`);
		return this.reply();
	}

	/** STARTTLS, expect 220, then the handshake verified against the instance's CA. */
	async startTls(): Promise<Reply> {
		const answer = await this.send('STARTTLS');
		if (answer.code !== 220) return answer;
		this.detach(this.socket);
		const secure = tls.connect({socket: this.socket, ca: pf.ca, servername: pf.hostname});
		await new Promise<void>((resolve, reject) => {
			secure.once('secureConnect', () => resolve());
			secure.once('error', reject);
		});
		this.socket = secure;
		this.attach(secure);
		return answer;
	}

	close(): void {
		this.detach(this.socket);
		this.socket.destroy();
	}

	private attach(socket: net.Socket): void {
		socket.on('data', this.onData);
		socket.on('end', this.onEnd);
		socket.on('error', this.onError);
	}

	private detach(socket: net.Socket): void {
		socket.off('data', this.onData);
		socket.off('end', this.onEnd);
		socket.off('error', this.onError);
	}

	private feed(text: string): void {
		this.buffer += text;
		let end: number;
		while ((end = this.buffer.indexOf('\r\n')) >= 0) {
			const line = this.buffer.slice(0, end);
			this.buffer = this.buffer.slice(end + 2);
			this.lines.push(line);
			if (/^\d{3}(?: |$)/.test(line)) {
				const reply = {code: Number(line.slice(0, 3)), lines: this.lines, last: line};
				this.lines = [];
				this.deliver(reply);
			}
		}
	}

	private deliver(value: Reply): void {
		if (this.waiter !== undefined) this.waiter(value);
		else this.replies.push(value);
	}

	private fail(error: Error): void {
		this.failure ??= error;
		this.waiter?.(error);
	}
}

/** The EHLO keywords, e.g. ['PIPELINING', 'SIZE 10240000', ..., 'AUTH PLAIN LOGIN']. */
function keywords(reply: Reply): string[] {
	return reply.lines.slice(1).map(line => line.slice(4));
}

function plain(user: string, password: string): string {
	return Buffer.from(`\0${user}\0${password}`).toString('base64');
}

function b64(text: string): string {
	return Buffer.from(text).toString('base64');
}

async function greeted(port: number, implicitTls = false): Promise<Dialog> {
	const dialog = await Dialog.open(port, implicitTls);
	const banner = await dialog.reply();
	assert.equal(banner.last, `220 ${pf.hostname} ESMTP Postfix`);
	return dialog;
}

// ---------------------------------------------------------------------------------------------
// Running swaks / openssl.

type ToolResult = {code: number | null; stdout: string; stderr: string};

async function runTool(file: string, args: string[], input = ''): Promise<ToolResult> {
	return new Promise((resolve, reject) => {
		const child = spawn(file, args, {stdio: ['pipe', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
		child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
		child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
		child.on('error', reject);
		child.on('close', code => {
			clearTimeout(timer);
			resolve({code, stdout, stderr});
		});
		child.stdin.end(input);
	});
}

type SwaksOptions = {port: number; mode: '-tls' | '-tlsc'; auth: 'PLAIN' | 'LOGIN'; password?: string; to?: string; subject?: string};

async function swaks(options: SwaksOptions): Promise<ToolResult> {
	return runTool('swaks', [
		'--server', pf.host,
		'--port', String(options.port),
		options.mode,
		'--tls-verify',
		'--tls-ca-path', pf.caFile,
		'--auth', options.auth,
		'--auth-user', ALICE.user,
		'--auth-password', options.password ?? ALICE.password,
		'--from', `${ALICE.user}@${pf.domain}`,
		'--to', options.to ?? `bob@${pf.domain}`,
		'--header', `Subject: ${options.subject ?? 'swaks check'}`,
		'--timeout', '15',
	]);
}

function unique(label: string): string {
	return `${label}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
}

// ---------------------------------------------------------------------------------------------

test('the instance starts on four distinct loopback ports with a throwaway CA', TEST, t => {
	t.diagnostic(`startup took ${startupMs.toFixed(0)} ms`);
	assert.equal(pf.host, '127.0.0.1');
	assert.equal(pf.hostname, 'mx.postfix.test');
	assert.equal(pf.domain, 'postfix.test');
	assert.deepEqual(pf.users, [ALICE]);
	const ports = [pf.ports[25], pf.ports[465], pf.ports[587], pf.ports[2525]];
	assert.equal(new Set(ports).size, 4);
	for (const port of ports) assert.ok(Number.isInteger(port) && port > 0 && port < 65536);
	assert.match(pf.ca, /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
});

test('25: greets, offers STARTTLS but not AUTH, and answers AUTH with 503 5.5.1', TEST, async () => {
	const dialog = await greeted(pf.ports[25]);
	try {
		const ehlo = await dialog.send('EHLO client.test');
		assert.equal(ehlo.lines[0], `250-${pf.hostname}`);
		const offered = keywords(ehlo);
		assert.ok(offered.includes('STARTTLS'), offered.join(', '));
		assert.ok(offered.includes('SIZE 10240000'));
		assert.ok(!offered.some(k => k.startsWith('AUTH')), offered.join(', '));
		const auth = await dialog.send(`AUTH PLAIN ${plain(ALICE.user, ALICE.password)}`);
		assert.equal(auth.last, '503 5.5.1 Error: authentication not enabled');
		// Still no AUTH after STARTTLS on the MX personality.
		assert.equal((await dialog.startTls()).last, '220 2.0.0 Ready to start TLS');
		assert.equal(dialog.tlsSocket?.authorized, true);
		const secureEhlo = await dialog.send('EHLO client.test');
		assert.ok(!keywords(secureEhlo).some(k => k.startsWith('AUTH') || k === 'STARTTLS'));
		assert.equal((await dialog.send('AUTH LOGIN')).last, '503 5.5.1 Error: authentication not enabled');
	} finally {
		dialog.close();
	}
});

test('25: refuses relaying with 554 5.7.1, accepts mail for postfix.test and delivers it', TEST, async () => {
	const dialog = await greeted(pf.ports[25]);
	const subject = unique('mx25');
	try {
		await dialog.send('EHLO client.test');
		assert.equal((await dialog.send('MAIL FROM:<sender@client.test>')).last, '250 2.1.0 Ok');
		assert.equal((await dialog.send('RCPT TO:<bob@example.com>')).last, '554 5.7.1 <bob@example.com>: Relay access denied');
		assert.equal((await dialog.send(`RCPT TO:<bob@${pf.domain}>`)).last, '250 2.1.5 Ok');
		assert.equal((await dialog.send('DATA')).last, '354 End data with <CR><LF>.<CR><LF>');
		const queued = await dialog.send(`From: <sender@client.test>\r\nTo: <bob@${pf.domain}>\r\nSubject: ${subject}\r\n\r\nhello\r\n.`);
		assert.match(queued.last, /^250 2\.0\.0 Ok: queued as [0-9A-Z]+$/);
		assert.equal((await dialog.send('QUIT')).last, '221 2.0.0 Bye');
	} finally {
		dialog.close();
	}
	const message = await pf.waitForDelivered(subject);
	assert.match(message, new RegExp(`^Delivered-To: bob@${pf.domain.replace('.', '\\.')}$`, 'm'));
});

for (const name of [587, 2525] as const) {
	test(`${name}: AUTH and MAIL before STARTTLS get 530 5.7.0; after TLS AUTH PLAIN LOGIN is offered`, TEST, async () => {
		const dialog = await greeted(pf.ports[name]);
		try {
			const ehlo = await dialog.send('EHLO client.test');
			assert.ok(keywords(ehlo).includes('STARTTLS'));
			assert.ok(!keywords(ehlo).some(k => k.startsWith('AUTH')), keywords(ehlo).join(', '));
			const mustTls = '530 5.7.0 Must issue a STARTTLS command first';
			assert.equal((await dialog.send(`AUTH PLAIN ${plain(ALICE.user, ALICE.password)}`)).last, mustTls);
			assert.equal((await dialog.send('MAIL FROM:<alice@postfix.test>')).last, mustTls);

			assert.equal((await dialog.startTls()).last, '220 2.0.0 Ready to start TLS');
			assert.equal(dialog.tlsSocket?.authorized, true, String(dialog.tlsSocket?.authorizationError));
			const secureEhlo = keywords(await dialog.send('EHLO client.test'));
			assert.ok(secureEhlo.includes('AUTH PLAIN LOGIN'), secureEhlo.join(', '));
			assert.ok(!secureEhlo.includes('STARTTLS'));

			// Not yet authenticated: the client restriction refuses at RCPT (smtpd_delay_reject).
			assert.equal((await dialog.send('MAIL FROM:<alice@postfix.test>')).last, '250 2.1.0 Ok');
			assert.equal((await dialog.send(`RCPT TO:<bob@${pf.domain}>`)).last, '554 5.7.1 <unknown[127.0.0.1]>: Client host rejected: Access denied');
			assert.equal((await dialog.send('RSET')).last, '250 2.0.0 Ok');

			assert.equal((await dialog.send(`AUTH PLAIN ${plain(ALICE.user, ALICE.password)}`)).last, '235 2.7.0 Authentication successful');
			assert.equal((await dialog.send('MAIL FROM:<alice@postfix.test>')).last, '250 2.1.0 Ok');
			// Authenticated clients may send anywhere (the instance discards mail for other domains).
			assert.equal((await dialog.send('RCPT TO:<bob@example.com>')).last, '250 2.1.5 Ok');
			assert.equal((await dialog.send('QUIT')).last, '221 2.0.0 Bye');
		} finally {
			dialog.close();
		}
	});
}

test('465: TLS from the first byte, then AUTH PLAIN LOGIN offered and AUTH LOGIN works', TEST, async () => {
	const dialog = await greeted(pf.ports[465], true);
	try {
		assert.equal(dialog.tlsSocket?.authorized, true);
		const offered = keywords(await dialog.send('EHLO client.test'));
		assert.ok(offered.includes('AUTH PLAIN LOGIN'), offered.join(', '));
		assert.ok(!offered.includes('STARTTLS'));
		assert.equal((await dialog.send('AUTH LOGIN')).last, '334 VXNlcm5hbWU6');
		assert.equal((await dialog.send(b64(ALICE.user))).last, '334 UGFzc3dvcmQ6');
		assert.equal((await dialog.send(b64(ALICE.password))).last, '235 2.7.0 Authentication successful');
	} finally {
		dialog.close();
	}
});

test('465: a plaintext client gets no banner (Postfix waits for a TLS ClientHello)', TEST, async () => {
	const socket = net.connect({host: pf.host, port: pf.ports[465]});
	const received: Buffer[] = [];
	socket.on('data', chunk => received.push(chunk));
	await new Promise<void>((resolve, reject) => {
		socket.once('connect', () => resolve());
		socket.once('error', reject);
	});
	await new Promise(resolve => setTimeout(resolve, 1000));
	const stillOpen = !socket.destroyed && socket.readyState === 'open';
	socket.destroy();
	assert.equal(Buffer.concat(received).length, 0);
	assert.ok(stillOpen);
});

/** A dialog on 465 (implicit TLS, so no STARTTLS step) that has said EHLO. */
async function submission(): Promise<Dialog> {
	const dialog = await greeted(pf.ports[465], true);
	await dialog.send('EHLO client.test');
	return dialog;
}

/** Resolves once Dovecot's log, past `offset` bytes, mentions a verdict on `user` (auth_verbose logs it as it decides). */
async function dovecotDecided(user: string, offset: number): Promise<void> {
	for (let wait = 0; wait < 400; wait++) {
		if (readFileSync(pf.dovecotLogFile).subarray(offset).toString('utf8').includes(`(${user},`)) return;
		await new Promise(resolve => setTimeout(resolve, 25));
	}

	assert.fail(`Dovecot logged no verdict on ${user}:\n${readFileSync(pf.dovecotLogFile, 'utf8').slice(-2000)}`);
}

test('wrong credentials get 535 5.7.8 at once, again and again, and a good login still works', TEST, async () => {
	const failed = '535 5.7.8 Error: authentication failed: (reason unavailable)';
	const attempts: Array<[user: string, steps: string[]]> = [
		[ALICE.user, [`AUTH PLAIN ${plain(ALICE.user, 'not-the-password')}`]],
		['nobody', [`AUTH PLAIN ${plain('nobody', ALICE.password)}`]],
		[ALICE.user, ['AUTH LOGIN', b64(ALICE.user), b64('not-the-password')]],
		[ALICE.user, [`AUTH PLAIN ${plain(ALICE.user, 'not-the-password')}`]],
	];
	// Stock Dovecot holds a failure back (auth_failure_delay, 2 s; a queue flushed every 500 ms
	// even at 0) and adds a growing per-IP penalty; every test client shares 127.0.0.1. The
	// harness turns all of it off. So a failure Dovecot has decided is answered before a good
	// login that is asked only afterwards: held back, it would come second.
	for (const [user, steps] of attempts) {
		const good = await submission();
		const dialog = await submission();
		try {
			for (const step of steps.slice(0, -1)) await dialog.send(step);
			const offset = readFileSync(pf.dovecotLogFile).length;
			const order: string[] = [];
			const failure = dialog.send(steps.at(-1)!).then(reply => {
				order.push('failure');
				return reply;
			});
			await dovecotDecided(user, offset);
			const login = good.send(`AUTH PLAIN ${plain(ALICE.user, ALICE.password)}`).then(reply => {
				order.push('login');
				return reply;
			});
			assert.equal((await failure).last, failed, steps[0]);
			assert.equal((await login).last, '235 2.7.0 Authentication successful', 'a good login after the failures');
			assert.deepEqual(order, ['failure', 'login'], `${steps[0]}: the failure was not held back`);
		} finally {
			dialog.close();
			good.close();
		}
	}
});

for (const auth of ['PLAIN', 'LOGIN'] as const) {
	test(`swaks -tls --auth ${auth} on 587 sends a message that is delivered`, TEST, async () => {
		const subject = unique(`swaks-${auth}`);
		const result = await swaks({port: pf.ports[587], mode: '-tls', auth, subject});
		assert.equal(result.code, 0, result.stdout + result.stderr);
		assert.match(result.stdout, /^<- {2}220 2\.0\.0 Ready to start TLS$/m);
		assert.match(result.stdout, /^<~ {2}235 2\.7\.0 Authentication successful$/m);
		assert.match(result.stdout, /^<~ {2}250 2\.0\.0 Ok: queued as [0-9A-Z]+$/m);
		await pf.waitForDelivered(subject);
	});
}

test('swaks -tls --auth PLAIN on 2525 succeeds', TEST, async () => {
	const result = await swaks({port: pf.ports[2525], mode: '-tls', auth: 'PLAIN', to: 'someone@example.com'});
	assert.equal(result.code, 0, result.stdout + result.stderr);
	assert.match(result.stdout, /^<~ {2}235 2\.7\.0 Authentication successful$/m);
});

test('swaks -tlsc (implicit TLS) --auth PLAIN on 465 succeeds', TEST, async () => {
	const subject = unique('swaks-465');
	const result = await swaks({port: pf.ports[465], mode: '-tlsc', auth: 'PLAIN', subject});
	assert.equal(result.code, 0, result.stdout + result.stderr);
	assert.match(result.stdout, /^<~ {2}235 2\.7\.0 Authentication successful$/m);
	await pf.waitForDelivered(subject);
});

test('swaks with a wrong password fails at AUTH with 535 (exit code 28)', TEST, async () => {
	const result = await swaks({port: pf.ports[587], mode: '-tls', auth: 'LOGIN', password: 'wrong'});
	assert.equal(result.code, 28, result.stdout + result.stderr);
	assert.match(result.stdout, /^<~\* 535 5\.7\.8 Error: authentication failed: \(reason unavailable\)$/m);
});

test('openssl s_client -starttls smtp verifies the certificate on 587 and sees AUTH after TLS', TEST, async () => {
	const result = await runTool(
		'openssl',
		['s_client', '-starttls', 'smtp', '-connect', `${pf.host}:${pf.ports[587]}`, '-CAfile', pf.caFile, '-verify_hostname', pf.hostname, '-verify_return_error', '-crlf', '-ign_eof', '-brief'],
		'EHLO client.test\nQUIT\n',
	);
	assert.equal(result.code, 0, result.stdout + result.stderr);
	assert.match(result.stderr, /^Verification: OK$/m);
	assert.match(result.stdout, /^250-AUTH PLAIN LOGIN\r?$/m);
	assert.match(result.stdout, /^221 2\.0\.0 Bye\r?$/m);
});

test('openssl s_client on 465 gets the banner inside TLS', TEST, async () => {
	const result = await runTool(
		'openssl',
		['s_client', '-connect', `${pf.host}:${pf.ports[465]}`, '-CAfile', pf.caFile, '-verify_hostname', pf.hostname, '-verify_return_error', '-crlf', '-ign_eof', '-brief'],
		'QUIT\n',
	);
	assert.equal(result.code, 0, result.stdout + result.stderr);
	assert.match(result.stderr, /^Verification: OK$/m);
	assert.match(result.stdout, /^220 mx\.postfix\.test ESMTP Postfix\r?$/m);
	assert.match(result.stdout, /^221 2\.0\.0 Bye\r?$/m);
});

/** Processes whose command line mentions `text` (zombies have an empty one). */
function processesMentioning(text: string): number[] {
	const found: number[] = [];
	for (const name of readdirSync('/proc')) {
		if (!/^\d+$/.test(name)) continue;
		try {
			if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(text)) found.push(Number(name));
		} catch {
			// the process ended while we looked
		}
	}
	return found;
}

async function connectionRefused(port: number): Promise<boolean> {
	return new Promise(resolve => {
		const socket = net.connect({host: '127.0.0.1', port});
		socket.once('connect', () => {
			socket.destroy();
			resolve(false);
		});
		socket.once('error', error => resolve((error as NodeJS.ErrnoException).code === 'ECONNREFUSED'));
	});
}

test('a second instance runs beside the first; stop() ends it, frees its ports and folder, and may be repeated', TEST, async () => {
	const other = await startPostfix();
	const ports = [other.ports[25], other.ports[465], other.ports[587], other.ports[2525]];
	assert.ok(!ports.some(port => Object.values(pf.ports).includes(port)));
	assert.notEqual(other.dir, pf.dir);
	const dialog = await Dialog.open(other.ports[25]);
	assert.equal((await dialog.reply()).last, `220 ${other.hostname} ESMTP Postfix`);
	dialog.close();
	assert.ok(processesMentioning(other.dir).length > 0, 'dovecot runs with its config in the folder');

	await other.stop();
	await other.stop();
	assert.equal(existsSync(other.dir), false);
	assert.deepEqual(processesMentioning(other.dir), []);
	for (const port of ports) assert.equal(await connectionRefused(port), true, `port ${port} still accepts`);
	// The first instance is untouched.
	const still = await greeted(pf.ports[25]);
	still.close();
});
