// A delivery by MX on port 25 honours the recipient domain's MTA-STS policy (RFC 8461 §5),
// all on loopback: the lab's DNS server (MX, A, `_mta-sts` TXT, mta-sts.DOMAIN → 127.0.0.1),
// a loopback HTTPS server with the lab CA's certificate serving each domain's policy, and the
// lab's port 25 as the MX, with a certificate that verifies for its name or one that does not.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import https from 'node:https';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import {runSession} from '../../source/commands/run.js';
import {MtaStsRefusal, resolveTarget, type TargetEnvironment} from '../../source/setup/target.js';
import {makeLabCertificates} from '../../source/lab/ca.js';
import type {LabDns} from '../../source/lab/dns.js';
import {startLabDns} from '../../source/lab/dns.js';
import type {Lab} from '../../source/lab/index.js';
import {startLab} from '../../source/lab/index.js';

// Each domain: its MX host (served by `good` or `bad` below) and its policy file.
const domains: Record<string, {mx: string; policy: string}> = {
	'good.test': {mx: 'mx.good.test', policy: 'version: STSv1\nmode: enforce\nmx: mx.good.test\nmax_age: 86400\n'},
	'wildcard.test': {mx: 'mx.good.test', policy: 'version: STSv1\nmode: enforce\nmx: *.good.test\nmax_age: 86400\n'},
	'listed-elsewhere.test': {mx: 'mx.good.test', policy: 'version: STSv1\nmode: enforce\nmx: mx.elsewhere.test\nmax_age: 86400\n'},
	'bad.test': {mx: 'mx.bad.test', policy: 'version: STSv1\nmode: enforce\nmx: mx.bad.test\nmax_age: 86400\n'},
	'testing.test': {mx: 'mx.bad.test', policy: 'version: STSv1\nmode: testing\nmx: mx.bad.test\nmax_age: 86400\n'},
	'broken.test': {mx: 'mx.bad.test', policy: 'version: STSv1\nmode: enforce\nmax_age: 86400\n'},
};

let dns: LabDns;
let good: Lab;
let bad: Lab;
let web: https.Server;
let dir: string;
let goodCa: string;
let environment: TargetEnvironment;

before(async () => {
	good = await startLab({only: [25], hostname: 'mx.good.test', domain: 'good.test'});
	// A certificate signed by the lab CA that names only other.example: it does not verify for mx.bad.test.
	bad = await startLab({only: [25], hostname: 'mx.bad.test', domain: 'bad.test', certificate: 'wrong-host'});
	// One HTTPS server for every policy host: each gets its own throwaway CA's certificate by SNI.
	const materials = new Map<string, Awaited<ReturnType<typeof makeLabCertificates>>>(await Promise.all(Object.keys(domains).map(async domain => [`mta-sts.${domain}`, await makeLabCertificates(`mta-sts.${domain}`, 'valid')] as const)));
	const first = [...materials.values()][0]!;
	web = https.createServer({key: first.key, cert: first.cert, SNICallback(name, done) {
		const material = materials.get(name) ?? first;
		done(null, tls.createSecureContext({key: material.key, cert: material.cert}));
	}}, (request, response) => {
		const entry = domains[(request.headers.host ?? '').replace(/^mta-sts\./, '')];
		response.writeHead(entry && request.url === '/.well-known/mta-sts.txt' ? 200 : 404, {'content-type': 'text/plain'}).end(entry?.policy ?? '');
	});
	await new Promise<void>(resolve => {
		web.listen(0, '127.0.0.1', resolve);
	});
	const policyCa = [...materials.values()].map(material => material.ca).join('\n');
	dns = await startLabDns({
		zones: Object.keys(domains),
		records: Object.entries(domains).flatMap(([domain, {mx}]) => [
			{name: domain, type: 'MX' as const, exchange: mx, priority: 10},
			{name: mx, type: 'A' as const, address: '127.0.0.1'},
			{name: `_mta-sts.${domain}`, type: 'TXT' as const, text: 'v=STSv1; id=20261201'},
			{name: `mta-sts.${domain}`, type: 'A' as const, address: '127.0.0.1'},
		]),
	});
	dir = mkdtempSync(path.join(tmpdir(), 'smtp-tui-sts-'));
	goodCa = path.join(dir, 'mx-ca.pem');
	// Both labs' CAs: the MX certificate's chain verifies; only its name can be wrong.
	writeFileSync(goodCa, `${good.ca}\n${bad.ca}`);
	environment = {env: {}, startLab: async () => {
		throw new Error('no lab here');
	}, mtaSts: {port: (web.address() as AddressInfo).port, ca: policyCa}};
});
after(async () => {
	web.close();
	rmSync(dir, {recursive: true, force: true});
	await Promise.all([good.close(), bad.close(), dns.close()]);
});

