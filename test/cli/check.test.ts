// `smtp-tui check FILE.eml` on hand-made good and broken messages (test/fixtures/eml), through
// the built binary; then on a message that really went through the journey, whose
// Authentication-Results: the receiving MX wrote.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtemp, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {execFile} from 'node:child_process';
import {promisify} from 'node:util';
import {checkMessage} from '../../source/checks/message-checks.js';
import {Session} from '../../source/engine/session.js';
import type {JourneyLab} from '../../source/journey/index.js';
import {startJourneyLab} from '../../source/journey/index.js';
import {cli} from '../support/cli.js';

const fixture = (name: string) => path.join(import.meta.dirname, '..', 'fixtures', 'eml', name);

type Json = {file: string; findings: Array<{rule: string; severity: string; message: string; reference: string; group: string}>; counts: Record<string, number>; authentication: Record<string, string>; authenticationClaim?: {authservId: string; verified: boolean; note: string}};

async function findings(name: string): Promise<{code: number; json: Json}> {
	const {code, stdout, stderr} = await cli(['check', fixture(name), '--json']);
	assert.equal(stderr, '');
	return {code, json: JSON.parse(stdout) as Json};
}

const rules = (json: Json) => json.findings.map(item => `${item.severity} ${item.rule}`).sort();

test('a good message: no findings, exit 0, and the text report says so', async () => {
	const {code, json} = await findings('good.eml');
	assert.equal(code, 0);
	assert.deepEqual(json.findings, []);
	assert.deepEqual(json.authentication, {dkim: 'pass', spf: 'pass', dmarc: 'pass'});
	const text = await cli(['check', fixture('good.eml')]);
	assert.equal(text.code, 0);
	assert.match(text.stdout, /authentication \(claimed by mx\.receiver\.test in Authentication-Results:, not verified here\): dkim=pass spf=pass dmarc=pass/);
	assert.deepEqual(json.authenticationClaim, {authservId: 'mx.receiver.test', verified: false, note: 'claimed by mx.receiver.test in Authentication-Results:, not verified here'});
	assert.match(text.stdout, /No findings: structure, MIME, bulk-sender rules and authentication all pass\.\n$/);
});

const expected: Record<string, {code: number; rules: string[]}> = {
	'structure-broken.eml': {code: 4, rules: ['error header-syntax', 'error one-date', 'error one-from', 'error single-field', 'info auth-results', 'warning dkim-signature', 'warning list-unsubscribe', 'warning one-message-id']},
	'bare-lf.eml': {code: 4, rules: ['error bare-cr-lf', 'error line-length', 'info auth-results', 'warning dkim-signature', 'warning list-unsubscribe']},
	'8bit.eml': {code: 4, rules: ['error 8bit-undeclared', 'info auth-results', 'warning 8bit-header', 'warning charset', 'warning dkim-signature', 'warning list-unsubscribe', 'warning mime-version']},
	'html-only.eml': {code: 0, rules: ['info auth-results', 'warning dkim-signature', 'warning list-unsubscribe', 'warning text-alternative']},
	'bulk-broken.eml': {code: 0, rules: ['info auth-results', 'warning one-click', 'warning one-click', 'warning one-click-signed']},
	'auth-failed.eml': {code: 4, rules: ['error auth-result', 'error auth-result', 'warning auth-result', 'warning dkim-aligned', 'warning one-click-signed']},
};

for (const [name, want] of Object.entries(expected)) {
	test(`${name}: exactly the expected findings, each with a sentence and a reference`, async () => {
		const {code, json} = await findings(name);
		assert.equal(code, want.code);
		assert.deepEqual(rules(json), [...want.rules].sort());
		for (const item of json.findings) {
			assert.match(item.message, /^[A-Z0-9].*[.]$/, `one sentence: ${item.message}`);
			assert.match(item.reference, /RFC \d+|Gmail|Yahoo|spam filters/);
		}
	});
}

test('the findings name what is wrong', async () => {
	const {json: structure} = await findings('structure-broken.eml');
	assert.ok(structure.findings.some(item => item.message === 'The message has 2 From: fields; it must have exactly one.'));
	assert.ok(structure.findings.some(item => item.message === 'The message has 2 Subject: fields; at most one is allowed.'));
	const {json: lf} = await findings('bare-lf.eml');
	assert.ok(lf.findings.some(item => item.message.startsWith('1 line is longer than 998 octets (the longest: 1200)')));
	const {json: bulk} = await findings('bulk-broken.eml');
	assert.ok(bulk.findings.some(item => /List-Unsubscribe-Post: List-Unsubscribe=One-Click/.test(item.message)));
	const {json: auth} = await findings('auth-failed.eml');
	assert.deepEqual(auth.authentication, {dkim: 'fail', spf: 'softfail', dmarc: 'fail'});
	assert.ok(auth.findings.some(item => /d=other\.test/.test(item.message)));
});

