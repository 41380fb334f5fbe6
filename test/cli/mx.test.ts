// MX lookup through a real DNS server on loopback (dnsmasq), then delivery to the MX.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {mkdtemp, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {startLab, type Lab} from '../../source/lab/index.js';
import {lookupMx} from '../../source/engine/mx.js';
import {startDnsmasq, type DnsServer} from '../support/dnsmasq.js';
import {cliPath} from '../support/pty.js';

type Result = {code: number; stdout: string; stderr: string};
async function cli(args: string[]): Promise<Result> {
	return new Promise(resolve => {
		execFile(process.execPath, [cliPath, ...args], {timeout: 30_000}, (error, stdout, stderr) => {
			resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr});
		});
	});
}

let dns: DnsServer;
let lab: Lab;
let caFile: string;
before(async () => {
	dns = await startDnsmasq([
		// lab.test: the preferred MX has no address, the second one does.
		'--mx-host=lab.test,nowhere.lab.test,10',
		'--mx-host=lab.test,mx.lab.test,20',
		'--host-record=mx.lab.test,127.0.0.1',
		// implicit.test: no MX, only an address (RFC 5321 §5.1 implicit MX).
		'--host-record=implicit.test,127.0.0.1',
	], ['test']);
	lab = await startLab({only: [25]});
	const dir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-mx-'));
	caFile = path.join(dir, 'ca.pem');
	await writeFile(caFile, lab.ca);
});
after(async () => {
	await dns.stop();
	await lab.close();
});

const resolver = () => `${dns.address}:${dns.port}`;

test('MX records come back by preference, and a host without an address is passed over', async () => {
	const result = await lookupMx('lab.test', {resolver: resolver(), timeoutMs: 3000});
	assert.deepEqual(result.records.map(r => `${r.priority} ${r.exchange}`), ['10 nowhere.lab.test', '20 mx.lab.test']);
	assert.equal(result.host, 'mx.lab.test');
	assert.equal(result.address, '127.0.0.1');
	assert.equal(result.via, 'mx');
});

test('a domain without MX falls back to its own address (implicit MX)', async () => {
	const result = await lookupMx('implicit.test', {resolver: resolver(), timeoutMs: 3000});
	assert.equal(result.via, 'implicit');
	assert.equal(result.address, '127.0.0.1');
	assert.match(result.lines.join('\n'), /no MX records; RFC 5321 §5\.1/);
});

test('run --mx: the lookup is the first step of the transcript, then delivery to the best MX', async () => {
	const {code, stdout} = await cli(['run', '--resolver', resolver(), '--port', String(lab.ports[25]), '--to', 'bob@lab.test', '--from', 'sender@example.org', '--ca', caFile, '--explain']);
	assert.equal(code, 0, stdout);
	const lines = stdout.split('\n');
	assert.match(lines[0]!, /^=== DNS: looking up the MX records of lab\.test \(resolver 127\.0\.0\.1:\d+\)…$/);
	assert.match(stdout, /↳ A sending server finds the receiving server through DNS/);
	assert.match(stdout, /=== DNS: lab\.test has 2 MX records: 10 nowhere\.lab\.test, 20 mx\.lab\.test/);
	assert.match(stdout, /=== DNS: nowhere\.lab\.test has no address; trying the next MX\./);
	assert.match(stdout, /=== DNS: mx\.lab\.test is 127\.0\.0\.1/);
	assert.match(stdout, /TLS handshake: .*certificate verified/, 'the certificate is checked against the MX host name');
	assert.match(stdout, /250 2\.0\.0 Ok: queued as/);
	assert.ok(!/AUTH/.test(stdout.split('\n').filter(l => l.includes('->') || l.includes('~>')).join('\n')), 'no login on a delivery');
});

test('a domain with neither MX nor address: one sentence, exit 3', async () => {
	const {code, stderr} = await cli(['run', '--resolver', resolver(), '--to', 'someone@nomail.test']);
	assert.equal(code, 3);
	assert.equal(stderr.trim(), 'smtp-tui: nomail.test has neither MX nor A/AAAA records: mail cannot be delivered there.');
});

test('a DNS server that does not answer: one sentence, exit 3, within the timeout', async () => {
	const {code, stderr} = await cli(['run', '--resolver', '127.0.0.1:9', '--to', 'someone@example.test', '--connect-timeout', '1']);
	assert.equal(code, 3);
	assert.match(stderr.trim(), /^smtp-tui: DNS did not answer the MX of example\.test lookup \(resolver 127\.0\.0\.1:9: (timed out|refused)\)\.$/);
});

test('bad --resolver and --host with --mx are refused before any lookup', async () => {
	const bad = await cli(['run', '--resolver', 'dns.example', '--to', 'a@b.test']);
	assert.equal(bad.code, 2);
	assert.match(bad.stderr, /--resolver takes an IP address with an optional port/);
	const both = await cli(['run', '--mx', '--host', '127.0.0.1', '--to', 'a@b.test']);
	assert.equal(both.code, 2);
	assert.match(both.stderr, /leave out --host/);
});
