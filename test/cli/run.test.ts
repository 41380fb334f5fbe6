// The built `smtp-tui` binary, run as a user would from a shell: batch output, exit codes,
// and one clear sentence for every kind of bad input.
import {after, before, test} from 'node:test';
import {spawn} from 'node:child_process';
import assert from 'node:assert/strict';
import dns from 'node:dns';
import {mkdtemp, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {startLab, type Lab} from '../../source/lab/index.js';
import {cli} from '../support/cli.js';
import {cliPath} from '../support/pty.js';
import {agreeableServer, scriptedServer} from '../support/scripted-server.js';

let lab: Lab;
let tmp: string;
before(async () => {
	lab = await startLab({only: [465, 587]});
	tmp = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-cli-'));
});
after(async () => {
	await lab.close();
});

test('run --port 587 against the embedded lab: swaks-style markers, exit 0, password masked', async () => {
	const {code, stdout} = await cli(['run', '--port', '587', '--explain']);
	assert.equal(code, 0, stdout);
	assert.match(stdout, /^ -> EHLO client\.example$/m);
	assert.match(stdout, /^<- {2}220 2\.0\.0 Ready to start TLS$/m);
	assert.match(stdout, /^ ~> AUTH PLAIN AGFsaWNl\*{8} {4}= "\\0alice\\0\*{8}"$/m);
	assert.match(stdout, /^<~ {2}250 2\.0\.0 Ok: queued as/m);
	assert.match(stdout, /↳ 235 — /);
	assert.ok(!stdout.includes('wonderland'));
});

test('run --json prints one parseable entry per line, without the password', async () => {
	const {code, stdout} = await cli(['run', '--port', '465', '--json']);
	assert.equal(code, 0);
	const entries = stdout.trim().split('\n').map(line => JSON.parse(line) as {direction: string; text: string; tls: boolean; secret: boolean});
	assert.ok(entries.length > 10);
	assert.ok(entries.every(e => typeof e.text === 'string' && typeof e.tls === 'boolean'));
	assert.ok(entries.some(e => e.secret));
	assert.ok(!stdout.includes('wonderland'));
	assert.ok(!stdout.includes(Buffer.from('\0alice\0wonderland').toString('base64')));
});

test('--timings prefixes lines with milliseconds; --quit-after stops early with 0', async () => {
	const {code, stdout} = await cli(['run', '--port', '25', '--quit-after', 'ehlo', '--timings']);
	assert.equal(code, 0);
	assert.match(stdout, /^\[ +\d+\.\d ms\]  -> EHLO/m);
	assert.ok(!stdout.includes('MAIL FROM'));
	assert.match(stdout, /-> QUIT/);
});

test('25 to an outside domain: 554 5.7.1 and exit 24', async () => {
	const {code, stdout} = await cli(['run', '--lab', '--port', '25', '--to', 'someone@example.com']);
	assert.equal(code, 24);
	assert.match(stdout, /554 5\.7\.1 <someone@example\.com>: Relay access denied/);
	assert.match(stdout, /^\*\*\* No recipient was accepted/m);
});

test('the password comes from --password-env or --password-file, never needed on the command line', async () => {
	const file = path.join(tmp, 'pw');
	await writeFile(file, 'wonderland\n');
	const fromFile = await cli(['run', '--port', '587', '--user', 'alice', '--password-file', file]);
	assert.equal(fromFile.code, 0, fromFile.stdout + fromFile.stderr);
	const fromEnv = await cli(['run', '--port', '587', '--user', 'alice', '--password-env', 'LAB_PW'], {LAB_PW: 'wonderland'});
	assert.equal(fromEnv.code, 0);
	const flag = await cli(['run', '--port', '587', '--user', 'alice', '--password', 'wonderland']);
	assert.equal(flag.code, 0);
	assert.match(flag.stderr, /warning: A password given with --password shows in your shell history/);
	assert.ok(!flag.stdout.includes('wonderland'));
	const missing = await cli(['run', '--port', '587', '--user', 'alice', '--password-env', 'NOT_SET_ANYWHERE']);
	assert.equal(missing.code, 2);
	assert.equal(missing.stderr.trim(), 'smtp-tui: The environment variable NOT_SET_ANYWHERE (from --password-env) is not set.');
});

const badInput: Array<{args: string[]; code: number; message: RegExp}> = [
	{args: ['run', '--bogus'], code: 2, message: /^smtp-tui: unknown option --bogus \(see smtp-tui --help\)\.$/},
	{args: ['frobnicate'], code: 2, message: /^smtp-tui: unknown command "frobnicate"/},
	{args: ['run', '--port', '70000'], code: 2, message: /^smtp-tui: --port must be a whole number from 1 to 65535, not "70000"\.$/},
	{args: ['run', '--port', 'abc'], code: 2, message: /--port must be a whole number/},
	{args: ['run', '--port', '99'], code: 2, message: /The embedded lab has ports 25, 465, 587, 2525; 99 is not one of them/},
	{args: ['run', '--tls', 'maybe'], code: 2, message: /--tls must be one of auto, starttls, implicit, none, not "maybe"\./},
	{args: ['run', '--quit-after', 'lunch'], code: 2, message: /--quit-after must be one of connect, banner/},
	{args: ['run', '--timeout', '-1'], code: 2, message: /--timeout takes a number of seconds from 0.001 to 3600, not "-1"\./},
	{args: ['run', '--host', '127.0.0.1'], code: 2, message: /Say who the message is for with --to ADDRESS/},
	{args: ['run', '--to', 'a@b.test\r\nRSET'], code: 2, message: /line break/},
	{args: ['run', '--ca', '/nonexistent/ca.pem'], code: 2, message: /Cannot read the CA certificate file "\/nonexistent\/ca\.pem": it does not exist\./},
	{args: ['run', '--auth', 'KERBEROS'], code: 2, message: /--auth must be one of PLAIN, LOGIN, CRAM-MD5, XOAUTH2/},
	{args: ['run', '--header', 'no colon here'], code: 2, message: /--header takes "Name: value"/},
	{args: ['run', '-4', '-6'], code: 2, message: /Choose one of -4 and -6/},
];

for (const {args, code, message} of badInput) {
	test(`bad input ${JSON.stringify(args.slice(1))}: exit ${code} and one sentence`, async () => {
		const result = await cli(args);
		assert.equal(result.code, code, result.stderr);
		assert.match(result.stderr.trim(), message);
		assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
		assert.ok(!/\n\s+at /.test(result.stderr), 'no stack trace');
	});
}

test('the TUI without a terminal: one line pointing to `smtp-tui run`, exit 2', async () => {
	const result = await cli([]);
	assert.equal(result.code, 2);
	assert.match(result.stderr, /needs a terminal; for scripts and pipes use `smtp-tui run`/);
});

test('--help tells the flags, the commands and the exit codes', async () => {
	const result = await cli(['--help']);
	assert.equal(result.code, 0);
	for (const text of ['smtp-tui run', '--password-env', '--quit-after', '--json', '24   no recipient accepted', '29   TLS failed']) {
		assert.ok(result.stdout.includes(text), `help mentions ${text}`);
	}
});

test('an unreachable port: exit 3 with the reason', async () => {
	const server = await scriptedServer(() => undefined);
	await server.close();
	const result = await cli(['run', '--host', '127.0.0.1', '--port', String(server.port), '--to', 'a@b.test']);
	assert.equal(result.code, 3);
	assert.match(result.stdout, /\*\*\* Could not connect to 127\.0\.0\.1:\d+: the connection was refused/);
});

test('a certificate from an unknown issuer is refused (exit 29), --insecure goes on with a warning', async () => {
	const args = ['run', '--host', '127.0.0.1', '--port', String(lab.ports[465]), '--tls', 'implicit', '--to', 'bob@lab.test', '--quit-after', 'ehlo'];
	const refused = await cli(args);
	assert.equal(refused.code, 29);
	assert.match(refused.stdout, /certificate of 127\.0\.0\.1:\d+ was refused: its issuer is unknown|self-signed/);
	const insecure = await cli([...args, '--insecure']);
	assert.equal(insecure.code, 0);
	assert.match(insecure.stdout, /certificate NOT verified .* continuing because of --insecure/);
	const trusted = await cli([...args, '--ca', await writeCa()]);
	assert.equal(trusted.code, 0, 'with --ca the lab certificate (which names 127.0.0.1) verifies');
	assert.match(trusted.stdout, /certificate verified/);
});

async function writeCa(): Promise<string> {
	const file = path.join(tmp, 'ca.pem');
	await writeFile(file, lab.ca);
	return file;
}

test('--lab-cert makes the lab serve a broken certificate: exit 29 with the reason in words', async () => {
	const expired = await cli(['run', '--port', '587', '--lab-cert', 'expired']);
	assert.equal(expired.code, 29);
	assert.match(expired.stdout, /\*\*\* The certificate of 127\.0\.0\.1:\d+ was refused: it expired on /);
	assert.ok(!/AUTH/.test(expired.stdout.split('\n').filter(l => l.includes('->') || l.includes('~>')).join('\n')), 'no credentials sent');
	const old = await cli(['run', '--port', '465', '--lab-cert', 'old-tls', '--insecure']);
	assert.equal(old.code, 29);
	assert.match(old.stdout, /no TLS version in common/);
	const bad = await cli(['run', '--lab-cert', 'bogus']);
	assert.equal(bad.code, 2);
	assert.match(bad.stderr, /--lab-cert must be one of valid, expired, not-yet-valid, wrong-host, self-signed, unknown-issuer, old-tls/);
});

test('opportunistic STARTTLS on 25 with a self-signed certificate: encrypted, the problem explained, the mail sent; 587 stops (exit 29)', async () => {
	const relay = await cli(['run', '--port', '25', '--lab-cert', 'self-signed', '--explain']);
	assert.equal(relay.code, 0, relay.stdout);
	assert.match(relay.stdout, /certificate NOT verified \(it is self-signed \(nobody vouches for it\)\) — continuing: this STARTTLS is opportunistic/);
	assert.match(relay.stdout, /someone on the path could pose as it/);
	assert.match(relay.stdout, /250 2\.0\.0 Ok: queued/);
	const submission = await cli(['run', '--port', '587', '--lab-cert', 'self-signed']);
	assert.equal(submission.code, 29);
	assert.match(submission.stdout, /was refused: it is self-signed/);
});

test('opportunistic STARTTLS refused by the lab (fault tls-unavailable on 25): delivered in cleartext with a note, exit 0', async () => {
	const result = await cli(['run', '--lab', '--port', '25', '--fault', '25:tls-unavailable', '--to', 'bob@lab.test']);
	assert.equal(result.code, 0, result.stdout);
	assert.match(result.stdout, /STARTTLS was refused with 454; TLS is optional here .* continues UNENCRYPTED/);
	assert.match(result.stdout, /250 2\.0\.0 Ok: queued/);
	assert.doesNotMatch(result.stdout, /TLS handshake/);
});

test('opportunistic TLS with a certificate that does not verify carries mail, never a password (exit 29 before AUTH)', async () => {
	// The lab's 587 reached on its real port number: no well-known profile, so STARTTLS is opportunistic.
	const result = await cli(['run', '--host', '127.0.0.1', '--port', String(lab.ports[587]), '--user', 'alice', '--password-env', 'PW', '--to', 'bob@lab.test'], {PW: 'wonderland'});
	assert.equal(result.code, 29, result.stdout);
	assert.match(result.stdout, /Refusing to send credentials: the certificate did not verify \(opportunistic TLS carries mail, not passwords\)/);
	assert.ok(!result.stdout.split('\n').some(line => /^ ?~?> AUTH/.test(line.trim()) || /-> AUTH|~> AUTH/.test(line)), 'no AUTH sent');
});

test('an IPv6 literal host reaches a server on ::1; -6 never falls back to IPv4', async () => {
	const server = await agreeableServer('v6.test', '::1');
	try {
		const literal = await cli(['run', '--host', '::1', '--port', String(server.port), '--quit-after', 'ehlo', '--tls', 'none']);
		assert.equal(literal.code, 0, literal.stdout);
		assert.match(literal.stdout, new RegExp(`=== Connected to \\[::1\\]:${server.port}\\.`));
		// -6 uses only IPv6: localhost reaches ::1 where it has an IPv6 address, and where it
		// has none (as on some Debian images) the answer is one sentence, never IPv4.
		const hasV6 = await dns.promises.lookup('localhost', {family: 6}).then(() => true, () => false);
		const six = await cli(['run', '-6', '--host', 'localhost', '--port', String(server.port), '--quit-after', 'banner', '--tls', 'none']);
		if (hasV6) {
			assert.equal(six.code, 0, six.stdout);
			assert.match(six.stdout, /220 v6\.test ESMTP/);
		} else {
			assert.equal(six.code, 3, six.stdout);
			assert.match(six.stdout, /Could not connect to localhost:\d+: the host name does not resolve\./);
		}
	} finally {
		await server.close();
	}
});

test('batch output does not depend on the terminal: TERM=dumb LANG=C prints the same text and JSON as UTF-8', async () => {
	// Ports, queue ids, times and dates differ from run to run; the rest must be byte for byte the same.
	const normalise = (text: string) => text.replace(/[0-9A-F]{2}(?::[0-9A-F]{2})+/g, 'FP').replace(/[\w.-]*\d[\w.-]*/g, 'N');
	for (const args of [['run', '--port', '587', '--explain'], ['run', '--port', '587', '--json']]) {
		const ascii = await cli(args, {TERM: 'dumb', LANG: 'C', LC_ALL: 'C'});
		const unicode = await cli(args, {TERM: 'xterm-256color', LANG: 'C.UTF-8', LC_ALL: ''});
		assert.equal(ascii.code, 0, ascii.stderr);
		assert.equal(normalise(ascii.stdout), normalise(unicode.stdout), args.join(' '));
	}

	const {stdout} = await cli(['run', '--port', '587', '--explain'], {TERM: 'dumb', LANG: 'C', LC_ALL: 'C'});
	assert.match(stdout, /↳ 235 — /, 'the text output keeps its own characters');
});

test('Ctrl-C during a run: the *** line says the user interrupted it, not that the connection was closed; exit 130', async () => {
	// A server that answers the banner and then never answers EHLO: the run waits until interrupted.
	const server = await scriptedServer(async (socket, reader) => {
		socket.write('220 mx.test ESMTP\r\n');
		while (await reader.next() !== undefined) { /* never answers */ }
	});
	try {
		const child = spawn(process.execPath, [cliPath, 'run', '--host', '127.0.0.1', '--port', String(server.port), '--tls', 'none', '--to', 'b@y.test', '--timeout', '20'], {stdio: ['ignore', 'pipe', 'pipe']});
		let stdout = '';
		let interrupted = false;
		const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
		const code = await new Promise<number | null>(resolve => {
			child.stdout.setEncoding('utf8').on('data', (text: string) => {
				stdout += text;
				// One Ctrl-C only (a second one is Node's default: killed, no exit code).
				if (!interrupted && /^ -> EHLO /m.test(stdout)) interrupted = child.kill('SIGINT');
			});
			child.on('close', resolve);
		});
		clearTimeout(killer);
		assert.equal(code, 130, stdout);
		assert.match(stdout, /^\*\*\* Interrupted by the user \(Ctrl-C\); smtp-tui closed the connection\.$/m, stdout);
		assert.ok(!stdout.includes('The connection was closed.'), stdout);
	} finally {
		await server.close();
	}
});
