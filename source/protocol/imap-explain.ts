// Plain-words explanations for an IMAP conversation (IMAP4rev1 RFC 3501, STARTTLS RFC 2595 /
// RFC 3501 §6.2.1, SASL-IR RFC 4959, implicit TLS RFC 8314), for people following a message to
// its reader, and how IMAP differs from POP3. Pure data and lookups, in the style of
// pop3-explain.ts: one line of text each, with its RFC. Every sentence here ends up in a
// transcript entry's `explain`, which passes the session's secret gate and, on screen, safeText.

import type {Explanation} from './explain.js';
import type {ImapStepKind} from './transcript.js';

const imap = 'RFC 3501';

/** What each step of an IMAP session does; the greeting is the 'connect' step. */
const stepTable: Readonly<Record<ImapStepKind | 'connect', Explanation>> = {
	connect: {
		summary: 'Open a TCP connection and wait for the server\'s untagged greeting, "* OK"',
		rfc: `${imap} §7.1.1`,
		detail: 'On port 993 the TLS handshake comes first and the greeting arrives inside TLS (RFC 8314). "* PREAUTH" would mean: already logged in.',
	},
	'imap-capability': {
		summary: 'Ask which extensions the server supports (CAPABILITY); the answer is one untagged "* CAPABILITY" line',
		rfc: `${imap} §6.1.1`,
		detail: 'After STARTTLS the list is asked for again: what was learned in cleartext may have been forged.',
	},
	'imap-starttls': {
		summary: 'Ask for TLS on the open connection (STARTTLS); after the tagged OK the handshake starts at once',
		rfc: `${imap} §6.2.1`,
		detail: 'Anything the server sent between its OK and the handshake is thrown away (no response injection).',
	},
	'imap-login': {
		summary: 'Log in with user name and password (LOGIN); the password travels as typed, so only inside TLS. Masked here',
		rfc: `${imap} §6.2.3`,
		detail: 'A server that says LOGINDISABLED refuses LOGIN until TLS is on (Dovecot: NO [PRIVACYREQUIRED]).',
	},
	'imap-list': {
		summary: 'List the folders (LIST "" "*"): an IMAP account has many mailboxes, INBOX is only the first',
		rfc: `${imap} §6.3.8`,
		detail: 'POP3 knows one mailbox per user; IMAP keeps Sent, Drafts, Trash and any folder the user makes, on the server.',
	},
	'imap-select': {
		summary: 'Open a folder (SELECT INBOX): the untagged lines say how many messages it holds (EXISTS), how many are new (RECENT) and which flags exist',
		rfc: `${imap} §6.3.1`,
		detail: 'UIDVALIDITY and UIDNEXT let a client that comes back know whether its copy of the folder is still valid.',
	},
	'imap-fetch': {
		summary: 'Fetch a message (FETCH n (FLAGS BODY.PEEK[])): it arrives as a literal, {N} then exactly N bytes',
		rfc: `${imap} §6.4.5`,
		detail: 'BODY.PEEK[] reads without setting \\Seen; BODY[] would mark it read. The message stays on the server either way.',
	},
	'imap-store': {
		summary: 'Mark the message read (STORE n +FLAGS (\\Seen)): flags live on the server, so every other client sees it read too',
		rfc: `${imap} §6.4.6`,
		detail: 'The untagged "* n FETCH (FLAGS ...)" answer shows the flags as they are now. POP3 has no flags at all.',
	},
	'imap-logout': {
		summary: 'End the session (LOGOUT): the server says "* BYE", then OK to the tag. Nothing is deleted',
		rfc: `${imap} §6.1.3`,
		detail: 'Unlike POP3\'s QUIT, LOGOUT removes nothing: only messages flagged \\Deleted go, and only on EXPUNGE or CLOSE.',
	},
};

/** Explains what an IMAP step does and why. */
export function explainImapStep(step: ImapStepKind | 'connect'): Explanation {
	return {...stepTable[step]};
}

