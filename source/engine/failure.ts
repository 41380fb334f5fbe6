// How socket and TLS errors read as one sentence. SessionFailure itself is pure and lives in
// protocol/, where the conversations raise it too.
import {SessionFailure} from '../protocol/failure.js';

export {SessionFailure, type FailureKind} from '../protocol/failure.js';

const connectReasons: Record<string, string> = {
	ECONNREFUSED: 'the connection was refused (nothing listens on that port, or a firewall rejects it)',
	ECONNRESET: 'the connection was reset by the server',
	EHOSTUNREACH: 'the host is unreachable',
	ENETUNREACH: 'the network is unreachable',
	ENOTFOUND: 'the host name does not resolve',
	EAI_AGAIN: 'the host name could not be resolved (DNS did not answer)',
	EADDRNOTAVAIL: 'the local address is not available',
	EPIPE: 'the connection was closed while sending',
};

/** The TLS alert OpenSSL reports, e.g. "protocol version" from "tlsv1 alert protocol version". */
export function alertName(message: string): string | undefined {
	return /(?:sslv3|tlsv1|tlsv13) alert ([a-z ]+)/i.exec(message)?.[1]?.trim();
}

/** "unexpected message" from OpenSSL's one-line error format ("<hex>:error:<code>:SSL routines:<fn>:<reason>:…"). */
export function opensslReason(message: string): string | undefined {
	return /[\dA-F]+:error:[\dA-F]+:[^:]*:[^:]*:([^:]+):/.exec(message.trim())?.[1]?.trim();
}

/** An error raised by TLS (OpenSSL) rather than by the socket under it. */
function isTlsError(error: NodeJS.ErrnoException): boolean {
	return (error.code ?? '').startsWith('ERR_SSL') || error.code === 'EPROTO' || /SSL routines|alert/i.test(error.message);
}

/**
 * A TLS failure once the session is running (an alert, a record that is not TLS): one sentence,
 * never OpenSSL's raw text; exit code 29 (TLS) like a failed handshake.
 */
function describeTlsSessionError(error: NodeJS.ErrnoException, target: string): SessionFailure {
	const alert = alertName(error.message);
	const reason = alert ? `the server sent the TLS alert "${alert}"`
		: /bad record mac|bad record type|decryption failed|wrong version number|record layer|packet length|unexpected record|unexpected message/i.test(error.message) ? 'the server sent data that is not a valid TLS record'
			: 'TLS reported an error';
	const detail = alert ? '' : opensslReason(error.message);
	return new SessionFailure('tls', `The TLS session with ${target} broke: ${reason}${detail && !alert ? ` (OpenSSL: ${detail.replace(/[^\w .-]/g, '')})` : ''}.`);
}

/** Turns a Node socket error into one sentence about the target; `tls`: the TLS session is up. */
export function describeSocketError(error: NodeJS.ErrnoException, target: string, tls = false): SessionFailure {
	if (tls && isTlsError(error)) return describeTlsSessionError(error, target);
	const code = error.code ?? '';
	const reason = connectReasons[code];
	if (code === 'ECONNRESET' || code === 'EPIPE') {
		return new SessionFailure('closed', `${target}: ${reason}.`);
	}

	if (reason) return new SessionFailure('connect', `Could not connect to ${target}: ${reason}.`);
	return new SessionFailure('connect', `Could not connect to ${target}: ${error.message}.`);
}
