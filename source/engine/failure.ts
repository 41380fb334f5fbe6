// A failure the user must be told about in one sentence. `kind` says whose fault it is
// and picks the exit code; `message` is that sentence (already free of secrets).
import type {TlsFacts} from '../protocol/transcript.js';

export type FailureKind =
	| 'connect' // could not reach the server
	| 'timeout' // the server did not answer in time
	| 'closed' // the server closed the connection
	| 'tls' // handshake or certificate failure
	| 'protocol' // the server broke the protocol
	| 'local'; // our user's input, or a choice that would be unsafe

export class SessionFailure extends Error {
	override readonly name = 'SessionFailure';
	readonly kind: FailureKind;
	readonly tlsFacts?: TlsFacts;

	constructor(kind: FailureKind, message: string, tlsFacts?: TlsFacts) {
		super(message);
		this.kind = kind;
		this.tlsFacts = tlsFacts;
	}
}

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

/** Turns a Node socket error into one sentence about the target. */
export function describeSocketError(error: NodeJS.ErrnoException, target: string): SessionFailure {
	const code = error.code ?? '';
	const reason = connectReasons[code];
	if (code === 'ECONNRESET' || code === 'EPIPE') {
		return new SessionFailure('closed', `${target}: ${reason}.`);
	}

	if (reason) return new SessionFailure('connect', `Could not connect to ${target}: ${reason}.`);
	return new SessionFailure('connect', `Could not connect to ${target}: ${error.message}.`);
}
