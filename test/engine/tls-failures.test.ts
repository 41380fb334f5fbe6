// Every kind of TLS failure, demonstrated by the lab's certificate variants over real loopback
// sockets: one plain sentence each, the certificate facts in the transcript, nothing sent
// after a refused handshake, and --insecure going on with a visible warning.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import type {AddressInfo} from 'node:net';
import {Session, type SessionOptions} from '../../source/engine/session.js';
import {describeCertError} from '../../source/engine/connection.js';
import {renderText} from '../../source/export/text.js';
import {makeLabCa} from '../../source/lab/ca.js';
import {startLab, certificateVariants, type CertificateVariant, type Lab} from '../../source/lab/index.js';
import type {TlsFacts, TranscriptEntry} from '../../source/protocol/transcript.js';

const dayMs = 24 * 60 * 60 * 1000;
const ports = [465, 587] as const;
type Port = (typeof ports)[number];

function options(lab: Lab, port: Port, insecure = false): SessionOptions {
	return {
		host: lab.host,
		port: lab.ports[port]!,
		profilePort: port,
		tls: 'auto',
		tlsOptions: {servername: lab.hostname, ca: lab.ca, insecure},
		ehlo: 'client.example',
		from: 'alice@lab.test',
		to: ['bob@lab.test'],
		credentials: {user: 'alice', password: 'wonderland'},
		timeouts: {greeting: 5000, command: 5000},
	};
}

const clientLines = (s: Session) => s.entries.filter(e => e.direction === 'client').map(e => e.text);
const tlsEntries = (s: Session) => s.entries.filter(e => e.direction === 'tls');
const date = String.raw`(\d{4}-\d\d-\d\d \d\d:\d\d) UTC`;
const validity = String.raw`\(valid ${date} to ${date}\)`;

/** "2026-10-30 06:15" (UTC, as the sentences print it) as milliseconds. */
const sentenceTime = (text: string) => Date.parse(text.replace(' ', 'T') + ':00Z');

function assertNear(actual: number, expected: number, what: string): void {
	// The certificate's dates are made a moment before the session: allow two minutes.
	assert.ok(Math.abs(actual - expected) < 2 * 60_000, `${what}: ${new Date(actual).toISOString()} vs ${new Date(expected).toISOString()}`);
}

type CertificateCase = {
	code: string;
	/** The whole failure message for target `where`. */
	sentence: (where: string) => RegExp;
	/** The reason as it appears inside "certificate NOT verified (…)" under --insecure. */
	warning: RegExp;
	subject: string;
	issuer: RegExp;
	names: string[];
	/** More checks on the match of `sentence` (dates). */
	check?: (match: RegExpExecArray, facts: TlsFacts) => void;
};

const labNames = ['DNS:mx.lab.test', 'DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1'];
const labIssuer = /^CN=smtp-tui lab throwaway CA [0-9a-f]{8}$/;
const escape = (text: string) => text.replaceAll(/[.*+?^${}()|[\]\\]/g, String.raw`\$&`);

