// Authentication in the journey, end to end over loopback: the sender's provider DKIM-signs,
// the receiver's MX checks SPF, DKIM, DMARC and iprev (mailauth, through the lab's DNS server)
// and writes Authentication-Results:. Each auth fault flips exactly the result it promises.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {promisify} from 'node:util';
import {Session} from '../../source/engine/session.js';
import type {AuthFaultName, AuthReport, JourneyLab, JourneyRelay} from '../../source/journey/index.js';
import {authFaultNames, startJourneyLab} from '../../source/journey/index.js';
import {LabConfigError} from '../../source/lab/index.js';

let journey: JourneyLab;
before(async () => {
	journey = await startJourneyLab();
});
after(async () => {
	await journey.close();
});

const message = [
	'Date: Tue, 01 Dec 2026 09:00:00 +0000',
	'From: Alice <alice@sender.test>',
	'To: Bob <bob@receiver.test>',
	'Subject: are we trusted?',
	'Message-ID: <auth-1@sender.test>',
	'MIME-Version: 1.0',
	'Content-Type: text/plain; charset=utf-8',
	'',
	'Hello Bob, is this signed?',
	'',
].join('\r\n');

async function submit(): Promise<JourneyRelay> {
	const session = new Session(journey.submissionOptions(587, {rawMessage: message, timeouts: {greeting: 5000, command: 5000}}));
	assert.equal(await session.runToEnd(), 0, session.failureMessage);
	const queueId = /queued as (\S+)/.exec(session.entries.find(entry => entry.step === 'body' && entry.direction === 'server')?.text ?? '')?.[1];
	assert.ok(queueId);
	return journey.relayFor(queueId, 15_000);
}

const results = (report: AuthReport | undefined) => Object.fromEntries((report?.checks ?? []).map(check => [check.name, check.result]));
const baseline = {spf: 'pass', dkim: 'pass', dmarc: 'pass', iprev: 'pass'};

function header(raw: Buffer, name: string): string {
	const head = raw.toString('utf8').split('\r\n\r\n')[0]!.replace(/\r\n[ \t]+/g, ' ');
	return head.split('\r\n').find(line => line.toLowerCase().startsWith(`${name.toLowerCase()}:`)) ?? '';
}

let clean: JourneyRelay;
test('a message submitted on 587 arrives with Authentication-Results: spf=pass dkim=pass dmarc=pass', async () => {
	clean = await submit();
	assert.equal(clean.state, 'delivered', clean.failure);
	const stored = journey.mailboxes.list('bob').find(candidate => candidate.queueId === clean.receiverQueueId);
	assert.ok(stored);
	const results = header(stored.raw, 'Authentication-Results');
	assert.match(results, /^Authentication-Results: mx\.receiver\.test;/);
	assert.match(results, /dkim=pass header\.i=@sender\.test header\.s=lab2026 header\.a=rsa-sha256/);
	assert.match(results, /spf=pass .*smtp\.mailfrom=alice@sender\.test smtp\.helo=smtp\.sender\.test/);
	assert.match(results, /dmarc=pass .*header\.from=sender\.test/);
	assert.match(results, /iprev=pass policy\.iprev=127\.0\.0\.1/);
	assert.match(header(stored.raw, 'Received-SPF'), /^Received-SPF: pass /);
	// The sender's provider signed: its signature travelled on the relay, right below its Received:.
	assert.match(header(clean.sent, 'DKIM-Signature'), /d=sender\.test; .*s=lab2026;/);
	assert.equal(journey.authentication.get(clean.receiverQueueId!), clean.authentication);
	assert.equal(journey.trace(clean.queueId).authentication, clean.authentication);
});

