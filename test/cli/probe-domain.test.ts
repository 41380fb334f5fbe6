// `smtp-tui probe --domain` through the built binary, against the project's DNS server on
// loopback serving good and broken zones (no test asks any other DNS server), cross-checked
// with dig (bind9-dnsutils).
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {generateKeyPairSync} from 'node:crypto';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import https from 'node:https';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import {makeLabCertificates} from '../../source/lab/ca.js';
import type {LabDns} from '../../source/lab/dns.js';
import {startLabDns} from '../../source/lab/dns.js';
import {cli, freePort} from '../support/cli.js';

const key = generateKeyPairSync('rsa', {modulusLength: 2048}).publicKey.export({type: 'spki', format: 'der'}).toString('base64');

const weakKey = generateKeyPairSync('rsa', {modulusLength: 512}).publicKey.export({type: 'spki', format: 'der'}).toString('base64');

let dns: LabDns;
// good.test's MTA-STS policy host: a loopback HTTPS server with a certificate from a throwaway CA.
let policyServer: https.Server;
let policyFlags: string[];
let dir: string;
before(async () => {
	const material = await makeLabCertificates('mta-sts.good.test', 'valid');
	policyServer = https.createServer({key: material.key, cert: material.cert}, (request, response) => {
		response.writeHead(request.url === '/.well-known/mta-sts.txt' ? 200 : 404, {'content-type': 'text/plain'}).end('version: STSv1\nmode: enforce\nmx: mx1.good.test\nmx: mx2.good.test\nmax_age: 86400\n');
	});
	await new Promise<void>(resolve => {
		policyServer.listen(0, '127.0.0.1', resolve);
	});
	dir = mkdtempSync(path.join(tmpdir(), 'smtp-tui-sts-'));
	writeFileSync(path.join(dir, 'ca.pem'), material.ca);
	policyFlags = ['--mta-sts-port', String((policyServer.address() as AddressInfo).port), '--ca', path.join(dir, 'ca.pem')];
	dns = await startLabDns({
		zones: ['good.test', 'broken.test', 'nullmx.test', 'hostile.test'],
		records: [
			{name: 'good.test', type: 'MX', exchange: 'mx1.good.test', priority: 10},
			{name: 'good.test', type: 'MX', exchange: 'mx2.good.test', priority: 20},
			{name: 'good.test', type: 'TXT', text: 'v=spf1 mx include:_spf.good.test -all'},
			{name: 'good.test', type: 'TXT', text: 'google-site-verification=abc'},
			{name: 's1._domainkey.good.test', type: 'TXT', text: `v=DKIM1; k=rsa; p=${key}`},
			{name: '_dmarc.good.test', type: 'TXT', text: 'v=DMARC1; p=reject; rua=mailto:dmarc@good.test'},
			{name: '_mta-sts.good.test', type: 'TXT', text: 'v=STSv1; id=20261201T000000'},
			{name: 'mta-sts.good.test', type: 'A', address: '127.0.0.1'},
			{name: '_smtp._tls.good.test', type: 'TXT', text: 'v=TLSRPTv1; rua=mailto:tls-reports@good.test'},
			{name: 'broken.test', type: 'A', address: '127.0.0.1'},
			{name: 'broken.test', type: 'TXT', text: 'v=spf1 a -all'},
			{name: 'broken.test', type: 'TXT', text: 'v=spf1 +all'},
			{name: 's1._domainkey.broken.test', type: 'TXT', text: 'v=DKIM1; p='},
			{name: 'weak._domainkey.good.test', type: 'TXT', text: `v=DKIM1; k=rsa; p=${weakKey}`},
			{name: 'junk._domainkey.good.test', type: 'TXT', text: 'v=DKIM1; k=rsa; p=bm90IGEga2V5IGF0IGFsbCwganVzdCB0ZXh0IHRoYXQgaXMgbG9uZyBlbm91Z2g='},
			{name: '_dmarc.broken.test', type: 'TXT', text: 'v=DMARC1; p=maybe'},
			{name: '_mta-sts.broken.test', type: 'TXT', text: 'v=STSv1;'},
			{name: 'hostile.test', type: 'TXT', text: 'v=spf1 \u0085\u009b2J\u001b[2J\u202e -all'},
			{name: 'nullmx.test', type: 'MX', exchange: '', priority: 0},
			{name: 'nullmx.test', type: 'TXT', text: 'v=spf1 -all'},
			{name: '_dmarc.nullmx.test', type: 'TXT', text: 'v=DMARC1; p=reject; rua=mailto:d@nullmx.test'},
		],
	});
});
after(async () => {
	policyServer.close();
	rmSync(dir, {recursive: true, force: true});
	await dns.close();
});

