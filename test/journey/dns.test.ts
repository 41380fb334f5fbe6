// The journey's DNS server (lab/dns.ts serving journey/zone.ts) asked by a DNS client the
// project did not write: Debian's dig (bind9-dnsutils), over UDP and TCP. Then smtp-tui's own
// MX lookup in lab mode: the relay finds mx.receiver.test through the same server.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {promisify} from 'node:util';
import {lookupMx} from '../../source/engine/mx.js';
import {Session} from '../../source/engine/session.js';
import type {JourneyLab} from '../../source/journey/index.js';
import {startJourneyLab} from '../../source/journey/index.js';

let journey: JourneyLab;
before(async () => {
	journey = await startJourneyLab();
});
after(async () => {
	await journey.close();
});

async function dig(...args: string[]): Promise<string> {
	// The server runs in this process: dig must run asynchronously, or nobody would answer it.
	const {stdout} = await promisify(execFile)('dig', [`@${journey.dns.host}`, '-p', String(journey.dns.port), '+time=2', '+tries=1', ...args], {timeout: 10_000});
	return stdout;
}

const status = (output: string) => /status: (\w+)/.exec(output)?.[1];

test('dig: MX and A of both lab domains, answered with authority', async () => {
	assert.equal((await dig('+short', 'MX', 'receiver.test')).trim(), '10 mx.receiver.test.');
	assert.equal((await dig('+short', 'MX', 'sender.test')).trim(), '10 smtp.sender.test.');
	assert.equal((await dig('+short', 'A', 'mx.receiver.test')).trim(), '127.0.0.1');
	const full = await dig('A', 'smtp.sender.test');
	assert.match(full, /flags: qr aa/, 'an authoritative answer');
	assert.equal(status(full), 'NOERROR');
});

test('dig: the SPF, DKIM and DMARC records of sender.test', async () => {
	assert.equal((await dig('+short', 'TXT', 'sender.test')).trim(), '"v=spf1 a:smtp.sender.test -all"');
	assert.match(await dig('+short', 'TXT', '_dmarc.sender.test'), /^"v=DMARC1; p=none; adkim=r; aspf=r; /);
	// A 2048-bit key is longer than one TXT string (255 octets): dig shows the pieces, which
	// joined are exactly the lab's public key.
	const dkim = await dig('+short', 'TXT', `${journey.dkim.selector}._domainkey.sender.test`);
	const joined = [...dkim.matchAll(/"([^"]*)"/g)].map(match => match[1]).join('');
	assert.equal(joined, `v=DKIM1; k=rsa; p=${journey.dkim.publicKey}`);
	assert.ok(dkim.trim().split('" "').length > 1, 'split into several strings');
});

test('dig over TCP, and the reverse (PTR) record of the lab address', async () => {
	assert.equal((await dig('+tcp', '+short', 'MX', 'receiver.test')).trim(), '10 mx.receiver.test.');
	assert.equal((await dig('+short', '-x', '127.0.0.1')).trim(), 'smtp.sender.test.');
});

test('dig: unknown names are NXDOMAIN, names outside the lab are REFUSED (it never forwards)', async () => {
	assert.equal(status(await dig('A', 'nobody.sender.test')), 'NXDOMAIN');
	assert.equal(status(await dig('TXT', '_domainkey.sender.test')), 'NOERROR', 'an empty non-terminal exists');
	assert.equal(status(await dig('A', 'example.com')), 'REFUSED');
});

test('smtp-tui\'s MX lookup through the lab DNS server', async () => {
	const result = await lookupMx('receiver.test', {resolver: journey.dns.server, timeoutMs: 3000});
	assert.deepEqual(result.records, [{exchange: 'mx.receiver.test', priority: 10}]);
	assert.equal(result.address, '127.0.0.1');
});

test('the relay finds the receiver\'s MX through the lab DNS server, and its transcript says so', async () => {
	const queries: string[] = [];
	const stop = journey.dns.onQuery(query => queries.push(`${query.type} ${query.name} ${query.rcode}`));
	const session = new Session(journey.submissionOptions(587, {timeouts: {greeting: 5000, command: 5000}}));
	assert.equal(await session.runToEnd(), 0, session.failureMessage);
	const queueId = /queued as (\S+)/.exec(session.entries.find(entry => entry.step === 'body' && entry.direction === 'server')?.text ?? '')?.[1];
	const relay = await journey.relayFor(queueId!, 10_000);
	stop();
	assert.equal(relay.state, 'delivered', relay.failure);
	assert.ok(queries.includes('MX receiver.test NOERROR'), queries.join('\n'));
	assert.ok(queries.includes('A mx.receiver.test NOERROR'), queries.join('\n'));
	const info = relay.entries.filter(entry => entry.direction === 'info').map(entry => entry.text).join('\n');
	assert.match(info, new RegExp(`dig @127\\.0\\.0\\.1 -p ${journey.dns.port} MX receiver\\.test`));
	assert.match(info, /DNS: receiver\.test has 1 MX record: 10 mx\.receiver\.test/);
	assert.match(info, /DNS: mx\.receiver\.test is 127\.0\.0\.1/);
});
