// Secrets never show: a known password and an XOAUTH2 token go through every output path
// (the TUI screen and its raw terminal output, `run` as text and --json, recordings and every
// export, replay, compare, probe, the classroom lab's log, error messages), and none of them may
// show either secret in clear or in base64: the secret's own base64 (with and without padding,
// at every byte alignment) and the base64 of the whole PLAIN and XOAUTH2 strings. Servers that
// echo the secret back are included: their text is scrubbed too.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {exportFormats, recordingOf, renderExport} from '../../source/setup/record.js';
import {Comparison} from '../../source/engine/compare.js';
import {Session, type SessionOptions} from '../../source/engine/session.js';
import {renderCompareJson, renderCompareMarkdown} from '../../source/export/compare.js';
import {renderJsonLines} from '../../source/export/jsonl.js';
import {renderText} from '../../source/export/text.js';
import {startLab, type Lab, type LabPort} from '../../source/lab/index.js';
import {keys, spawnTui, cliPath} from '../support/pty.js';
import {scriptedServer, type ScriptedServer} from '../support/scripted-server.js';
import {freePort} from '../support/cli.js';

const labPassword = 'wonderland'; // the lab's own alice: compare always logs in with it
const password = 'Hunter2-Secret-Pass-7c41'; // a classroom lab user's, given on every path
const wrongPassword = 'Wrong-Secret-Pass-2b7e';
const token = 'ya29.Xoauth-Token-Secret-c3a9f1';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/**
 * Every form a secret must never take in output: clear, its base64 with and without padding,
 * and the runs of base64 characters that encode only its bytes when it sits at byte offset 1 or
 * 2 of a longer encoded string (as the password does inside a PLAIN response).
 */
function forms(secret: string): string[] {
	const all = [secret, b64(secret), b64(secret).replace(/=+$/, '')];
	const bytes = Buffer.from(secret, 'utf8');
	for (let offset = 0; offset < 3; offset++) {
		const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
		const core = encoded.slice(offset === 0 ? 0 : 4, Math.floor((offset + bytes.length) / 3) * 4);
		if (core.length >= 8) all.push(core);
	}

	return all;
}

const forbidden = [
	...[labPassword, password, wrongPassword, token].flatMap(forms),
	...['alice', 'carol'].flatMap(user => [labPassword, password, wrongPassword].map(p => b64(`\0${user}\0${p}`))),
	b64(`user=alice\x01auth=Bearer ${token}\x01\x01`),
	b64(`user=alice\x01auth=Bearer ${token}\x01\x01`).replace(/=+$/, ''),
];

/** Every output checked, by label, so the test can also say that each path really ran. */
const checked = new Map<string, number>();

function assertNoSecret(label: string, text: string): void {
	assert.ok(text.length > 0, `${label}: no output at all`);
	for (const form of forbidden) {
		assert.ok(!text.includes(form), `${label} shows a secret (${JSON.stringify(form)}):\n${text.slice(Math.max(0, text.indexOf(form) - 300), text.indexOf(form) + 100)}`);
	}

	checked.set(label, text.length);
}

type Result = {code: number | null; stdout: string; stderr: string};

