// `smtp-tui lab --save-dir DIR` with real clients (swaks, Postfix's smtp-source), and the
// student command the lab prints, pasted as printed into a real terminal.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile, spawn, type ChildProcess} from 'node:child_process';
import {createHash} from 'node:crypto';
import {mkdtemp, readdir, readFile, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {parse} from 'shell-quote';
import {cli, freePort} from '../support/cli.js';
import {cliPath, spawnTui} from '../support/pty.js';

async function run(file: string, args: string[]): Promise<{code: number; stdout: string; stderr: string}> {
	return new Promise(resolve => {
		execFile(file, args, {timeout: 60_000}, (error, stdout, stderr) => {
			resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr});
		});
	});
}

/** --ports for the named SMTP ports plus POP3 and IMAP, all on ports free now (none on the defaults 10110…). */
async function labPorts(smtp: Record<number, number>): Promise<string> {
	const mail = [110, 995, 143, 993];
	const all = {...smtp};
	for (const port of mail) all[port] = await freePort();
	return Object.entries(all).map(([port, where]) => `${port}=${where}`).join(',');
}

type RunningLab = {child: ChildProcess; log: () => string; exited: Promise<number | null>; students: () => string};

/** `smtp-tui lab ARGS` without a terminal, once it has printed its student command. */
async function startLabCli(args: string[]): Promise<RunningLab> {
	const child = spawn(process.execPath, [cliPath, 'lab', ...args], {stdio: ['ignore', 'pipe', 'pipe']});
	let log = '';
	child.stdout!.on('data', (chunk: Buffer) => {
		log += chunk.toString();
	});
	child.stderr!.on('data', (chunk: Buffer) => {
		log += chunk.toString();
	});
	const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
	for (let i = 0; i < 200 && !log.includes('students:'); i++) await new Promise(resolve => setTimeout(resolve, 50));
	const students = () => /^lab: students: (.*)$/m.exec(log)?.[1] ?? '';
	assert.ok(students(), log);
	return {child, log: () => log, exited, students};
}

test('lab --save-dir: every message swaks and smtp-source send is saved as .eml (the bytes) + .json (the envelope)', {timeout: 120_000}, async () => {
	const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-class-save-')), 'mail');
	const [p25, p587] = [await freePort(), await freePort()];
	const lab = await startLabCli(['--ports', await labPorts({25: p25, 587: p587}), '--save-dir', dir]);
	try {
		const swaks = await run('swaks', ['--server', '127.0.0.1', '--port', String(p587), '--tls', '--auth', 'PLAIN', '--auth-user', 'alice', '--auth-password', 'wonderland', '--from', 'alice@lab.test', '--to', 'bob@lab.test', '--header', 'Subject: saved by the lab', '--body', 'kept on disk']);
		assert.equal(swaks.code, 0, swaks.stdout);
		const source = await run('smtp-source', ['-c', '-l', '300', '-m', '5', '-s', '2', '-f', 'load@lab.test', '-t', 'bob@lab.test', `127.0.0.1:${p25}`]);
		assert.equal(source.code, 0, source.stderr);
		lab.child.kill('SIGINT');
		assert.equal(await lab.exited, 0, lab.log());
	} finally {
		lab.child.kill('SIGKILL');
	}

	assert.match(lab.log(), /lab: stopped after \d+ sessions and 6 messages/);
	const files = (await readdir(dir)).sort();
	const emls = files.filter(f => f.endsWith('.eml'));
	assert.equal(emls.length, 6, files.join(' '));
	assert.equal(files.filter(f => f.endsWith('.json')).length, 6);
	assert.ok(files.every(f => !f.startsWith('.')), 'no temporary files left');
	const envelopes = await Promise.all(emls.map(async eml => {
		const bytes = await readFile(path.join(dir, eml));
		const envelope = JSON.parse(await readFile(path.join(dir, eml.replace(/\.eml$/, '.json')), 'utf8')) as {id: string; port: number; listenPort: number; mailFrom: string; rcptTo: string[]; tls: boolean; user: string | null; size: number; sha256: string};
		assert.equal(envelope.size, bytes.length);
		assert.equal(envelope.sha256, createHash('sha256').update(bytes).digest('hex'));
		assert.ok(eml.endsWith(`-${envelope.id}.eml`));
		return {envelope, text: bytes.toString('utf8')};
	}));
	const fromSwaks = envelopes.find(e => e.envelope.port === 587);
	assert.ok(fromSwaks);
	assert.deepEqual({...fromSwaks.envelope, id: undefined, sha256: undefined, size: undefined, receivedAt: undefined}, {id: undefined, port: 587, listenPort: p587, mailFrom: 'alice@lab.test', rcptTo: ['bob@lab.test'], tls: true, user: 'alice', sha256: undefined, size: undefined, receivedAt: undefined});
	assert.match(fromSwaks.text, /^Subject: saved by the lab\r$/m);
	assert.match(fromSwaks.text, /kept on disk/);
	const fromSource = envelopes.filter(e => e.envelope.port === 25);
	assert.equal(fromSource.length, 5);
	assert.ok(fromSource.every(e => e.envelope.mailFrom === 'load@lab.test' && e.envelope.user === null && e.envelope.listenPort === p25));
});

