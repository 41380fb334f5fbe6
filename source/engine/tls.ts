// What a TLS handshake tells the user: the facts of a session (protocol, cipher, certificate)
// and, when it fails, one sentence saying why and what to do. Shared by every protocol.
import type tls from 'node:tls';
import type {TlsFacts} from '../protocol/transcript.js';
import {inWizard, type Remedies} from '../protocol/smtp-plan.js';
import {alertName, opensslReason, SessionFailure} from './failure.js';

export function tlsFacts(socket: tls.TLSSocket, servername: string | undefined): TlsFacts {
	const cert = socket.getPeerCertificate();
	const cipher = socket.getCipher();
	const hasCert = cert && Object.keys(cert).length > 0;
	return {
		protocol: socket.getProtocol() ?? 'unknown',
		cipher: cipher?.standardName ?? cipher?.name ?? 'unknown',
		authorized: socket.authorized,
		authorizationError: socket.authorizationError ? String(socket.authorizationError) : undefined,
		subject: hasCert ? formatName(cert.subject) : undefined,
		issuer: hasCert ? formatName(cert.issuer) : undefined,
		subjectAltNames: hasCert && cert.subjectaltname ? cert.subjectaltname.split(', ') : [],
		validFrom: hasCert ? cert.valid_from : undefined,
		validTo: hasCert ? cert.valid_to : undefined,
		fingerprint256: hasCert ? cert.fingerprint256 : undefined,
		servername,
	};
}

function formatName(name: tls.PeerCertificate['subject'] | undefined): string | undefined {
	if (!name) return undefined;
	return Object.entries(name)
		.map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : String(value)}`)
		.join(', ');
}

// Node's verification codes, grouped by what a learner needs to hear.
type CertReason = 'expired' | 'not-yet-valid' | 'wrong-host' | 'self-signed' | 'untrusted-root' | 'unknown-issuer' | 'bad-signature' | 'other';

const certReasons: Record<string, CertReason> = {
	CERT_HAS_EXPIRED: 'expired',
	CERT_NOT_YET_VALID: 'not-yet-valid',
	ERR_TLS_CERT_ALTNAME_INVALID: 'wrong-host',
	DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed',
	SELF_SIGNED_CERT_IN_CHAIN: 'untrusted-root',
	UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown-issuer',
	UNABLE_TO_GET_ISSUER_CERT: 'unknown-issuer',
	UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown-issuer',
	CERT_SIGNATURE_FAILURE: 'bad-signature',
};

function reasonOf(code: string | undefined): CertReason {
	return (code ? certReasons[code] : undefined) ?? 'other';
}

/** How many certificate names a sentence lists before "and N more". */
const namesShown = 6;

/** "Oct 30 06:15:19 2026 GMT" (Node's form) as "2026-10-30 06:15 UTC"; unparsable text as is. */
function plainDate(text: string | undefined): string {
	if (!text) return 'an unknown date';
	const time = Date.parse(text);
	if (Number.isNaN(time)) return text;
	return new Date(time).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

function validity(facts: TlsFacts): string {
	return `valid ${plainDate(facts.validFrom)} to ${plainDate(facts.validTo)}`;
}

function coveredNames(facts: TlsFacts): string {
	const names = facts.subjectAltNames;
	if (names.length === 0) return facts.subject ? `only its subject ${facts.subject}` : 'no names at all';
	const more = names.length > namesShown ? ` and ${names.length - namesShown} more` : '';
	return names.slice(0, namesShown).join(', ') + more;
}

/**
 * Why a certificate did not verify, as the part of a sentence after "was refused: "
 * (no final full stop, so it also fits in brackets). `checkedName` is the name the
 * certificate was checked against (the server name, else the host or IP address).
 */
export function describeCertError(code: string | undefined, facts?: TlsFacts, checkedName?: string): string {
	switch (reasonOf(code)) {
		case 'expired':
			return facts ? `it expired on ${plainDate(facts.validTo)} (${validity(facts)})` : 'it has expired';
		case 'not-yet-valid':
			return facts ? `it is not valid until ${plainDate(facts.validFrom)} (${validity(facts)})` : 'it is not valid yet';
		case 'wrong-host': {
			const name = checkedName ?? facts?.servername;
			const subject = name ? `it does not name ${name}` : 'it does not name this host';
			return facts ? `${subject}; it covers ${coveredNames(facts)}` : subject;
		}

		case 'self-signed':
			return 'it is self-signed (nobody vouches for it)';
		case 'untrusted-root':
			return 'its chain ends in a self-signed certificate authority this machine does not trust';
		case 'unknown-issuer':
			return facts?.issuer
				? `its issuer is unknown (${facts.issuer} is not a certificate authority this machine trusts)`
				: 'its issuer is unknown (not a certificate authority this machine trusts)';
		case 'bad-signature':
			return 'its signature does not match its issuer (it may have been tampered with)';
		case 'other':
			return `it did not verify (${code ?? 'unknown reason'})`;
	}
}

/** Where the user names the remedies: flags on the command line, or the remote wizard's fields. */
export type CertRemedies = Remedies;

/** The wizard's "Accept any certificate" field (--insecure); its CA file is --ca. */
const acceptAny = 'answer yes to "Accept any certificate" to continue anyway';

function wizardHint(reason: CertReason): string {
	switch (reason) {
		case 'expired':
			return `The server needs a new certificate. ${inWizard}, ${acceptAny}.`;
		case 'not-yet-valid':
			return `Check this machine's clock. ${inWizard}, ${acceptAny}.`;
		case 'wrong-host':
			return `${inWizard}, type one of those names as the host if the server is meant to be reached by it, or ${acceptAny}.`;
		case 'self-signed':
			return `${inWizard}, give this very certificate (a PEM file) as the CA certificate file to trust it, or ${acceptAny}.`;
		default:
			return `${inWizard}, give the certificate of its issuer (a PEM file) as the CA certificate file to trust it, or ${acceptAny}.`;
	}
}

