// Real POP3 clients read bob's mailbox from the lab: Debian's mpop (GnuTLS) and
// `openssl s_client`, each on 995 (implicit TLS) and on 110 with STLS, verifying the
// certificate against the lab's CA. They must get the bytes the lab stores.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile, spawn} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import {Session} from '../../source/engine/session.js';
import type {JourneyLab} from '../../source/journey/index.js';
import {startJourneyLab} from '../../source/journey/index.js';
import type {StoredMessage} from '../../source/lab/index.js';

const run = promisify(execFile);
let journey: JourneyLab;
let stored: StoredMessage;
let dir: string;
let caFile: string;

before(async () => {
	journey = await startJourneyLab();
	dir = mkdtempSync(path.join(tmpdir(), 'smtp-tui-journey-'));
	caFile = path.join(dir, 'pop3-ca.pem');
	writeFileSync(caFile, journey.pop3Ca);
	const session = new Session(journey.submissionOptions(587, {body: 'Hello Bob,\r\n.\r\n.a dotted line\r\nbye\r\n', subject: 'for real clients', timeouts: {command: 5000}}));
	assert.equal(await session.runToEnd(), 0, session.failureMessage);
	stored = await journey.mailboxes.waitFor(message => message.user === 'bob', 10_000);
});
after(async () => {
	await journey.close();
	rmSync(dir, {recursive: true, force: true});
});

/** Runs openssl s_client with `input` on its stdin; resolves with everything the server sent. */
async function sClient(args: string[], input: string): Promise<Buffer> {
	const child = spawn('openssl', ['s_client', ...args, '-CAfile', caFile, '-verify_return_error', '-verify_hostname', journey.receiver.hostname, '-servername', journey.receiver.hostname, '-quiet', '-crlf'], {stdio: ['pipe', 'pipe', 'pipe']});
	const out: Buffer[] = [];
	const err: Buffer[] = [];
	child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
	child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
	child.stdin.end(input);
	const timer = setTimeout(() => child.kill(), 15_000);
	const code = await new Promise<number | null>(resolve => {
		child.on('close', resolve);
	});
	clearTimeout(timer);
	assert.equal(code, 0, `openssl s_client failed: ${Buffer.concat(err).toString()}`);
	return Buffer.concat(out);
}

/** The RETR answer's body inside a whole POP3 conversation, byte-stuffing undone. */
function retrBody(conversation: Buffer): Buffer {
	const text = conversation.toString('latin1');
	const start = text.indexOf(`+OK ${stored.raw.length} octets\r\n`);
	assert.ok(start !== -1, `no RETR answer in ${JSON.stringify(text.slice(0, 400))}`);
	const body = text.slice(text.indexOf('\r\n', start) + 2);
	const end = body.indexOf('\r\n.\r\n');
	assert.ok(end !== -1, 'the RETR answer ends with CRLF.CRLF');
	return Buffer.from(body.slice(0, end + 2).replace(/(^|\r\n)\./g, '$1'), 'latin1');
}

for (const port of [995, 110] as const) {
	test(`openssl s_client on ${port === 995 ? '995 (implicit TLS)' : '110 (-starttls pop3)'} logs in and RETRieves the stored bytes`, async () => {
		const args = ['-connect', `127.0.0.1:${journey.pop3.ports[port]}`, ...(port === 110 ? ['-starttls', 'pop3'] : [])];
		const conversation = await sClient(args, 'USER bob\nPASS builder\nSTAT\nRETR 1\nQUIT\n');
		const text = conversation.toString('latin1');
		if (port === 995) assert.ok(text.startsWith('+OK mx.receiver.test POP3 smtp-tui lab ready.\r\n'));
		assert.ok(text.includes('+OK Logged in.\r\n'));
		assert.ok(retrBody(conversation).equals(stored.raw), 'the same bytes as stored, both Received: headers included');
		assert.ok(text.includes('\r\n..a dotted line\r\n'), 'byte-stuffed on the wire');
		assert.ok(text.trimEnd().endsWith('+OK Logging out.'));
	});
}

for (const port of [995, 110] as const) {
	test(`mpop reads bob's mailbox on ${port === 995 ? '995 (implicit TLS)' : '110 (STLS)'} and delivers the stored message`, async () => {
		const out = path.join(dir, `mpop-${port}.eml`);
		let result: {stdout: string; stderr: string};
		try {
			result = await run('mpop', [
				'--host=127.0.0.1',
				`--port=${journey.pop3.ports[port]}`,
				'--tls=on',
				`--tls-starttls=${port === 110 ? 'on' : 'off'}`,
				`--tls-trust-file=${caFile}`,
				`--tls-host-override=${journey.receiver.hostname}`,
				'--auth=user',
				'--user=bob',
				'--passwordeval=echo builder',
				`--delivery=mda,cat > ${out}`,
				'--keep=on',
				'--received-header=off',
				`--uidls-file=${path.join(dir, `uidls-${port}`)}`,
				'--debug',
			], {timeout: 20_000});
		} catch (error) {
			const failure = error as NodeJS.ErrnoException & {stderr?: string};
			if (failure.code === 'ENOENT') assert.fail('mpop is missing: apt-get install mpop (it belongs in .ci/install-peers.sh).');
			assert.fail(`mpop failed: ${failure.stderr ?? failure.message}`);
		}

		const wire = result.stdout.split(/\r?\n/).filter(line => /^(-->|<--) /.test(line));
		if (port === 110) assert.equal(wire[wire.indexOf('--> STLS') + 1], '<-- +OK Begin TLS negotiation now.');
		assert.ok(wire.includes('--> RETR 1'));
		assert.ok(wire.includes('--> PASS builder'), 'mpop logged in with USER/PASS (its own debug log shows the password)');
		// mpop hands the MDA the message with LF line ends, as Unix tools expect.
		assert.equal(readFileSync(out, 'latin1'), stored.raw.toString('latin1').replaceAll('\r\n', '\n'));
	});
}
