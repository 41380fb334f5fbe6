// A throwaway certificate authority, made fresh every time the lab starts, and one server
// certificate signed by it. The engine trusts the CA's PEM explicitly, so the lab can show a
// fully verified TLS session offline without touching the system trust store.
// Both keys are EC P-256 (about 9 ms each; RSA-2048 takes about 170 ms) signed with SHA-256.
//
// The lab can also serve a broken certificate on purpose (a "variant"), so every kind of TLS
// failure can be shown and taught. The CA a client is given stays the normal lab CA in every
// variant, so each variant fails for its own reason only.

import {randomBytes} from 'node:crypto';

const dayMs = 24 * 60 * 60 * 1000;
const validForDays = 30;

/** Which server certificate (or TLS setup) the lab serves. */
export type CertificateVariant =
	| 'valid'
	| 'expired'
	| 'not-yet-valid'
	| 'wrong-host'
	| 'self-signed'
	| 'unknown-issuer'
	| 'old-tls';

export const certificateVariants: CertificateVariant[] = [
	'valid',
	'expired',
	'not-yet-valid',
	'wrong-host',
	'self-signed',
	'unknown-issuer',
	'old-tls',
];

export const certificateVariantText: Record<CertificateVariant, string> = {
	valid: 'a good certificate from the lab CA, for the lab host name (verifies)',
	expired: 'signed by the lab CA, but its validity ended 30 days ago',
	'not-yet-valid': 'signed by the lab CA, but its validity only starts in 30 days',
	'wrong-host': 'signed by the lab CA, but it names only other.example, not the lab host',
	'self-signed': 'signed by itself, not by any certificate authority',
	'unknown-issuer': 'signed by another throwaway CA that the client is not given',
	'old-tls': 'a good certificate, but the server speaks only TLS 1.0 and 1.1 (too old)',
};

/** The only name the 'wrong-host' certificate covers. */
export const wrongHostName = 'other.example';

export type LabCa = {
	/** PEM of the CA certificate: what a client must trust. */
	ca: string;
	/** PEM (PKCS#8) of the server certificate's private key. */
	key: string;
	/** PEM of the server certificate (issued by `ca` unless the variant says otherwise). */
	cert: string;
};

type Generate = (typeof import('selfsigned'))['generate'];
type Pems = Awaited<ReturnType<Generate>>;
type Validity = {notBeforeDate: Date; notAfterDate: Date};

/** Valid from one day ago (tolerates a skewed clock) for 30 days. */
function currentValidity(): Validity {
	const notBeforeDate = new Date(Date.now() - dayMs);
	return {notBeforeDate, notAfterDate: new Date(notBeforeDate.getTime() + validForDays * dayMs)};
}

/** Both ends `fromDays` and `toDays` away from now (negative: in the past). */
function shiftedValidity(fromDays: number, toDays: number): Validity {
	const now = Date.now();
	return {notBeforeDate: new Date(now + fromDays * dayMs), notAfterDate: new Date(now + toDays * dayMs)};
}

const algorithm = {keyType: 'ec', curve: 'P-256', algorithm: 'sha256'} as const;

async function makeAuthority(generate: Generate, label: string): Promise<Pems> {
	// A unique CA name per run, so a CA left in someone's trust store from an earlier run
	// can never be mistaken for this one.
	const caName = `${label} ${randomBytes(4).toString('hex')}`;
	return generate([{name: 'commonName', value: caName}], {
		...algorithm,
		...currentValidity(),
		extensions: [
			{name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true},
			{name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true},
		],
	});
}

type LeafSpec = {
	commonName: string;
	/** DNS names, then IP addresses. */
	dns: string[];
	ips: string[];
	validity: Validity;
	/** The issuer; absent = the leaf signs itself. */
	issuer?: Pems;
};

async function makeLeaf(generate: Generate, spec: LeafSpec): Promise<Pems> {
	return generate([{name: 'commonName', value: spec.commonName}], {
		...algorithm,
		...spec.validity,
		...(spec.issuer ? {ca: {key: spec.issuer.private, cert: spec.issuer.cert}} : {}),
		extensions: [
			{name: 'basicConstraints', cA: false, critical: true},
			{name: 'keyUsage', digitalSignature: true, critical: true},
			{name: 'extKeyUsage', serverAuth: true},
			{
				name: 'subjectAltName',
				altNames: [
					...spec.dns.map(value => ({type: 2 as const, value})),
					...spec.ips.map(ip => ({type: 7 as const, ip})),
				],
			},
		],
	});
}

/**
 * Makes the lab CA and the server certificate of `variant` for `hostname`. Only what the
 * variant needs is generated: two key pairs for most, three for 'unknown-issuer'.
 * 'old-tls' has the 'valid' certificate; its fault is in the server's TLS versions.
 */
export async function makeLabCertificates(hostname: string, variant: CertificateVariant): Promise<LabCa> {
	// Loaded lazily: importing selfsigned (and @peculiar/x509 behind it) costs ~115 ms,
	// which only a run that starts the lab should pay.
	// selfsigned is CommonJS: bundled into a lazily loaded chunk, its exports arrive under
	// `default`; run from source (tsx), as named exports. Accept both.
	const selfsigned: {generate?: Generate; default?: {generate: Generate}} = await import('selfsigned');
	const generate = selfsigned.generate ?? selfsigned.default!.generate;
	const authority = await makeAuthority(generate, 'smtp-tui lab throwaway CA');
	const good: LeafSpec = {
		commonName: hostname,
		dns: [hostname, 'localhost'],
		ips: ['127.0.0.1', '::1'],
		validity: currentValidity(),
		issuer: authority,
	};
	const spec = await leafSpecFor(variant, good, generate);
	const server = await makeLeaf(generate, spec);
	return {ca: authority.cert, key: server.private, cert: server.cert};
}

async function leafSpecFor(variant: CertificateVariant, good: LeafSpec, generate: Generate): Promise<LeafSpec> {
	switch (variant) {
		case 'valid':
		case 'old-tls':
			return good;
		case 'expired':
			return {...good, validity: shiftedValidity(-60, -30)};
		case 'not-yet-valid':
			return {...good, validity: shiftedValidity(30, 60)};
		case 'wrong-host':
			return {...good, commonName: wrongHostName, dns: [wrongHostName], ips: []};
		case 'self-signed':
			return {...good, issuer: undefined};
		case 'unknown-issuer':
			// The server sends only its own certificate, so the client cannot reach any root
			// it trusts (a chain ending in the stranger CA would be "self-signed in chain").
			return {...good, issuer: await makeAuthority(generate, 'smtp-tui stranger CA')};
	}
}

/**
 * Makes a CA and a server certificate for `hostname` (SANs: the hostname, localhost,
 * 127.0.0.1 and ::1), valid from one day ago (tolerates a skewed clock) for 30 days.
 */
export async function makeLabCa(hostname: string): Promise<LabCa> {
	return makeLabCertificates(hostname, 'valid');
}
