// Real IMAP clients read bob's mailbox from the lab: imapflow (npm), Python's imaplib and curl,
// each on 993 (implicit TLS) and on 143 with STARTTLS, verifying the certificate against the
// lab's CA. The message was captured by the receiver's port 25 with 8-bit bytes that are not
// UTF-8; every client must get exactly the stored bytes, and \Seen must outlive the session.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import {ImapFlow} from 'imapflow';
import type {JourneyLab} from '../../source/journey/index.js';
import {startJourneyLab} from '../../source/journey/index.js';
import type {ImapEvent, StoredMessage} from '../../source/lab/index.js';
import {eightBitMessage} from '../support/captured.js';
import {lastLine, RawSmtpClient} from '../support/raw-smtp.js';

const run = promisify(execFile);
let journey: JourneyLab;
let stored: StoredMessage;
let dir: string;
let caFile: string;

/** Header and body with latin1 bytes (é, ï, ÿ) that are not valid UTF-8, and a line starting with a dot. */
const message = eightBitMessage({from: '"Doe, Jane" <jane@sender.test>', to: 'bob@receiver.test', messageId: '<imap-clients@sender.test>'});

before(async () => {
	journey = await startJourneyLab();
	dir = mkdtempSync(path.join(tmpdir(), 'smtp-tui-imap-'));
	caFile = path.join(dir, 'lab-ca.pem');
	writeFileSync(caFile, journey.pop3Ca);
	// Server to server, as the relay would, but with bytes the engine's text API cannot carry yet.
	const smtp = await RawSmtpClient.connect({port: journey.receiver.ports[25]!});
	await smtp.readReply();
	assert.equal((await smtp.command('EHLO smtp.sender.test')).code, 250);
	assert.equal(lastLine(await smtp.command('MAIL FROM:<jane@sender.test> BODY=8BITMIME')), '250 2.1.0 Ok');
	assert.equal(lastLine(await smtp.command('RCPT TO:<bob@receiver.test>')), '250 2.1.5 Ok');
	assert.equal((await smtp.command('DATA')).code, 354);
	smtp.write(Buffer.concat([Buffer.from(message.toString('latin1').replace(/^\./gm, '..'), 'latin1'), Buffer.from('.\r\n')]));
	assert.equal((await smtp.readReply()).code, 250);
	smtp.close();
	stored = await journey.mailboxes.waitFor(candidate => candidate.user === 'bob', 10_000);
	assert.ok(stored.raw.subarray(stored.raw.length - message.length).equals(message), 'the lab stored the bytes as sent');
});
after(async () => {
	await journey.close();
	rmSync(dir, {recursive: true, force: true});
});

/** The IMAP server's events from now on, until `stop()`. */
function watch(): {events: ImapEvent[]; stop: () => void} {
	const events: ImapEvent[] = [];
	const stop = journey.imap.onEvent(event => events.push(event));
	return {events, stop};
}

function imapflow(port: 143 | 993): ImapFlow {
	return new ImapFlow({
		host: '127.0.0.1',
		port: journey.imap.ports[port]!,
		secure: port === 993,
		doSTARTTLS: port === 143 ? true : undefined,
		tls: {ca: [journey.pop3Ca], servername: journey.receiver.hostname, rejectUnauthorized: true},
		auth: {user: 'bob', pass: 'builder'},
		logger: false,
		disableAutoIdle: true,
	});
}

/** Sets or clears \Seen on the stored message directly, so each test starts from a known state. */
function setSeen(seen: boolean): void {
	if (seen) stored.flags.add('\\Seen');
	else stored.flags.delete('\\Seen');
}