test('user mistakes: one sentence and exit 2', async () => {
	const none = await cli(['check']);
	assert.equal(none.code, 2);
	assert.equal(none.stderr, 'smtp-tui: Name the message: smtp-tui check FILE.eml.\n');
	const missing = await cli(['check', '/nonexistent/message.eml']);
	assert.equal(missing.code, 2);
	assert.equal(missing.stderr, 'smtp-tui: Cannot read the message "/nonexistent/message.eml": it does not exist.\n');
	const size = await cli(['check', fixture('good.eml'), '--max-size', 'lots']);
	assert.equal(size.code, 2);
	assert.match(size.stderr, /^smtp-tui: --max-size takes a number of bytes/);
});

test('smtp-tui journey --auth-fault with a fault that does not exist: one sentence, exit 2, before any terminal check', async () => {
	const {code, stderr} = await cli(['journey', '--auth-fault', 'no-such-fault']);
	assert.equal(code, 2);
	assert.equal(stderr, 'smtp-tui: the journey has no authentication fault "no-such-fault"; it has spf-not-listed, footer-after-signing, unaligned-from, dmarc-reject, no-ptr.\n');
});

test('hostile bytes in a message never reach the terminal raw', async () => {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-check-'));
	const file = path.join(dir, 'hostile.eml');
	await writeFile(file, 'From: a@b.test\r\nDate: \x1b]0;pwned\x07\x1b[2J\r\nMessage-ID: <x@b.test>\r\n\r\nhi\r\n');
	const {stdout} = await cli(['check', file]);
	assert.ok(!stdout.includes('\x1b'), 'no escape sequence in the output');
	assert.match(stdout, /date-syntax/);
});

let journey: JourneyLab;
before(async () => {
	journey = await startJourneyLab();
});
after(async () => {
	await journey.close();
});

async function throughJourney(): Promise<Buffer> {
	const message = 'From: alice@sender.test\r\nTo: bob@receiver.test\r\nSubject: checked\r\nDate: Tue, 01 Dec 2026 09:00:00 +0000\r\nMessage-ID: <check-1@sender.test>\r\n\r\nHello.\r\n';
	const session = new Session(journey.submissionOptions(587, {rawMessage: message, timeouts: {greeting: 5000, command: 5000}}));
	assert.equal(await session.runToEnd(), 0, session.failureMessage);
	const queueId = /queued as (\S+)/.exec(session.entries.find(entry => entry.step === 'body' && entry.direction === 'server')?.text ?? '')?.[1];
	const relay = await journey.relayFor(queueId!, 15_000);
	assert.equal(relay.state, 'delivered', relay.failure);
	return journey.mailboxes.list('bob').find(stored => stored.queueId === relay.receiverQueueId)!.raw;
}

test('a message that came through the journey: the MX\'s results, signed by the From: domain', async () => {
	const raw = await throughJourney();
	const report = await checkMessage(raw);
	assert.deepEqual(report.authentication, {dkim: 'pass', spf: 'pass', dmarc: 'pass', iprev: 'pass'}, raw.toString('utf8'));
	assert.deepEqual(report.findings.filter(item => item.group === 'authentication'), []);
	assert.ok(!report.findings.some(item => item.rule === 'dkim-aligned'));
});

test('the footer-after-signing fault shows up as a DKIM error in the checks', async () => {
	journey.setAuthFaults(['footer-after-signing']);
	try {
		const report = await checkMessage(await throughJourney());
		assert.equal(report.authentication.dkim, 'neutral');
		assert.ok(report.findings.some(item => item.severity === 'error' && item.message === 'The Authentication-Results: by mx.receiver.test claims dkim=neutral (not verified here).'));
	} finally {
		journey.setAuthFaults([]);
	}
});

