// The throwaway CA and the server certificate it signs.

import {execFileSync} from 'node:child_process';
import {X509Certificate, createPrivateKey} from 'node:crypto';
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {makeLabCa} from '../../source/lab/ca.js';

const dayMs = 24 * 60 * 60 * 1000;

test('makeLabCa: a CA and an EC P-256 server certificate it signed, with the lab SANs', async () => {
	const before = Date.now();
	const {ca, key, cert} = await makeLabCa('mx.lab.test');
	const authority = new X509Certificate(ca);
	const server = new X509Certificate(cert);

	assert.equal(authority.ca, true);
	assert.equal(server.ca, false);
	assert.ok(server.checkIssued(authority), 'issued by the CA');
	assert.ok(server.verify(authority.publicKey), 'signature verifies with the CA key');
	assert.ok(server.checkPrivateKey(createPrivateKey(key)), 'the key belongs to the certificate');
	assert.equal(server.subject, 'CN=mx.lab.test');
	assert.equal(server.subjectAltName, 'DNS:mx.lab.test, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
	assert.equal(server.checkHost('mx.lab.test'), 'mx.lab.test');
	assert.equal(server.checkIP('::1'), '::1');
	assert.equal(server.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
	assert.equal(authority.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');

	// Valid from a day ago (a skewed clock still works) for 30 days. X.509 keeps whole seconds.
	const from = Date.parse(server.validFrom);
	const to = Date.parse(server.validTo);
	assert.ok(Math.abs(from - (before - dayMs)) < 60_000, `validFrom ${server.validFrom}`);
	assert.equal(to - from, 30 * dayMs);

	// Node does not expose the signature algorithm; openssl (a test-time tool only) does.
	for (const pem of [ca, cert]) {
		const text = execFileSync('openssl', ['x509', '-noout', '-text'], {input: pem}).toString();
		assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
	}
});

test('makeLabCa: every call makes a new CA', async () => {
	const first = await makeLabCa('mx.lab.test');
	const second = await makeLabCa('mx.lab.test');
	assert.notEqual(first.ca, second.ca);
	assert.ok(!new X509Certificate(second.cert).checkIssued(new X509Certificate(first.ca)));
});
