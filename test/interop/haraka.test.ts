// The built binary against a real Haraka (npm) on loopback (see test/support/haraka.ts): the
// full plan, probe and compare, asserting what the user sees.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {simpleParser} from 'mailparser';
import {startHaraka, type HarakaInstance} from '../support/haraka.js';
import {runCli} from '../support/peers.js';

let haraka: HarakaInstance;
before(async () => {
	haraka = await startHaraka();
});
after(async () => {
	await haraka?.stop();
});

const password = {PW: 'wonderland'};
function run(port: 25 | 465 | 587 | 2525, ...extra: string[]): string[] {
	return ['run', '--host', haraka.host, '--port', String(haraka.ports[port]), '--ca', haraka.caFile, '--servername', haraka.hostname, '--timeout', '10', ...extra];
}

const login = ['--user', 'alice', '--password-env', 'PW', '--from', 'alice@haraka.test'];

describe('Haraka: the full plan', {concurrency: 4}, () => {
	for (const mechanism of ['PLAIN', 'LOGIN', 'CRAM-MD5']) {
		test(`587: STARTTLS, AUTH ${mechanism}, a message Haraka queues; the password never shows`, async () => {
			const subject = `haraka ${mechanism} ${Date.now()}`;
			const result = await runCli(run(587, '--tls', 'starttls', ...login, '--auth', mechanism, '--to', 'bob@haraka.test', '--subject', subject), password);
			assert.equal(result.code, 0, result.stdout + result.stderr);
			assert.match(result.stdout, /certificate verified/);
			assert.match(result.stdout, /^<~ {2}235 2\.7\.0 Authentication successful$/m);
			assert.match(result.stdout, /^<~ {2}250 Message Queued \(\S+\)$/m);
			assert.ok(!result.stdout.includes('wonderland'));
			await haraka.waitForDelivered(subject);
		});
	}

	test('465: implicit TLS (smtps_port) with --tls implicit: AUTH and mail, relayed after login', async () => {
		const result = await runCli(run(465, '--tls', 'implicit', ...login, '--to', 'friend@example.com'), password);
		assert.equal(result.code, 0, result.stdout + result.stderr);
		assert.match(result.stdout, /^<~ {2}220 mx\.haraka\.test ESMTP Haraka\/3\.\d+\.\d+ ready/m);
		assert.match(result.stdout, /^<~ {2}250 recipient <friend@example\.com> OK$/m);
	});

	test('465 without --tls implicit: the silent port is found to speak TLS, exit 21', async () => {
		const result = await runCli(run(465, '--to', 'bob@haraka.test'));
		assert.equal(result.code, 21, result.stdout);
		assert.match(result.stdout, /this port speaks TLS from the first byte: try `--tls implicit`\./);
	});

	test('AUTH offered before TLS (Haraka trusts loopback): smtp-tui still will not send the password in clear, exit 28', async () => {
		const result = await runCli(run(587, '--tls', 'none', ...login, '--to', 'bob@haraka.test'), password);
		assert.equal(result.code, 28, result.stdout);
		assert.match(result.stdout, /^<- {2}250 AUTH PLAIN LOGIN CRAM-MD5$/m);
		assert.match(result.stdout, /Refusing to send credentials over a connection without TLS; pass --insecure-auth to do it anyway\./);
		assert.doesNotMatch(result.stdout, /-> AUTH/);
	});

	test('25: relaying refused in Haraka\'s words, exit 24', async () => {
		const result = await runCli(run(25, '--to', 'someone@example.com'));
		assert.equal(result.code, 24, result.stdout);
		assert.match(result.stdout, /^<~ {2}550 I cannot deliver mail for <someone@example\.com>$/m);
	});

	test('25: UTF-8 addresses with SMTPUTF8 and an 8-bit body with BODY=8BITMIME, queued as sent', async () => {
		const body = `Grüße aus Köln ✓ ${Date.now()}`;
		const result = await runCli(run(25, '--from', 'jösé@exämple.org', '--to', 'zoë@haraka.test', '--subject', 'Grüße', '--body', body));
		assert.equal(result.code, 0, result.stdout);
		assert.match(result.stdout, /^ ~> MAIL FROM:<jösé@exämple\.org> SIZE=\d+ BODY=8BITMIME SMTPUTF8$/m);
		assert.match(result.stdout, /^<~ {2}250 recipient <zoë@haraka\.test> OK$/m);
		const parsed = await simpleParser(await haraka.waitForDelivered(body));
		assert.equal(parsed.subject, 'Grüße');
		assert.equal(parsed.text?.trim(), body);
	});

	test('--auth XOAUTH2, which Haraka never lists: stopped before AUTH with what it offers (exit 28)', async () => {
		const result = await runCli(run(587, '--tls', 'starttls', ...login, '--auth', 'XOAUTH2', '--to', 'bob@haraka.test'), {...password, TOKEN: 'x'});
		assert.equal(result.code, 28, result.stdout);
		assert.match(result.stdout, /The server offers AUTH PLAIN LOGIN CRAM-MD5, not XOAUTH2 \(asked for with --auth\); smtp-tui did not send AUTH\./);
	});
});

test('probe HOST --ports NAME=PORT against Haraka: implicit TLS found, the AUTH-before-TLS warning given', async () => {
	const {ports} = haraka;
	const result = await runCli(['probe', haraka.host, '--ports', `25=${ports[25]},465=${ports[465]},587=${ports[587]},2525=${ports[2525]}`, '--ca', haraka.caFile, '--servername', haraka.hostname]);
	assert.equal(result.code, 0, result.stdout + result.stderr);
	assert.match(result.stdout, /^465 {3}submission, implicit TLS {3}open .*220 mx\.haraka\.test ESMTP Haraka/m);
	assert.match(result.stdout, /TLS: implicit TLS \(TLSv1\.[23]\) · certificate CN=mx\.haraka\.test .*verified/);
	assert.match(result.stdout, /Port 587 offers AUTH \(PLAIN LOGIN CRAM-MD5\) before TLS: a password sent there travels readable/);
});

test('compare HOST 25=… 465=… 587=… 2525=… against Haraka: each column its profile', async () => {
	const {ports} = haraka;
	const result = await runCli(['compare', haraka.host, `25=${ports[25]}`, `465=${ports[465]}`, `587=${ports[587]}`, `2525=${ports[2525]}`,
		'--to', 'bob@haraka.test', ...login, '--ca', haraka.caFile, '--servername', haraka.hostname, '--timeout', '10', '--json'], password);
	assert.equal(result.code, 0, result.stdout + result.stderr);
	const report = JSON.parse(result.stdout) as {summaries: Array<{port: number; tls: string; authBeforeTls: string[]; relayOutside: {accepted: boolean; reply?: string}; messageAccepted: boolean}>; sentences: string[]};
	const by = (port: number) => report.summaries.find(s => s.port === port)!;
	assert.equal(by(465).tls, 'implicit');
	assert.equal(by(587).tls, 'starttls');
	assert.deepEqual(by(587).authBeforeTls, ['PLAIN', 'LOGIN', 'CRAM-MD5']);
	assert.deepEqual(by(25).relayOutside, {accepted: false, reply: '550'});
	for (const port of [465, 587, 2525]) assert.equal(by(port).relayOutside.accepted, true, `${port} relays after login`);
	for (const port of [25, 465, 587, 2525]) assert.equal(by(port).messageAccepted, true, `${port} took the message`);
	assert.ok(report.sentences.some(s => /^Warning: 25, 587 and 2525 offer AUTH before TLS/.test(s)), report.sentences.join('\n'));
	assert.ok(!result.stdout.includes('wonderland'));
});
