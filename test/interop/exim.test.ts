// The built binary against a real Exim 4 on loopback (see test/support/exim.ts): the full
// plan, probe and compare, asserting what the user sees.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtemp, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {simpleParser} from 'mailparser';
import {startExim, type EximInstance} from '../support/exim.js';
import {runCli} from '../support/peers.js';

let exim: EximInstance;
let tmp: string;
before(async () => {
	exim = await startExim();
	tmp = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-exim-'));
});
after(async () => {
	await exim?.stop();
});

const password = {PW: 'wonderland'};
/** A session on one of Exim's ports, trusting its CA; `extra` may override anything. */
function run(port: 25 | 465 | 587 | 2525, ...extra: string[]): string[] {
	return ['run', '--host', exim.host, '--port', String(exim.ports[port]), '--ca', exim.caFile, '--servername', exim.hostname, '--timeout', '10', ...extra];
}

const login = ['--user', 'alice', '--password-env', 'PW', '--from', 'alice@exim.test'];

describe('Exim: the full plan', {concurrency: 4}, () => {
	for (const mechanism of ['PLAIN', 'LOGIN', 'CRAM-MD5']) {
		test(`587: STARTTLS, AUTH ${mechanism}, a message Exim delivers; the password never shows`, async () => {
			const subject = `exim ${mechanism} ${Date.now()}`;
			const result = await runCli(run(587, '--tls', 'starttls', ...login, '--auth', mechanism, '--to', 'bob@exim.test', '--subject', subject), password);
			assert.equal(result.code, 0, result.stdout + result.stderr);
			assert.match(result.stdout, /certificate verified/);
			assert.match(result.stdout, /^<~ {2}235 Authentication succeeded$/m);
			assert.match(result.stdout, /^<~ {2}250 OK id=\S+$/m);
			assert.ok(!result.stdout.includes('wonderland'));
			await exim.waitForDelivered(subject);
		});
	}

	test('465: TLS on connect with --tls implicit: no STARTTLS, AUTH and mail', async () => {
		const result = await runCli(run(465, '--tls', 'implicit', ...login, '--to', 'bob@exim.test'), password);
		assert.equal(result.code, 0, result.stdout + result.stderr);
		assert.doesNotMatch(result.stdout, /STARTTLS\r?$/m);
		assert.match(result.stdout, /^<~ {2}220 mx\.exim\.test ESMTP Exim 4\.\d+/m);
	});

	test('465 without --tls implicit: the silent port is found to speak TLS, one sentence, exit 21', async () => {
		const result = await runCli(run(465, '--to', 'bob@exim.test'));
		assert.equal(result.code, 21, result.stdout + result.stderr);
		assert.match(result.stdout, /sent no SMTP banner but answered a TLS hello: this port speaks TLS from the first byte: try `--tls implicit`\./);
	});

	test('25: relaying refused in Exim\'s words (no enhanced code), explained as an answer to RCPT; exit 24', async () => {
		const result = await runCli(run(25, '--to', 'someone@example.com', '--explain'));
		assert.equal(result.code, 24, result.stdout);
		assert.match(result.stdout, /^<~ {2}550 relay not permitted$/m);
		assert.match(result.stdout, /No recipient was accepted \(last answer 550\)/);
		assert.doesNotMatch(result.stdout, /^<~ {2}250[- ]AUTH/m);
	});

	test('25: UTF-8 addresses with SMTPUTF8 and an 8-bit body with BODY=8BITMIME, delivered as sent', async () => {
		const body = `Grüße aus Köln ✓ ${Date.now()}`;
		const result = await runCli(run(25, '--from', 'jösé@exämple.org', '--to', 'zoë@exim.test', '--subject', 'Grüße — ein Betreff mit Umlauten, lang genug, um gefaltet zu werden', '--body', body));
		assert.equal(result.code, 0, result.stdout);
		assert.match(result.stdout, /^ ~> MAIL FROM:<jösé@exämple\.org> SIZE=\d+ BODY=8BITMIME SMTPUTF8$/m);
		const delivered = await exim.waitForDelivered(body);
		const parsed = await simpleParser(delivered);
		assert.equal(parsed.subject, 'Grüße — ein Betreff mit Umlauten, lang genug, um gefaltet zu werden');
		assert.equal(parsed.text?.trim(), body);
		assert.match(delivered, /^Envelope-to: zoë@exim\.test$/m);
	});

	test('25: opportunistic STARTTLS with a certificate this machine does not trust: encrypted, explained, delivered', async () => {
		const result = await runCli(['run', '--host', exim.host, '--port', String(exim.ports[25]), '--to', 'bob@exim.test', '--timeout', '10']);
		assert.equal(result.code, 0, result.stdout);
		assert.match(result.stdout, /certificate NOT verified \(.+\) — continuing: this STARTTLS is opportunistic/);
	});

	test('a binary --body-file arrives byte for byte (attached, base64)', async () => {
		const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x2e, 0x0d, 0x0a, 0x2e, 0x0a, 0x80, ...Buffer.from(String(Date.now()))]);
		const file = path.join(tmp, 'logo.png');
		await writeFile(file, bytes);
		const result = await runCli(run(25, '--to', 'bob@exim.test', '--body-file', file, '--subject', `binary ${Date.now()}`));
		assert.equal(result.code, 0, result.stdout);
		assert.ok(!result.stdout.includes('\uFFFD'));
		const delivered = await exim.waitForDelivered('filename="logo.png"');
		const parsed = await simpleParser(delivered);
		assert.deepEqual(parsed.attachments[0]?.content, bytes);
	});

	test('--explain names Exim\'s PIPECONNECT and CHUNKING; nothing is called unknown', async () => {
		const result = await runCli(run(25, '--quit-after', 'ehlo', '--explain'));
		assert.equal(result.code, 0, result.stdout);
		assert.match(result.stdout, /^<- {2}250-PIPECONNECT\n +↳ A client that remembers this EHLO may send EHLO before the banner/m);
		assert.match(result.stdout, /^<- {2}250-CHUNKING\n +↳ The client may send the message in sized chunks with BDAT/m);
		assert.doesNotMatch(result.stdout, /smtp-tui does not know/);
	});
});

