// A throwaway certificate authority, made fresh every time the lab starts, and one server
// certificate signed by it. The engine trusts the CA's PEM explicitly, so the lab can show a
// fully verified TLS session offline without touching the system trust store.
// Both keys are EC P-256 (about 9 ms each; RSA-2048 takes about 170 ms) signed with SHA-256.

import {randomBytes} from 'node:crypto';

const dayMs = 24 * 60 * 60 * 1000;
const validForDays = 30;

export type LabCa = {
	/** PEM of the CA certificate: what a client must trust. */
	ca: string;
	/** PEM (PKCS#8) of the server certificate's private key. */
	key: string;
	/** PEM of the server certificate, issued by `ca`. */
	cert: string;
};

/**
 * Makes a CA and a server certificate for `hostname` (SANs: the hostname, localhost,
 * 127.0.0.1 and ::1), valid from one day ago (tolerates a skewed clock) for 30 days.
 */
export async function makeLabCa(hostname: string): Promise<LabCa> {
	// Loaded lazily: importing selfsigned (and @peculiar/x509 behind it) costs ~115 ms,
	// which only a run that starts the lab should pay.
	const {generate} = await import('selfsigned');
	const notBeforeDate = new Date(Date.now() - dayMs);
	const notAfterDate = new Date(notBeforeDate.getTime() + validForDays * dayMs);
	const common = {keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notBeforeDate, notAfterDate} as const;

	// A unique CA name per run, so a CA left in someone's trust store from an earlier run
	// can never be mistaken for this one.
	const caName = `smtp-tui lab throwaway CA ${randomBytes(4).toString('hex')}`;
	const authority = await generate([{name: 'commonName', value: caName}], {
		...common,
		extensions: [
			{name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true},
			{name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true},
		],
	});

	const server = await generate([{name: 'commonName', value: hostname}], {
		...common,
		ca: {key: authority.private, cert: authority.cert},
		extensions: [
			{name: 'basicConstraints', cA: false, critical: true},
			{name: 'keyUsage', digitalSignature: true, critical: true},
			{name: 'extKeyUsage', serverAuth: true},
			{
				name: 'subjectAltName',
				altNames: [
					{type: 2, value: hostname},
					{type: 2, value: 'localhost'},
					{type: 7, ip: '127.0.0.1'},
					{type: 7, ip: '::1'},
				],
			},
		],
	});

	return {ca: authority.cert, key: server.private, cert: server.cert};
}