test('--json is valid JSON when the message has C1 bytes (0x85 in a header line), and holds no raw control', async () => {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-check-c1-'));
	const file = path.join(dir, 'c1.eml');
	await writeFile(file, Buffer.from('From: a@example.com\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n\x85bad line\r\n\r\nbody\r\n', 'latin1'));
	const {code, stdout} = await cli(['check', file, '--json']);
	assert.equal(code, 4);
	assert.doesNotMatch(stdout, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
	const json = JSON.parse(stdout) as Json;
	assert.ok(json.findings.some(item => item.rule === 'header-syntax' && item.message.includes('\u0085bad line')), 'the bad line, 0x85 and all, read back from the JSON');
});

test('a forged Authentication-Results: is shown as a claim by its authserv-id, not as a verdict', async () => {
	const {json} = await findings('forged-ar.eml');
	assert.deepEqual(json.authenticationClaim, {authservId: 'mx.attacker.example', verified: false, note: 'claimed by mx.attacker.example in Authentication-Results:, not verified here'});
	assert.deepEqual(json.authentication, {dkim: 'pass', dmarc: 'pass'});
	const text = await cli(['check', fixture('forged-ar.eml')]);
	assert.match(text.stdout, /authentication \(claimed by mx\.attacker\.example in Authentication-Results:, not verified here\): dkim=pass dmarc=pass\n/);
});

test('result tokens are parsed strictly: "dkim=pass\\x1b[2J" is not pass, a quoted reason adds no result', async () => {
	const {json} = await findings('ar-control.eml');
	assert.deepEqual(json.authentication, {}, 'an authserv-id with ESC in it: the field is not used');
	assert.equal(json.authenticationClaim, undefined);
	assert.ok(json.findings.some(item => item.rule === 'auth-results-syntax' && item.severity === 'warning'));
	const dir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-check-ar-'));
	const file = path.join(dir, 'ar.eml');
	await writeFile(file, 'Authentication-Results: mx.example.net; dkim=pass\x1b[2J header.d=example.com; spf=fail reason="x; dmarc=pass" smtp.mailfrom=example.com\r\nFrom: a@example.com\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\nbody\r\n');
	const {code, stdout} = await cli(['check', file, '--json']);
	const strict = JSON.parse(stdout) as Json;
	assert.equal(code, 4);
	assert.deepEqual(strict.authentication, {spf: 'fail'});
	assert.equal(strict.authenticationClaim?.authservId, 'mx.example.net');
	assert.ok(strict.findings.some(item => item.rule === 'auth-results-syntax' && item.message.startsWith('The Authentication-Results: entry "dkim=pass\u001b[2J')));
	assert.ok(strict.findings.some(item => item.message === 'The Authentication-Results: by mx.example.net claims spf=fail (not verified here).'));
});

const head = 'From: alice@example.com\r\nTo: bob@example.org\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <x1@example.com>\r\nMIME-Version: 1.0\r\n';
const beyondParser: Record<string, {message: string; sentence: RegExp}> = {
	'a 1 MiB header line': {message: `${head}Subject: ${'A'.repeat(1 << 20)}\r\n\r\nbody\r\n`, sentence: /^A header block .* is over 1 MiB/},
	'1,000 nested multiparts': {
		message: `${head}Content-Type: multipart/mixed; boundary="b0"\r\n\r\n${Array.from({length: 1000}, (_, i) => `--b${i}\r\nContent-Type: multipart/mixed; boundary="b${i + 1}"\r\n\r\n`).join('')}--b1000\r\nContent-Type: text/plain\r\n\r\nleaf\r\n--b1000--\r\n${Array.from({length: 1000}, (_, i) => `\r\n--b${999 - i}--\r\n`).join('')}`,
		sentence: /^The message has more than 1,000 MIME parts/,
	},
	'1,000 flat parts': {message: `${head}Content-Type: multipart/mixed; boundary="x"\r\n\r\n${'--x\r\nContent-Type: text/plain\r\n\r\npart\r\n'.repeat(1000)}--x--\r\n`, sentence: /^The message has more than 1,000 MIME parts/},
};

for (const [name, {message, sentence}] of Object.entries(beyondParser)) {
	test(`${name}: beyond the MIME parser's limits is an error finding (exit 4), not an internal error`, async () => {
		const dir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-check-limits-'));
		const file = path.join(dir, 'big.eml');
		await writeFile(file, message);
		const {code, stdout, stderr} = await cli(['check', file, '--json']);
		assert.equal(stderr, '');
		assert.equal(code, 4);
		const parse = (JSON.parse(stdout) as Json).findings.filter(item => item.rule === 'mime-parse');
		assert.equal(parse.length, 1);
		assert.equal(parse[0]!.severity, 'error');
		assert.match(parse[0]!.message, sentence);
		assert.match(parse[0]!.message, /^[^.]*[.]$/, 'one sentence');
	});
}

test('devices, FIFOs and pipes are refused with one sentence and exit 2, without reading them', async () => {
	const zero = await cli(['check', '/dev/zero']);
	assert.equal(zero.code, 2);
	assert.equal(zero.stderr, 'smtp-tui: Cannot read the message "/dev/zero": it is a device; check reads regular files only.\n');
	const dir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-check-fifo-'));
	const fifo = path.join(dir, 'message.eml');
	await promisify(execFile)('mkfifo', [fifo]);
	const pipe = await cli(['check', fifo]);
	assert.equal(pipe.code, 2);
	assert.equal(pipe.stderr, `smtp-tui: Cannot read the message "${fifo}": it is a pipe (FIFO); check reads regular files only.\n`);
	const folder = await cli(['check', dir]);
	assert.equal(folder.code, 2);
	assert.equal(folder.stderr, `smtp-tui: Cannot read the message "${dir}": it is a folder; check reads regular files only.\n`);
});