test('probe HOST --ports NAME=PORT against Exim: each port as it is, certificate verified, AUTH after TLS', async () => {
	const {ports} = exim;
	const result = await runCli(['probe', exim.host, '--ports', `25=${ports[25]},465=${ports[465]},587=${ports[587]},2525=${ports[2525]}`, '--ca', exim.caFile, '--servername', exim.hostname, '--json']);
	assert.equal(result.code, 0, result.stdout + result.stderr);
	const report = JSON.parse(result.stdout) as {rows: Array<{port: number; status: string; tls: string; authBeforeTls: string[]; authAfterTls: string[]; smtputf8: boolean; certificate?: {authorized: boolean}}>; diagnosis: string[]};
	const row = (port: number) => report.rows.find(r => r.port === port)!;
	assert.deepEqual(report.rows.map(r => r.status), ['open', 'open', 'open', 'open']);
	assert.equal(row(465).tls, 'implicit');
	assert.equal(row(587).tls, 'starttls');
	assert.deepEqual(row(587).authBeforeTls, []);
	assert.deepEqual(row(587).authAfterTls, ['PLAIN', 'LOGIN', 'CRAM-MD5']);
	assert.deepEqual(row(25).authAfterTls, []);
	assert.equal(row(25).smtputf8, true);
	assert.equal(row(465).certificate?.authorized, true);
	assert.deepEqual(report.diagnosis, []);
});

test('probe on Exim\'s TLS-on-connect port given as a plain number: found to be implicit TLS', async () => {
	const result = await runCli(['probe', exim.host, '--ports', String(exim.ports[465]), '--ca', exim.caFile, '--servername', exim.hostname]);
	assert.match(result.stdout, /TLS: implicit TLS \(TLSv1\.[23]\) · certificate CN=mx\.exim\.test/);
	assert.match(result.stdout, /AUTH before TLS: no "before" \(TLS from the first byte\) · after TLS: PLAIN LOGIN CRAM-MD5/);
	assert.doesNotMatch(result.stdout, /No port .* answered/);
});

test('compare HOST 25=… 465=… 587=… 2525=… against Exim: each column its profile, Exim\'s refusals side by side', async () => {
	const {ports} = exim;
	const result = await runCli(['compare', exim.host, `25=${ports[25]}`, `465=${ports[465]}`, `587=${ports[587]}`, `2525=${ports[2525]}`,
		'--to', 'bob@exim.test', ...login, '--ca', exim.caFile, '--servername', exim.hostname, '--timeout', '10', '--markdown'], password);
	assert.equal(result.code, 0, result.stdout + result.stderr);
	assert.match(result.stdout, /^\| step \| 25 relay \/ MX \| 465 submission, implicit TLS \| 587 submission, STARTTLS \| 2525 alternative submission \|$/m);
	assert.match(result.stdout, /^\| \*\*RCPT outside\*\* ≠ \| 🔒 550 relay not permitted \| 🔒 250 Accepted \| 🔒 250 Accepted \| 🔒 250 Accepted \|$/m);
	assert.match(result.stdout, /^\| \*\*STARTTLS\*\* ≠ \| 220 TLS go ahead \| — already TLS \(implicit, from the first byte\) \| 220 TLS go ahead \| 220 TLS go ahead \|$/m);
	assert.match(result.stdout, /465 is encrypted from the first byte \(implicit TLS\)/);
	assert.ok(!result.stdout.includes('wonderland'));
});
