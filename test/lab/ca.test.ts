// The throwaway CA and the server certificate it signs.

import {execFileSync} from 'node:child_process';
import {X509Certificate, createPrivateKey} from 'node:crypto';
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {certificateVariants, certificateVariantText, makeLabCa, makeLabCertificates, type CertificateVariant} from '../../source/lab/ca.js';

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

// The certificate variants: each must have exactly the fault it claims, and only that one.

const labSans = 'DNS:mx.lab.test, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1';

async function variant(name: CertificateVariant) {
	const {ca, key, cert} = await makeLabCertificates('mx.lab.test', name);
	const authority = new X509Certificate(ca);
	const server = new X509Certificate(cert);
	// Whatever the variant, `ca` is the normal lab CA and the key belongs to the certificate.
	assert.equal(authority.ca, true);
	assert.match(authority.subject, /^CN=smtp-tui lab throwaway CA [0-9a-f]{8}$/);
	assert.equal(server.ca, false);
	assert.ok(server.checkPrivateKey(createPrivateKey(key)));
	return {authority, server, cert};
}

function assertNear(actual: string, expected: number, what: string): void {
	// X.509 keeps whole seconds and the dates are made a moment before this check.
	assert.ok(Math.abs(Date.parse(actual) - expected) < 60_000, `${what}: ${actual}`);
}

function assertCurrent(server: X509Certificate): void {
	const now = Date.now();
	assert.ok(Date.parse(server.validFrom) < now && now < Date.parse(server.validTo), `${server.validFrom} to ${server.validTo}`);
}

function assertIssuedBy(server: X509Certificate, authority: X509Certificate): void {
	assert.ok(server.checkIssued(authority), 'issued by the lab CA');
	assert.ok(server.verify(authority.publicKey), 'signed with the lab CA key');
	assert.equal(server.issuer, authority.subject);
}

test('certificate variants: seven, each with a one-line description', () => {
	assert.deepEqual(certificateVariants, ['valid', 'expired', 'not-yet-valid', 'wrong-host', 'self-signed', 'unknown-issuer', 'old-tls']);
	for (const name of certificateVariants) {
		const text = certificateVariantText[name];
		assert.ok(text.length > 10 && !text.includes('\n'), `${name}: ${text}`);
	}
});

for (const name of ['valid', 'old-tls'] as const) {
	test(`certificate variant ${name}: a good certificate from the lab CA, current, with the lab names`, async () => {
		const {authority, server} = await variant(name);
		assertIssuedBy(server, authority);
		assertCurrent(server);
		assert.equal(server.subjectAltName, labSans);
		assert.equal(server.checkHost('mx.lab.test'), 'mx.lab.test');
	});
}

test('certificate variant expired: from the lab CA, valid from 60 to 30 days ago', async () => {
	const {authority, server} = await variant('expired');
	assertIssuedBy(server, authority);
	assertNear(server.validFrom, Date.now() - 60 * dayMs, 'validFrom');
	assertNear(server.validTo, Date.now() - 30 * dayMs, 'validTo');
	assert.ok(Date.parse(server.validTo) < Date.now(), 'already over');
	assert.equal(server.subjectAltName, labSans, 'the names are right: only the dates are wrong');
});

test('certificate variant not-yet-valid: from the lab CA, valid from 30 to 60 days ahead', async () => {
	const {authority, server} = await variant('not-yet-valid');
	assertIssuedBy(server, authority);
	assertNear(server.validFrom, Date.now() + 30 * dayMs, 'validFrom');
	assertNear(server.validTo, Date.now() + 60 * dayMs, 'validTo');
	assert.ok(Date.parse(server.validFrom) > Date.now(), 'not started yet');
	assert.equal(server.subjectAltName, labSans);
});

test('certificate variant wrong-host: from the lab CA, current, but names only other.example', async () => {
	const {authority, server} = await variant('wrong-host');
	assertIssuedBy(server, authority);
	assertCurrent(server);
	assert.equal(server.subjectAltName, 'DNS:other.example');
	assert.equal(server.subject, 'CN=other.example');
	assert.equal(server.checkHost('mx.lab.test'), undefined);
	assert.equal(server.checkHost('localhost'), undefined);
	assert.equal(server.checkIP('127.0.0.1'), undefined);
});

test('certificate variant self-signed: signed by its own key, not by the lab CA', async () => {
	const {authority, server} = await variant('self-signed');
	assert.equal(server.issuer, server.subject);
	assert.equal(server.subject, 'CN=mx.lab.test');
	// (checkIssued(server) is false: a leaf may not sign certificates, so OpenSSL does not
	// count it as an issuer; TLS still reports it as DEPTH_ZERO_SELF_SIGNED_CERT.)
	assert.ok(server.verify(server.publicKey), 'signed with its own key');
	assert.ok(!server.checkIssued(authority));
	assert.ok(!server.verify(authority.publicKey));
	assertCurrent(server);
	assert.equal(server.subjectAltName, labSans);
});

test('certificate variant unknown-issuer: signed by another CA, sent alone, right names and dates', async () => {
	const {authority, server, cert} = await variant('unknown-issuer');
	assert.match(server.issuer, /^CN=smtp-tui stranger CA [0-9a-f]{8}$/);
	assert.notEqual(server.issuer, authority.subject);
	assert.ok(!server.checkIssued(authority));
	assert.ok(!server.verify(authority.publicKey), 'not signed by the lab CA');
	assert.ok(!server.verify(server.publicKey), 'not self-signed either');
	assert.equal(cert.match(/BEGIN CERTIFICATE/g)?.length, 1, 'no chain: the stranger CA is never sent');
	assertCurrent(server);
	assert.equal(server.subjectAltName, labSans);
});