const commandTable: Readonly<Record<string, Explanation>> = {
	CAPABILITY: stepTable['imap-capability'],
	STARTTLS: stepTable['imap-starttls'],
	LOGIN: stepTable['imap-login'],
	LIST: stepTable['imap-list'],
	SELECT: stepTable['imap-select'],
	FETCH: stepTable['imap-fetch'],
	STORE: stepTable['imap-store'],
	LOGOUT: stepTable['imap-logout'],
	EXAMINE: {summary: 'Open a folder read-only (EXAMINE): like SELECT, but no flag changes', rfc: `${imap} §6.3.2`},
	AUTHENTICATE: {summary: 'Log in with a SASL mechanism (AUTHENTICATE PLAIN), as in SMTP; "+" asks for the next line', rfc: `${imap} §6.2.2`},
	NOOP: {summary: 'Do nothing; the server may use the chance to report news (new EXISTS, changed flags)', rfc: `${imap} §6.1.2`},
	STATUS: {summary: 'Ask about a folder without opening it (MESSAGES, UNSEEN, ...)', rfc: `${imap} §6.3.10`},
	SEARCH: {summary: 'Ask the server which messages match (SEARCH UNSEEN): the search runs on the server', rfc: `${imap} §6.4.4`},
	EXPUNGE: {summary: 'Remove for good the messages flagged \\Deleted in the open folder', rfc: `${imap} §6.4.3`},
	CLOSE: {summary: 'Close the folder, removing the messages flagged \\Deleted', rfc: `${imap} §6.4.2`},
	UID: {summary: 'The same command with UIDs instead of sequence numbers: UIDs do not change when other messages go', rfc: `${imap} §6.4.8`},
	LSUB: {summary: 'List the folders the user subscribed to', rfc: `${imap} §6.3.9`},
	CHECK: {summary: 'Ask the server to save the folder\'s state now', rfc: `${imap} §6.4.1`},
};

/** Explains an IMAP command line (`A3 LOGIN ...`) by its command name; the tag comes first. */
export function explainImapCommand(line: string): Explanation {
	const [tag = '', verb = ''] = line.trim().split(/\s+/);
	const known = commandTable[verb.toUpperCase()];
	const tagged = `Tag ${tag}: the server's final answer to this command will start with the same tag.`;
	if (known) return {...known, detail: known.detail ? `${tagged} ${known.detail}` : tagged};
	return {summary: `A command this explainer does not know (${verb || 'empty line'})`, rfc: imap, detail: tagged};
}

const statusTable: Readonly<Record<'OK' | 'NO' | 'BAD' | 'BYE' | 'PREAUTH', Explanation>> = {
	OK: {summary: 'OK: the command was done', rfc: `${imap} §7.1.1`},
	NO: {summary: 'NO: the command was understood but refused (wrong password, no such folder, ...)', rfc: `${imap} §7.1.2`},
	BAD: {summary: 'BAD: the command was not understood (a syntax error, or not allowed in this state)', rfc: `${imap} §7.1.3`},
	BYE: {summary: 'BYE: the server is closing the connection (after LOGOUT, or because it must)', rfc: `${imap} §7.1.5`},
	PREAUTH: {summary: 'PREAUTH: the connection is already logged in (no LOGIN needed)', rfc: `${imap} §7.1.4`},
};

