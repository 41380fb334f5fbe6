// `smtp-tui lab`'s limit flags: a nonsense value is the user's mistake, one sentence and exit 2;
// the dashboard shows the inbox against its bounds and the limits that acted (a real pty).
import assert from 'node:assert/strict';
import {execFile, spawn} from 'node:child_process';
import {mkdtemp, readdir, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import {test} from 'node:test';
import {freePort} from '../support/cli.js';
import {cliPath, spawnTui} from '../support/pty.js';

async function lab(args: string[]): Promise<{code: number; stderr: string}> {
	return new Promise(resolve => {
		execFile(process.execPath, [cliPath, 'lab', ...args], {timeout: 20_000}, (error, _stdout, stderr) => {
			resolve({code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stderr});
		});
	});
}

test('limit flags: bad values are refused in one sentence with exit 2', async () => {
	const cases: Array<[string[], string]> = [
		[['--max-inbox-messages', '0'], 'smtp-tui: --max-inbox-messages takes a whole number from 1 to 1000000, not "0".\n'],
		[['--max-inbox-size', 'lots'], 'smtp-tui: --max-inbox-size takes a whole number from 1000 to 100000000000, not "lots".\n'],
		[['--max-receiving', '1000000'], 'smtp-tui: --max-receiving must be at least twice the largest message (20480000 bytes), not 1000000.\n'],
	];
	for (const [args, message] of cases) {
		const result = await lab(args);
		assert.equal(result.code, 2, args.join(' '));
		assert.equal(result.stderr, message);
	}
});

async function run(file: string, args: string[]): Promise<{code: number; stdout: string}> {
	return new Promise(resolve => {
		execFile(file, args, {timeout: 30_000}, (error, stdout) => {
			resolve({code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout});
		});
	});
}

async function freeBase(): Promise<number> {
	for (let attempt = 0; attempt < 50; attempt++) {
		const base = 20_000 + Math.floor(Math.random() * 30_000);
		const free = await Promise.all([25, 465, 587, 2525, 110, 995, 143, 993].map(async port => new Promise<boolean>(resolve => {
			const server = net.createServer().once('error', () => resolve(false)).listen(base + port, '127.0.0.1', () => server.close(() => resolve(true)));
		})));
		if (free.every(Boolean)) return base;
	}

	throw new Error('no free base port');
}

test('the dashboard shows the inbox against its bounds, what was pruned, and the limits that acted', {timeout: 90_000}, async () => {
	const base = await freeBase();
	const tui = spawnTui(['lab', '--base-port', String(base), '--max-inbox-messages', '2', '--max-auth-per-minute', '1', '--auth-failure-delay', '1', '--auth-failure-delay-max', '1'], {columns: 160});
	try {
		await tui.waitFor('inbox: 0/2 messages, 0.0 MB/100.0 MB · none pruned');
		for (let index = 0; index < 3; index++) {
			assert.equal((await run('swaks', ['--server', '127.0.0.1', '--port', String(base + 25), '--to', 'bob@lab.test', '--from', 'x@example.org'])).code, 0);
		}

		await tui.waitFor(/inbox: 2\/2 messages, 0\.0 MB\/100\.0 MB · 1 older pruned from memory/);
		const login = ['--server', '127.0.0.1', '--port', String(base + 587), '--tls', '--auth', 'PLAIN', '--auth-user', 'alice', '--auth-password', 'wrong', '--to', 'bob@lab.test'];
		assert.equal((await run('swaks', login)).code, 28, 'a wrong password: 535');
		const capped = await run('swaks', login);
		assert.equal(capped.code, 28);
		assert.match(capped.stdout, /450 4\.7\.1 Error: too many AUTH commands from 127\.0\.0\.1/);
		await tui.waitFor(/limits: 0 connections refused · 0 dropped for taking too long · \d+ failed logins delayed · 1 logins refused for their rate/);
		// Waited for, not read off the same screen: under load the pty can hold a frame drawn
		// only down to the counters, the latest-events box still to come.
		await tui.waitFor(/limit 587 127\.0\.0\.1 AUTH refused: 1 failed logins from 127\.0\.0\.1 in the last minute/);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('the dashboard shows IMAP and POP3: their port rows, curl\'s failed logins as events, and the shared login limits', {timeout: 90_000}, async () => {
	const base = await freeBase();
	const tui = spawnTui(['lab', '--base-port', String(base), '--max-auth-per-minute', '1', '--auth-failure-delay', '1', '--auth-failure-delay-max', '1'], {columns: 160});
	try {
		await tui.waitFor(/993 +\d+ +0 +0 +0/);
		const imaps = (password: string) => ['--silent', '--insecure', '--user', `bob:${password}`, `imaps://127.0.0.1:${base + 993}/INBOX`];
		assert.equal((await run('curl', imaps('wrong'))).code, 67, 'curl: login denied');
		await tui.waitFor(/imap login-failed 993 127\.0\.0\.1 bob/);
		// One failed login per minute from this address: the next is refused unchecked, right password or not.
		assert.equal((await run('curl', imaps('builder'))).code, 67);
		const screen = await tui.waitFor(/limits: 0 connections refused · 0 dropped for taking too long · \d+ failed logins delayed · 1 logins refused for their rate/);
		assert.match(screen, /limit 993 127\.0\.0\.1 login refused: 1 failed logins from 127\.0\.0\.1 in the last minute/);
		await tui.waitFor(new RegExp(`993 +${base + 993} +0 +2 +0`));
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('lab --save-dir with a small inbox: the pruned messages are on disk, and the log says how many were pruned', {timeout: 90_000}, async () => {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-pruned-'));
	const ports: Record<number, number> = {};
	for (const port of [25, 110, 995, 143, 993]) ports[port] = await freePort();
	const child = spawn(process.execPath, [cliPath, 'lab', '--ports', Object.entries(ports).map(([port, where]) => `${port}=${where}`).join(','), '--save-dir', dir, '--max-inbox-messages', '2'], {stdio: ['ignore', 'pipe', 'pipe']});
	let log = '';
	child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
	child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
	const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
	try {
		for (let i = 0; i < 200 && !log.includes('students:'); i++) await new Promise(resolve => setTimeout(resolve, 50));
		const source = await run('smtp-source', ['-c', '-l', '300', '-m', '5', '-s', '1', '-f', 'load@lab.test', '-t', 'bob@lab.test', `127.0.0.1:${ports[25]}`]);
		assert.equal(source.code, 0);
		child.kill('SIGINT');
		assert.equal(await exited, 0, log);
		assert.match(log, /lab: stopped after \d+ sessions and 5 messages \(3 older ones pruned from memory; --save-dir keeps every one on disk\)/);
		assert.equal((await readdir(dir)).filter(name => name.endsWith('.eml')).length, 5, 'all five saved, the three pruned ones too');
	} finally {
		child.kill('SIGKILL');
		await rm(dir, {recursive: true, force: true});
	}
});