async function runCli(args: string[], env: Record<string, string> = {}): Promise<Result> {
	const child = spawn(process.execPath, [cliPath, ...args], {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']});
	let stdout = '';
	let stderr = '';
	child.stdout.setEncoding('utf8').on('data', (text: string) => {
		stdout += text;
	});
	child.stderr.setEncoding('utf8').on('data', (text: string) => {
		stderr += text;
	});
	const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
	const code = await new Promise<number | null>(resolve => {
		child.on('close', resolve);
	});
	clearTimeout(killer);
	return {code, stdout, stderr};
}

/** Runs the CLI and checks stdout and stderr together; returns the result for more checks. */
async function checkedRun(label: string, args: string[], env: Record<string, string>, expectedCode: number): Promise<Result> {
	const result = await runCli(args, env);
	assert.equal(result.code, expectedCode, `${label}: exit ${String(result.code)}\n${result.stdout}\n${result.stderr}`);
	assertNoSecret(label, result.stdout + result.stderr);
	return result;
}

let lab: Lab;
let tmp: string;
let caFile: string;
let xoauth: ScriptedServer;
let xoauthReceived: string[] = [];
let echo: ScriptedServer;

/** A server offering XOAUTH2 that, being hostile, echoes the token back in every form it can. */
async function xoauthServer(): Promise<ScriptedServer> {
	const whole = b64(`user=alice\x01auth=Bearer ${token}\x01\x01`);
	return scriptedServer(async (socket, reader) => {
		socket.write('220 mx.test ESMTP\r\n');
		for (;;) {
			const line = await reader.next();
			if (line === undefined) return;
			xoauthReceived.push(line);
			if (line.startsWith('EHLO')) socket.write('250-mx.test\r\n250 AUTH XOAUTH2 PLAIN\r\n');
			else if (line.startsWith('AUTH XOAUTH2 ')) {
				const error = JSON.stringify({status: '400', schemes: 'Bearer', scope: 'https://mail.google.com/', echo: token});
				socket.write(`334 ${b64(error)}\r\n`);
			} else if (line === '') socket.write(`535 5.7.8 token ${token} (${whole}) rejected\r\n`);
			else if (line === 'QUIT') {
				socket.end('221 bye\r\n');
				return;
			} else socket.write('250 ok\r\n');
		}
	});
}

/** A server that answers AUTH PLAIN by quoting the credentials back, in base64 and decoded. */
async function echoServer(): Promise<ScriptedServer> {
	return scriptedServer(async (socket, reader) => {
		socket.write('220 mx.test ESMTP\r\n');
		for (;;) {
			const line = await reader.next();
			if (line === undefined) return;
			if (line.startsWith('EHLO')) socket.write('250-mx.test\r\n250 AUTH PLAIN LOGIN\r\n');
			else if (line.startsWith('AUTH PLAIN ')) {
				const sent = line.slice('AUTH PLAIN '.length);
				socket.write(`535-5.7.8 you sent ${sent}\r\n535 5.7.8 that is ${Buffer.from(sent, 'base64').toString('latin1').replaceAll('\0', ' ')}\r\n`);
			} else if (line === 'QUIT') {
				socket.end('221 bye\r\n');
				return;
			} else socket.write('250 ok\r\n');
		}
	});
}

before(async () => {
	tmp = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-secrets-'));
	lab = await startLab({users: [{user: 'alice', password: labPassword, address: 'alice@lab.test'}, {user: 'carol', password, address: 'carol@lab.test'}, {user: 'bob', password: 'builder', address: 'bob@lab.test'}, {user: 'dave', password: 'lab', address: 'dave@lab.test'}]});
	caFile = path.join(tmp, 'ca.pem');
	await writeFile(caFile, lab.ca);
	[xoauth, echo] = await Promise.all([xoauthServer(), echoServer()]);
});
after(async () => {
	await Promise.all([lab.close(), xoauth.close(), echo.close()]);
	await rm(tmp, {recursive: true, force: true});
});

const remote = (port: LabPort, ...extra: string[]) => ['--host', '127.0.0.1', '--port', String(lab.ports[port]), '--ca', caFile, '--to', 'bob@lab.test', '--timeout', '5', ...extra];

describe('run, human and --json, every mechanism, success and failure', {concurrency: 4}, () => {
	for (const mechanism of ['PLAIN', 'LOGIN', 'CRAM-MD5']) {
		for (const json of [false, true]) {
			test(`run ${mechanism}${json ? ' --json' : ' --explain --timings'}: logged in, nothing shown`, async () => {
				const result = await checkedRun(`run ${mechanism} ${json}`, ['run', ...remote(587, '--tls', 'starttls', '--user', 'carol', '--password-env', 'SECRET_PW', '--auth', mechanism), ...(json ? ['--json'] : ['--explain', '--timings'])], {SECRET_PW: password}, 0);
				assert.match(result.stdout, /235 2\.7\.0 Authentication successful/);
			});
		}
	}

	test('run on implicit TLS (465) with --json', async () => {
		await checkedRun('run 465 json', ['run', ...remote(465, '--tls', 'implicit', '--user', 'carol', '--password-env', 'SECRET_PW', '--json')], {SECRET_PW: password}, 0);
	});

	for (const json of [false, true]) {
		test(`a wrong password${json ? ' (--json)' : ''}: exit 28, the error sentence shows no secret`, async () => {
			const result = await checkedRun(`wrong ${json}`, ['run', ...remote(587, '--tls', 'starttls', '--user', 'carol', '--password-env', 'SECRET_PW'), ...(json ? ['--json'] : [])], {SECRET_PW: wrongPassword}, 28);
			assert.match(json ? result.stderr : result.stdout, /AUTH PLAIN failed with 535 5\.7\.8/);
		});
	}

	test('--password on the command line: accepted with a warning about shell history and the process list', async () => {
		const result = await checkedRun('--password flag', ['run', ...remote(587, '--tls', 'starttls', '--user', 'carol', '--password', password)], {}, 0);
		assert.match(result.stderr, /^smtp-tui: warning: A password given with --password shows in your shell history and the process list; prefer --password-env VAR or --password-file FILE\.$/m);
	});

	test('a server that echoes the PLAIN credentials back: its reply is scrubbed (--insecure-auth)', async () => {
		for (const json of [false, true]) {
			const result = await checkedRun(`echo ${json}`, ['run', '--host', '127.0.0.1', '--port', String(echo.port), '--to', 'a@b.test', '--tls', 'none', '--insecure-auth', '--user', 'carol', '--password-env', 'SECRET_PW', '--timeout', '5', ...(json ? ['--json'] : [])], {SECRET_PW: password}, 28);
			// A base64 run that decodes to the password is masked whole.
			assert.match(result.stdout, /535-5\.7\.8 you sent \*{8}(?:$|")/m, 'the echo is shown, masked');
			assert.match(result.stdout, /535 5\.7\.8 that is {2}carol \*{8}/);
		}
	});

	test('XOAUTH2 with --token-env against a server that echoes the token: human and --json', async () => {
		for (const json of [false, true]) {
			xoauthReceived = [];
			const result = await checkedRun(`xoauth2 ${json}`, ['run', '--host', '127.0.0.1', '--port', String(xoauth.port), '--to', 'a@b.test', '--tls', 'none', '--insecure-auth', '--user', 'alice', '--token-env', 'SECRET_TOKEN', '--auth', 'XOAUTH2', '--timeout', '5', ...(json ? ['--json'] : ['--explain'])], {SECRET_TOKEN: token}, 28);
			assert.equal(xoauthReceived.find(l => l.startsWith('AUTH XOAUTH2')), `AUTH XOAUTH2 ${b64(`user=alice\x01auth=Bearer ${token}\x01\x01`)}`, 'the real token went on the wire');
			assert.match(result.stdout, /AUTH XOAUTH2 dXNlcj1hbGljZQFhdXRoPUJlYXJlciA\*{8}|AUTH XOAUTH2 [A-Za-z\d+/]*\*{8}/);
		}
	});
});

describe('recordings, every export, replay', () => {
	test('run --record, then every export format and replay from the recording', async () => {
		const file = path.join(tmp, 'session.jsonl');
		await checkedRun('run --record', ['run', ...remote(587, '--tls', 'starttls', '--user', 'carol', '--password-env', 'SECRET_PW', '--record', file)], {SECRET_PW: password}, 0);
		assertNoSecret('the recording file', await readFile(file, 'utf8'));
		for (const format of exportFormats) await checkedRun(`export ${format}`, ['export', file, '--format', format], {}, 0);
		await checkedRun('replay (text)', ['replay', file], {}, 0);
	});

	test('in-process: PLAIN, LOGIN and XOAUTH2 sessions through text, JSON Lines and every export', async () => {
		const options = (over: Partial<SessionOptions>): SessionOptions => ({
			host: lab.host,
			port: lab.ports[587]!,
			profilePort: 587,
			tls: 'starttls',
			tlsOptions: {servername: lab.hostname, ca: lab.ca, insecure: false},
			ehlo: 'client.example',
			from: 'carol@lab.test',
			to: ['bob@lab.test'],
			credentials: {user: 'carol', password},
			timeouts: {connect: 5000, greeting: 5000, command: 5000, mail: 5000, rcpt: 5000, data: 5000, body: 5000},
			...over,
		});
		const sessions = [
			new Session(options({mechanism: 'PLAIN'})),
			new Session(options({mechanism: 'LOGIN'})),
			new Session(options({credentials: {user: 'carol', password: wrongPassword}})),
			new Session(options({host: '127.0.0.1', port: xoauth.port, profilePort: xoauth.port, tls: 'none', insecureAuth: true, credentials: {user: 'alice', token}, mechanism: 'XOAUTH2'})),
		];
		for (const [index, session] of sessions.entries()) {
			await session.runToEnd();
			const label = `session ${index}`;
			assertNoSecret(`${label} entries`, JSON.stringify(session.entries));
			assertNoSecret(`${label} failure`, `${session.failureMessage ?? ''} ${JSON.stringify(session.peek())}`);
			assertNoSecret(`${label} text`, renderText(session.entries, {explain: true, timings: true}));
			assertNoSecret(`${label} jsonl`, renderJsonLines(session.entries));
			for (const format of exportFormats) assertNoSecret(`${label} ${format}`, renderExport(recordingOf(session), format));
		}

		assert.equal(sessions[0]!.exitCode, 0);
		assert.equal(sessions[2]!.exitCode, 28);
	});
});

describe('compare, probe, the classroom log', () => {
	test('compare against the lab by host (the same flags as a remote server): Markdown and --json', async () => {
		const ports = [String(lab.ports[587]), String(lab.ports[2525])];
		const flags = ['--host', '127.0.0.1', '--ca', caFile, '--user', 'carol', '--password-env', 'SECRET_PW', '--to', 'bob@lab.test', '--timeout', '5'];
		const markdown = await checkedRun('compare markdown', ['compare', ...flags, ...ports, '--markdown'], {SECRET_PW: password}, 0);
		assert.match(markdown.stdout, /## smtp-tui compare/);
		await checkedRun('compare json', ['compare', ...flags, ...ports, '--json'], {SECRET_PW: password}, 0);
	});

	test('compare with --password on the command line: the leak warning, once', async () => {
		const result = await checkedRun('compare --password', ['compare', '--host', '127.0.0.1', '--ca', caFile, '--user', 'carol', '--password', password, '--to', 'bob@lab.test', '--timeout', '5', String(lab.ports[587]), '--json'], {}, 0);
		assert.equal(result.stderr.match(/warning: A password given with --password shows in your shell history and the process list/g)?.length, 1, result.stderr);
	});

	test('compare on the embedded lab (its own password) and in-process with credentials', async () => {
		await checkedRun('compare lab json', ['compare', '--json', '587', '465'], {}, 0);
		const comparison = new Comparison({
			ports: [587, 465],
			outside: 'friend@example.com',
			own: 'bob@lab.test',
			sessionFor: port => ({
				host: lab.host,
				port: lab.ports[port as LabPort]!,
				profilePort: port,
				tls: 'auto',
				tlsOptions: {servername: lab.hostname, ca: lab.ca, insecure: false},
				ehlo: 'client.example',
				from: 'carol@lab.test',
				to: [],
				credentials: {user: 'carol', password},
			}),
		});
		await comparison.runToEnd();
		const report = comparison.report('lab');
		assertNoSecret('compare report markdown', renderCompareMarkdown(report));
		assertNoSecret('compare report json', renderCompareJson(report));
		assertNoSecret('compare sessions', JSON.stringify(comparison.columns.map(c => c.session.entries)));
		comparison.close();
	});

	test('probe, text and --json (a probe never logs in)', async () => {
		const ports = `587=${lab.ports[587]},465=${lab.ports[465]}`;
		await checkedRun('probe text', ['probe', '127.0.0.1', '--ports', ports, '--ca', caFile], {SECRET_PW: password}, 0);
		await checkedRun('probe json', ['probe', '127.0.0.1', '--ports', ports, '--ca', caFile, '--json'], {SECRET_PW: password}, 0);
	});

	test('the classroom lab\'s log: logins right and wrong, no password in it', async () => {
		const usersFile = path.join(tmp, 'users.txt');
		const classCa = path.join(tmp, 'class-ca.pem');
		await writeFile(usersFile, `carol:${password}\nbob:builder\n`);
		const port = await freePort();
		const child = spawn(process.execPath, [cliPath, 'lab', '--ports', `587=${port}`, '--users', usersFile, '--ca-out', classCa], {stdio: ['ignore', 'pipe', 'pipe']});
		let log = '';
		child.stdout.setEncoding('utf8').on('data', (text: string) => {
			log += text;
		});
		child.stderr.setEncoding('utf8').on('data', (text: string) => {
			log += text;
		});
		const exited = new Promise<number | null>(resolve => {
			child.on('close', resolve);
		});
		try {
			for (let i = 0; i < 200 && !log.includes('lab: students:'); i++) await new Promise(resolve => setTimeout(resolve, 25));
			assert.match(log, /lab: listening on 127\.0\.0\.1/);
			const args = ['run', '--host', '127.0.0.1', '--port', String(port), '--ca', classCa, '--tls', 'starttls', '--to', 'bob@lab.test', '--user', 'carol', '--password-env', 'SECRET_PW', '--timeout', '5'];
			await checkedRun('classroom run', args, {SECRET_PW: password}, 0);
			await checkedRun('classroom wrong', args, {SECRET_PW: wrongPassword}, 28);
			await new Promise(resolve => setTimeout(resolve, 200));
		} finally {
			child.kill('SIGTERM');
		}

		assert.equal(await exited, 0);
		assert.match(log, /lab: stopped after 2 sessions/);
		assertNoSecret('classroom log', log);
	});
});

describe('the TUI', () => {
	test('a remote-style session through STARTTLS and AUTH PLAIN: screen and raw output', {timeout: 60_000}, async () => {
		const tui = spawnTui(remote(587, '--tls', 'starttls', '--user', 'carol', '--password-env', 'SECRET_PW'), {env: {SECRET_PW: password}});
		try {
			await tui.waitFor('Next: Open a TCP connection');
			let screen = '';
			for (const expected of ['220 mx.lab.test', '250 SMTPUTF8', 'TLS handshake', /~ 250 SMTPUTF8/]) {
				await tui.press(keys.enter);
				screen = await tui.waitFor(expected);
			}

			// The preview of the AUTH line, before it goes out: masked, with its decoding.
			screen = await tui.waitFor('Next: Log in');
			assert.match(screen, /AUTH PLAIN AGNhcm9s\*{8}␍␊/);
			assertNoSecret('TUI screen before AUTH', screen);
			await tui.press('a');
			screen = await tui.waitFor('221 2.0.0 Bye', 20_000);
			assertNoSecret('TUI screen at the end', screen);
			await tui.press('q');
			assert.equal(await tui.exited, 0);
			assertNoSecret('TUI raw output', tui.output());
		} finally {
			tui.kill();
		}
	});

	test('XOAUTH2 with an echoing server: screen and raw output', {timeout: 60_000}, async () => {
		const tui = spawnTui(['--host', '127.0.0.1', '--port', String(xoauth.port), '--to', 'a@b.test', '--tls', 'none', '--insecure-auth', '--user', 'alice', '--token-env', 'SECRET_TOKEN', '--auth', 'XOAUTH2', '--timeout', '5'], {env: {SECRET_TOKEN: token}});
		try {
			await tui.waitFor('Next: Open a TCP connection');
			await tui.press('a');
			const screen = await tui.waitFor('535 5.7.8', 20_000);
			assertNoSecret('TUI XOAUTH2 screen', screen);
			await tui.press('q');
			await tui.exited;
			assertNoSecret('TUI XOAUTH2 raw output', tui.output());
		} finally {
			tui.kill();
		}
	});
});

describe('secrets typed by hand in the TUI (m)', () => {
	test('AUTH PLAIN with its base64 typed by hand, echoed back by the server: screen and raw output', {timeout: 60_000}, async () => {
		const tui = spawnTui(['--host', '127.0.0.1', '--port', String(echo.port), '--to', 'a@b.test', '--tls', 'none', '--insecure-auth', '--timeout', '5']);
		try {
			await tui.waitFor('Next: Open a TCP connection');
			await tui.press(keys.enter);
			await tui.waitFor('220 mx.test');
			await tui.press(keys.enter);
			await tui.waitFor('250 AUTH PLAIN LOGIN');
			await tui.press('m');
			await tui.waitFor('Manual command');
			await tui.type(`AUTH PLAIN ${b64(`\0carol\0${password}`)}`);
			const typing = await tui.waitFor(/> AUTH PLAIN \*+/);
			assertNoSecret('TUI manual AUTH PLAIN while typing', typing);
			await tui.press(keys.enter);
			const screen = await tui.waitFor('535 5.7.8 that is');
			assert.match(screen, /C {2}AUTH PLAIN \*{8}/);
			assertNoSecret('TUI manual AUTH PLAIN screen', screen);
			await tui.press('q');
			await tui.exited;
			assertNoSecret('TUI manual AUTH PLAIN raw output', tui.output());
		} finally {
			tui.kill();
		}
	});

	test('an AUTH LOGIN exchange typed by hand after STARTTLS: the password answer shows as stars, logged in', {timeout: 60_000}, async () => {
		const tui = spawnTui(remote(587, '--tls', 'starttls'));
		try {
			await tui.waitFor('Next: Open a TCP connection');
			for (const expected of ['220 mx.lab.test', '250 SMTPUTF8', 'TLS handshake', /~ 250 SMTPUTF8/]) {
				await tui.press(keys.enter);
				await tui.waitFor(expected);
			}

			for (const [typed, expected] of [['AUTH LOGIN', /334 VXNlcm5hbWU6/], [b64('carol'), /334 UGFzc3dvcmQ6/], [b64(password), /235 2\.7\.0/]] as const) {
				await tui.press('m');
				await tui.waitFor('>');
				await tui.type(typed);
				if (typed === b64(password)) assertNoSecret('TUI typing the LOGIN password', await tui.waitFor(/> \*+/));
				await tui.press(keys.enter);
				await tui.waitFor(expected, 10_000);
			}

			const screen = tui.screen();
			assertNoSecret('TUI manual AUTH LOGIN screen', screen);
			await tui.press('q');
			await tui.exited;
			assertNoSecret('TUI manual AUTH LOGIN raw output', tui.output());
		} finally {
			tui.kill();
		}
	});
});

describe('the password from a file, and a short password that is a word of the host name', () => {
	test('the no-echo prompt (run on a terminal with --user and no password): logged in, the typed password never echoed', {timeout: 60_000}, async () => {
		const tui = spawnTui(['run', ...remote(587, '--tls', 'starttls', '--user', 'carol')]);
		try {
			await tui.waitFor('Password for carol: ', 20_000);
			await tui.type(password);
			await tui.press(keys.enter);
			await tui.waitFor('221 2.0.0 Bye', 20_000);
			assert.equal(await tui.exited, 0);
			assert.match(tui.output(), /235 2\.7\.0/);
			assertNoSecret('password prompt raw output', tui.output());
		} finally {
			tui.kill();
		}
	});

	test('--password-file: logged in, nothing shown', async () => {
		const file = path.join(tmp, 'pw.txt');
		await writeFile(file, `${password}\n`, {mode: 0o600});
		await checkedRun('--password-file', ['run', ...remote(587, '--tls', 'starttls', '--user', 'carol', '--password-file', file, '--json')], {}, 0);
	});

	test('a lab user whose password is "lab": the host name mx.lab.test stays readable, the password does not show', async () => {
		const session = new Session({
			host: lab.host, port: lab.ports[587]!, profilePort: 587, tls: 'starttls', tlsOptions: {servername: lab.hostname, ca: lab.ca, insecure: false},
			ehlo: 'client.example', from: 'dave@lab.test', to: ['bob@lab.test'], credentials: {user: 'dave', password: 'lab'},
			timeouts: {connect: 5000, greeting: 5000, command: 5000, mail: 5000, rcpt: 5000, data: 5000, body: 5000},
		});
		await session.runToEnd();
		const text = renderText(session.entries);
		// The host name and the addresses keep the label "lab"; where "lab" stands as a word of
		// its own (the banner's "smtp-tui lab"), it is the password as far as anyone can tell.
		assert.match(text, /220 mx\.lab\.test ESMTP smtp-tui \*{8}$/m, text);
		assert.match(text, /MAIL FROM:<dave@lab\.test>/);
		assert.match(text, /250-mx\.lab\.test/);
		assert.equal(session.exitCode, 0, session.failureMessage);
		for (const line of text.split('\n')) assert.doesNotMatch(line.replaceAll(/[\p{L}\p{N}]+(?:[.@_-]+[\p{L}\p{N}]+)+/gu, ''), /\blab\b/, line);
	});
});

test('every path above really ran and was checked', () => {
	for (const label of ['run PLAIN true', 'wrong false', 'xoauth2 true', 'the recording file', 'export mermaid', 'replay (text)', 'session 3 jsonl', 'compare json', 'compare report markdown', 'probe json', 'classroom log', 'TUI raw output', 'TUI XOAUTH2 raw output', 'TUI manual AUTH PLAIN raw output', 'TUI manual AUTH LOGIN raw output', 'TUI typing the LOGIN password', '--password-file', 'password prompt raw output']) {
		assert.ok(checked.has(label), `${label} was checked`);
	}
});