/** Response codes in square brackets after the status (RFC 3501 §7.1, RFC 5530). */
const responseCodeTable: Readonly<Record<string, Explanation>> = {
	CAPABILITY: {summary: '[CAPABILITY ...] hands over the capability list with the status, saving a CAPABILITY command', rfc: `${imap} §7.1`},
	PRIVACYREQUIRED: {summary: '[PRIVACYREQUIRED] the server wants TLS first: no password over a cleartext connection', rfc: 'RFC 5530 §3'},
	AUTHENTICATIONFAILED: {summary: '[AUTHENTICATIONFAILED] wrong user name or password', rfc: 'RFC 5530 §3'},
	UNAVAILABLE: {summary: '[UNAVAILABLE] a temporary problem on the server; try again later', rfc: 'RFC 5530 §3'},
	'READ-WRITE': {summary: '[READ-WRITE] the folder is open for changes (flags can be stored)', rfc: `${imap} §7.1`},
	'READ-ONLY': {summary: '[READ-ONLY] the folder is open read-only (EXAMINE)', rfc: `${imap} §7.1`},
	UIDVALIDITY: {summary: '[UIDVALIDITY n] while this number stays the same, UIDs a client kept still name the same messages', rfc: `${imap} §2.3.1.1`},
	UIDNEXT: {summary: '[UIDNEXT n] the UID the next message to arrive will get', rfc: `${imap} §7.1`},
	UNSEEN: {summary: '[UNSEEN n] the first message not yet read (no \\Seen flag)', rfc: `${imap} §7.1`},
	PERMANENTFLAGS: {summary: '[PERMANENTFLAGS (...)] the flags that last beyond this session', rfc: `${imap} §7.1`},
	ALERT: {summary: '[ALERT] a message the server wants shown to the person', rfc: `${imap} §7.1`},
};

export type ImapStatus = keyof typeof statusTable;

/** Explains a status response (tagged or untagged OK/NO/BAD/BYE/PREAUTH) and its [CODE], if any. */
export function explainImapStatus(status: ImapStatus, tag: string, code?: string): Explanation[] {
	const untaggedOk = tag === '*' && status === 'OK';
	const out: Explanation[] = [untaggedOk ? {summary: 'OK, untagged: a greeting or a fact from the server (the [CODE] says which), not the end of a command', rfc: `${imap} §7.1.1`} : {...statusTable[status]}];
	if (tag === '*') out.push(untaggedExplanation);
	else out.push({summary: `Tagged with ${tag}: this is the end of the command that carried ${tag}`, rfc: `${imap} §2.2.1`});
	const known = code ? responseCodeTable[code.toUpperCase()] : undefined;
	if (known) out.push({...known});
	else if (code) out.push({summary: `Response code [${code}], which this explainer does not know`, rfc: `${imap} §7.1`});
	return out;
}

const untaggedExplanation: Explanation = {
	summary: 'Untagged ("*"): data or news from the server, not the end of a command; the tagged line ends it',
	rfc: `${imap} §2.2.2`,
};

/** Untagged data responses by their name (`* CAPABILITY`, `* 3 EXISTS`, `* 1 FETCH`). */
const dataTable: Readonly<Record<string, Explanation>> = {
	CAPABILITY: {summary: 'The capability list: IMAP4rev1, then extensions (STARTTLS, AUTH=PLAIN, IDLE, ...)', rfc: `${imap} §7.2.1`},
	LIST: {summary: 'One folder: its attributes, the hierarchy delimiter and its name', rfc: `${imap} §7.2.2`},
	LSUB: {summary: 'One subscribed folder', rfc: `${imap} §7.2.3`},
	STATUS: {summary: 'The counts of a folder asked with STATUS', rfc: `${imap} §7.2.4`},
	SEARCH: {summary: 'The numbers of the messages that matched', rfc: `${imap} §7.2.5`},
	FLAGS: {summary: 'The flags this folder knows: \\Seen (read), \\Answered, \\Flagged, \\Deleted, \\Draft', rfc: `${imap} §7.2.6`},
	EXISTS: {summary: 'How many messages the folder holds (they stay on the server until deleted and expunged)', rfc: `${imap} §7.3.1`},
	RECENT: {summary: 'How many messages arrived since the last session opened this folder', rfc: `${imap} §7.3.2`},
	EXPUNGE: {summary: 'A message was removed for good; the numbers of the ones after it go down by one', rfc: `${imap} §7.4.1`},
	FETCH: {
		summary: 'Data of one message: FLAGS, and BODY[] as a literal {N} (exactly N bytes follow, then the rest of the line)',
		rfc: `${imap} §7.4.2`,
		detail: 'A literal carries any bytes, CRLF and 8-bit included: no dot-stuffing as in POP3 or SMTP.',
	},
};