const certificateCases: Partial<Record<CertificateVariant, CertificateCase>> = {
	expired: {
		code: 'CERT_HAS_EXPIRED',
		sentence: where => new RegExp(String.raw`^The certificate of ${escape(where)} was refused: it expired on ${date} ${validity}\. The server needs a new certificate; use --insecure to continue anyway\.$`),
		warning: /certificate NOT verified \(it expired on .+\) — continuing because of --insecure/,
		subject: 'CN=mx.lab.test',
		issuer: labIssuer,
		names: labNames,
		check(match) {
			const [, expiredOn, from, to] = match;
			assert.equal(expiredOn, to, 'the expiry date is the end of the validity');
			assertNear(sentenceTime(from!), Date.now() - 60 * dayMs, 'valid from');
			assertNear(sentenceTime(to!), Date.now() - 30 * dayMs, 'valid to');
		},
	},
	'not-yet-valid': {
		code: 'CERT_NOT_YET_VALID',
		sentence: where => new RegExp(String.raw`^The certificate of ${escape(where)} was refused: it is not valid until ${date} ${validity}\. Check this machine's clock, or use --insecure to continue anyway\.$`),
		warning: /certificate NOT verified \(it is not valid until .+\) — continuing because of --insecure/,
		subject: 'CN=mx.lab.test',
		issuer: labIssuer,
		names: labNames,
		check(match) {
			const [, startsOn, from, to] = match;
			assert.equal(startsOn, from);
			assertNear(sentenceTime(from!), Date.now() + 30 * dayMs, 'valid from');
			assertNear(sentenceTime(to!), Date.now() + 60 * dayMs, 'valid to');
		},
	},
	'wrong-host': {
		code: 'ERR_TLS_CERT_ALTNAME_INVALID',
		sentence: where => new RegExp(String.raw`^The certificate of ${escape(where)} was refused: it does not name mx\.lab\.test; it covers DNS:other\.example\. Use --servername NAME if the server is meant to be reached by one of those names, or --insecure to continue anyway\.$`),
		warning: /certificate NOT verified \(it does not name mx\.lab\.test; it covers DNS:other\.example\) — continuing because of --insecure/,
		subject: 'CN=other.example',
		issuer: labIssuer,
		names: ['DNS:other.example'],
	},
	'self-signed': {
		code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
		sentence: where => new RegExp(String.raw`^The certificate of ${escape(where)} was refused: it is self-signed \(nobody vouches for it\)\. Use --ca FILE with this very certificate to trust it, or --insecure to continue anyway\.$`),
		warning: /certificate NOT verified \(it is self-signed \(nobody vouches for it\)\) — continuing because of --insecure/,
		subject: 'CN=mx.lab.test',
		issuer: /^CN=mx\.lab\.test$/,
		names: labNames,
	},
	'unknown-issuer': {
		code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
		sentence: where => new RegExp(String.raw`^The certificate of ${escape(where)} was refused: its issuer is unknown \(CN=smtp-tui stranger CA [0-9a-f]{8} is not a certificate authority this machine trusts\)\. Use --insecure to continue anyway, or --ca FILE to trust its issuer\.$`),
		warning: /certificate NOT verified \(its issuer is unknown \(CN=smtp-tui stranger CA [0-9a-f]{8} is not a certificate authority this machine trusts\)\) — continuing because of --insecure/,
		subject: 'CN=mx.lab.test',
		issuer: /^CN=smtp-tui stranger CA [0-9a-f]{8}$/,
		names: labNames,
	},
};

test('every certificate variant except valid and old-tls has a case here', () => {
	const covered = new Set([...Object.keys(certificateCases), 'valid', 'old-tls']);
	assert.deepEqual(certificateVariants.filter(variant => !covered.has(variant)), []);
});

function assertNothingAfterHandshake(session: Session, port: Port): void {
	const sent = clientLines(session);
	// 465 sends nothing at all (TLS comes first); 587 only what comes before the upgrade.
	assert.deepEqual(sent, port === 465 ? [] : ['EHLO client.example', 'STARTTLS'], 'nothing is sent after the handshake');
	assert.ok(!session.entries.some(e => e.direction === 'client' && e.tls), 'no command inside TLS');
	assert.ok(!sent.some(line => /^AUTH/i.test(line)), 'no credentials sent');
	assert.ok(!session.entries.some(e => e.direction === 'server' && e.tls), 'no reply read inside TLS');
}

