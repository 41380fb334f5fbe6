// `smtp-tui lab` keeps a mailbox per account and serves it over POP3 and IMAP, so students read
// lab mail with a real mail program: swaks sends, curl reads over IMAP (993, and 143 with
// STARTTLS) and POP3 (995), checking the certificate against the CA the lab wrote out. The
// built binary runs here, so the bundled IMAP server is what is tested.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile, spawn} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import {classroomOptions} from '../../source/commands/lab.js';
import {UsageError} from '../../source/setup/target.js';
import {eightBitMessage} from '../support/captured.js';
import {freeBase} from '../support/ports.js';
import {cliPath} from '../support/pty.js';

const run = promisify(execFile);

test('--ports maps the POP3 and IMAP personalities too (the others take free ports); anything else is one clear sentence', async () => {
	const options = await classroomOptions({ports: '25=2025,993=2993'});
	assert.equal(options.ports[25], 2025);
	assert.deepEqual(options.mailPorts, {110: 0, 995: 0, 143: 0, 993: 2993}, 'those --ports does not name take a free port');
	assert.deepEqual((await classroomOptions({basePort: '30000'})).mailPorts, {110: 30_110, 995: 30_995, 143: 30_143, 993: 30_993});
	await assert.rejects(classroomOptions({ports: '80=8080'}), (error: unknown) => error instanceof UsageError && error.message === '--ports maps the lab\'s ports (25, 465, 587, 2525; POP3 110, 995; IMAP 143, 993), not 80.');
});

test('the classroom lab: mail sent with swaks is read over IMAP and POP3 with curl, byte for byte, the CA checked', {timeout: 120_000}, async () => {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-class-mail-'));
	const ca = path.join(dir, 'ca.pem');
	const data = path.join(dir, 'message.eml');
	const message = eightBitMessage({from: 'alice@lab.test', to: 'bob@lab.test', messageId: '<classroom-mail@lab.test>'});
	await writeFile(data, message);
	const base = await freeBase();
	const child = spawn(process.execPath, [cliPath, 'lab', '--base-port', String(base), '--ca-out', ca], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, CI: 'true'}});
	let log = '';
	child.stdout.on('data', (chunk: Buffer) => {
		log += chunk.toString();
	});
	const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
	try {
		for (let i = 0; i < 200 && !log.includes('students:'); i++) await new Promise(resolve => setTimeout(resolve, 50));
		assert.match(log, new RegExp(`lab: mailboxes \\(mail to each account's address\\): POP3 110→${base + 110}, 995→${base + 995}; IMAP 143→${base + 143}, 993→${base + 993}`));

		const swaks = await run('swaks', ['--server', '127.0.0.1', '--port', String(base + 587), '--tls', '--auth', 'PLAIN', '--auth-user', 'alice', '--auth-password', 'wonderland', '--from', 'alice@lab.test', '--to', 'bob@lab.test', '--data', `@${data}`], {timeout: 30_000});
		assert.match(swaks.stdout, /250 2\.0\.0 Ok: queued as/);

		const curl = async (url: string, port: number, extra: string[] = []) => (await run('curl', [
			'--silent', '--show-error', '--max-time', '20', '--cacert', ca,
			'--connect-to', `mx.lab.test:${port}:127.0.0.1:${base + port}`, '--user', 'bob:builder', ...extra, url,
		], {encoding: 'buffer', timeout: 25_000})).stdout;
		const imap = await curl(`imaps://mx.lab.test:993/INBOX;UID=1`, 993);
		const starttls = await curl(`imap://mx.lab.test:143/INBOX;UID=1`, 143, ['--ssl-reqd']);
		const pop3 = await curl(`pop3s://mx.lab.test:995/1`, 995);
		// swaks ends the data with one more CRLF of its own.
		assert.ok(imap.subarray(imap.length - message.length - 2).equals(Buffer.concat([message, Buffer.from('\r\n')])), 'IMAP: the message as sent, 8-bit bytes intact, after the lab\'s Received: header');
		assert.match(imap.toString('latin1'), /^Received: from /);
		assert.ok(starttls.equals(imap), 'IMAP after STARTTLS on 143: the same bytes');
		assert.ok(pop3.equals(imap), 'POP3 on 995 reads the same mailbox: the same bytes');
		const flags = await curl('imaps://mx.lab.test:993/INBOX', 993, ['--request', 'UID FETCH 1 FLAGS']);
		assert.match(flags.toString('latin1'), /^\* 1 FETCH \(UID 1 FLAGS \(\\Seen\)\)/m);
		// Alice's mailbox is her own: she sees nothing of bob's.
		const alice = (await run('curl', ['--silent', '--max-time', '20', '--cacert', ca, '--connect-to', `mx.lab.test:993:127.0.0.1:${base + 993}`, '--user', 'alice:wonderland', '--request', 'SEARCH ALL', 'imaps://mx.lab.test:993/INBOX'], {timeout: 25_000})).stdout;
		assert.match(alice, /^\* SEARCH\r?$/m);
		assert.match(log, new RegExp(`lab: imap login 993 127\\.0\\.0\\.1 bob`));
		assert.match(log, /lab: pop3 retr 995 127\.0\.0\.1 bob /);
	} finally {
		child.kill('SIGINT');
		await exited;
		await rm(dir, {recursive: true, force: true});
	}

	assert.match(log, /lab: stopped after \d+ sessions and 1 messages/);
});
