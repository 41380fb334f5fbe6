// swaks, a real independent SMTP client, against every lab port. swaks verifies the chain
// with --tls-verify --tls-ca-path (it does not check the host name; lab.test.ts does).

import {execFile} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';
import {makeLabCa} from '../../source/lab/ca.js';
import {startLab} from '../../source/lab/index.js';
import type {CapturedMessage, Lab, LabPort} from '../../source/lab/index.js';

let lab: Lab;
let folder: string;
let caFile: string;

before(async () => {
	lab = await startLab();
	folder = mkdtempSync(join(tmpdir(), 'smtp-tui-swaks-'));
	caFile = join(folder, 'lab-ca.pem');
	writeFileSync(caFile, lab.ca);
});

after(async () => {
	await lab.close();
	rmSync(folder, {recursive: true, force: true});
});

type SwaksResult = {code: number; output: string};

/** Runs swaks without blocking the event loop (the lab answers from this same process). */
async function swaks(args: string[]): Promise<SwaksResult> {
	return new Promise(resolve => {
		execFile('swaks', args, {timeout: 20_000}, (error, stdout, stderr) => {
			const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
			resolve({code, output: `${stdout}${stderr}`});
		});
	});
}

function base(personality: LabPort, to: string, subject: string): string[] {
	return [
		'--server',
		'127.0.0.1',
		'--port',
		String(lab.ports[personality]),
		'--helo',
		'swaks.client.test',
		'--from',
		'alice@lab.test',
		'--to',
		to,
		'--header',
		`Subject: ${subject}`,
		'--timeout',
		'10',
	];
}

const verified = () => ['--tls-verify', '--tls-ca-path', caFile];
const login = (mechanism: string) => ['--auth', mechanism, '--auth-user', 'alice', '--auth-password', 'wonderland'];

function landed(subject: string): CapturedMessage {
	const message = lab.inbox.find(entry => entry.raw.includes(`Subject: ${subject}\r\n`));
	assert.ok(message, `a message with subject "${subject}" is in the inbox`);
	return message;
}

function uniqueSubject(label: string): string {
	return `${label} ${randomBytes(4).toString('hex')}`;
}

test('swaks → 25: delivers to bob@lab.test, in clear and with verified STARTTLS', async () => {
	const plainSubject = uniqueSubject('swaks 25 plain');
	const plain = await swaks(base(25, 'bob@lab.test', plainSubject));
	assert.equal(plain.code, 0, plain.output);
	const first = landed(plainSubject);
	assert.deepEqual([first.port, first.tls, first.user, first.rcptTo], [25, false, undefined, ['bob@lab.test']]);

	const tlsSubject = uniqueSubject('swaks 25 tls');
	const secure = await swaks([...base(25, 'bob@lab.test', tlsSubject), '-tls', ...verified()]);
	assert.equal(secure.code, 0, secure.output);
	assert.equal(landed(tlsSubject).tls, true);
});

test('swaks → 25: relaying to example.com fails at RCPT (exit 24) with the 554', async () => {
	const subject = uniqueSubject('swaks 25 relay');
	const result = await swaks(base(25, 'someone@example.com', subject));
	assert.equal(result.code, 24, result.output);
	assert.match(result.output, /554 5\.7\.1 <someone@example\.com>: Relay access denied/);
	assert.ok(!lab.inbox.some(entry => entry.raw.includes(subject)));
});

for (const personality of [587, 2525] as const) {
	for (const mechanism of ['PLAIN', 'LOGIN', 'CRAM-MD5']) {
		test(`swaks → ${personality}: -tls --auth ${mechanism} delivers anywhere`, async () => {
			const subject = uniqueSubject(`swaks ${personality} ${mechanism}`);
			const result = await swaks([...base(personality, 'friend@example.com', subject), '-tls', ...verified(), ...login(mechanism)]);
			assert.equal(result.code, 0, result.output);
			assert.match(result.output, /235 2\.7\.0 Authentication successful/);
			const message = landed(subject);
			assert.deepEqual(
				[message.port, message.tls, message.user, message.mailFrom, message.rcptTo],
				[personality, true, 'alice', 'alice@lab.test', ['friend@example.com']],
			);
		});
	}
}

test('swaks → 465: -tlsc --auth PLAIN delivers', async () => {
	const subject = uniqueSubject('swaks 465');
	const result = await swaks([...base(465, 'friend@example.com', subject), '-tlsc', ...verified(), ...login('PLAIN')]);
	assert.equal(result.code, 0, result.output);
	const message = landed(subject);
	assert.deepEqual([message.port, message.tls, message.user], [465, true, 'alice']);
});

test('swaks → 587: --tls-verify with some other CA fails the handshake (the check is real)', async () => {
	const stranger = await makeLabCa('mx.lab.test');
	const strangerFile = join(folder, 'other-ca.pem');
	writeFileSync(strangerFile, stranger.ca);
	const subject = uniqueSubject('swaks wrong ca');
	const result = await swaks([
		...base(587, 'friend@example.com', subject),
		'-tls',
		'--tls-verify',
		'--tls-ca-path',
		strangerFile,
		...login('PLAIN'),
	]);
	assert.equal(result.code, 29, result.output);
	assert.ok(!lab.inbox.some(entry => entry.raw.includes(subject)));
});
