// Errors split by blame, as h11 does: LocalInputError is our user's (or our caller's) mistake,
// RemoteProtocolError is the peer's misbehaviour. Each message is one plain sentence that can be
// shown to the user as is.

/** Bad input from our side, e.g. a CR or LF inside an address that would inject commands. */
export class LocalInputError extends Error {
	override readonly name = 'LocalInputError';
}

export type RemoteProtocolErrorKind =
	| 'mixed-codes'
	| 'bad-code'
	| 'malformed'
	| 'line-too-long'
	| 'too-many-lines'
	| 'too-much-buffered';

/** The peer sent something SMTP does not allow, or more than we are willing to hold. */
export class RemoteProtocolError extends Error {
	override readonly name = 'RemoteProtocolError';
	readonly kind: RemoteProtocolErrorKind;

	constructor(kind: RemoteProtocolErrorKind, message: string) {
		super(message);
		this.kind = kind;
	}
}
