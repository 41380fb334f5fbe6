// Memory bounded by configuration: the in-memory inbox keeps the newest N messages within M
// bytes and counts what it prunes (what --save-dir saved stays on disk), the bytes of messages
// being received are budgeted over the lab, and the per-client tables stay bounded. Real
// clients (swaks) and raw sockets over loopback.

import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {mkdtemp, readdir, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {test} from 'node:test';
import {Greylist, greylistEntries} from '../../source/lab/greylist.js';
import {LabConfigError, startLab} from '../../source/lab/index.js';
import type {Lab} from '../../source/lab/index.js';
import {attachSaveDir} from '../../source/lab/save.js';
import {withLab, queued, sendMail} from '../support/lab-client.js';
import {lastLine} from '../support/raw-smtp.js';

/** swaks, a real client, sends one message to port 25; resolves with its exit code. */
async function swaks(lab: Lab, subject: string, bodyBytes = 0): Promise<number> {
	const body = bodyBytes > 0 ? 'x'.repeat(bodyBytes) : 'hello';
	const args = ['--server', '127.0.0.1', '--port', String(lab.ports[25]), '--to', 'bob@lab.test', '--from', 'alice@lab.test', '--header', `Subject: ${subject}`, '--body', body, '--silent', '2'];
	return new Promise(resolve => {
		execFile('swaks', args, {timeout: 20_000}, error => {
			resolve(error ? (typeof error.code === 'number' ? error.code : -1) : 0);
		});
	});
}

function subjects(lab: Lab): string[] {
	return lab.inbox.map(message => /^Subject: (.*)$/m.exec(message.raw.toString('latin1'))?.[1]?.trim() ?? '?');
}

test('the inbox keeps the newest maxInboxMessages and counts the pruned; every message is still saved on disk', async () => {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-inbox-'));
	try {
		await withLab({only: [25], limits: {maxInboxMessages: 3}}, async lab => {
			const saving = attachSaveDir(lab, dir, () => undefined);
			for (let index = 1; index <= 5; index++) assert.equal(await swaks(lab, `message ${index}`), 0);
			assert.deepEqual(subjects(lab), ['message 3', 'message 4', 'message 5'], 'the newest three, oldest first');
			const stats = lab.stats();
			assert.equal(stats.inbox.pruned, 2);
			assert.equal(stats.inbox.messages, 3);
			assert.equal(stats.messages, 5, 'all five were accepted');
			assert.equal(stats.inbox.bytes, lab.inbox.reduce((sum, message) => sum + message.raw.length, 0));
			await saving.flush();
			saving();
			const saved = (await readdir(dir)).filter(name => name.endsWith('.eml'));
			assert.equal(saved.length, 5, 'pruned from memory, not from the disk');
		});
	} finally {
		await rm(dir, {recursive: true, force: true});
	}
});

test('the inbox keeps at most maxInboxBytes, oldest pruned first (the newest always stays)', async () => {
	await withLab({only: [25], limits: {maxInboxBytes: 5000}}, async lab => {
		for (let index = 1; index <= 4; index++) assert.equal(await swaks(lab, `big ${index}`, 2000), 0);
		const {inbox} = lab.stats();
		assert.ok(inbox.bytes <= 5000, `${inbox.bytes} bytes kept`);
		assert.deepEqual(subjects(lab), ['big 3', 'big 4']);
		assert.equal(inbox.pruned, 2);
		assert.equal(await swaks(lab, 'huge', 6000), 0);
		assert.deepEqual(subjects(lab), ['huge'], 'one message over the bound is kept alone');
		assert.equal(lab.stats().inbox.pruned, 4);
	});
});

test('the budget for messages being received: one address over its share gets 452 4.3.1, its first message is not lost', async () => {
	// maxReceivingBytes 20000: one client IP may hold 10000 bytes of messages in transit.
	await withLab({only: [25], limits: {maxMessageBytes: 10_000, maxReceivingBytes: 20_000}}, async (lab, clients) => {
		const slow = await clients.greeted(25);
		assert.equal(lastLine(await slow.command('MAIL FROM:<a@lab.test>')), '250 2.1.0 Ok');
		assert.equal(lastLine(await slow.command('RCPT TO:<bob@lab.test>')), '250 2.1.5 Ok');
		assert.equal(lastLine(await slow.command('DATA')), '354 End data with <CR><LF>.<CR><LF>');
		slow.write(`Subject: slow\r\n\r\n${'s'.repeat(70)}\r\n`.repeat(80));
		for (let wait = 0; wait < 200 && lab.stats().receivingBytes < 5000; wait++) await new Promise(resolve => setTimeout(resolve, 10));
		assert.ok(lab.stats().receivingBytes >= 5000, 'the first message is being received');

		const second = await clients.greeted(25);
		const refused = await sendMail(second, 'b@lab.test', ['bob@lab.test'], `Subject: second\r\n\r\n${'t'.repeat(70)}\r\n`.repeat(80));
		assert.equal(refused, '452 4.3.1 Insufficient system storage');

		slow.write('.\r\n');
		assert.match(lastLine(await slow.readReply()), queued, 'the message in progress is accepted');
		assert.equal(lab.stats().receivingBytes, 0, 'everything given back');
		assert.match(await sendMail(second, 'b@lab.test', ['bob@lab.test'], 'Subject: retry\r\n\r\nagain\r\n'), queued, 'a retry passes');
		assert.equal(lab.inbox.length, 2);
	});
});

test('a client that drops mid-message gives its bytes back', async () => {
	await withLab({only: [25]}, async (lab, clients) => {
		const client = await clients.greeted(25);
		assert.equal(lastLine(await client.command('MAIL FROM:<a@lab.test>')), '250 2.1.0 Ok');
		assert.equal(lastLine(await client.command('RCPT TO:<bob@lab.test>')), '250 2.1.5 Ok');
		assert.equal(lastLine(await client.command('DATA')), '354 End data with <CR><LF>.<CR><LF>');
		client.write(`${'d'.repeat(998)}\r\n`.repeat(50));
		for (let wait = 0; wait < 200 && lab.stats().receivingBytes < 40_000; wait++) await new Promise(resolve => setTimeout(resolve, 10));
		assert.ok(lab.stats().receivingBytes >= 40_000);
		client.close();
		// smtp-server reports the close (onClose) after the socket's own close event.
		for (let wait = 0; wait < 200 && (lab.stats().connectionsNow > 0 || lab.stats().receivingBytes > 0); wait++) await new Promise(resolve => setTimeout(resolve, 10));
		assert.equal(lab.stats().receivingBytes, 0);
	});
});

test('the receiving budget must hold two of the largest messages', async () => {
	await assert.rejects(startLab({limits: {maxMessageBytes: 10_000, maxReceivingBytes: 15_000}}), (error: unknown) => {
		assert.ok(error instanceof LabConfigError);
		assert.equal(error.message, 'The lab limit maxReceivingBytes is 15000; it must be at least twice maxMessageBytes (20000).');
		return true;
	});
	await withLab({only: [25], limits: {maxMessageBytes: 40_000_000}}, async lab => {
		assert.equal(lab.limits.maxReceivingBytes, 80_000_000, 'the default grows with a larger message size');
	});
});

test('the greylist stays bounded however many triples a client invents', () => {
	const greylist = new Greylist();
	for (let index = 0; index < greylistEntries * 3; index++) greylist.check('192.0.2.1', `s${index}@example.com`, 'bob@lab.test', 60);
	assert.ok(greylist.size <= greylistEntries, `${greylist.size} triples kept`);
	// A triple that waited still passes, and is then remembered as passed.
	const now = Date.now();
	assert.equal(greylist.check('192.0.2.2', 'a@example.com', 'bob@lab.test', 1, now), false);
	assert.equal(greylist.check('192.0.2.2', 'a@example.com', 'bob@lab.test', 1, now + 1500), true);
	assert.equal(greylist.check('192.0.2.2', 'a@example.com', 'bob@lab.test', 1, now + 1500), true);
});