type Report = {domain: string; resolver: string; records: Array<{kind: string; name: string; status: string; values: string[]; meaning: string[]; reference: string}>};

async function probe(domain: string, ...extra: string[]): Promise<{code: number; report: Report; stderr: string}> {
	const {code, stdout, stderr} = await cli(['probe', '--domain', domain, '--resolver', dns.server, '--json', ...extra]);
	return {code, report: stdout ? (JSON.parse(stdout) as Report) : ({records: []} as unknown as Report), stderr};
}

const statuses = (report: Report) => Object.fromEntries(report.records.map(record => [record.kind, record.status]));
const meaning = (report: Report, kind: string) => report.records.find(record => record.kind === kind)!.meaning.join(' ');

test('a well-configured domain: every record ok, each explained, exit 0', async () => {
	const {code, report} = await probe('good.test', '--selector', 's1', ...policyFlags);
	assert.equal(code, 0);
	assert.equal(report.resolver, dns.server);
	assert.deepEqual(statuses(report), {MX: 'ok', SPF: 'ok', DKIM: 'ok', DMARC: 'ok', 'MTA-STS': 'ok', 'TLS-RPT': 'ok'});
	assert.deepEqual(report.records.find(record => record.kind === 'MX')!.values, ['10 mx1.good.test', '20 mx2.good.test']);
	assert.deepEqual(report.records.find(record => record.kind === 'SPF')!.values, ['v=spf1 mx include:_spf.good.test -all'], 'only the v=spf1 TXT record');
	assert.match(meaning(report, 'SPF'), /Every other server fails SPF \("-all"\).*2 of the 10 DNS lookups/);
	assert.match(meaning(report, 'DMARC'), /p=reject: mail that fails DMARC .* is refused/);
	assert.match(meaning(report, 'DKIM'), /A 2048-bit rsa public key/);
	assert.match(meaning(report, 'MTA-STS'), /Policy https:\/\/mta-sts\.good\.test\/\.well-known\/mta-sts\.txt \(id 20261201T000000\): mode enforce/);
	assert.match(meaning(report, 'MTA-STS'), /mx patterns: mx1\.good\.test, mx2\.good\.test .*max_age 86400 s \(1 day\)/);
	assert.match(meaning(report, 'TLS-RPT'), /mailto:tls-reports@good\.test/);
});

test('a broken domain: each mistake named, exit 4', async () => {
	const {code, report} = await probe('broken.test', '--selector', 's1');
	assert.equal(code, 4);
	assert.deepEqual(statuses(report), {MX: 'warning', SPF: 'error', DKIM: 'error', DMARC: 'error', 'MTA-STS': 'error', 'TLS-RPT': 'missing'});
	assert.match(meaning(report, 'MX'), /implicit MX/);
	assert.match(meaning(report, 'SPF'), /More than one v=spf1 record: SPF evaluation ends in permerror/);
	assert.match(meaning(report, 'DKIM'), /revoked/);
	assert.match(meaning(report, 'DMARC'), /No valid p= tag \("maybe"\)/);
	assert.match(meaning(report, 'MTA-STS'), /no id=/);
});

