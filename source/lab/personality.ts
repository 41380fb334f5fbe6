// What each lab port is like: pure policy, no sockets. The server wiring in server.ts asks
// these functions what to answer; the texts imitate Postfix (PROTOCOL.md §1).

export type LabPort = 25 | 465 | 587 | 2525;

export const labPorts: LabPort[] = [25, 465, 587, 2525];

export type Personality = {
	port: LabPort;
	/** One line for people: what this port is for. */
	title: string;
	/** TLS from the first byte (465) rather than STARTTLS. */
	implicitTls: boolean;
	/** AUTH offered at all (only ever after TLS in the lab). */
	auth: boolean;
	/** Submission ports: nothing but EHLO/STARTTLS/NOOP/RSET/QUIT before TLS, MAIL needs AUTH. */
	submission: boolean;
};

export const personalities: Record<LabPort, Personality> = {
	25: {port: 25, title: 'relay / MX: anyone may send, only to the lab domain', implicitTls: false, auth: false, submission: false},
	465: {port: 465, title: 'submissions: implicit TLS, authenticated users send anywhere', implicitTls: true, auth: true, submission: true},
	587: {port: 587, title: 'submission: STARTTLS then AUTH, authenticated users send anywhere', implicitTls: false, auth: true, submission: true},
	2525: {port: 2525, title: 'alternative submission, as 587', implicitTls: false, auth: true, submission: true},
};

/** A reply the lab decides itself: code, enhanced status code (RFC 3463) and text. */
export type LabReply = {code: number; enhanced: string; text: string};

/** State of one session that the policy looks at. */
export type SessionView = {secure: boolean; user?: string};

/** Whether the AUTH command (and its EHLO keyword) is available in this state. */
export function authAvailable(personality: Personality, secure: boolean): boolean {
	return personality.auth && secure;
}

/** The refusal for AUTH when it is not available, as Postfix words it. */
export function authRefusal(personality: Personality): LabReply {
	if (personality.auth) return startTlsFirst;
	return {code: 503, enhanced: '5.5.1', text: 'Error: authentication not enabled'};
}

const startTlsFirst: LabReply = {code: 530, enhanced: '5.7.0', text: 'Must issue a STARTTLS command first'};

/** Verdict on MAIL FROM: undefined to accept, or the refusal. */
export function mailVerdict(personality: Personality, session: SessionView): LabReply | undefined {
	if (!personality.submission) return undefined;
	if (!session.secure) return startTlsFirst;
	if (!session.user) return {code: 530, enhanced: '5.7.0', text: 'Authentication required'};
	return undefined;
}

/** Verdict on RCPT TO: undefined to accept, or the refusal. */
export function rcptVerdict(
	personality: Personality,
	session: SessionView,
	address: string,
	domain: string,
): LabReply | undefined {
	// An authenticated submission client may relay anywhere (the lab only captures).
	if (personality.submission && session.user) return undefined;
	if (isLocal(address, domain)) return undefined;
	return {code: 554, enhanced: '5.7.1', text: `<${address}>: Relay access denied`};
}

/** True for an address in the lab's own domain, and for the bare "postmaster". */
export function isLocal(address: string, domain: string): boolean {
	// RFC 5321 §4.1.1.3: the bare "postmaster" must always be accepted.
	if (address.toLowerCase() === 'postmaster') return true;
	const at = address.lastIndexOf('@');
	return at > 0 && address.slice(at + 1).toLowerCase() === domain.toLowerCase();
}
