// Bounces: a message the provider accepted and the MX refused for good comes back to its
// sender as a delivery status notification (RFC 3464 in a multipart/report, RFC 6522),
// read here with mailparser and with smtp-tui's own message checks.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import {simpleParser} from 'mailparser';
import {checkMessage} from '../../source/checks/message-checks.js';
import {Session} from '../../source/engine/session.js';
import type {JourneyLab, JourneyRelay} from '../../source/journey/index.js';
import {startJourneyLab} from '../../source/journey/index.js';

let journey: JourneyLab;
before(async () => {
	journey = await startJourneyLab();
});
after(async () => {
	await journey.close();
});

async function submit(to: string[]): Promise<JourneyRelay> {
	const session = new Session(journey.submissionOptions(587, {to, timeouts: {greeting: 5000, command: 5000}}));
	assert.equal(await session.runToEnd(), 0, session.failureMessage);
	const queueId = /queued as (\S+)/.exec(session.entries.findLast(entry => entry.code === 250)?.text ?? '')?.[1] ?? '';
	return journey.relayFor(queueId, 15_000);
}

test('a recipient the MX refuses with 550 5.1.1: the sender gets a DSN saying so', async () => {
	const relay = await submit(['unknown@receiver.test']);
	assert.equal(relay.state, 'failed');
	const bounce = relay.bounce;
	assert.ok(bounce, 'a bounce was made');
	assert.deepEqual(bounce.recipients, [{recipient: 'unknown@receiver.test', action: 'failed', status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 <unknown@receiver.test>: Recipient address rejected: User unknown in virtual mailbox table'}]);
	assert.equal(journey.bounces.at(-1)?.queueId, relay.queueId);
	const parsed = await simpleParser(bounce.raw);
	assert.equal(parsed.subject, 'Undelivered Mail Returned to Sender');
	assert.deepEqual(parsed.from?.value.map(address => [address.name, address.address]), [['Mail Delivery System', 'MAILER-DAEMON@smtp.sender.test']]);
	assert.equal(parsed.to && !Array.isArray(parsed.to) ? parsed.to.text : '', 'alice@sender.test');
	assert.match(String(parsed.headers.get('content-type') && (parsed.headers.get('content-type') as {value: string}).value), /^multipart\/report$/);
	assert.match(parsed.text ?? '', /<unknown@receiver\.test>: host mx\.receiver\.test said: 550 5\.1\.1/);
	const text = bounce.raw.toString('utf8');
	assert.match(text, /Content-Type: message\/delivery-status\r\n\r\nReporting-MTA: dns; smtp\.sender\.test\r\n/);
	assert.match(text, /\r\nFinal-Recipient: rfc822; unknown@receiver\.test\r\nAction: failed\r\nStatus: 5\.1\.1\r\nRemote-MTA: dns; mx\.receiver\.test\r\n/);
	assert.match(text, /Content-Type: text\/rfc822-headers\r\n\r\n[^]*Subject: smtp-tui test message/);
	// A well-formed message by smtp-tui's own checks.
	const report = await checkMessage(bounce.raw);
	assert.deepEqual(report.findings.filter(item => item.group === 'structure' || item.group === 'mime'), []);
});

const run = promisify(execFile);

/** Real curl reads `url` from smtp.sender.test (resolved to the lab's loopback), trusting the sender lab's CA. */
async function curlRead(url: string, port: number, caFile: string): Promise<Buffer> {
	const {stdout} = await run('curl', ['--silent', '--show-error', '--max-time', '20', '--cacert', caFile, '--resolve', `${journey.sender.hostname}:${port}:127.0.0.1`, '--user', 'alice:wonderland', url], {encoding: 'buffer'});
	return stdout;
}

test('the DSN lands in alice\'s own mailbox: curl reads it over pop3s:// and imaps://, mailparser finds the report', async () => {
	const relay = await submit(['unknown@receiver.test']);
	assert.equal(relay.state, 'failed');
	const entry = journey.bounces.find(item => item.queueId === relay.queueId);
	assert.equal(entry?.delivered?.user, 'alice', 'the bounce was stored for alice');
	const dir = mkdtempSync(path.join(tmpdir(), 'smtp-tui-dsn-'));
	try {
		const caFile = path.join(dir, 'sender-ca.pem');
		writeFileSync(caFile, journey.sender.ca);
		const host = journey.sender.hostname;
		const {pop3, imap} = journey.senderMail;
		// Where the student reads it: her mailbox at her own provider, over TLS verified against its CA.
		const number = journey.senderMail.mailboxes.list('alice').findIndex(message => message.uid === entry!.delivered!.uid) + 1;
		const overPop3 = await curlRead(`pop3s://${host}:${pop3.ports[995]}/${number}`, pop3.ports[995]!, caFile);
		const overImap = await curlRead(`imaps://${host}:${imap.ports[993]}/INBOX;UID=${entry!.delivered!.imapUid}`, imap.ports[993]!, caFile);
		for (const raw of [overPop3, overImap]) {
			const parsed = await simpleParser(raw);
			assert.equal(parsed.subject, 'Undelivered Mail Returned to Sender');
			assert.equal((parsed.headers.get('content-type') as {value: string; params: Record<string, string>}).value, 'multipart/report');
			assert.equal((parsed.headers.get('content-type') as {value: string; params: Record<string, string>}).params['report-type'], 'delivery-status');
			assert.match(parsed.headers.get('received') as string, new RegExp(`by ${host.replaceAll('.', '\\.')} .* for <alice@sender\\.test>`));
			// mailparser reads the message/delivery-status part as text, after the human part;
			// the original's header stays an attachment (text/rfc822-headers).
			assert.deepEqual(parsed.attachments.map(item => item.contentType), ['text/rfc822-headers']);
			const fields = parsed.text ?? '';
			assert.match(fields, /^Reporting-MTA: dns; smtp\.sender\.test\r?$/m);
			assert.match(fields, /^Final-Recipient: rfc822; unknown@receiver\.test\r?$/m);
			assert.match(fields, /^Status: 5\.1\.1\r?$/m);
			assert.match(fields, /^Diagnostic-Code: smtp; 550 5\.1\.1 <unknown@receiver\.test>: Recipient address rejected: User unknown in virtual mailbox table\r?$/m);
		}
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
});

test('a refusal under DMARC p=reject bounces with 5.7.26; a temporary 4xx does not bounce', async () => {
	journey.setAuthFaults(['dmarc-reject']);
	try {
		const relay = await submit(['bob@receiver.test']);
		assert.equal(relay.bounce?.recipients[0]?.status, '5.7.26');
		assert.match(relay.bounce?.recipients[0]?.diagnostic ?? '', /^smtp; 550 5\.7\.26 Unauthenticated email from brand\.test/);
	} finally {
		journey.setAuthFaults([]);
	}

	const temporary = await submit(['tempfail@receiver.test']);
	assert.equal(temporary.state, 'failed');
	assert.equal(temporary.bounce, undefined, 'a 4xx is retried by a real MTA, not bounced');
});
