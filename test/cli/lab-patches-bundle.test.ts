// Every change the lab makes to smtp-server's behaviour through the connection's own members
// (source/lab/connection-hooks.ts: greetAtOnce, wrapSend, wrapCommands, guardDataParsers,
// keepInjectedCommands), exercised in the shipped bundle (`node dist/cli.js lab`), since a
// patch could hold in the sources and not in what esbuild bundled. scripts/check-upstream.mjs
// makes the build fail if the smtp-server code they rely on changes.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdtemp, readFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {test} from 'node:test';
import {freeBase} from '../support/ports.js';
import {cliPath} from '../support/pty.js';
import {RawSmtpClient, lastLine, plainToken} from '../support/raw-smtp.js';

const banner = '220 mx.lab.test ESMTP smtp-tui lab';
const queued = /^250 2\.0\.0 Ok: queued as [\dA-F]{10}$/;

type BundledLab = {base: number; ca: string; log: () => string; clients: RawSmtpClient[]; stop: () => Promise<void>};

/** `smtp-tui lab` from dist/cli.js with `args`, once it says where it listens. */
async function startBundledLab(args: string[]): Promise<BundledLab> {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-patches-'));
	const caFile = path.join(dir, 'ca.pem');
	const base = await freeBase();
	const child = spawn(process.execPath, [cliPath, 'lab', '--base-port', String(base), '--ca-out', caFile, ...args], {stdio: ['ignore', 'pipe', 'pipe']});
	let log = '';
	child.stdout.on('data', (chunk: Buffer) => {
		log += chunk.toString();
	});
	const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
	for (let i = 0; i < 200 && !log.includes('students:'); i++) await new Promise(resolve => setTimeout(resolve, 50));
	assert.match(log, /lab: listening on/, 'the bundled lab started');
	const clients: RawSmtpClient[] = [];
	return {
		base,
		ca: await readFile(caFile, 'utf8'),
		log: () => log,
		clients,
		async stop() {
			for (const client of clients) client.close();
			child.kill('SIGINT');
			assert.equal(await exited, 0, log);
		},
	};
}

async function connect(lab: BundledLab, port: number, tls = false): Promise<RawSmtpClient> {
	const client = await RawSmtpClient.connect({port: lab.base + port, tls: tls ? {ca: lab.ca, servername: 'mx.lab.test'} : undefined});
	lab.clients.push(client);
	return client;
}

async function greeted(lab: BundledLab, port: number): Promise<RawSmtpClient> {
	const client = await connect(lab, port);
	assert.equal(lastLine(await client.readReply()), banner);
	assert.equal((await client.command('EHLO client.test')).code, 250);
	return client;
}

/** MAIL, RCPT to bob, DATA: each accepted. */
async function startData(client: RawSmtpClient, from: string): Promise<void> {
	assert.equal(lastLine(await client.command(`MAIL FROM:<${from}>`)), '250 2.1.0 Ok');
	assert.equal(lastLine(await client.command('RCPT TO:<bob@lab.test>')), '250 2.1.5 Ok');
	assert.equal((await client.command('DATA')).code, 354);
}

async function waitForLog(lab: BundledLab, pattern: RegExp): Promise<void> {
	for (let i = 0; i < 100 && !pattern.test(lab.log()); i++) await new Promise(resolve => setTimeout(resolve, 50));
	assert.match(lab.log(), pattern);
}