test('each check says what it looked up, what came back and why', () => {
	const checks = Object.fromEntries(clean.authentication!.checks.map(check => [check.name, check]));
	assert.deepEqual(checks.spf!.lookups.slice(0, 2).map(lookup => `${lookup.type} ${lookup.name} → ${lookup.answer}`), [
		'TXT sender.test → "v=spf1 a:smtp.sender.test -all"',
		'A smtp.sender.test → 127.0.0.1',
	]);
	assert.match(checks.spf!.explanation.join(' '), /127\.0\.0\.1 is among the senders the record allows/);
	assert.deepEqual(checks.dkim!.lookups.map(lookup => `${lookup.type} ${lookup.name}`), ['TXT lab2026._domainkey.sender.test']);
	assert.match(checks.dkim!.explanation.join(' '), /verifies with the public key at lab2026\._domainkey\.sender\.test/);
	assert.deepEqual(checks.dmarc!.lookups.map(lookup => `${lookup.type} ${lookup.name}`), ['TXT _dmarc.sender.test']);
	assert.match(checks.dmarc!.explanation.join(' '), /DKIM passed for d=sender\.test, which aligns with sender\.test/);
	assert.deepEqual(checks.iprev!.lookups.map(lookup => `${lookup.type} ${lookup.name} → ${lookup.answer}`), ['PTR 1.0.0.127.in-addr.arpa → smtp.sender.test', 'A smtp.sender.test → 127.0.0.1']);
});

test('dig gets the same TXT records the checks used', async () => {
	for (const lookup of clean.authentication!.checks.flatMap(check => check.lookups).filter(item => item.type === 'TXT')) {
		const {stdout} = await promisify(execFile)('dig', [`@${journey.dns.host}`, '-p', String(journey.dns.port), '+short', '+time=2', 'TXT', lookup.name], {timeout: 10_000});
		const joined = stdout.trim().split('\n').map(line => [...line.matchAll(/"([^"]*)"/g)].map(match => match[1]).join(''));
		const used = [...lookup.answer.matchAll(/"([^"]*)"/g)].map(match => match[1]!);
		for (const text of used) {
			const [head, tail] = text.split('…');
			assert.ok(joined.some(answer => answer.startsWith(head!) && answer.endsWith(tail ?? '')), `${lookup.name}: dig said ${stdout}`);
		}
	}
});

const flips: Record<AuthFaultName, Record<string, string>> = {
	'spf-not-listed': {spf: 'fail'},
	'footer-after-signing': {dkim: 'neutral'},
	'unaligned-from': {dmarc: 'fail'},
	'dmarc-reject': {dmarc: 'fail'},
	'no-ptr': {iprev: 'permerror'},
};

for (const fault of authFaultNames) {
	test(`the ${fault} fault flips exactly ${JSON.stringify(flips[fault])}`, async () => {
		journey.setAuthFaults([fault]);
		try {
			const relay = await submit();
			assert.deepEqual(results(relay.authentication), {...baseline, ...flips[fault]});
			if (fault === 'dmarc-reject') {
				assert.equal(relay.state, 'failed');
				const refusal = relay.entries.find(entry => entry.direction === 'server' && entry.step === 'body');
				assert.match(refusal?.text ?? '', /^550 5\.7\.26 Unauthenticated email from brand\.test is not accepted due to domain's DMARC policy\./);
				assert.equal(relay.authentication?.disposition, 'reject');
			} else {
				assert.equal(relay.state, 'delivered', relay.failure);
			}
		} finally {
			journey.setAuthFaults([]);
		}
	});
}

test('the explanations name the cause of each failure', async () => {
	journey.setAuthFaults(['footer-after-signing', 'spf-not-listed']);
	try {
		const relay = await submit();
		// Both SPF and DKIM broken, From: in sender.test with p=none: DMARC fails, delivered anyway.
		assert.deepEqual(results(relay.authentication), {...baseline, spf: 'fail', dkim: 'neutral', dmarc: 'fail'});
		const said = relay.authentication!.checks.flatMap(check => check.explanation).join('\n');
		assert.match(said, /the body changed after signing/);
		assert.match(said, /127\.0\.0\.1 is not among the senders the record allows/);
		assert.match(said, /No aligned pass: DMARC fails, and the policy p=none says deliver it anyway/);
	} finally {
		journey.setAuthFaults([]);
	}
});

test('an unknown auth fault is refused in one sentence', () => {
	assert.throws(() => journey.setAuthFaults(['no-such' as AuthFaultName]), (error: Error) => error instanceof LabConfigError && /has no authentication fault "no-such"; it has spf-not-listed, /.test(error.message));
});