test('a null MX, and a domain that publishes nothing', async () => {
	const nullMx = await probe('nullmx.test');
	assert.match(meaning(nullMx.report, 'MX'), /A null MX: the domain says it accepts no mail/);
	const nothing = await probe('nothing.good.test');
	assert.equal(nothing.code, 4);
	assert.deepEqual(statuses(nothing.report), {MX: 'warning', SPF: 'error', DMARC: 'error', 'MTA-STS': 'missing', 'TLS-RPT': 'missing'});
});

test('the text report, and dig sees the same records', async () => {
	const {code, stdout} = await cli(['probe', '--domain', 'good.test', '--resolver', dns.server, ...policyFlags]);
	assert.equal(code, 0);
	assert.match(stdout, /^Mail records of good\.test \(resolver 127\.0\.0\.1:\d+\):/);
	assert.match(stdout, /DMARC +ok {7}TXT _dmarc\.good\.test {2}\(RFC 7489 §6\)\n {11}v=DMARC1; p=reject; rua=mailto:dmarc@good\.test\n {9}↳ p=reject/);
	const {stdout: dug} = await promisify(execFile)('dig', ['@127.0.0.1', '-p', String(dns.port), '+short', '+time=2', 'TXT', '_dmarc.good.test'], {timeout: 10_000});
	assert.equal(dug.trim(), '"v=DMARC1; p=reject; rua=mailto:dmarc@good.test"');
});

test('an MTA-STS policy that cannot be fetched (its CA not trusted) is an error, explained, exit 4', async () => {
	const {code, report} = await probe('good.test');
	assert.equal(code, 4);
	assert.equal(statuses(report)['MTA-STS'], 'error');
	assert.match(meaning(report, 'MTA-STS'), /announced, but fetching it failed: .*senders without a cached copy treat the domain as having no policy/);
});

test('user mistakes and a DNS server that does not answer: one sentence each', async () => {
	const bad = await cli(['probe', '--domain', 'not a domain']);
	assert.equal(bad.code, 2);
	assert.equal(bad.stderr, 'smtp-tui: --domain takes a domain name (example.com), not "not a domain".\n');
	const both = await cli(['probe', 'mail.good.test', '--domain', 'good.test']);
	assert.equal(both.code, 2);
	assert.match(both.stderr, /takes no HOST/);
	const silent = await cli(['probe', '--domain', 'good.test', '--resolver', `127.0.0.1:${await freePort()}`, '--timeout', '1']);
	assert.equal(silent.code, 3);
	assert.match(silent.stderr, /^smtp-tui: DNS did not answer the MX lookup of good\.test \(resolver 127\.0\.0\.1:\d+: (refused|timed out)\)\.\n$/);
});

test('--json is valid JSON when a record holds C1, ESC and bidi characters, and holds no raw control', async () => {
	const {stdout} = await cli(['probe', '--domain', 'hostile.test', '--resolver', dns.server, '--json']);
	assert.doesNotMatch(stdout, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
	const report = JSON.parse(stdout) as Report;
	const spf = report.records.find(record => record.kind === 'SPF')!;
	assert.ok(spf.values.some(text => text.includes('\u001b[2J') && text.includes('\u0085')), `the record read back: ${JSON.stringify(spf.values)}`);
});

test('DKIM keys are decoded: a 512-bit key and an unreadable p= are errors with the real reason (RFC 8301)', async () => {
	const weak = await probe('good.test', '--selector', 'weak');
	assert.equal(weak.code, 4);
	assert.equal(statuses(weak.report).DKIM, 'error');
	assert.match(meaning(weak.report, 'DKIM'), /^A 512-bit RSA key: verifiers must not accept keys under 1024 bits \(RFC 8301 §3\.2\)/);
	const junk = await probe('good.test', '--selector', 'junk');
	assert.equal(junk.code, 4);
	assert.equal(statuses(junk.report).DKIM, 'error');
	assert.match(meaning(junk.report, 'DKIM'), /cannot be read as a rsa public key/);
});