test('the bundled lab: greeting at once, Postfix replies, line limit, faults in the command and DATA paths', {timeout: 60_000}, async () => {
	const lab = await startBundledLab([
		'--fault', '465:greet-pause=600000',
		'--fault', '587:tls-unavailable',
		'--fault', '2525:tarpit=200',
		'--fault', '25:bare-lf-reject',
		'--max-auth-failures', '2',
	]);
	try {
		// greetAtOnce: an EHLO pipelined right after connecting gets the banner, then its 250.
		const early = await connect(lab, 25);
		early.send('EHLO client.test');
		assert.equal(lastLine(await early.readReply()), banner);
		assert.equal((await early.readReply()).code, 250);
		// wrapSend: smtp-server's "250 OK" to NOOP in Postfix's words.
		assert.equal(lastLine(await early.command('NOOP')), '250 2.0.0 Ok');
		// wrapCommands: the lab's own line-length limit answers before smtp-server.
		assert.equal(lastLine(await early.command(`NOOP ${'x'.repeat(600)}`)), '500 5.5.2 Error: command too long');
		assert.equal(lastLine(await early.command('NOOP')), '250 2.0.0 Ok', 'the session goes on');
		// wrapSend: a 521 hangs up (smtp-server itself only closes after a 421).
		await startData(early, 'a@example.org');
		early.write('Subject: bare\n\nhello\r\n.\r\n');
		assert.equal(lastLine(await early.readReply()), '521 5.5.2 mx.lab.test Error: bare <LF> received');
		await early.waitForClose();

		// greet-pause (onConnect) + the early-talker refusal in postscreen's words.
		const pregreet = await connect(lab, 465, true);
		pregreet.send('EHLO client.test');
		assert.deepEqual((await pregreet.readReply()).lines, ['521 5.5.1 Protocol error']);
		await pregreet.waitForClose();

		// wrapCommands: the tls-unavailable fault answers STARTTLS before smtp-server.
		const noTls = await greeted(lab, 587);
		assert.equal(lastLine(await noTls.command('STARTTLS')), '454 4.7.0 TLS not available due to local problem');

		// wrapCommands (tarpit: every command held) and wrapSend (421 after the last allowed failed login).
		const slow = await greeted(lab, 2525);
		assert.equal(lastLine(await slow.command('STARTTLS')), '220 2.0.0 Ready to start TLS');
		await slow.startTls({ca: lab.ca, servername: 'mx.lab.test'});
		assert.equal((await slow.command('EHLO client.test')).code, 250);
		const wrong = `AUTH PLAIN ${plainToken('alice', 'wrong')}`;
		assert.equal(lastLine(await slow.command(wrong)), '535 5.7.8 Error: authentication failed: authentication failure');
		const last = await slow.command(wrong);
		assert.equal(lastLine(last), '535 5.7.8 Error: authentication failed: authentication failure');
		assert.equal(lastLine(await slow.readReply()), '421 4.7.0 mx.lab.test Error: too many authentication failures');
		await waitForLog(lab, /lab: fault 2525 127\.0\.0\.1 tarpit: reply delayed 200 ms/);
		assert.match(lab.log(), /lab: fault 2525 127\.0\.0\.1 tarpit: banner delayed 200 ms/);
		assert.match(lab.log(), /lab: fault 465 127\.0\.0\.1 greet-pause: a client talked before the banner/);
		assert.match(lab.log(), /lab: fault 587 127\.0\.0\.1 tls-unavailable: 454/);
	} finally {
		await lab.stop();
	}
});

test('the bundled lab: the attack personalities (STARTTLS injection both ways, smuggling) and disconnect-in-data', {timeout: 60_000}, async () => {
	const lab = await startBundledLab([
		'--attack', 'starttls-command-injection',
		'--attack', 'starttls-response-injection',
		'--attack', 'smuggling',
		'--fault', '587:disconnect-in-data',
	]);
	try {
		// keepInjectedCommands + wrapSend: cleartext behind STARTTLS runs inside TLS; fake replies follow the 220.
		const victim = await greeted(lab, 25);
		victim.write('STARTTLS\r\nEHLO evil.example\r\nMAIL FROM:<attacker@evil.example>\r\n');
		assert.equal(lastLine(await victim.readReply()), '220 2.0.0 Ready to start TLS');
		await victim.startTls({ca: lab.ca, servername: 'mx.lab.test'});
		assert.equal(victim.plaintextAtStartTls.toString('latin1'), '250-fake\r\n250 AUTH PLAIN\r\n', 'the injected replies');
		assert.equal((await victim.readReply()).lines[0], '250-mx.lab.test', 'the injected EHLO was answered inside TLS');
		assert.equal(lastLine(await victim.readReply()), '250 2.1.0 Ok', 'the injected MAIL FROM too');

		// guardDataParsers: <LF>.<LF> ends the message, a second one is smuggled behind it.
		const smuggler = await greeted(lab, 25);
		await startData(smuggler, 'a@example.org');
		smuggler.write('Subject: first\r\n\r\nhello\n.\nMAIL FROM:<evil@example.org>\r\nRCPT TO:<bob@lab.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\n');
		const replies = [];
		for (let index = 0; index < 5; index++) replies.push(lastLine(await smuggler.readReply()));
		assert.match(replies[0]!, queued, 'the first message ended at <LF>.<LF>');
		assert.deepEqual(replies.slice(1, 4), ['250 2.1.0 Ok', '250 2.1.5 Ok', '354 End data with <CR><LF>.<CR><LF>']);
		assert.match(replies[4]!, queued, 'the smuggled message was accepted');

		// disconnect-in-data (onData, inside STARTTLS): cut after the first line, no reply.
		const cut = await greeted(lab, 587);
		cut.send('STARTTLS');
		assert.equal(lastLine(await cut.readReply()), '220 2.0.0 Ready to start TLS');
		await cut.startTls({ca: lab.ca, servername: 'mx.lab.test'});
		assert.equal((await cut.command('EHLO client.test')).code, 250);
		assert.equal(lastLine(await cut.command(`AUTH PLAIN ${plainToken('alice', 'wonderland')}`)), '235 2.7.0 Authentication successful');
		await startData(cut, 'alice@lab.test');
		cut.write('Subject: cut\r\n\r\nhello\r\n.\r\n');
		await cut.waitForClose();
		assert.equal(cut.buffered.length, 0, 'no reply at all');
		await waitForLog(lab, /lab: fault 587 127\.0\.0\.1 disconnect-in-data: connection dropped/);
	} finally {
		await lab.stop();
	}
});