for (const port of [993, 143] as const) {
	test(`imapflow on ${port === 993 ? '993 (implicit TLS)' : '143 (STARTTLS)'}: the stored bytes, the envelope, and \\Seen kept for the next session`, async () => {
		setSeen(false);
		const seen = watch();
		const client = imapflow(port);
		await client.connect();
		try {
			const lock = await client.getMailboxLock('INBOX');
			try {
				const fetched = await client.fetchOne(String(stored.imapUid), {uid: true, flags: true, envelope: true, size: true, internalDate: true, source: true}, {uid: true});
				assert.ok(fetched, 'the message is there');
				assert.ok(fetched.source?.equals(stored.raw), 'the same bytes as stored, 8-bit and both Received: headers included');
				assert.equal(fetched.size, stored.raw.length);
				assert.equal(fetched.uid, stored.imapUid);
				assert.deepEqual([...(fetched.flags ?? [])], [], 'BODY.PEEK[] leaves \\Seen alone');
				assert.equal(fetched.envelope?.messageId, '<imap-clients@sender.test>');
				assert.deepEqual(fetched.envelope?.from?.map(address => [address.name, address.address]), [['Doe, Jane', 'jane@sender.test']]);
				assert.ok(await client.messageFlagsAdd({uid: String(stored.imapUid)}, ['\\Seen'], {uid: true}));
			} finally {
				lock.release();
			}

			await client.logout();
		} finally {
			client.close();
		}

		// A second session sees the flag: it lives in the mailbox.
		const again = imapflow(port);
		await again.connect();
		try {
			const status = await again.status('INBOX', {messages: true, unseen: true});
			assert.ok(status, 'STATUS answered');
			assert.equal(status.unseen, (status.messages ?? 0) - 1);
			const lock = await again.getMailboxLock('INBOX', {readOnly: true});
			try {
				const fetched = await again.fetchOne(String(stored.imapUid), {flags: true}, {uid: true});
				assert.deepEqual([...(fetched ? fetched.flags ?? [] : [])], ['\\Seen']);
			} finally {
				lock.release();
			}

			await again.logout();
		} finally {
			again.close();
		}

		seen.stop();
		const logins = seen.events.filter(event => event.type === 'login');
		assert.deepEqual(logins.map(event => [event.port, event.user]), [[port, 'bob'], [port, 'bob']]);
		assert.ok(seen.events.some(event => event.type === 'store' && event.detail === `${stored.imapUid} +\\Seen`));
	});
}

test('imapflow cannot log in on 143 without STARTTLS: the lab says LOGINDISABLED and refuses', async () => {
	const client = new ImapFlow({
		host: '127.0.0.1',
		port: journey.imap.ports[143]!,
		secure: false,
		doSTARTTLS: false,
		auth: {user: 'bob', pass: 'builder'},
		logger: false,
		disableAutoIdle: true,
	});
	await assert.rejects(client.connect());
	client.close();
});

const pythonClient = String.raw`
import base64, imaplib, json, socket, ssl, sys
port, secure, uid, cafile, hostname = int(sys.argv[1]), sys.argv[2] == 'tls', sys.argv[3], sys.argv[4], sys.argv[5]
context = ssl.create_default_context(cafile=cafile)

# imaplib names the host it connects to in SNI and in the certificate check: connect to the
# loopback address, and check the certificate against the lab's name.
class Plain(imaplib.IMAP4):
    def _create_socket(self, timeout):
        return socket.create_connection(('127.0.0.1', self.port), timeout)

class Implicit(imaplib.IMAP4_SSL):
    def _create_socket(self, timeout):
        return self.ssl_context.wrap_socket(socket.create_connection(('127.0.0.1', self.port), timeout), server_hostname=self.host)

def session():
    if secure:
        imap = Implicit(hostname, port, ssl_context=context)
    else:
        imap = Plain(hostname, port)
        imap.starttls(ssl_context=context)
    imap.login('bob', 'builder')
    return imap

out = {}
imap = session()
out['capabilities'] = list(imap.capabilities)
typ, data = imap.select('INBOX')
out['exists'] = data[0].decode()
typ, data = imap.uid('FETCH', uid, '(BODY.PEEK[] FLAGS)')
out['peek'] = base64.b64encode(data[0][1]).decode()
out['peekLine'] = (data[0][0] + data[1]).decode('latin1')
typ, data = imap.fetch('1', '(RFC822)')
out['rfc822'] = base64.b64encode(data[0][1]).decode()
out['afterRead'] = (data[0][0] + data[1]).decode('latin1')
imap.logout()
imap = session()
imap.select('INBOX', readonly=True)
typ, data = imap.uid('FETCH', uid, '(FLAGS)')
out['nextSession'] = data[0].decode('latin1')
typ, data = imap.search(None, 'UNSEEN')
out['unseen'] = data[0].decode()
imap.logout()
print(json.dumps(out))
`;

