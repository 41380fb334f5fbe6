// The lab's public data shapes, in a file of their own so that index.ts and server.ts can
// share them without importing each other.

import type {LabPort} from './personality.js';

export type LabUser = {user: string; password: string; address: string};

/** One message the lab accepted. It is kept here and never sent anywhere. */
export type CapturedMessage = {
	/** The queue ID quoted in the `250 2.0.0 Ok: queued as <ID>` reply. */
	id: string;
	/** The personality that took it. */
	port: LabPort;
	/** The port it actually listened on (ephemeral in tests). */
	listenPort: number;
	/** Envelope sender; '' for the null sender `<>`. */
	mailFrom: string;
	rcptTo: string[];
	/** The message travelled inside TLS. */
	tls: boolean;
	/** The authenticated user name, if the client logged in. */
	user?: string;
	receivedAt: Date;
	/** The name the client gave in EHLO/HELO (for a Received: header), if it gave one. */
	helo?: string;
	/** The client's IP address. */
	remoteAddress?: string;
	/** RFC 3848 protocol for a Received: header's "with" clause, e.g. "ESMTPSA". */
	transmission?: string;
	/** The message as received, dot-stuffing undone, without the final `.` line. */
	raw: Buffer;
};

/**
 * What a message policy (LabOptions.messagePolicy) decides about a message at the end of DATA:
 * refuse it with a reply, or accept it with header lines put in front (e.g. the receiving MX's
 * Authentication-Results:, RFC 8601 §5: added at the top, as trace headers are).
 */
export type MessageVerdict = {refusal?: {code: number; enhanced: string; text: string}; prepend?: string};

/** Server policy as a hook (as smtp-server's onData would): sees the message before it is accepted. */
export type MessagePolicy = (message: CapturedMessage) => Promise<MessageVerdict | undefined>;
