// MTA-STS (RFC 8461) for a real domain, all on loopback: the lab's DNS server serves the
// `_mta-sts` TXT records and the A records of mta-sts.DOMAIN (127.0.0.1); a loopback HTTPS
// server with a certificate from the lab's throwaway CA serves good, broken and missing
// policies. `probe --domain` (the engine's probeDomain) fetches and explains them.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import dns from 'node:dns';
import https from 'node:https';
import type {AddressInfo} from 'node:net';
import {probeDomain} from '../../source/engine/domain-probe.js';
import {lookupMtaSts, mxAllowed} from '../../source/engine/mta-sts.js';
import {makeLabCertificates} from '../../source/lab/ca.js';
import type {LabDns} from '../../source/lab/dns.js';
import {startLabDns} from '../../source/lab/dns.js';

type Policy = {status: number; body: string; location?: string};
const policies: Record<string, Policy> = {
	'good.test': {status: 200, body: 'version: STSv1\r\nmode: enforce\r\nmx: mx1.good.test\r\nmx: *.backup.good.test\r\nmax_age: 604800\r\n'},
	'testing.test': {status: 200, body: 'version: STSv1\nmode: testing\nmx: mx.testing.test\nmax_age: 86400\n'},
	'broken.test': {status: 200, body: 'version: STSv1\nmode: maybe\nmx: mx.broken.test\nmax_age: 86400\n'},
	'missing.test': {status: 404, body: 'not found'},
	'moved.test': {status: 301, body: '', location: 'https://elsewhere.test/policy.txt'},
};
const domains = [...Object.keys(policies), 'nohost.test'];

let server: LabDns;
let resolver: dns.promises.Resolver;
const https_: Record<string, {port: number; ca: string; close: () => void}> = {};

before(async () => {
	server = await startLabDns({
		zones: [...domains, 'plain.test'],
		records: [{name: 'plain.test', type: 'MX' as const, exchange: 'mx.plain.test', priority: 10}, ...domains.flatMap(domain => [
			{name: `_mta-sts.${domain}`, type: 'TXT' as const, text: 'v=STSv1; id=20261201T1100'},
			{name: domain, type: 'MX' as const, exchange: `mx1.${domain}`, priority: 10},
			...(domain === 'nohost.test' ? [] : [{name: `mta-sts.${domain}`, type: 'A' as const, address: '127.0.0.1'}]),
		])],
	});
	resolver = new dns.promises.Resolver({timeout: 3000, tries: 1});
	resolver.setServers([server.server]);
	for (const [domain, policy] of Object.entries(policies)) {
		const material = await makeLabCertificates(`mta-sts.${domain}`, 'valid');
		const web = https.createServer({key: material.key, cert: material.cert}, (request, response) => {
			if (request.url !== '/.well-known/mta-sts.txt' || request.headers.host !== `mta-sts.${domain}`) {
				response.writeHead(400).end();
				return;
			}

			response.writeHead(policy.status, {'content-type': 'text/plain', ...(policy.location ? {location: policy.location} : {})}).end(policy.body);
		});
		await new Promise<void>(resolve => {
			web.listen(0, '127.0.0.1', resolve);
		});
		https_[domain] = {port: (web.address() as AddressInfo).port, ca: material.ca, close: () => web.close()};
	}
});
after(async () => {
	for (const web of Object.values(https_)) web.close();
	await server.close();
});

const options = (domain: string) => ({resolver, timeoutMs: 5000, port: https_[domain]?.port ?? 1, ca: https_[domain]?.ca});

test('an enforce policy is fetched over verified HTTPS and parsed (mailauth): mode, mx patterns, max_age', async () => {
	const result = await lookupMtaSts('good.test', options('good.test'));
	assert.deepEqual(result, {status: 'found', id: '20261201T1100', url: 'https://mta-sts.good.test/.well-known/mta-sts.txt', policy: {mode: 'enforce', mx: ['mx1.good.test', '*.backup.good.test'], maxAge: 604800}});
	assert.equal(mxAllowed('mx1.good.test', result.policy), true);
	assert.equal(mxAllowed('mx2.backup.good.test.', result.policy), true);
	assert.equal(mxAllowed('mx2.good.test', result.policy), false);
});

test('broken, missing, redirected and unreachable policies: each a sentence, never a policy', async () => {
	const broken = await lookupMtaSts('broken.test', options('broken.test'));
	assert.equal(broken.status, 'error');
	assert.match(broken.status === 'error' ? broken.problem : '', /not a valid policy: Invalid mode field/);
	const missing = await lookupMtaSts('missing.test', options('missing.test'));
	assert.match(missing.status === 'error' ? missing.problem : '', /HTTP 404/);
	const moved = await lookupMtaSts('moved.test', options('moved.test'));
	assert.match(moved.status === 'error' ? moved.problem : '', /HTTP 301 \(a redirect, which senders must not follow\)/);
	const nohost = await lookupMtaSts('nohost.test', options('nohost.test'));
	assert.match(nohost.status === 'error' ? nohost.problem : '', /mta-sts\.nohost\.test has no A or AAAA record/);
	// The certificate must verify: the good server, but trusting another CA.
	const untrusted = await lookupMtaSts('good.test', {...options('good.test'), ca: https_['testing.test']!.ca});
	assert.match(untrusted.status === 'error' ? untrusted.problem : '', /fetching it failed: .*(certificate|self.signed|issuer)/i);
	// No record at all: no policy, nothing fetched.
	assert.deepEqual(await lookupMtaSts('plain.test', {resolver, timeoutMs: 3000}), {status: 'none'});
});

test('probeDomain explains the fetched policy (enforce ok, testing a warning, broken an error)', async () => {
	const record = async (domain: string) => (await probeDomain(domain, {resolver: server.server, timeoutMs: 5000, mtaSts: {port: https_[domain]!.port, ca: https_[domain]!.ca}})).records.find(item => item.kind === 'MTA-STS')!;
	const good = await record('good.test');
	assert.equal(good.status, 'ok');
	assert.match(good.meaning.join(' '), /mode enforce: senders must deliver only over TLS with a certificate that verifies/);
	assert.match(good.meaning.join(' '), /mx patterns: mx1\.good\.test, \*\.backup\.good\.test/);
	assert.match(good.meaning.join(' '), /max_age 604800 s \(7 days\)/);
	const testing = await record('testing.test');
	assert.equal(testing.status, 'warning');
	assert.match(testing.meaning.join(' '), /mode testing: senders deliver as usual but report/);
	const broken = await record('broken.test');
	assert.equal(broken.status, 'error');
	assert.match(broken.meaning.join(' '), /announced, but the file is not a valid policy: Invalid mode field: senders without a cached copy treat the domain as having no policy/);
});
