// Plain-words explanations for a POP3 conversation (RFC 1939, CAPA RFC 2449, STLS RFC 2595,
// response codes RFC 2449 / RFC 3206), for people following a message to its reader. Pure
// data and lookups, in the style of explain.ts: one line of text each, with its RFC.

import type {Explanation} from './explain.js';
import type {Pop3StepKind} from './transcript.js';

const pop3 = 'RFC 1939';

/** What each step of a POP3 session does; the greeting is the 'connect' step. */
const stepTable: Readonly<Record<Pop3StepKind | 'connect', Explanation>> = {
	connect: {
		summary: 'Open a TCP connection and wait for the server\'s +OK greeting',
		rfc: `${pop3} §4`,
		detail: 'On port 995 the TLS handshake comes first and the greeting arrives inside TLS (RFC 8314).',
	},
	'pop-capa': {
		summary: 'Ask which extensions the server supports (CAPA); the list ends with a line holding only a dot',
		rfc: 'RFC 2449 §5',
		detail: 'After STLS the list is asked for again: what was learned in cleartext may have been forged.',
	},
	'pop-stls': {
		summary: 'Ask for TLS on the open connection (STLS); on +OK the handshake starts at once',
		rfc: 'RFC 2595 §4',
		detail: 'Anything the client had sent after STLS is thrown away by a careful server (no command injection).',
	},
	'pop-user': {
		summary: 'Name the mailbox to open (USER); the password follows in PASS',
		rfc: `${pop3} §7`,
		detail: 'Servers refuse USER without TLS when plaintext logins are off ([AUTH] code, as Dovecot does).',
	},
	'pop-pass': {
		summary: 'Send the password (PASS); it travels as typed, so only inside TLS. Masked here',
		rfc: `${pop3} §7`,
		detail: 'On +OK the session enters the TRANSACTION state and the mailbox is locked for this client.',
	},
	'pop-stat': {
		summary: 'Ask how many messages the mailbox holds and their total size in octets (STAT)',
		rfc: `${pop3} §5`,
		detail: 'Messages are numbered from 1 for this session; messages marked deleted are not counted.',
	},
	'pop-list': {
		summary: 'List every message with its size in octets (LIST); the list ends with a lone dot',
		rfc: `${pop3} §5`,
	},
	'pop-retr': {
		summary: 'Fetch one whole message (RETR): headers, blank line, body, then a line holding only a dot',
		rfc: `${pop3} §5`,
		detail: 'Lines that start with a dot arrive with an extra dot (byte-stuffing); the client removes it.',
	},
	'pop-quit': {
		summary: 'End the session (QUIT); messages marked with DELE are removed only now',
		rfc: `${pop3} §6`,
		detail: 'A connection that drops without QUIT deletes nothing: the UPDATE state is never entered.',
	},
};

/** Explains what a POP3 step does and why. */
export function explainPop3Step(step: Pop3StepKind | 'connect'): Explanation {
	return {...stepTable[step]};
}

const commandTable: Readonly<Record<string, Explanation>> = {
	CAPA: stepTable['pop-capa'],
	STLS: stepTable['pop-stls'],
	USER: stepTable['pop-user'],
	PASS: stepTable['pop-pass'],
	STAT: stepTable['pop-stat'],
	LIST: stepTable['pop-list'],
	RETR: stepTable['pop-retr'],
	QUIT: stepTable['pop-quit'],
	UIDL: {
		summary: 'List each message with a unique ID that stays the same across sessions (UIDL)',
		rfc: `${pop3} §7`,
		detail: 'Clients that "leave mail on the server" use it to know which messages they already have.',
	},
	TOP: {summary: 'Fetch the headers of a message and its first N body lines (TOP msg N)', rfc: `${pop3} §7`},
	DELE: {
		summary: 'Mark a message for deletion; it disappears only when the session ends with QUIT',
		rfc: `${pop3} §5`,
	},
	NOOP: {summary: 'Do nothing; the +OK shows the server is still there', rfc: `${pop3} §5`},
	RSET: {summary: 'Unmark every message marked for deletion in this session', rfc: `${pop3} §5`},
	APOP: {
		summary: 'Log in with an MD5 digest of the greeting\'s timestamp and the password (APOP)',
		rfc: `${pop3} §7`,
		detail: 'MD5 is broken for this use; TLS with USER/PASS or SASL replaced it.',
	},
	AUTH: {summary: 'Log in with a SASL mechanism, as in SMTP (AUTH PLAIN, ...)', rfc: 'RFC 5034 §4'},
};

/** Explains a POP3 command line by its verb; unknown verbs get a generic sentence. */
export function explainPop3Command(line: string): Explanation {
	const verb = (line.trim().split(/\s+/)[0] ?? '').toUpperCase();
	const known = commandTable[verb];
	if (known) return {...known};
	return {summary: `A command this explainer does not know (${verb || 'empty line'})`, rfc: pop3};
}

const statusTable: Readonly<Record<'+OK' | '-ERR', Explanation>> = {
	'+OK': {summary: 'Success: the command was done (POP3 has only two answers, +OK and -ERR)', rfc: `${pop3} §3`},
	'-ERR': {
		summary: 'Failure: the command was refused; the text says why, for people, not programs',
		rfc: `${pop3} §3`,
		detail: 'A code in square brackets, e.g. [AUTH], tells programs the kind of failure (RFC 2449 §8).',
	},
};

