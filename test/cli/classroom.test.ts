// `smtp-tui lab` as a classroom server: real clients (swaks, Postfix's smtp-source, a
// student's smtp-tui with --lab-ca) against it, the log it prints, and its dashboard.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile, spawn} from 'node:child_process';
import {mkdtemp, readFile, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {free, freeBase} from '../support/ports.js';
import {cliPath, spawnTui} from '../support/pty.js';

async function run(file: string, args: string[], env: Record<string, string> = {}): Promise<{code: number; stdout: string; stderr: string}> {
	return new Promise(resolve => {
		execFile(file, args, {env: {...process.env, ...env}, timeout: 60_000}, (error, stdout, stderr) => {
			resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr});
		});
	});
}

test('the classroom lab: swaks, smtp-source and a student smtp-tui as clients, log lines, clean stop', {timeout: 120_000}, async () => {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-class-'));
	const users = path.join(dir, 'users.txt');
	await writeFile(users, '# the class\nstudent1:s3cret-one\nstudent2:s3cret-two\n');
	const ca = path.join(dir, 'ca.pem');
	const base = await freeBase();
	const child = spawn(process.execPath, [cliPath, 'lab', '--base-port', String(base), '--users', users, '--ca-out', ca], {stdio: ['ignore', 'pipe', 'pipe']});
	let log = '';
	child.stdout.on('data', (chunk: Buffer) => {
		log += chunk.toString();
	});
	const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
	try {
		for (let i = 0; i < 100 && !log.includes('students:'); i++) await new Promise(resolve => setTimeout(resolve, 50));
		assert.match(log, new RegExp(`lab: listening on 127\\.0\\.0\\.1: 25→${base + 25}, 465→${base + 465}, 587→${base + 587}, 2525→${base + 2525}`));
		assert.match(log, /lab: accounts: student1, student2/);
		assert.match(await readFile(ca, 'utf8'), /BEGIN CERTIFICATE/);

		const swaks = await run('swaks', ['--server', '127.0.0.1', '--port', String(base + 587), '--tls', '--auth', 'PLAIN', '--auth-user', 'student1', '--auth-password', 's3cret-one', '--to', 'bob@lab.test', '--from', 'student1@lab.test']);
		assert.equal(swaks.code, 0, swaks.stdout);
		const badLogin = await run('swaks', ['--server', '127.0.0.1', '--port', String(base + 587), '--tls', '--auth', 'PLAIN', '--auth-user', 'alice', '--auth-password', 'wonderland', '--to', 'bob@lab.test']);
		assert.equal(badLogin.code, 28, 'the demo account is replaced by the users file');

		const source = await run('smtp-source', ['-c', '-l', '512', '-m', '20', '-s', '5', '-f', 'load@lab.test', '-t', 'bob@lab.test', `127.0.0.1:${base + 25}`]);
		assert.equal(source.code, 0, source.stderr);

		const student = await run(process.execPath, [cliPath, 'run', '--host', '127.0.0.1', '--port', String(base + 587), '--lab-ca', ca, '--user', 'student2', '--password-env', 'PW', '--to', 'bob@lab.test'], {PW: 's3cret-two'});
		assert.equal(student.code, 0, student.stdout);
		assert.match(student.stdout, /certificate verified/);

		child.kill('SIGINT');
		assert.equal(await exited, 0);
		assert.match(log, /lab: message 587 127\.0\.0\.1 queued as/);
		const stopped = /lab: stopped after (\d+) sessions and (\d+) messages/.exec(log);
		assert.ok(stopped, log);
		assert.equal(Number(stopped[2]), 22, 'swaks 1 + smtp-source 20 + the student 1');
		// Lines are written in batches: each one still whole, on its own line, none lost.
		const lines = log.trimEnd().split('\n');
		assert.deepEqual(lines.filter(line => !line.startsWith('lab: ')), [], log);
		assert.equal(lines.filter(line => /^lab: message 25 127\.0\.0\.1 queued as [\dA-F]{10}$/.test(line)).length, 20, log);
		assert.equal(lines.filter(line => line === 'lab: connect 25 127.0.0.1').length, 20, log);
		assert.equal(lines.filter(line => line === 'lab: close 25 127.0.0.1').length, 20, log);
	} finally {
		child.kill('SIGKILL');
	}
});

test('bad classroom options: one sentence each, exit 2', async () => {
	for (const [args, message] of [
		[['--listen', 'somewhere'], /--listen takes an IP address/],
		[['--base-port', '70000'], /--base-port takes a whole number from 1 to 62000/],
		[['--users', '/nonexistent'], /Cannot read the users file "\/nonexistent": it does not exist\./],
		[['--ports', '25=1,999=2'], /--ports maps the lab's ports \(25, 465, 587, 2525; POP3 110, 995; IMAP 143, 993\), not 999\./],
	] as const) {
		const result = await run(process.execPath, [cliPath, 'lab', ...args]);
		assert.equal(result.code, 2, result.stderr);
		assert.match(result.stderr, message);
	}
});

test('the dashboard on a terminal counts sessions and messages live', {timeout: 60_000}, async () => {
	const base = await freeBase();
	const tui = spawnTui(['lab', '--base-port', String(base)]);
	try {
		await tui.waitFor('smtp-tui lab · classroom server · 0 connected · 0 sessions · 0 messages');
		const sent = await run('swaks', ['--server', '127.0.0.1', '--port', String(base + 25), '--to', 'bob@lab.test', '--from', 'x@example.org']);
		assert.equal(sent.code, 0);
		await tui.waitFor('1 sessions · 1 messages');
		// The session has closed by now: 0 connected, 1 session, 1 message on port 25.
		const screen = await tui.waitFor(new RegExp(`25 {6}${base + 25} +0 +1 +1`));
		assert.match(screen, /message 25 127\.0\.0\.1 queued as/);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
		assert.equal(await free(base + 25), true, 'the lab stopped listening');
	} finally {
		tui.kill();
	}
});
