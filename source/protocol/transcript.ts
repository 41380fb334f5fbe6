// The one record everything downstream renders: the TUI, batch output and every export.
// The engine appends entries in order; renderers only read them.

export type Direction = 'client' | 'server' | 'info' | 'tls' | 'error';

/** The protocol step an entry belongs to. `manual` is a command typed by the user. */
export type StepKind =
	| 'connect'
	| 'ehlo'
	| 'helo'
	| 'starttls'
	| 'auth'
	| 'mail'
	| 'rcpt'
	| 'data'
	| 'body'
	| 'rset'
	| 'noop'
	| 'quit'
	| 'manual';

/**
 * The steps of a POP3 session (engine/pop3.ts). Kept apart from StepKind, whose consumers
 * (explanations, exit codes, the SMTP plan) are about SMTP only; a transcript entry may carry
 * either. The POP3 greeting uses 'connect'.
 */
export type Pop3StepKind = 'pop-capa' | 'pop-stls' | 'pop-user' | 'pop-pass' | 'pop-stat' | 'pop-list' | 'pop-retr' | 'pop-quit';

/**
 * The steps of an IMAP session (engine/imap.ts), apart from StepKind for the same reason as
 * Pop3StepKind. The IMAP greeting uses 'connect'.
 */
export type ImapStepKind = 'imap-capability' | 'imap-starttls' | 'imap-login' | 'imap-list' | 'imap-select' | 'imap-fetch' | 'imap-store' | 'imap-logout';

/** Any step a transcript entry can belong to: SMTP, POP3 or IMAP. */
export type TranscriptStep = StepKind | Pop3StepKind | ImapStepKind;

export type TlsFacts = {
	protocol: string; // e.g. "TLSv1.3"
	cipher: string; // e.g. "TLS_AES_256_GCM_SHA384"
	authorized: boolean; // the certificate chain and host name verified
	authorizationError?: string; // Node's code, e.g. "DEPTH_ZERO_SELF_SIGNED_CERT"
	subject?: string; // "CN=mx.lab.test"
	issuer?: string;
	subjectAltNames: string[]; // ["DNS:localhost", "IP Address:127.0.0.1"]
	validFrom?: string;
	validTo?: string;
	fingerprint256?: string;
	servername?: string; // SNI sent
};

export type TranscriptEntry = {
	/** Position in the transcript, from 0. */
	seq: number;
	direction: Direction;
	/**
	 * The line as sent or received, without its CRLF. Untrusted when it came from the
	 * server: render it through safeText(). For an entry with `secret: true` this is
	 * already the masked form; the real bytes are never stored.
	 */
	text: string;
	step: TranscriptStep;
	/** Index of the step in the session (0 = connect), for grouping. */
	stepIndex: number;
	/** Milliseconds since the session started (monotonic clock). */
	at: number;
	/** Travelled inside TLS. */
	tls: boolean;
	/** The line carried a secret (password, token, SASL response) and `text` is masked. */
	secret: boolean;
	/** Human reading of a base64 SASL line (masked where secret), e.g. "\0alice\0********". */
	decoded?: string;
	/** For server lines: the reply code and, where present, the enhanced status code. */
	code?: number;
	enhanced?: string;
	/** For the last line of a server reply: true. Multi-line replies have several entries. */
	last?: boolean;
	/** For `tls` entries: the handshake facts. */
	tlsFacts?: TlsFacts;
	/** Set on an entry that records a deviation from the protocol by the peer. */
	deviation?: string;
	/** Plain-words explanation lines attached by the engine (code meaning, extension, step). */
	explain?: string[];
};