/** What the user can do about a refused certificate: the --insecure / --ca / --servername hint (or the wizard's fields). */
function certHint(code: string | undefined, remedies: CertRemedies = 'flags'): string {
	if (remedies === 'wizard') return wizardHint(reasonOf(code));
	switch (reasonOf(code)) {
		case 'expired':
			return 'The server needs a new certificate; use --insecure to continue anyway.';
		case 'not-yet-valid':
			return 'Check this machine\'s clock, or use --insecure to continue anyway.';
		case 'wrong-host':
			return 'Use --servername NAME if the server is meant to be reached by one of those names, or --insecure to continue anyway.';
		case 'self-signed':
			return 'Use --ca FILE with this very certificate to trust it, or --insecure to continue anyway.';
		default:
			return 'Use --insecure to continue anyway, or --ca FILE to trust its issuer.';
	}
}

/** The full one-sentence message (plus the hint) for a certificate refused after the handshake. */
export function refusedCertificateMessage(target: string, facts: TlsFacts, checkedName: string, remedies?: CertRemedies): string {
	return `The certificate of ${target} was refused: ${describeCertError(facts.authorizationError, facts, checkedName)}. ${certHint(facts.authorizationError, remedies)}`;
}

const cannotHelp = ' --insecure cannot help: the handshake failed before any certificate was checked.';

export function describeHandshakeError(error: NodeJS.ErrnoException, target: string): SessionFailure {
	const text = `${error.code ?? ''} ${error.message}`;
	const failed = `The TLS handshake with ${target} failed:`;
	if (/wrong version number|packet length too long|unknown protocol|record layer failure/i.test(text)) {
		return new SessionFailure('tls', `${failed} the server did not answer in TLS (is this port plaintext or STARTTLS rather than implicit TLS?).`);
	}

	// The server answered our TLS 1.2-1.3 hello with a "protocol version" alert, or picked a
	// version below our minimum: all it speaks is older than TLS 1.2.
	if (/alert protocol version|unsupported protocol|version too low|no protocols available/i.test(text)) {
		return new SessionFailure('tls', `${failed} no TLS version in common (the server offers only TLS 1.1 or older; smtp-tui needs TLS 1.2 or newer).${cannotHelp}`);
	}

	if (/no shared cipher|no cipher|alert handshake failure|alert insufficient security/i.test(text)) {
		return new SessionFailure('tls', `${failed} no cipher in common (the server accepts none of the ciphers smtp-tui offers).${cannotHelp}`);
	}

	if (/ECONNRESET|socket hang up|EPIPE/i.test(text)) {
		return new SessionFailure('tls', `${failed} the server closed the connection during the handshake.`);
	}

	const alert = alertName(error.message);
	if (alert) {
		return new SessionFailure('tls', `${failed} the server broke off the handshake with the TLS alert "${alert}".`);
	}

	// Anything else OpenSSL reports as "<hex>:error:<code>:SSL routines:<function>:<reason>:<file>:<line>:":
	// the server's bytes were not a TLS handshake we could follow. Keep only the reason.
	const reason = opensslReason(error.message);
	if (reason) {
		return new SessionFailure('tls', `${failed} the server's answer is not a TLS handshake smtp-tui can follow (OpenSSL: ${reason}).`);
	}

	return new SessionFailure('tls', `${failed} ${error.message.trim().replace(/\.$/, '')}.`);
}

