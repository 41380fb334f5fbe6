// The account mailboxes (POP3, IMAP) are a second copy of what SMTP accepted, bounded like the
// inbox: all mailboxes together keep the newest --max-inbox-messages within --max-inbox-size,
// oldest pruned first and counted, and a POP3 or IMAP session that still lists a pruned
// message answers -ERR / NO for it instead of holding its bytes. Real clients: swaks over
// SMTP, Python's poplib and imaplib over POP3S and IMAPS.

import assert from 'node:assert/strict';
import {execFile, spawn} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {test} from 'node:test';
import type {Lab, LabLimits} from '../../source/lab/index.js';
import type {LabClients} from '../support/lab-client.js';
import {queued, sendMail, withLab} from '../support/lab-client.js';

/** swaks, a real client, sends one message to bob on port 25; resolves with its exit code. */
async function swaks(lab: Lab, subject: string): Promise<number> {
	const args = ['--server', '127.0.0.1', '--port', String(lab.ports[25]), '--to', 'bob@lab.test', '--from', 'alice@lab.test', '--header', `Subject: ${subject}`, '--body', 'hello', '--silent', '2'];
	return new Promise(resolve => {
		execFile('swaks', args, {timeout: 20_000}, error => {
			resolve(error ? (typeof error.code === 'number' ? error.code : -1) : 0);
		});
	});
}

const poplibScript = String.raw`
import poplib, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
p = poplib.POP3_SSL('127.0.0.1', port, context=ssl.create_default_context(cafile=cafile), timeout=30)
p.user('bob')
p.pass_('builder')
count, size = p.stat()
print('STAT', count, size)
for n in range(1, count + 1):
    for raw in p.top(n, 0)[1]:
        if raw.startswith(b'Subject:'):
            print(raw.decode().split(':', 1)[1].strip())
p.quit()
`;

// Selects INBOX, says so, waits for a line on stdin (the test prunes meanwhile), then FETCHes
// the first message it was told of, NOOPs, and lists what is left.
const imaplibScript = String.raw`
import imaplib, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
m = imaplib.IMAP4_SSL('127.0.0.1', port, ssl_context=ssl.create_default_context(cafile=cafile), timeout=30)
m.login('bob', 'builder')
typ, data = m.select('INBOX')
print('SELECTED', data[0].decode(), flush=True)
sys.stdin.readline()
typ, data = m.fetch('1', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
print('FETCH1', typ, data[-1].decode() if isinstance(data[-1], bytes) else data)
m.noop()
print('EXPUNGED', len(m.untagged_responses.get('EXPUNGE', [])))
typ, data = m.fetch('1:*', '(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
for item in data:
    if isinstance(item, tuple):
        print(item[1].decode().strip())
m.logout()
`;

async function scripts(lab: Lab): Promise<{dir: string; ca: string; pop: string; imap: string}> {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-mailbox-bound-'));
	const files = {dir, ca: path.join(dir, 'ca.pem'), pop: path.join(dir, 'pop.py'), imap: path.join(dir, 'imap.py')};
	await writeFile(files.ca, lab.ca);
	await writeFile(files.pop, poplibScript);
	await writeFile(files.imap, imaplibScript);
	return files;
}

type Files = Awaited<ReturnType<typeof scripts>>;

/** A lab with port 25 and the mailboxes under `limits`, the Python scripts written next to its CA. */
async function withMailLab(limits: LabLimits, body: (lab: Lab, clients: LabClients, files: Files) => Promise<void>): Promise<void> {
	await withLab({only: [25], mailboxes: {}, limits}, async (lab, clients) => {
		const files = await scripts(lab);
		try {
			await body(lab, clients, files);
		} finally {
			await rm(files.dir, {recursive: true, force: true});
		}
	});
}

async function python(args: string[]): Promise<{code: number; stdout: string; stderr: string}> {
	return new Promise(resolve => {
		execFile('python3', args, {timeout: 30_000}, (error, stdout, stderr) => {
			resolve({code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr});
		});
	});
}

