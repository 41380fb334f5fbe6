// Failed logins slow the attacker, not the class: a growing hold on every AUTH from an address
// with recent failures (checked only after the hold, right password or wrong), a cap per
// address per minute, and a student who mistypes once in Python's smtplib is not cut off.
// Real clients (python3 smtplib, swaks) and raw sockets; the attacker is 127.0.0.2. The holds
// are a few ms here; the tests assert their order and size from the lab's events, not time.

import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {test} from 'node:test';
import type {Lab, LabEvent} from '../../source/lab/index.js';
import {withLab} from '../support/lab-client.js';
import type {RawSmtpClient} from '../support/raw-smtp.js';
import {lastLine, plainToken} from '../support/raw-smtp.js';

const attacker = '127.0.0.2';
const failed = '535 5.7.8 Error: authentication failed: authentication failure';

async function run(file: string, args: string[]): Promise<{code: number; stdout: string; stderr: string}> {
	return new Promise(resolve => {
		execFile(file, args, {timeout: 30_000}, (error, stdout, stderr) => {
			resolve({code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr});
		});
	});
}

/** Every 'auth-delay' and 'auth-rate' limit event from now on, with whether the client had its reply yet. */
function watchHolds(lab: Lab, client?: () => RawSmtpClient | undefined): {events: Array<LabEvent & {replied: boolean}>; stop: () => void} {
	const events: Array<LabEvent & {replied: boolean}> = [];
	const stop = lab.onEvent(event => {
		if (event.type !== 'limit' || !/^AUTH (held|refused)/.test(event.detail ?? '')) return;
		const current = client?.();
		events.push({...event, replied: current ? current.buffered.length > 0 : false});
	});
	return {events, stop};
}

const heldMs = (event: LabEvent) => Number(/^AUTH held (\d+) ms/.exec(event.detail ?? '')?.[1]);

const smtplibScript = String.raw`
import json, smtplib, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
out = {}
s = smtplib.SMTP('127.0.0.1', port, timeout=20)
s.starttls(context=ssl.create_default_context(cafile=cafile))
s.ehlo()
try:
    s.login('alice', 'wonderlnad')
    out['wrong'] = 'logged in'
except smtplib.SMTPAuthenticationError as error:
    out['wrong'] = [error.smtp_code, error.smtp_error.decode()]
code, text = s.login('alice', 'wonderland')
out['right'] = [code, text.decode()]
out['send'] = s.sendmail('alice@lab.test', ['bob@lab.test'], 'Subject: after a typo\r\n\r\nhello\r\n')
s.quit()
print(json.dumps(out))
`;

test('one mistyped password in Python smtplib login() is not a disconnect: 535, then the right one logs in on the same connection', {timeout: 60_000}, async () => {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-smtplib-'));
	try {
		await withLab({only: [587], limits: {authFailureDelayMs: 20, authFailureDelayMaxMs: 200}}, async lab => {
			const cafile = path.join(dir, 'ca.pem');
			const script = path.join(dir, 'login.py');
			await writeFile(cafile, lab.ca);
			await writeFile(script, smtplibScript);
			const holds = watchHolds(lab);
			const result = await run('python3', [script, String(lab.ports[587]), cafile]);
			holds.stop();
			assert.equal(result.code, 0, result.stderr);
			const out = JSON.parse(result.stdout) as {wrong: [number, string]; right: [number, string]; send: Record<string, unknown>};
			assert.deepEqual(out.wrong, [535, '5.7.8 Error: authentication failed: authentication failure'], 'smtplib tried CRAM-MD5, PLAIN and LOGIN, and reports the last 535');
			assert.deepEqual(out.right, [235, '2.7.0 Authentication successful']);
			assert.deepEqual(out.send, {}, 'every recipient accepted');
			assert.equal(lab.inbox.length, 1);
			assert.deepEqual(holds.events.map(heldMs), [20, 40, 80], 'three failures (one per mechanism) made the next tries wait longer; the right password waited too');
		});
	} finally {
		await rm(dir, {recursive: true, force: true});
	}
});

test('brute force from one address: each AUTH is held longer, up to the maximum, and answered only after its hold; a success clears it; others are not slowed', {timeout: 60_000}, async () => {
	await withLab({only: [465], limits: {authFailureDelayMs: 30, authFailureDelayMaxMs: 120}}, async (lab, clients) => {
		const guesser = await clients.greeted(465, attacker);
		const holds = watchHolds(lab, () => guesser);
		for (let guess = 1; guess <= 5; guess++) {
			assert.equal(lastLine(await guesser.command(`AUTH PLAIN ${plainToken('alice', `guess${guess}`)}`)), failed);
		}

		assert.deepEqual(holds.events.map(heldMs), [30, 60, 120, 120], 'none before the first failure, then doubling up to the maximum');
		assert.ok(holds.events.every(event => !event.replied && event.ip === attacker), 'each reply came only after its hold began');

		const student = await clients.greeted(465);
		assert.equal(lastLine(await student.command(`AUTH PLAIN ${plainToken('bob', 'builder')}`)), '235 2.7.0 Authentication successful');
		assert.equal(holds.events.length, 4, 'another address is not held');

		assert.equal(lastLine(await guesser.command(`AUTH PLAIN ${plainToken('alice', 'wonderland')}`)), '235 2.7.0 Authentication successful');
		assert.equal(heldMs(holds.events.at(-1)!), 120, 'the right password is held too: an early answer would give it away');
		const again = await clients.greeted(465, attacker);
		assert.equal(lastLine(await again.command(`AUTH PLAIN ${plainToken('alice', 'nope')}`)), failed);
		assert.equal(holds.events.length, 5, 'a success cleared the penalty: no hold');
		holds.stop();
		assert.equal(lab.stats().limitsHit['auth-delay'], 5);
	});
});

test('past maxAuthFailuresPerMinute an address gets 450 4.7.1 too many AUTH commands, unchecked; swaks from another address still logs in', {timeout: 60_000}, async () => {
	await withLab({only: [587], limits: {maxAuthFailuresPerMinute: 3, authFailureDelayMs: 1, authFailureDelayMaxMs: 1}}, async (lab, clients) => {
		const guesser = await clients.secure(587, attacker);
		for (let guess = 1; guess <= 3; guess++) assert.equal(lastLine(await guesser.command(`AUTH PLAIN ${plainToken('alice', `guess${guess}`)}`)), failed);
		const capped = `450 4.7.1 Error: too many AUTH commands from ${attacker}`;
		assert.equal(lastLine(await guesser.command(`AUTH PLAIN ${plainToken('alice', 'guess4')}`)), capped);
		assert.equal(lastLine(await guesser.command(`AUTH PLAIN ${plainToken('alice', 'wonderland')}`)), capped, 'not even checked');
		assert.equal(guesser.ended, false, 'refused, not disconnected');

		const swaks = await run('swaks', ['--server', '127.0.0.1', '--port', String(lab.ports[587]), '--tls', '--auth', 'PLAIN', '--auth-user', 'alice', '--auth-password', 'wonderland', '--from', 'alice@lab.test', '--to', 'bob@lab.test']);
		assert.equal(swaks.code, 0, swaks.stdout);
		assert.equal(lab.inbox.length, 1);
		assert.equal(lab.stats().limitsHit['auth-rate'], 2);
	});
});