function assertFacts(entry: TranscriptEntry | undefined, expected: CertificateCase): TlsFacts {
	assert.ok(entry?.tlsFacts, 'a tls entry carries the certificate facts');
	const facts = entry.tlsFacts;
	assert.equal(facts.authorized, false);
	assert.equal(facts.authorizationError, expected.code);
	assert.equal(facts.subject, expected.subject);
	assert.match(facts.issuer ?? '', expected.issuer);
	assert.deepEqual(facts.subjectAltNames, expected.names);
	assert.ok(facts.validFrom && facts.validTo, 'validity shown');
	assert.match(facts.fingerprint256 ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
	assert.equal(facts.servername, 'mx.lab.test');
	return facts;
}

for (const [variant, expected] of Object.entries(certificateCases) as Array<[CertificateVariant, CertificateCase]>) {
	describe(`lab certificate variant '${variant}'`, () => {
		let lab: Lab;
		before(async () => {
			lab = await startLab({only: [465, 587], certificate: variant});
		});
		after(async () => {
			await lab.close();
		});

		for (const port of ports) {
			test(`${port}: refused with exit 29, one sentence, the facts recorded, nothing sent after the handshake`, async () => {
				assert.equal(lab.certificate, variant);
				const session = new Session(options(lab, port));
				assert.equal(await session.runToEnd(), 29, session.failureMessage);
				const where = `127.0.0.1:${lab.ports[port]!}`;
				const match = expected.sentence(where).exec(session.failureMessage ?? '');
				assert.ok(match, `unexpected sentence: ${session.failureMessage}`);

				const [tlsEntry, ...others] = tlsEntries(session);
				assert.equal(others.length, 0);
				assert.match(tlsEntry?.text ?? '', /certificate refused/);
				assert.equal(tlsEntry?.step, port === 465 ? 'connect' : 'starttls');
				const facts = assertFacts(tlsEntry, expected);
				expected.check?.(match, facts);

				const error = session.entries.find(e => e.direction === 'error');
				assert.ok(error, 'an error entry');
				assert.equal(error.text, session.failureMessage, 'the sentence is in the transcript');
				assert.ok(error.seq > tlsEntry!.seq, 'facts first, then the verdict');
				assertNothingAfterHandshake(session, port);

				const explained = renderText(session.entries, {explain: true});
				assert.ok(explained.includes(`↳ SHA-256 fingerprint ${facts.fingerprint256!}`), '--explain prints the fingerprint');
				assert.ok(explained.includes(`↳ names ${expected.names.join(', ')}`));
			});

			test(`${port}: a session from the remote wizard names the wizard's fields, not flags`, async () => {
				const base = options(lab, port);
				const session = new Session({...base, tlsOptions: {...base.tlsOptions, remedies: 'wizard'}});
				assert.equal(await session.runToEnd(), 29);
				const sentence = session.failureMessage ?? '';
				assert.match(sentence, new RegExp(`^The certificate of 127\\.0\\.0\\.1:${lab.ports[port]!} was refused: `));
				assert.match(sentence, /In the remote wizard \(b goes back to it, your answers kept\)/);
				assert.match(sentence, /"Accept any certificate"/);
				assert.doesNotMatch(sentence, /--(ca|insecure|servername)/);
			});

			test(`${port}: with insecure the session completes (exit 0) and says NOT verified`, async () => {
				const before = lab.inbox.length;
				const session = new Session(options(lab, port, true));
				assert.equal(await session.runToEnd(), 0, session.failureMessage);
				const [tlsEntry] = tlsEntries(session);
				assert.match(tlsEntry?.text ?? '', expected.warning);
				assertFacts(tlsEntry, expected);
				assert.match(renderText(session.entries), /=== TLS handshake: .*certificate NOT verified/);
				assert.ok(session.entries.some(e => e.code === 235 && e.tls), 'logged in inside TLS');
				assert.equal(lab.inbox.length, before + 1, 'the message was accepted');
			});
		}
	});
}

describe(`lab certificate variant 'old-tls'`, () => {
	let lab: Lab;
	before(async () => {
		lab = await startLab({only: [465, 587], certificate: 'old-tls'});
	});
	after(async () => {
		await lab.close();
	});

	test('465: the server really speaks TLS 1.1 (so the mismatch is about versions, not a broken server)', async () => {
		const protocol = await new Promise<string | null>((resolve, reject) => {
			const socket = tls.connect({
				host: lab.host,
				port: lab.ports[465]!,
				ca: [lab.ca],
				servername: lab.hostname,
				minVersion: 'TLSv1',
				maxVersion: 'TLSv1.1',
				ciphers: 'DEFAULT@SECLEVEL=0',
			});
			socket.once('secureConnect', () => {
				resolve(socket.getProtocol());
				socket.destroy();
			});
			socket.once('error', reject);
		});
		assert.equal(protocol, 'TLSv1.1');
	});

	for (const port of ports) {
		for (const insecure of [false, true]) {
			test(`${port}: the handshake fails with exit 29 and no TLS version in common${insecure ? ' (insecure does not help)' : ''}`, async () => {
				const session = new Session(options(lab, port, insecure));
				assert.equal(await session.runToEnd(), 29, session.failureMessage);
				assert.equal(
					session.failureMessage,
					`The TLS handshake with 127.0.0.1:${lab.ports[port]!} failed: no TLS version in common (the server offers only TLS 1.1 or older; smtp-tui needs TLS 1.2 or newer). --insecure cannot help: the handshake failed before any certificate was checked.`,
				);
				assert.equal(tlsEntries(session).length, 0, 'no handshake, so no certificate facts');
				assertNothingAfterHandshake(session, port);
				assert.equal(lab.inbox.length, 0);
			});
		}
	}
});

describe(`lab certificate variant 'valid' (the control)`, () => {
	let lab: Lab;
	before(async () => {
		lab = await startLab({only: [465, 587]});
	});
	after(async () => {
		await lab.close();
	});

	for (const port of ports) {
		test(`${port}: verifies and completes without any warning`, async () => {
			assert.equal(lab.certificate, 'valid');
			const session = new Session(options(lab, port));
			assert.equal(await session.runToEnd(), 0, session.failureMessage);
			const [tlsEntry] = tlsEntries(session);
			assert.equal(tlsEntry?.tlsFacts?.authorized, true);
			assert.match(tlsEntry.text, /certificate verified$/);
			assert.ok(!renderText(session.entries).includes('NOT verified'));
		});
	}
});

describe('opportunistic STARTTLS whose certificate does not verify, before a login', () => {
	let lab: Lab;
	before(async () => {
		lab = await startLab({only: [587]});
	});
	after(async () => {
		await lab.close();
	});

	// The lab's 587 on its real port number (no profile: STARTTLS is opportunistic), its CA not given.
	const unverified = (remedies?: 'wizard'): SessionOptions => {
		const base = options(lab, 587);
		return {...base, profilePort: undefined, tlsOptions: {servername: lab.hostname, insecure: false, remedies}};
	};

	test('a flags session: the refusal names --tls starttls, --ca and --insecure; no AUTH goes out', async () => {
		const session = new Session(unverified());
		assert.equal(await session.runToEnd(), 29);
		assert.equal(session.failureMessage, 'Refusing to send credentials: the certificate did not verify (opportunistic TLS carries mail, not passwords); use --tls starttls with --ca FILE to trust it, or --insecure to log in anyway.');
		assert.ok(!clientLines(session).some(line => line.startsWith('AUTH')));
	});

	test('a session from the remote wizard: the refusal names the wizard\'s fields, never a flag', async () => {
		const session = new Session(unverified('wizard'));
		assert.equal(await session.runToEnd(), 29);
		const sentence = session.failureMessage ?? '';
		assert.match(sentence, /^Refusing to send credentials: the certificate did not verify \(opportunistic TLS carries mail, not passwords\)\. In the remote wizard \(b goes back to it, your answers kept\), /);
		assert.match(sentence, /type starttls as the TLS mode/);
		assert.match(sentence, /the CA certificate file/);
		assert.match(sentence, /"Accept any certificate"/);
		assert.doesNotMatch(sentence, /--/);
		assert.ok(!clientLines(session).some(line => line.startsWith('AUTH')));
	});
});

test('a server with no cipher in common: the handshake fails with exit 29 and says so', async () => {
	const {key, cert} = await makeLabCa('mx.lab.test');
	// TLS 1.2 only, with a cipher Node's client never offers (its defaults exclude CAMELLIA).
	const server = tls.createServer({key, cert, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-CAMELLIA256-SHA384'});
	server.on('tlsClientError', () => undefined);
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	try {
		const port = (server.address() as AddressInfo).port;
		const session = new Session({
			host: '127.0.0.1',
			port,
			tls: 'implicit',
			tlsOptions: {insecure: true},
			ehlo: 'client.example',
			from: 'a@b.test',
			to: ['c@d.test'],
			timeouts: {greeting: 5000, command: 5000},
		});
		assert.equal(await session.runToEnd(), 29, session.failureMessage);
		assert.equal(
			session.failureMessage,
			`The TLS handshake with 127.0.0.1:${port} failed: no cipher in common (the server accepts none of the ciphers smtp-tui offers). --insecure cannot help: the handshake failed before any certificate was checked.`,
		);
		assert.deepEqual(clientLines(session), []);
	} finally {
		await new Promise(resolve => {
			server.close(resolve);
		});
	}
});

test('an unknown certificate variant is refused before anything listens', async () => {
	await assert.rejects(startLab({only: [465], certificate: 'bogus' as CertificateVariant}), {
		name: 'LabStartError',
		message: 'The lab has no certificate variant "bogus"; it has valid, expired, not-yet-valid, wrong-host, self-signed, unknown-issuer, old-tls.',
	});
});

test('describeCertError without facts, with an unknown code, and with many names', () => {
	assert.equal(describeCertError('CERT_HAS_EXPIRED'), 'it has expired');
	assert.equal(describeCertError('CERT_NOT_YET_VALID'), 'it is not valid yet');
	assert.equal(describeCertError('UNABLE_TO_GET_ISSUER_CERT_LOCALLY'), 'its issuer is unknown (not a certificate authority this machine trusts)');
	assert.equal(describeCertError('SOMETHING_NEW'), 'it did not verify (SOMETHING_NEW)');
	assert.equal(describeCertError(undefined), 'it did not verify (unknown reason)');
	const names = Array.from({length: 9}, (_, index) => `DNS:n${index}.example`);
	const facts: TlsFacts = {protocol: 'TLSv1.3', cipher: 'x', authorized: false, subjectAltNames: names};
	assert.equal(
		describeCertError('ERR_TLS_CERT_ALTNAME_INVALID', facts, '192.0.2.1'),
		'it does not name 192.0.2.1; it covers DNS:n0.example, DNS:n1.example, DNS:n2.example, DNS:n3.example, DNS:n4.example, DNS:n5.example and 3 more',
	);
	assert.equal(
		describeCertError('ERR_TLS_CERT_ALTNAME_INVALID', {...facts, subjectAltNames: [], subject: 'CN=old.example'}),
		'it does not name this host; it covers only its subject CN=old.example',
	);
});