/** Explains one untagged line by its data name or status (`* 3 EXISTS`, `* OK [UIDVALIDITY 1]`, `* BYE ...`). */
export function explainImapUntagged(line: string): Explanation[] {
	const words = line.replace(/^\*\s*/, '').split(/\s+/);
	const first = (words[0] ?? '').toUpperCase();
	if (first in statusTable) {
		const code = /^\[([^\]\s]+)/.exec(words[1] ?? '')?.[1];
		return explainImapStatus(first as ImapStatus, '*', code);
	}

	const name = (/^\d+$/.test(first) ? words[1] ?? '' : first).toUpperCase();
	const known = dataTable[name];
	return [known ? {...known} : {summary: `Untagged data ${name || '(empty)'}, which this explainer does not know`, rfc: `${imap} §7`}, untaggedExplanation];
}

/** The server's "+": go on with the command (send the literal's bytes, or the next SASL line). */
export const continuationExplanation: Explanation = {
	summary: '"+": the server is ready for the rest of the command (a literal\'s bytes, or the next AUTHENTICATE line)',
	rfc: `${imap} §7.5`,
};

/** A literal announced as `{N}` at the end of a line: what it means. */
export function explainImapLiteral(size: number): Explanation {
	return {
		summary: `{${size}}: a literal, the next ${size} bytes are data, sent as they are (no quoting, no escaping, no dot-stuffing)`,
		rfc: `${imap} §4.3`,
	};
}

const capabilityTable: Readonly<Record<string, Explanation>> = {
	IMAP4REV1: {summary: 'The server speaks IMAP4rev1, the version clients expect', rfc: `${imap} §6.1.1`},
	STARTTLS: {summary: 'STARTTLS is available: the connection can be upgraded to TLS', rfc: `${imap} §6.2.1`},
	LOGINDISABLED: {summary: 'LOGIN is refused on this connection (no TLS yet): STARTTLS first', rfc: `${imap} §6.2.3`},
	'SASL-IR': {summary: 'AUTHENTICATE may carry its first SASL answer on the same line (one round trip less)', rfc: 'RFC 4959'},
	IDLE: {summary: 'The client can wait for new mail without asking again and again (IDLE)', rfc: 'RFC 2177'},
	UIDPLUS: {summary: 'The server reports the UIDs of messages it stores or copies', rfc: 'RFC 4315'},
	NAMESPACE: {summary: 'The client can ask where personal and shared folders live', rfc: 'RFC 2342'},
	LITERAL: {summary: 'Non-synchronizing literals {N+}: the client need not wait for "+"', rfc: 'RFC 7888'},
	ID: {summary: 'Client and server may tell each other their software name', rfc: 'RFC 2971'},
	ENABLE: {summary: 'The client may switch on extensions that change responses', rfc: 'RFC 5161'},
};

/** Explains one capability name (`AUTH=PLAIN`, `STARTTLS`, `IMAP4rev1`). */
export function explainImapCapability(name: string): Explanation {
	const upper = name.toUpperCase();
	if (upper.startsWith('AUTH=')) return {summary: `AUTHENTICATE with the ${upper.slice(5)} mechanism is possible`, rfc: `${imap} §6.2.2`};
	const known = capabilityTable[upper] ?? capabilityTable[upper.replace(/[+-]$/, '')];
	return known ? {...known} : {summary: `Capability ${name}, which this explainer does not know`, rfc: `${imap} §7.2.1`};
}

/** How IMAP differs from POP3, in four sentences: the journey shows them when leg 3 speaks IMAP. */
export const imapVersusPop3: readonly Explanation[] = [
	{summary: 'Messages stay on the server: reading one copies it, nothing is downloaded and removed as POP3 clients usually do', rfc: `${imap} §1`},
	{summary: 'Flags (\\Seen, \\Answered, \\Flagged, \\Deleted) live on the server, so a phone and a laptop agree on what is read', rfc: `${imap} §2.3.2`},
	{summary: 'Folders: many mailboxes per account (LIST, SELECT), where POP3 knows only one', rfc: `${imap} §5.1`},
	{summary: 'Tags: each command carries one, so several can be in flight; untagged "*" lines are data and news', rfc: `${imap} §2.2`},
];
