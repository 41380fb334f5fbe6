// The built binary against a real Postfix on loopback: what a user sees on ports that are
// not where the well-known ones are (an implicit-TLS port taken for plaintext, probe).
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {runCli} from '../support/peers.js';
import {scriptedServer} from '../support/scripted-server.js';
import {startPostfix, type PostfixInstance} from '../support/postfix.js';

const cli = runCli;

let postfix: PostfixInstance;
before(async () => {
	postfix = await startPostfix();
});
after(async () => {
	await postfix.stop();
});

test('run on Postfix\'s implicit-TLS port without --tls implicit: the silent port is found to speak TLS, exit 21', async () => {
	const result = await cli(['run', '--host', postfix.host, '--port', String(postfix.ports[465]), '--to', `bob@${postfix.domain}`, '--ca', postfix.caFile, '--servername', postfix.hostname]);
	assert.equal(result.code, 21, result.stdout + result.stderr);
	assert.match(result.stdout + result.stderr, /sent no SMTP banner but answered a TLS hello: this port speaks TLS from the first byte: try `--tls implicit`\./);
	assert.ok(!/did not answer with a banner within/.test(result.stdout + result.stderr), 'it did not wait for the greeting timeout');
});

test('probe --ports on Postfix\'s implicit-TLS port (as a plain number): reported as implicit TLS, AUTH after TLS known', async () => {
	const result = await cli(['probe', postfix.host, '--ports', String(postfix.ports[465]), '--ca', postfix.caFile, '--servername', postfix.hostname, '--json']);
	const report = JSON.parse(result.stdout) as {rows: Array<{tls: string; status: string; banner?: string; authAfterTls: string[]; certificate?: {authorized: boolean}}>; diagnosis: string[]};
	const row = report.rows[0]!;
	assert.equal(row.status, 'open');
	assert.equal(row.tls, 'implicit');
	assert.match(row.banner ?? '', /^220 mx\.postfix\.test/);
	assert.deepEqual(row.authAfterTls, ['PLAIN', 'LOGIN']);
	assert.equal(row.certificate?.authorized, true);
	assert.ok(!report.diagnosis.some(s => /No port .* answered/.test(s)), report.diagnosis.join('\n'));
});

test('probe text: a port that never reached TLS says "after TLS: unknown", not "none"; a self-signed certificate in words', async () => {
	// Postfix's port 25 with a name its certificate does not cover, beside a port that says nothing at all.
	const silent = await scriptedServer(async () => new Promise(() => undefined));
	try {
		const result = await cli(['probe', postfix.host, '--ports', `25=${postfix.ports[25]},2525=${silent.port}`, '--timeout', '3']);
		assert.match(result.stdout, /^25 .*open .*220 mx\.postfix\.test/m);
		// No --ca: the throwaway CA is unknown here, and the sentence says so in words.
		assert.match(result.stdout, /NOT verified: its issuer is unknown|NOT verified: its chain ends in a self-signed certificate authority/);
		assert.ok(!/UNABLE_TO|SELF_SIGNED|DEPTH_ZERO/.test(result.stdout), result.stdout);
		assert.match(result.stdout, /^2525 .*open, but no banner: .*did not answer with a banner within 3 s\.$/m);
		assert.match(result.stdout, /Port 2525 accepted the connection but sent no banner \(and it does not speak TLS from the first byte either\)\./);
		assert.ok(!/Port 2525 offers no STARTTLS/.test(result.stdout), 'a silent port is not said to lack STARTTLS');
		// Port 25 reached TLS: its AUTH after TLS is known (none), where 2525's is not.
		assert.match(result.stdout, /^ {6}AUTH before TLS: none · after TLS: none$/m);
	} finally {
		await silent.close();
	}
});

test('--quit-after rcpt on Postfix with the last recipient refused (relay denied): QUIT after RCPT, no DATA', async () => {
	const result = await cli(['run', '--host', postfix.host, '--port', String(postfix.ports[25]), '--tls', 'none', '--to', `bob@${postfix.domain}`, '--to', 'bob@example.com', '--quit-after', 'rcpt']);
	const out = result.stdout + result.stderr;
	assert.match(out, /^<- {2}250 2\.1\.5 Ok$/m);
	assert.match(out, /^<- {2}554 5\.7\.1 <bob@example\.com>: Relay access denied$/m);
	assert.doesNotMatch(out, /^ -> DATA$/m, out);
	assert.match(out, /^ -> QUIT$/m, out);
});