/** Extended response codes: the bracketed word after -ERR (RFC 2449 §8, RFC 3206). */
const responseCodeTable: Readonly<Record<string, Explanation>> = {
	'AUTH': {
		summary: 'The login itself failed (wrong password, or a login the server does not allow here)',
		rfc: 'RFC 3206 §4',
		detail: 'Retrying with the same credentials on the same connection will not help.',
	},
	'SYS/TEMP': {summary: 'A temporary problem on the server, unrelated to the login; try again later', rfc: 'RFC 3206 §4'},
	'SYS/PERM': {summary: 'A lasting problem on the server, unrelated to the login; tell its administrator', rfc: 'RFC 3206 §4'},
	'IN-USE': {
		summary: 'The mailbox is open in another POP3 session (it is locked); try again later',
		rfc: 'RFC 2449 §8.1.1',
	},
	'LOGIN-DELAY': {summary: 'This user logged in too recently; wait before the next login', rfc: 'RFC 2449 §8.1.2'},
};

export type Pop3Status = '+OK' | '-ERR';

/** Explains a POP3 status line: its status word and, for -ERR, its response code if any. */
export function explainPop3Response(status: Pop3Status, code?: string): Explanation[] {
	const out = [{...statusTable[status]}];
	const known = code ? responseCodeTable[code.toUpperCase()] : undefined;
	if (known) out.push({...known});
	else if (code) out.push({summary: `Response code [${code}], which this explainer does not know`, rfc: 'RFC 2449 §8'});
	return out;
}

const capabilityTable: Readonly<Record<string, Explanation>> = {
	TOP: commandTable.TOP!,
	UIDL: commandTable.UIDL!,
	USER: {
		summary: 'USER and PASS logins are allowed now (servers hide it before TLS)',
		rfc: 'RFC 2449 §6.4',
		detail: 'Dovecot lists USER only where plaintext logins are allowed: inside TLS.',
	},
	SASL: {summary: 'AUTH with these SASL mechanisms is possible', rfc: 'RFC 2449 §6.3'},
	STLS: {summary: 'STLS is available: the connection can be upgraded to TLS', rfc: 'RFC 2595 §4'},
	'RESP-CODES': {summary: '-ERR lines may carry a code in square brackets, e.g. [IN-USE]', rfc: 'RFC 2449 §6.4'},
	'AUTH-RESP-CODE': {summary: 'Failed logins carry the [AUTH] or [SYS/...] code', rfc: 'RFC 3206 §6'},
	PIPELINING: {summary: 'The client may send several commands without waiting for each answer', rfc: 'RFC 2449 §6.6'},
	EXPIRE: {summary: 'How many days the server keeps messages after they were fetched', rfc: 'RFC 2449 §6.7'},
	'LOGIN-DELAY': {summary: 'The minimum number of seconds between two logins of one user', rfc: 'RFC 2449 §6.5'},
	IMPLEMENTATION: {summary: 'The server software\'s name, for people (it means nothing to programs)', rfc: 'RFC 2449 §6.9'},
	UTF8: {summary: 'The server accepts UTF-8 user names and messages', rfc: 'RFC 6856 §2'},
	CAPA: {summary: 'The CAPA command itself is available', rfc: 'RFC 2449 §5'},
};

/** Explains one line of a CAPA list, e.g. "SASL PLAIN LOGIN". */
export function explainPop3Capability(line: string): Explanation {
	const [name = '', ...params] = line.trim().split(/\s+/);
	const known = capabilityTable[name.toUpperCase()];
	if (!known) return {summary: `Capability ${name}, which this explainer does not know`, rfc: 'RFC 2449 §6'};
	if (name.toUpperCase() === 'SASL' && params.length === 0) {
		return {summary: 'AUTH is listed with no mechanism usable here (none allowed without TLS)', rfc: 'RFC 2449 §6.3'};
	}

	return {...known};
}

/** The capability names that appeared and went between two CAPA lists, in words ("USER appeared; STLS went"). */
export function describeCapaChange(before: string[], after: string[]): string {
	const names = (lines: string[]) => new Set(lines.map(line => (line.trim().split(/\s+/)[0] ?? '').toUpperCase()).filter(Boolean));
	const was = names(before);
	const now = names(after);
	const appeared = [...now].filter(name => !was.has(name));
	const went = [...was].filter(name => !now.has(name));
	const parts: string[] = [];
	if (appeared.length > 0) parts.push(`${appeared.join(' ')} appeared`);
	if (went.length > 0) parts.push(`${went.join(' ')} went`);
	// SASL may stay while its mechanisms change (PLAIN becomes usable inside TLS).
	const sasl = (lines: string[]) => lines.find(line => /^SASL\b/i.test(line.trim()))?.trim() ?? '';
	if (was.has('SASL') && now.has('SASL') && sasl(before) !== sasl(after)) parts.push(`"${sasl(before)}" became "${sasl(after)}"`);
	return parts.length > 0 ? parts.join('; ') : 'nothing changed';
}
