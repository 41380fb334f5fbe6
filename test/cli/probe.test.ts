// `smtp-tui probe`: every port at once against the lab and scripted servers; the diagnosis.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {mkdtemp, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {startLab, type Lab} from '../../source/lab/index.js';
import {cliPath} from '../support/pty.js';
import {scriptedServer, type ScriptedServer} from '../support/scripted-server.js';

type Result = {code: number; stdout: string; stderr: string};
async function cli(args: string[]): Promise<Result> {
	return new Promise(resolve => {
		execFile(process.execPath, [cliPath, ...args], {timeout: 30_000}, (error, stdout, stderr) => {
			resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr});
		});
	});
}

type Row = {port: number; status: string; banner?: string; tls: string; authBeforeTls: string[]; authAfterTls: string[]; size?: number; pipelining: boolean; certificate?: {authorized: boolean; subject?: string}};
type Report = {rows: Row[]; diagnosis: string[]};

let lab: Lab;
let caFile: string;
let cleartextAuth: ScriptedServer;
let plaintext465: ScriptedServer;
const sent: string[] = [];
before(async () => {
	lab = await startLab({only: [587]});
	caFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-probe-')), 'ca.pem');
	await writeFile(caFile, lab.ca);
	// A careless submission server: AUTH offered in cleartext, no STARTTLS.
	const careless = async (socket: import('node:net').Socket, reader: import('../support/scripted-server.js').LineReader) => {
		socket.write('220 careless.test ESMTP\r\n');
		for (;;) {
			const line = await reader.next();
			if (line === undefined) return;
			sent.push(line);
			if (line.startsWith('EHLO')) socket.write('250-careless.test\r\n250-SIZE 1000\r\n250 AUTH PLAIN LOGIN\r\n');
			else if (line === 'QUIT') {
				socket.end('221 bye\r\n');
				return;
			} else socket.write('502 no\r\n');
		}
	};

	cleartextAuth = await scriptedServer(careless);
	plaintext465 = await scriptedServer(careless);
});
after(async () => {
	await lab.close();
	await cleartextAuth.close();
	await plaintext465.close();
});

test('probe (the lab): four ports, TLS modes, AUTH before and after TLS, extensions; exit 0', async () => {
	const {code, stdout} = await cli(['probe', '--json']);
	assert.equal(code, 0);
	const report = JSON.parse(stdout) as Report;
	const row = (port: number) => report.rows.find(r => r.port === port)!;
	assert.deepEqual(report.rows.map(r => r.status), ['open', 'open', 'open', 'open']);
	assert.equal(row(25).tls, 'starttls');
	assert.deepEqual(row(25).authAfterTls, []);
	assert.equal(row(465).tls, 'implicit');
	assert.deepEqual(row(587).authBeforeTls, []);
	assert.deepEqual(row(587).authAfterTls, ['PLAIN', 'LOGIN', 'CRAM-MD5']);
	assert.equal(row(587).size, 10_240_000);
	assert.equal(row(587).pipelining, true);
	assert.equal(row(587).certificate?.authorized, true);
	assert.deepEqual(report.diagnosis, []);
});