test('bob\'s mailbox keeps the newest --max-inbox-messages, as poplib sees it; the pruned are counted', async () => {
	await withMailLab({maxInboxMessages: 3}, async (lab, _clients, files) => {
		for (let index = 1; index <= 6; index++) assert.equal(await swaks(lab, `message ${index}`), 0);
		const result = await python([files.pop, String(lab.mail!.pop3.ports[995]), files.ca]);
		assert.equal(result.code, 0, result.stderr);
		const [stat, ...subjects] = result.stdout.trim().split('\n');
		assert.match(stat!, /^STAT 3 \d+$/, 'three messages in bob\'s mailbox');
		assert.deepEqual(subjects, ['message 4', 'message 5', 'message 6'], 'the newest three, oldest first');
		const stats = lab.stats().mailboxes!;
		assert.equal(stats.messages, 3);
		assert.equal(stats.pruned, 3);
		assert.equal(stats.bytes, lab.mail!.mailboxes.all().reduce((sum, message) => sum + message.raw.length, 0));
		assert.equal(Number(stat!.split(' ')[2]), stats.bytes, 'STAT\'s octets are what the lab counts');
	});
});

test('a message pruned while imaplib has INBOX selected: FETCH says NO, NOOP brings its EXPUNGE, UIDs are not reused', async () => {
	await withMailLab({maxInboxMessages: 2}, async (lab, clients, files) => {
		const smtp = await clients.greeted(25);
		for (const subject of ['one', 'two']) assert.match(await sendMail(smtp, 'alice@lab.test', ['bob@lab.test'], `Subject: ${subject}\r\n\r\nhi\r\n`), queued);
		const child = spawn('python3', [files.imap, String(lab.mail!.imap.ports[993]), files.ca], {stdio: ['pipe', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stderr.on('data', (chunk: Buffer) => {
			stderr += chunk.toString();
		});
		const exited = new Promise<number | null>(resolve => child.once('close', resolve));
		await new Promise<void>((resolve, reject) => {
			child.stdout.on('data', (chunk: Buffer) => {
				stdout += chunk.toString();
				if (stdout.includes('SELECTED')) resolve();
			});
			void exited.then(() => {
				reject(new Error(`imaplib ended early: ${stderr}`));
			});
		});
		assert.match(stdout, /SELECTED 2/);
		// Two more: "one" and "two" are pruned while the session still lists them.
		for (const subject of ['three', 'four']) assert.match(await sendMail(smtp, 'alice@lab.test', ['bob@lab.test'], `Subject: ${subject}\r\n\r\nhi\r\n`), queued);
		child.stdin.end('go\n');
		assert.equal(await exited, 0, stderr);
		const lines = stdout.trim().split(/\r?\n/);
		assert.ok(lines.some(line => line.startsWith('FETCH1 NO') && line.includes('EXPUNGEISSUED')), stdout);
		assert.ok(lines.includes('EXPUNGED 2'), stdout);
		assert.deepEqual(lines.filter(line => line.startsWith('Subject:')), ['Subject: three', 'Subject: four']);
		assert.deepEqual(lab.mail!.mailboxes.list('bob').map(message => message.imapUid), [3, 4], 'new UIDs, never reused');
		assert.equal(lab.stats().mailboxes!.pruned, 2);
	});
});

test('40 messages of 1 MB with a 10 MB bound: the mailboxes never hold more than the bound, over POP3 too', async () => {
	await withMailLab({maxInboxBytes: 10_000_000}, async (lab, clients, files) => {
		const body = `Subject: big\r\n\r\n${`${'x'.repeat(76)}\r\n`.repeat(13_000)}`;
		const smtp = await clients.greeted(25);
		let largest = 0;
		for (let index = 0; index < 40; index++) {
			assert.match(await sendMail(smtp, 'alice@lab.test', ['bob@lab.test', 'alice@lab.test'], body), queued);
			largest = Math.max(largest, lab.stats().mailboxes!.bytes);
		}

		assert.ok(largest <= 10_000_000, `the mailboxes held at most ${largest} bytes`);
		const stats = lab.stats().mailboxes!;
		assert.ok(stats.pruned >= 60, `${stats.pruned} pruned of 80 copies`);
		assert.equal(stats.messages + stats.pruned, 80);
		const result = await python([files.pop, String(lab.mail!.pop3.ports[995]), files.ca]);
		assert.equal(result.code, 0, result.stderr);
		const [, count, octets] = result.stdout.split('\n')[0]!.split(' ');
		assert.ok(Number(count) >= 1 && Number(octets) <= 10_000_000, result.stdout.split('\n')[0]);
	});
});