test('lab --save-dir that is not a writable folder is refused before the lab listens', async () => {
	const tmp = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-class-save-bad-'));
	const file = path.join(tmp, 'a-file');
	await writeFile(file, 'not a folder\n');
	const port = await freePort();
	for (const [dir, why] of [[file, 'it is a file, not a folder'], [path.join(file, 'below'), 'part of the path is a file, not a folder']] as const) {
		const result = await cli(['lab', '--ports', `25=${port}`, '--save-dir', dir]);
		assert.equal(result.code, 2, result.stdout + result.stderr);
		assert.equal(result.stderr, `smtp-tui: Cannot save messages in "${dir}": ${why}.\n`);
		assert.equal(result.stdout, '', 'nothing listened, nothing printed');
	}
});

/** Runs the printed student command (smtp-tui → the built binary) in a terminal, as a student would. */
async function pasteStudentCommand(command: string, user: string, password: string): Promise<number> {
	const words = parse(command).map(String);
	assert.equal(words[0], 'smtp-tui');
	const tui = spawnTui(words.slice(1));
	try {
		await tui.waitFor(`Password for ${user}:`);
		await tui.type(`${password}\r`);
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press('a');
		await tui.waitFor('250 2.0.0 Ok: queued as', 20_000);
		await tui.waitFor('221 2.0.0 Bye');
		await tui.press('q');
		return await tui.exited;
	} finally {
		tui.kill();
	}
}

test('the student command the lab prints works when pasted: with --ca-out it verifies the CA, without it names no ca.pem', {timeout: 120_000}, async () => {
	const tmp = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-class-student-'));
	const users = path.join(tmp, 'class.txt');
	await writeFile(users, 'student1:s3cret-one\nstudent2:s3cret-two\n');
	const ca = path.join(tmp, 'class ca.pem');
	for (const caArgs of [['--ca-out', ca], []]) {
		const lab = await startLabCli(['--ports', await labPorts({587: await freePort()}), '--users', users, ...caArgs]);
		try {
			const command = lab.students();
			assert.match(command, /^smtp-tui --host 127\.0\.0\.1 --port \d+ /);
			assert.match(command, / --user student1 --to student1@lab\.test$/);
			if (caArgs.length > 0) assert.ok(command.includes(` --lab-ca '${ca}' `), command);
			else assert.ok(!command.includes('ca.pem') && command.includes(' --insecure '), command);
			assert.equal(await pasteStudentCommand(command, 'student1', 's3cret-one'), 0);
			assert.match(lab.log(), /lab: message 587 127\.0\.0\.1 queued as/);
			lab.child.kill('SIGINT');
			assert.equal(await lab.exited, 0);
		} finally {
			lab.child.kill('SIGKILL');
		}
	}
});