test('25 refused while 587 answers: the blocked-port-25 diagnosis; a probe never sends MAIL', async () => {
	const closed = await scriptedServer(() => undefined);
	await closed.close();
	const {code, stdout} = await cli(['probe', '127.0.0.1', '--ports', `25=${closed.port},587=${lab.ports[587]}`, '--ca', caFile]);
	assert.equal(code, 0, stdout);
	assert.match(stdout, /^25 {4}relay \/ MX {17}refused: Could not connect/m);
	assert.match(stdout, /^587 {3}submission, STARTTLS {7}open \(/m);
	assert.match(stdout, /Port 25 was refused while 587 answered: your network probably blocks outbound port 25 \(common on residential ISPs\); use 587 or 465 for submission\./);
});

test('AUTH offered before TLS, no STARTTLS, plaintext on 465: each gets its warning; exit 3 with no working submission port', async () => {
	sent.length = 0;
	const {code, stdout} = await cli(['probe', '127.0.0.1', '--ports', `587=${cleartextAuth.port},465=${plaintext465.port}`, '--connect-timeout', '3']);
	assert.equal(code, 3, stdout);
	assert.match(stdout, /Port 587 offers AUTH \(PLAIN LOGIN\) before TLS: a password sent there travels readable/);
	assert.match(stdout, /Port 587 offers no STARTTLS: submitting there would send the password unencrypted\./);
	assert.match(stdout, /AUTH before TLS: PLAIN LOGIN · after TLS: unknown \(TLS never started\)/);
	assert.match(stdout, /Port 465 answered in plaintext: it is not implicit TLS/);
	assert.ok(!sent.some(line => /^(MAIL|RCPT|AUTH|DATA)/.test(line)), `only EHLO and QUIT were sent: ${sent.join(' | ')}`);
});

test('an EHLO reply that never ends: the text shows the error, and the diagnosis claims nothing about STARTTLS it did not see', async () => {
	const endless = await scriptedServer(async (socket, reader) => {
		socket.write('220 endless.test ESMTP\r\n');
		for (;;) {
			const line = await reader.next();
			if (line === undefined) return;
			// More lines than any reply may have (the client gives up at 512): bounded here.
			if (line.startsWith('EHLO')) socket.write(`250-${'x'.repeat(60)}\r\n`.repeat(600));
			else if (line === 'QUIT') socket.end('221 bye\r\n');
		}
	});
	try {
		const {code, stdout} = await cli(['probe', '127.0.0.1', '--ports', `587=${endless.port}`, '--timeout', '3']);
		assert.equal(code, 3, stdout);
		assert.match(stdout, /^ {6}TLS: unknown \(EHLO never finished\)$/m);
		assert.match(stdout, /^ {6}error: The server sent a reply with more than 512 lines\.$/m);
		assert.match(stdout, /Port 587 sent its banner but never a whole EHLO reply .*: whether it offers STARTTLS or AUTH is unknown\./);
		assert.ok(!/none offered|offers no STARTTLS/.test(stdout), stdout);
		const report = JSON.parse((await cli(['probe', '127.0.0.1', '--ports', `587=${endless.port}`, '--timeout', '3', '--json'])).stdout) as Report;
		assert.equal(report.rows[0]!.tls, 'unknown');
	} finally {
		await endless.close();
	}
});

test('a certificate that does not name the host: the diagnosis says which names it covers', async () => {
	const {stdout} = await cli(['probe', '127.0.0.1', '--ports', `587=${lab.ports[587]}`, '--ca', caFile, '--servername', 'wrong.example']);
	assert.match(stdout, /The certificate on port 587 does not name wrong\.example; it covers DNS:mx\.lab\.test, DNS:localhost, IP Address:127\.0\.0\.1/);
	assert.match(stdout, /NOT verified: it does not name wrong\.example; it covers DNS:mx\.lab\.test/);
	assert.ok(!stdout.includes('ERR_TLS_CERT_ALTNAME_INVALID'), 'no raw OpenSSL code');
});

test('a self-signed certificate is said in words in the block and the diagnosis, never as DEPTH_ZERO_SELF_SIGNED_CERT', async () => {
	const {stdout} = await cli(['probe', '--ports', '587', '--lab-cert', 'self-signed']);
	assert.match(stdout, /NOT verified: it is self-signed \(nobody vouches for it\)/);
	assert.match(stdout, /The certificate on port 587 did not verify: it is self-signed \(nobody vouches for it\); subject CN=mx\.lab\.test/);
	assert.ok(!stdout.includes('DEPTH_ZERO'), stdout);
});

test('bad --ports: one sentence, exit 2', async () => {
	const result = await cli(['probe', '--ports', '25,25']);
	assert.equal(result.code, 2);
	assert.match(result.stderr, /--ports names a port twice\./);
	const mapped = await cli(['probe', '--ports', '25=2525']);
	assert.equal(mapped.code, 2);
	assert.match(mapped.stderr, /needs --host/);
});

test('login flags do not trip a probe (it never logs in): exit 0, no usage error', async () => {
	const {code, stderr} = await cli(['probe', '--ports', '587', '--user', 'alice', '--password-env', 'HOME']);
	assert.equal(code, 0, stderr);
	assert.equal(stderr, '');
});

test('probe --help says it waits 10 s, not the RFC\'s minutes, and what a silent port gets asked', async () => {
	const {code, stdout} = await cli(['probe', '--help']);
	assert.equal(code, 0);
	assert.match(stdout, /A probe waits 10 s for each answer unless --timeout says otherwise/);
	assert.match(stdout, /asked whether it speaks TLS from the first byte/);
});
