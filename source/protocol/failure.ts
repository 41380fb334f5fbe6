// A failure the user must be told about in one sentence (pure data: the conversations in this
// folder raise it, the engine's driver too). `kind` says whose fault it is
// and picks the exit code; `message` is that sentence (already free of secrets).
import type {TlsFacts} from './transcript.js';

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
	/** Lines of a broken reply as received, shown in the transcript before the error. */
	readonly received?: readonly string[];

	constructor(kind: FailureKind, message: string, tlsFacts?: TlsFacts, received?: readonly string[]) {
		super(message);
		this.kind = kind;
		this.tlsFacts = tlsFacts;
		this.received = received;
	}
}