async function deliver(domain: string) {
	const lab = domains[domain]!.mx === 'mx.good.test' ? good : bad;
	const target = await resolveTarget({mx: true, resolver: dns.server, port: String(lab.ports[25]), to: [`bob@${domain}`], ca: goodCa, quitAfter: 'starttls', timeout: '5'}, environment);
	const notes: string[] = [];
	const lines: string[] = [];
	const code = await runSession(target, {write: text => lines.push(text), note: text => notes.push(text)}, {});
	return {target, code, notes, text: lines.join('')};
}

test('enforce, the MX listed and its certificate verifying: STARTTLS required, delivery goes on', async () => {
	const {target, code, text} = await deliver('good.test');
	assert.equal(target.options.tls, 'starttls');
	assert.equal(code, 0, text);
	assert.match(text, /MTA-STS: Policy https:\/\/mta-sts\.good\.test\/\.well-known\/mta-sts\.txt \(id 20261201\): mode enforce/);
	assert.match(text, /MTA-STS: enforce, and mx\.good\.test is a listed MX: STARTTLS is required/);
	const wildcard = await deliver('wildcard.test');
	assert.equal(wildcard.code, 0, wildcard.text);
});

test('enforce, the MX not listed: exit 29 before connecting, naming the policy', async () => {
	await assert.rejects(deliver('listed-elsewhere.test'), (error: Error) => {
		assert.ok(error instanceof MtaStsRefusal);
		assert.equal(error.message, 'The MTA-STS policy of listed-elsewhere.test (https://mta-sts.listed-elsewhere.test/.well-known/mta-sts.txt, id 20261201, mode enforce) lists the MX patterns mx.elsewhere.test; mx.good.test matches none of them, so a sender must not deliver there.');
		return true;
	});
});

test('enforce, the certificate not naming the MX: exit 29 and a sentence naming the policy', async () => {
	const {code, notes} = await deliver('bad.test');
	assert.equal(code, 29);
	assert.deepEqual(notes, ['The MTA-STS policy of bad.test (https://mta-sts.bad.test/.well-known/mta-sts.txt, id 20261201, mode enforce) requires STARTTLS with a certificate that verifies for mx.bad.test; this delivery did not get one, so a sender must not deliver.']);
});

test('testing, or a policy that does not parse: recorded and explained, opportunistic STARTTLS goes on', async () => {
	const testing = await deliver('testing.test');
	assert.equal(testing.target.options.tls, 'auto');
	assert.equal(testing.code, 0, testing.text);
	assert.match(testing.text, /MTA-STS: testing only: mx\.bad\.test is a listed MX; delivery goes on with opportunistic STARTTLS/);
	assert.match(testing.text, /does not verify|not name|other\.example/i, 'the unverified certificate is recorded');
	const broken = await deliver('broken.test');
	assert.equal(broken.code, 0, broken.text);
	assert.match(broken.text, /MTA-STS: broken\.test announces a policy, but the file is not a valid policy: Missing mx field; .*STARTTLS stays opportunistic/);
});