async function runPython(port: 143 | 993): Promise<Record<string, string | string[]>> {
	const {stdout} = await run('python3', ['-c', pythonClient, String(journey.imap.ports[port]), port === 993 ? 'tls' : 'starttls', String(stored.imapUid), caFile, journey.receiver.hostname], {timeout: 20_000});
	return JSON.parse(stdout) as Record<string, string | string[]>;
}

for (const port of [993, 143] as const) {
	test(`Python's imaplib on ${port === 993 ? '993 (IMAP4_SSL)' : '143 (starttls())'}: the stored bytes, RFC822 sets \\Seen, the next session sees it`, async () => {
		setSeen(false);
		const out = await runPython(port);
		assert.ok(out.capabilities!.includes('IMAP4REV1'));
		assert.ok(!out.capabilities!.includes('STARTTLS'), 'inside TLS, STARTTLS is no longer offered');
		assert.equal(out.exists, String(journey.mailboxes.list('bob').length));
		assert.ok(Buffer.from(out.peek as string, 'base64').equals(stored.raw), 'BODY.PEEK[]: the stored bytes');
		assert.ok(Buffer.from(out.rfc822 as string, 'base64').equals(stored.raw), 'RFC822: the stored bytes');
		assert.match(out.peekLine as string, /FLAGS \(\)/);
		assert.match(out.afterRead as string, /FLAGS \(\\Seen\)/);
		assert.match(out.nextSession as string, new RegExp(`UID ${stored.imapUid} FLAGS \\(\\\\Seen\\)`));
		assert.equal(out.unseen, '');
	});
}

/** curl against the lab's IMAP, certificate checked against the lab's name and CA; resolves with stdout. */
async function curl(port: 143 | 993, path: string, extra: string[] = []): Promise<Buffer> {
	const scheme = port === 993 ? 'imaps' : 'imap';
	const name = journey.receiver.hostname;
	const args = [
		'--silent', '--show-error', '--max-time', '20',
		'--cacert', caFile,
		'--connect-to', `${name}:${port}:127.0.0.1:${journey.imap.ports[port]}`,
		...(port === 143 ? ['--ssl-reqd'] : []),
		'--user', 'bob:builder',
		...extra,
		`${scheme}://${name}:${port}/${path}`,
	];
	const {stdout} = await run('curl', args, {encoding: 'buffer', timeout: 25_000});
	return stdout;
}

for (const port of [993, 143] as const) {
	test(`curl ${port === 993 ? 'imaps:// on 993' : 'imap:// on 143 with --ssl-reqd (STARTTLS)'}: the stored bytes, and \\Seen kept`, async () => {
		setSeen(false);
		const body = await curl(port, `INBOX;UID=${stored.imapUid}`);
		assert.ok(body.equals(stored.raw), 'the same bytes as stored');
		const flags = await curl(port, 'INBOX', ['--request', `UID FETCH ${stored.imapUid} FLAGS`]);
		assert.match(flags.toString('latin1'), new RegExp(`^\\* \\d+ FETCH \\(UID ${stored.imapUid} FLAGS \\(\\\\Seen\\)\\)`, 'm'));
		const listing = await curl(port, '');
		assert.match(listing.toString('latin1'), /^\* LIST \(\\HasNoChildren\) "\/" INBOX\r?$/m);
	});
}

test('curl imap:// on 143 without TLS cannot log in: the lab refuses plaintext authentication', async () => {
	const name = journey.receiver.hostname;
	await assert.rejects(run('curl', ['--silent', '--max-time', '10', '--connect-to', `${name}:143:127.0.0.1:${journey.imap.ports[143]}`, '--user', 'bob:builder', `imap://${name}:143/INBOX;UID=${stored.imapUid}`], {timeout: 15_000}));
});
