// Plain-words explanations for every line of an SMTP conversation, for people learning SMTP.
// Pure data and lookups: no I/O; the only import is the transcript's step type. Every text is one line (≤ 110 chars), present
// tense, and carries the RFC (or, for vendor behaviour, the named source) it comes from.

import type {StepKind} from './transcript.js';

export type Explanation = {summary: string; rfc: string; detail?: string};

// ---------------------------------------------------------------------------------------------
// Reply codes (RFC 5321 §4.2, plus the codes other RFCs add)
// ---------------------------------------------------------------------------------------------

const smtpCodes = 'RFC 5321 §4.2.2';

const codeTable: Readonly<Record<number, Explanation>> = {
	211: {summary: 'System status, or a system help reply', rfc: smtpCodes},
	214: {summary: 'Help message meant for a human reader (the answer to HELP)', rfc: smtpCodes},
	220: {
		summary: 'Service ready; after STARTTLS it means: start the TLS handshake now',
		rfc: smtpCodes,
		detail: 'As the first line it is the greeting (banner); RFC 3207 §4 reuses it for "ready to start TLS".',
	},
	221: {summary: 'Service closing the connection (the answer to QUIT)', rfc: smtpCodes},
	235: {
		summary: 'Authentication succeeded; mail is now sent as this user',
		rfc: 'RFC 4954 §6',
		detail: 'A client must not send AUTH again on this connection once it has succeeded.',
	},
	250: {
		summary: 'Requested action completed',
		rfc: smtpCodes,
		detail: 'After MAIL: sender OK; after RCPT: recipient OK; after the final dot: message queued.',
	},
	251: {summary: 'User not local; the server forwards the message to the address it names', rfc: smtpCodes},
	252: {
		summary: 'Cannot verify the user, but the server accepts the message and tries to deliver it',
		rfc: smtpCodes,
		detail: 'The usual answer to VRFY on servers that will not reveal which mailboxes exist.',
	},
	334: {
		summary: 'Authentication challenge: the server waits for the next base64-encoded answer',
		rfc: 'RFC 4954 §4',
		detail: 'The text after 334 is base64 (may be empty); answering "*" cancels the exchange with 501.',
	},
	354: {
		summary: 'Start sending the message; end it with a line holding only a dot (CRLF.CRLF)',
		rfc: smtpCodes,
		detail: 'Lines that begin with a dot are sent with an extra dot (dot-stuffing, RFC 5321 §4.5.2).',
	},
	421: {
		summary: 'Service not available; the server closes the connection (try again later)',
		rfc: smtpCodes,
		detail: 'Sent for timeouts, too many errors, rate limits or shutdown; it may come at any moment.',
	},
	432: {summary: 'A password transition is needed before this mechanism can be used', rfc: 'RFC 4954 §6'},
	450: {
		summary: 'Mailbox unavailable for now (busy, greylisted or blocked by policy); try again later',
		rfc: smtpCodes,
	},
	451: {
		summary: 'Action aborted: a local error on the server (or greylisting); try again later',
		rfc: smtpCodes,
		detail: 'Greylisting servers refuse a first attempt on purpose; a real sender retries and gets through.',
	},
	452: {
		summary: 'Insufficient system storage, or too many recipients for this message; try again later',
		rfc: smtpCodes,
		detail: 'For too many recipients, send the refused ones in a new transaction (RFC 5321 §4.5.3.1.10).',
	},
	454: {
		summary: 'TLS or authentication is temporarily unavailable; try again later',
		rfc: 'RFC 3207 §4; RFC 4954 §6',
	},
	455: {summary: 'The server cannot accommodate the MAIL/RCPT parameters right now', rfc: smtpCodes},
	458: {summary: 'Unable to queue messages for that node (answer to ETRN)', rfc: 'RFC 1985'},
	459: {summary: 'That node is not allowed to start its queue (answer to ETRN)', rfc: 'RFC 1985'},
	500: {
		summary: 'Syntax error: command not recognised, or the line is too long',
		rfc: smtpCodes,
		detail: 'A command line may hold at most 512 octets including CRLF (RFC 5321 §4.5.3.1.4).',
	},
	501: {
		summary: 'Syntax error in the parameters or arguments',
		rfc: smtpCodes,
		detail: 'Also the answer when the client cancels an AUTH exchange with "*" (RFC 4954 §4).',
	},
	502: {
		summary: 'Command not implemented: not offered here, or not known at all (the lab answers 502 to both)',
		rfc: smtpCodes,
		detail: 'RFC 5321 suggests 500 for an unknown verb; smtp-server (the lab) and many servers answer 502.',
	},
	503: {
		summary: 'Bad sequence of commands (e.g. RCPT before MAIL, or AUTH when not offered)',
		rfc: smtpCodes,
	},
	504: {
		summary: 'Command parameter not implemented (e.g. an AUTH mechanism the server lacks)',
		rfc: smtpCodes,
	},
	521: {summary: 'This host does not accept mail at all', rfc: 'RFC 7504'},
	530: {
		summary: 'Access denied until you secure or identify yourself: STARTTLS or AUTH is required first',
		rfc: 'RFC 3207 §4; RFC 4954 §6',
		detail: 'On port 587 anything but EHLO, NOOP, STARTTLS and QUIT gets 530 before TLS and login.',
	},
	534: {summary: 'Authentication mechanism too weak for this server; choose a stronger one', rfc: 'RFC 4954 §6'},
	535: {
		summary: 'Authentication failed: the username or password (or token) is not accepted',
		rfc: 'RFC 4954 §6',
	},
	538: {summary: 'This mechanism needs an encrypted connection; use STARTTLS first', rfc: 'RFC 4954 §6'},
	550: {
		summary: 'Mailbox unavailable: no such user, no access, or refused by policy (e.g. relay denied)',
		rfc: smtpCodes,
		detail: 'On port 25 a server only takes mail for its own domains; others get "relay access denied".',
	},
	551: {summary: 'User not local; try the forward address the server names', rfc: smtpCodes},
	552: {
		summary: 'Exceeded storage allocation: mailbox full or message too big',
		rfc: smtpCodes,
		detail: 'Compare the message size with the SIZE limit from EHLO (RFC 1870).',
	},
	553: {
		summary: 'Mailbox name not allowed: bad address syntax, or a UTF-8 address without SMTPUTF8',
		rfc: smtpCodes,
	},
	554: {
		summary: 'Transaction failed; as the greeting it means: no SMTP service here',
		rfc: smtpCodes,
		detail: 'Often a policy refusal, e.g. "554 5.7.1 Relay access denied" or a blocked sender.',
	},
	555: {summary: 'MAIL FROM / RCPT TO parameters not recognised or not implemented', rfc: smtpCodes},
	556: {summary: "The recipient's domain does not accept mail (it publishes a null MX)", rfc: 'RFC 7504'},
};

const firstDigitMeaning: Readonly<Record<number, string>> = {
	2: 'success',
	3: 'continue: send more',
	4: 'a transient failure: try again later',
	5: 'a permanent failure',
};

// RFC 5321 §4.2.1 names the second digit's categories; x3z and x4z are left unspecified there.
const secondDigitMeaning: Readonly<Record<number, string>> = {
	0: 'is about syntax',
	1: 'is information',
	2: 'is about the connection',
	3: 'has no fixed meaning (AUTH uses it)',
	4: 'has no fixed meaning',
	5: 'is about the mail system',
};

/** Explains a three-digit reply code; unknown codes are explained from their digits. */
export function explainCode(code: number): Explanation {
	const known = Number.isInteger(code) ? codeTable[code] : undefined;
	if (known) {
		return {...known};
	}

	const first = Math.floor(code / 100);
	const second = Math.floor(code / 10) % 10;
	if (!Number.isInteger(code) || first < 2 || first > 5) {
		return {
			summary: 'Unrecognised code; a first digit outside 2-5 is not valid SMTP (a protocol error).',
			rfc: 'RFC 5321 §4.2',
		};
	}

	const secondText = secondDigitMeaning[second];
	const tail = secondText ? `; x${second}x ${secondText}` : '';
	return {
		summary: `Unrecognised code; ${first}xx means ${firstDigitMeaning[first]}${tail}.`,
		rfc: 'RFC 5321 §4.2.1',
	};
}

// ---------------------------------------------------------------------------------------------
// Enhanced status codes (RFC 3463; registry RFC 5248)
// ---------------------------------------------------------------------------------------------

// Codes whose everyday meaning depends on the class (e.g. 2.7.0 after AUTH), written out in full.
const fullEnhanced: Readonly<Record<string, Explanation>> = {
	'2.0.0': {summary: 'Success; nothing more to say (e.g. message queued, or goodbye)', rfc: 'RFC 3463'},
	'2.1.0': {summary: 'Address OK; after MAIL FROM it means the sender is accepted', rfc: 'RFC 3463'},
	'2.1.5': {summary: 'Destination address valid', rfc: 'RFC 3463'},
	'2.6.0': {summary: 'Message content accepted (Exchange uses it for "queued mail for delivery")', rfc: 'RFC 3463'},
	'2.7.0': {summary: 'Security status OK; after AUTH it means you are logged in', rfc: 'RFC 4954 §6'},
	'4.2.1': {summary: 'Mailbox not accepting messages right now (disabled or busy); try again later', rfc: 'RFC 3463'},
	'4.3.0': {summary: 'Temporary problem in the mail system; try again later', rfc: 'RFC 3463'},
	'4.3.1': {summary: "Mail system full: the server is out of storage for now; try again later", rfc: 'RFC 3463'},
	'4.4.2': {summary: 'Bad connection: the session timed out or broke; try again later', rfc: 'RFC 3463'},
	'4.5.3': {
		summary: 'Too many recipients for this message; send the rest in another transaction',
		rfc: 'RFC 3463; RFC 5321 §4.5.3.1.10',
	},
	'4.7.0': {
		summary: 'Temporary security or policy problem (TLS or AUTH unavailable, rate limit); try later',
		rfc: 'RFC 3463; RFC 4954 §6',
	},
	'4.7.1': {summary: 'Not allowed right now by policy (e.g. greylisting); try again later', rfc: 'RFC 3463'},
	'5.1.1': {summary: 'Bad destination mailbox: no such user at that domain', rfc: 'RFC 3463'},
	'5.1.3': {summary: 'Bad destination address syntax (the address is not well-formed)', rfc: 'RFC 3463'},
	'5.2.2': {summary: 'Mailbox full (over quota)', rfc: 'RFC 3463'},
	'5.3.4': {summary: 'Message too big for this system (see the SIZE limit from EHLO)', rfc: 'RFC 3463; RFC 1870'},
	'5.5.0': {
		summary: 'Protocol error; Postfix uses it when commands arrive before it allowed them',
		rfc: 'RFC 3463',
	},
	'5.5.1': {summary: 'Invalid command: not known, not enabled, or not allowed at this point', rfc: 'RFC 3463'},
	'5.5.2': {summary: 'Syntax error: the command is not recognised or the line is too long', rfc: 'RFC 3463'},
	'5.5.4': {summary: 'Invalid command arguments (a bad or unknown parameter)', rfc: 'RFC 3463'},
	'5.6.7': {
		summary: 'Non-ASCII address not allowed: SMTPUTF8 is missing or was not requested',
		rfc: 'RFC 6531',
	},
	'5.7.0': {
		summary: 'Security or policy failure; often: STARTTLS or authentication is required first',
		rfc: 'RFC 3463; RFC 4954 §6',
	},
	'5.7.1': {
		summary: 'Delivery not authorised: refused by policy (e.g. relay denied, sender blocked)',
		rfc: 'RFC 3463',
	},
	'5.7.8': {summary: 'Authentication credentials invalid (wrong username, password or token)', rfc: 'RFC 4954 §6'},
	'5.7.9': {summary: 'Authentication mechanism too weak for this server; choose a stronger one', rfc: 'RFC 4954 §6'},
	'5.7.11': {summary: 'This AUTH mechanism needs an encrypted connection; start TLS first', rfc: 'RFC 4954 §6'},
	'5.7.30': {summary: 'REQUIRETLS support required: the next hop cannot promise TLS', rfc: 'RFC 8689'},
	// Microsoft's own detail codes: not registered, but common enough that learners meet them.
	'5.7.54': {
		summary: 'Microsoft: unable to relay; the recipient domain is not one this server accepts',
		rfc: 'RFC 3463 §3.8 (detail 54 is Microsoft-specific)',
	},
	'5.7.57': {
		summary: 'Microsoft 365: client not authenticated; log in with AUTH before MAIL FROM',
		rfc: 'RFC 3463 §3.8 (detail 57 is Microsoft-specific)',
	},
};

// The registry's "subject.detail" texts; their meaning is the same for every class.
const detailTable: Readonly<Record<string, Explanation>> = {
	'0.0': {summary: 'Other or undefined status', rfc: 'RFC 3463'},
	'1.0': {summary: 'Other address status', rfc: 'RFC 3463'},
	'1.1': {summary: 'Bad destination mailbox address', rfc: 'RFC 3463'},
	'1.2': {summary: 'Bad destination system address (the domain)', rfc: 'RFC 3463'},
	'1.3': {summary: 'Bad destination mailbox address syntax', rfc: 'RFC 3463'},
	'1.4': {summary: 'Destination mailbox address ambiguous', rfc: 'RFC 3463'},
	'1.5': {summary: 'Destination address valid', rfc: 'RFC 3463'},
	'1.6': {summary: 'Destination mailbox has moved, no forwarding address', rfc: 'RFC 3463'},
	'1.7': {summary: "Bad sender's mailbox address syntax", rfc: 'RFC 3463'},
	'1.8': {summary: "Bad sender's system address (the domain)", rfc: 'RFC 3463'},
	'1.9': {summary: 'Message relayed to a non-compliant mailer', rfc: 'RFC 3886'},
	'1.10': {summary: 'Recipient address has a null MX (the domain takes no mail)', rfc: 'RFC 7505'},
	'2.0': {summary: 'Other or undefined mailbox status', rfc: 'RFC 3463'},
	'2.1': {summary: 'Mailbox disabled, not accepting messages', rfc: 'RFC 3463'},
	'2.2': {summary: 'Mailbox full', rfc: 'RFC 3463'},
	'2.3': {summary: 'Message length exceeds an administrative limit', rfc: 'RFC 3463'},
	'2.4': {summary: 'Mailing list expansion problem', rfc: 'RFC 3463'},
	'3.0': {summary: 'Other or undefined mail system status', rfc: 'RFC 3463'},
	'3.1': {summary: 'Mail system full', rfc: 'RFC 3463'},
	'3.2': {summary: 'System not accepting network messages', rfc: 'RFC 3463'},
	'3.3': {summary: 'System not capable of the selected features', rfc: 'RFC 3463'},
	'3.4': {summary: 'Message too big for the system', rfc: 'RFC 3463'},
	'3.5': {summary: 'System incorrectly configured', rfc: 'RFC 3463'},
	'3.6': {summary: 'Requested priority was changed', rfc: 'RFC 6710'},
	'4.0': {summary: 'Other or undefined network or routing status', rfc: 'RFC 3463'},
	'4.1': {summary: 'No answer from host', rfc: 'RFC 3463'},
	'4.2': {summary: 'Bad connection', rfc: 'RFC 3463'},
	'4.3': {summary: 'Directory server failure (e.g. DNS)', rfc: 'RFC 3463'},
	'4.4': {summary: 'Unable to route', rfc: 'RFC 3463'},
	'4.5': {summary: 'Mail system congestion', rfc: 'RFC 3463'},
	'4.6': {summary: 'Routing loop detected', rfc: 'RFC 3463'},
	'4.7': {summary: 'Delivery time expired', rfc: 'RFC 3463'},
	'5.0': {summary: 'Other or undefined protocol status', rfc: 'RFC 3463'},
	'5.1': {summary: 'Invalid command', rfc: 'RFC 3463'},
	'5.2': {summary: 'Syntax error', rfc: 'RFC 3463'},
	'5.3': {summary: 'Too many recipients', rfc: 'RFC 3463'},
	'5.4': {summary: 'Invalid command arguments', rfc: 'RFC 3463'},
	'5.5': {summary: 'Wrong protocol version', rfc: 'RFC 3463'},
	'5.6': {summary: 'Authentication exchange line is too long', rfc: 'RFC 4954 §6'},
	'6.0': {summary: 'Other or undefined media error', rfc: 'RFC 3463'},
	'6.1': {summary: 'Media not supported', rfc: 'RFC 3463'},
	'6.2': {summary: 'Conversion required and prohibited', rfc: 'RFC 3463'},
	'6.3': {summary: 'Conversion required but not supported', rfc: 'RFC 3463'},
	'6.4': {summary: 'Conversion with loss performed', rfc: 'RFC 3463'},
	'6.5': {summary: 'Conversion failed', rfc: 'RFC 3463'},
	'6.6': {summary: 'Message content not available', rfc: 'RFC 4468'},
	'6.7': {summary: 'Non-ASCII addresses not permitted for that sender or recipient', rfc: 'RFC 6531'},
	'6.8': {summary: 'A UTF-8 reply is required but the client does not allow it', rfc: 'RFC 6531'},
	'6.9': {summary: 'A UTF-8 header message cannot be passed on to a recipient', rfc: 'RFC 6531'},
	'7.0': {summary: 'Other or undefined security status', rfc: 'RFC 3463'},
	'7.1': {summary: 'Delivery not authorised, message refused', rfc: 'RFC 3463'},
	'7.2': {summary: 'Mailing list expansion prohibited', rfc: 'RFC 3463'},
	'7.3': {summary: 'Security conversion required but not possible', rfc: 'RFC 3463'},
	'7.4': {summary: 'Security features not supported', rfc: 'RFC 3463'},
	'7.5': {summary: 'Cryptographic failure', rfc: 'RFC 3463'},
	'7.6': {summary: 'Cryptographic algorithm not supported', rfc: 'RFC 3463'},
	'7.7': {summary: 'Message integrity failure', rfc: 'RFC 3463'},
	'7.8': {summary: 'Authentication credentials invalid', rfc: 'RFC 4954 §6'},
	'7.9': {summary: 'Authentication mechanism is too weak', rfc: 'RFC 4954 §6'},
	'7.10': {summary: 'Encryption needed', rfc: 'RFC 5248'},
	'7.11': {summary: 'Encryption required for the requested authentication mechanism', rfc: 'RFC 4954 §6'},
	'7.12': {summary: 'A password transition is needed', rfc: 'RFC 4954 §6'},
	'7.13': {summary: 'User account disabled', rfc: 'RFC 5248'},
	'7.14': {summary: 'Trust relationship required', rfc: 'RFC 5248'},
	'7.15': {summary: 'Priority level is too low', rfc: 'RFC 6710'},
	'7.16': {summary: 'Message is too big for the specified priority', rfc: 'RFC 6710'},
	'7.17': {summary: 'Mailbox owner has changed', rfc: 'RFC 7293'},
	'7.18': {summary: 'Domain owner has changed', rfc: 'RFC 7293'},
	'7.19': {summary: 'RRVS test cannot be completed', rfc: 'RFC 7293'},
	'7.20': {summary: 'No passing DKIM signature found', rfc: 'RFC 7372'},
	'7.21': {summary: 'No acceptable DKIM signature found', rfc: 'RFC 7372'},
	'7.22': {summary: 'No valid author-matched DKIM signature found', rfc: 'RFC 7372'},
	'7.23': {summary: 'SPF validation failed', rfc: 'RFC 7372'},
	'7.24': {summary: 'SPF validation error', rfc: 'RFC 7372'},
	'7.25': {summary: 'Reverse DNS validation failed', rfc: 'RFC 7372'},
	'7.26': {summary: 'Multiple authentication checks failed', rfc: 'RFC 7372'},
	'7.27': {summary: 'Sender address has a null MX', rfc: 'RFC 7505'},
	'7.28': {summary: 'Mail flood detected', rfc: 'RFC 5248 registry'},
	'7.29': {summary: 'ARC validation failure', rfc: 'RFC 8617'},
	'7.30': {summary: 'REQUIRETLS support required', rfc: 'RFC 8689'},
};

const classTail: Readonly<Record<number, string>> = {
	2: '',
	4: ' (temporary: retrying later may work)',
	5: ' (permanent: change something before retrying)',
};

const classMeaning: Readonly<Record<number, string>> = {
	2: 'success',
	4: 'a persistent transient failure',
	5: 'a permanent failure',
};

const subjectMeaning: Readonly<Record<number, string>> = {
	0: 'with no further subject',
	1: 'about addressing',
	2: 'about the mailbox',
	3: 'about the mail system',
	4: 'about the network or routing',
	5: 'about the mail protocol',
	6: 'about the message content',
	7: 'about security or policy',
};

// RFC 3463 §2: class "2"/"4"/"5", subject and detail 1*3digit.
const enhancedPattern = /^([245])\.(\d{1,3})\.(\d{1,3})$/;

/** Explains an "x.y.z" enhanced status code; undefined when the text is not one. */
export function explainEnhanced(code: string): Explanation | undefined {
	const match = enhancedPattern.exec(code);
	if (!match) {
		return undefined;
	}

	// Number() drops leading zeros the ABNF allows, so "5.01.1" finds 5.1.1.
	const klass = Number(match[1]);
	const subject = Number(match[2]);
	const detail = Number(match[3]);
	const full = fullEnhanced[`${klass}.${subject}.${detail}`];
	if (full) {
		return {...full};
	}

	const registered = detailTable[`${subject}.${detail}`];
	if (registered) {
		return {summary: registered.summary + classTail[klass], rfc: registered.rfc};
	}

	const about = subjectMeaning[subject] ?? 'with a subject RFC 3463 does not define';
	return {
		summary: `Unrecognised detail code; ${klass}.${subject}.x means ${classMeaning[klass]} ${about}.`,
		rfc: 'RFC 3463 §2',
	};
}

// ---------------------------------------------------------------------------------------------
// EHLO keywords (service extensions)
// ---------------------------------------------------------------------------------------------

const extensionTable: Readonly<Record<string, Explanation>> = {
	STARTTLS: {
		summary: 'The server can switch this connection to TLS; afterwards both sides start over with EHLO',
		rfc: 'RFC 3207',
		detail: 'A public MX must not require it (RFC 3207 §4); on port 587 it is required before AUTH.',
	},
	AUTH: {
		summary: 'The server accepts a login (SASL) before mail is sent; the list names the mechanisms',
		rfc: 'RFC 4954',
		detail: '"AUTH=LOGIN PLAIN" is the pre-standard form some servers still send for old clients.',
	},
	PIPELINING: {
		summary: 'The client may send several commands at once without waiting for each reply',
		rfc: 'RFC 2920',
		detail: 'EHLO, DATA, VRFY, EXPN, TURN, QUIT, NOOP and STARTTLS must come last in a group.',
	},
	SIZE: {
		summary: 'The server states the largest message it accepts; MAIL FROM may declare SIZE=n',
		rfc: 'RFC 1870',
		detail: 'A message that is too big gets 552 5.3.4; SIZE 0 means no fixed limit.',
	},
	'8BITMIME': {
		summary: 'The server accepts 8-bit message bodies when MAIL FROM carries BODY=8BITMIME',
		rfc: 'RFC 6152',
	},
	SMTPUTF8: {
		summary: 'The server accepts UTF-8 in addresses and headers (MAIL FROM ... SMTPUTF8)',
		rfc: 'RFC 6531',
		detail: 'Without it, a non-ASCII address is refused with 553 5.6.7.',
	},
	ENHANCEDSTATUSCODES: {
		summary: 'Replies carry an extra x.y.z status code (e.g. 5.1.1) after the three-digit code',
		rfc: 'RFC 2034',
	},
	CHUNKING: {
		summary: 'The client may send the message in sized chunks with BDAT instead of DATA',
		rfc: 'RFC 3030 §2',
		detail: 'Each BDAT names its byte count, so no end-of-data dot and no dot-stuffing are needed.',
	},
	BINARYMIME: {
		summary: 'The server accepts binary MIME bodies (BODY=BINARYMIME), sent with BDAT only',
		rfc: 'RFC 3030 §3',
	},
	DSN: {
		summary: 'Delivery status notifications: the sender may ask for reports (NOTIFY, RET, ENVID, ORCPT)',
		rfc: 'RFC 3461',
	},
	REQUIRETLS: {
		summary: 'A message may demand TLS on every hop (MAIL FROM ... REQUIRETLS); offered only over TLS',
		rfc: 'RFC 8689',
		detail: 'If a later hop cannot promise TLS, the message fails with 5.7.30.',
	},
	VRFY: {summary: 'The server answers VRFY, which asks whether a user or mailbox exists', rfc: 'RFC 5321 §3.5'},
	EXPN: {summary: 'The server answers EXPN, which lists the members of a mailing list', rfc: 'RFC 5321 §3.5'},
	ETRN: {summary: 'A client may ask the server to start sending mail queued for its domain', rfc: 'RFC 1985'},
	HELP: {summary: 'The server answers HELP with information for a human reader', rfc: 'RFC 5321 §4.1.1.8'},
	DELIVERBY: {
		summary: 'The sender may set a delivery deadline (MAIL FROM ... BY=seconds;R or N)',
		rfc: 'RFC 2852',
	},
	MTRK: {summary: 'Message tracking: the sender may later ask what became of the message', rfc: 'RFC 3885'},
	FUTURERELEASE: {
		summary: 'The sender may ask the server to hold the message and release it at a later time',
		rfc: 'RFC 4865',
	},
	XCLIENT: {
		summary: "A trusted proxy may pass on the real client's name, address and login",
		rfc: 'Postfix XCLIENT_README (not an RFC)',
	},
	XFORWARD: {
		summary: "A trusted content filter may pass on the original client's details for logging",
		rfc: 'Postfix XFORWARD_README (not an RFC)',
	},
	PRDR: {
		summary: 'Per-recipient data response: after the message, each recipient gets its own reply',
		rfc: 'draft-hall-prdr (Internet-Draft, not an RFC)',
	},
	LIMITS: {
		summary: 'The server announces its limits up front (e.g. RCPTMAX, MAILMAX) so the client can adapt',
		rfc: 'RFC 9422',
	},
	ATRN: {summary: 'Authenticated TURN: a client that logged in may ask for its queued mail', rfc: 'RFC 2645'},
	BURL: {summary: 'The message may be fetched by the server from an IMAP URL instead of sent', rfc: 'RFC 4468'},
	'MT-PRIORITY': {summary: 'The sender may give the message a priority (MT-PRIORITY=n)', rfc: 'RFC 6710'},
	RRVS: {
		summary: 'Require-recipient-valid-since: refuse delivery if the mailbox changed owner since a date',
		rfc: 'RFC 7293',
	},
	'NO-SOLICITING': {summary: 'The server states which kinds of unsolicited mail it refuses', rfc: 'RFC 3865'},
	SUBMITTER: {summary: 'The sender may name who really submitted the message (SUBMITTER=)', rfc: 'RFC 4405'},
	CHECKPOINT: {summary: 'An interrupted transfer may resume where it stopped', rfc: 'RFC 1845'},
	TURN: {summary: 'Obsolete: the client may ask to swap roles and receive mail; unsafe', rfc: 'RFC 5321 App. F.1'},
	PIPECONNECT: {
		summary: 'A client that remembers this EHLO may send EHLO before the banner next time (saves a round trip)',
		rfc: 'Exim 4.94+ pipe_connect (an Exim extension, not an RFC)',
	},
	X_PIPE_CONNECT: {
		summary: 'Exim\'s earlier name for PIPECONNECT: EHLO may be sent before the banner by a client that remembers it',
		rfc: 'Exim 4.92 pipe_connect (an Exim extension, not an RFC)',
	},
};

const emptyExtensionLine: Explanation = {
	summary: 'An empty line: it names no extension, so there is nothing more on offer here',
	rfc: 'RFC 5321 §4.1.1.1',
};

const unknownExtension: Explanation = {
	summary: 'An extension smtp-tui does not know; servers may advertise private ones (often starting with X).',
	rfc: 'RFC 5321 §4.1.5',
};

// Server text is untrusted: only plain tokens reach our summaries, anything else is escaped.
const tokenPattern = /^[\w.+=:;,/@-]{1,40}$/;

function safeToken(text: string): string {
	if (tokenPattern.test(text)) {
		return text;
	}

	const shown = [...text.slice(0, 40)]
		.map((char) => (/[\p{L}\p{N}\p{P}\p{S}]/u.test(char) ? char : escapeChar(char)))
		.join('');
	return text.length > 40 ? `${shown}…` : shown;
}

function escapeChar(char: string): string {
	const point = char.codePointAt(0) ?? 0;
	return point <= 0xff ? `\\x${point.toString(16).padStart(2, '0')}` : `\\u{${point.toString(16)}}`;
}

// Joins items until the summary would pass the 110-character line budget, then ends with "…".
function fitList(prefix: string, items: readonly string[], budget = 110): string {
	let text = prefix;
	for (const [index, item] of items.entries()) {
		const next = `${text}${index === 0 ? '' : ', '}${item}`;
		if (next.length > budget - 2) {
			return `${text} …`;
		}

		text = next;
	}

	return text;
}

function formatMegabytes(bytes: number): string {
	const mb = bytes / 1_000_000;
	const digits = mb >= 10 ? 1 : mb >= 1 ? 2 : 3;
	return String(Number(mb.toFixed(digits)) || mb.toPrecision(1));
}

function explainSize(base: Explanation, param: string | undefined): Explanation {
	if (param === undefined || !/^\d{1,15}$/.test(param)) {
		return {...base};
	}

	const bytes = Number(param);
	if (bytes === 0) {
		return {...base, summary: 'The server states no fixed message size limit (SIZE 0)'};
	}

	return {
		...base,
		summary: `Largest message the server accepts: about ${formatMegabytes(bytes)} MB (${bytes} bytes)`,
	};
}

// Mechanisms that put a reusable secret on the wire with only base64 around it.
const clearTextMechanisms = new Set(['PLAIN', 'LOGIN', 'XOAUTH2', 'OAUTHBEARER']);

function explainAuth(base: Explanation, mechanisms: readonly string[], preStandard: boolean): Explanation {
	if (mechanisms.length === 0) {
		return {...base};
	}

	const names = mechanisms.map((name) => safeToken(name.toUpperCase()));
	const clear = names.filter((name) => clearTextMechanisms.has(name));
	const prefix = preStandard ? 'Login (SASL, pre-standard AUTH= form) is offered with: ' : 'Login (SASL) is offered with: ';
	return {
		summary: fitList(prefix, names),
		rfc: base.rfc,
		detail:
			clear.length > 0
				? `${clear.join(', ')} send the secret as base64 clear text: only safe over TLS.`
				: base.detail,
	};
}

/** The first line of a multi-line EHLO answer: the server's name, not an extension. */
export const ehloFirstLine: Readonly<Explanation> = {
	summary: 'The server\'s name for itself (and an optional greeting), not an extension: each line after it names one extension it offers, and the line with a space after 250 is the last',
	rfc: 'RFC 5321 §4.1.1.1',
};

/** Explains one EHLO keyword; params are the words after it (SIZE's number, AUTH's mechanisms). */
export function explainExtension(keyword: string, params: string[] = []): Explanation {
	let name = keyword.trim().toUpperCase();
	let words = params;
	let preStandard = false;
	// "AUTH=LOGIN PLAIN" arrives as keyword "AUTH=LOGIN": the first mechanism hides after "=".
	const equals = name.indexOf('=');
	if (equals > 0) {
		const first = keyword.trim().slice(equals + 1);
		name = name.slice(0, equals);
		words = first === '' ? params : [first, ...params];
		preStandard = true;
	}

	if (name === '') {
		return {...emptyExtensionLine};
	}

	const base = extensionTable[name];
	if (!base) {
		return {...unknownExtension};
	}

	switch (name) {
		case 'SIZE': {
			return explainSize(base, words[0]);
		}

		case 'AUTH': {
			return explainAuth(base, words, preStandard);
		}

		case 'LIMITS': {
			return words.length > 0
				? {...base, detail: fitList('Limits announced: ', words.map((word) => safeToken(word)))}
				: {...base};
		}

		default: {
			return {...base};
		}
	}
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

const commandTable: Readonly<Record<string, Explanation>> = {
	HELO: {
		summary: 'Old-style greeting: the client names itself; no extensions are available after it',
		rfc: 'RFC 5321 §4.1.1.1',
	},
	EHLO: {
		summary: 'Extended greeting: the client names itself and the server lists the extensions it offers',
		rfc: 'RFC 5321 §4.1.1.1',
	},
	MAIL: {
		summary: 'Starts a new message and gives the envelope sender (where bounces go)',
		rfc: 'RFC 5321 §4.1.1.2',
	},
	RCPT: {summary: 'Adds one recipient to the message; repeat it for each recipient', rfc: 'RFC 5321 §4.1.1.3'},
	DATA: {
		summary: 'Asks to send the message itself; it ends with a line holding a single dot',
		rfc: 'RFC 5321 §4.1.1.4',
	},
	BDAT: {
		summary: 'Sends the next chunk of exactly n bytes of the message; LAST marks the final chunk',
		rfc: 'RFC 3030 §2',
	},
	RSET: {
		summary: 'Aborts the current message (sender, recipients, data); the connection stays open',
		rfc: 'RFC 5321 §4.1.1.5',
	},
	NOOP: {summary: 'Does nothing; the server answers 250 (checks that it is still there)', rfc: 'RFC 5321 §4.1.1.9'},
	QUIT: {summary: 'Asks the server to close the connection; it answers 221', rfc: 'RFC 5321 §4.1.1.10'},
	VRFY: {
		summary: 'Asks whether a user or mailbox exists; many servers will not say and answer 252',
		rfc: 'RFC 5321 §4.1.1.6',
	},
	EXPN: {
		summary: 'Asks the server to list the members of a mailing list (usually disabled)',
		rfc: 'RFC 5321 §4.1.1.7',
	},
	HELP: {summary: 'Asks the server for help text meant for a human reader', rfc: 'RFC 5321 §4.1.1.8'},
	STARTTLS: {
		summary: 'Asks to upgrade this connection to TLS; after the handshake the client sends EHLO again',
		rfc: 'RFC 3207 §4',
	},
	AUTH: {
		summary: 'Starts a SASL login with the named mechanism, optionally with a first base64 answer',
		rfc: 'RFC 4954 §4',
	},
	ETRN: {summary: 'Asks the server to start delivering the mail it holds for a domain', rfc: 'RFC 1985'},
	TURN: {
		summary: 'Obsolete: asks to swap roles so the server sends mail to the client; unsafe, not used',
		rfc: 'RFC 5321 App. F.1',
	},
	ATRN: {summary: 'Authenticated TURN: a logged-in client asks to receive its queued mail', rfc: 'RFC 2645'},
};

/** Explains an SMTP command verb (case-insensitive). */
export function explainCommand(verb: string): Explanation {
	const known = commandTable[verb.trim().toUpperCase()];
	if (known) {
		return {...known};
	}

	return {
		summary: 'Unrecognised command; servers answer 500 to verbs they do not know (502 if known but off).',
		rfc: 'RFC 5321 §4.2.4',
	};
}

// ---------------------------------------------------------------------------------------------
// SASL mechanisms
// ---------------------------------------------------------------------------------------------

const mechanismTable: Readonly<Record<string, Explanation>> = {
	PLAIN: {
		summary: 'Sends user name and password in one base64 line: clear text, so use it only over TLS',
		rfc: 'RFC 4616',
		detail: 'The line is base64 of authzid NUL user NUL password; base64 hides nothing.',
	},
	LOGIN: {
		summary: 'Sends user name, then password, each base64-encoded: clear text, so use it only over TLS',
		rfc: 'draft-murchison-sasl-login (expired draft, not an RFC)',
		detail: 'The prompts 334 VXNlcm5hbWU6 and 334 UGFzc3dvcmQ6 are base64 for "Username:" and "Password:".',
	},
	'CRAM-MD5': {
		summary: 'Challenge-response with an HMAC-MD5 of the password: the password itself is not sent',
		rfc: 'RFC 2195',
		detail: 'Old: the server must store the password, and a captured exchange can be cracked offline.',
	},
	XOAUTH2: {
		summary: 'Sends an OAuth 2.0 access token (Google, Microsoft): clear text, so use it only over TLS',
		rfc: 'Google XOAUTH2 protocol (not an RFC)',
		detail: 'On error the server sends a 334 with base64 JSON, the client answers an empty line, then 535.',
	},
	OAUTHBEARER: {
		summary: 'Standard OAuth 2.0 login; sends a bearer token in clear text, so use it only over TLS',
		rfc: 'RFC 7628',
	},
	'SCRAM-SHA-1': {
		summary: 'Salted challenge-response: the password never crosses the wire, and the server proves itself',
		rfc: 'RFC 5802',
	},
	'SCRAM-SHA-1-PLUS': {
		summary: 'SCRAM-SHA-1 bound to this TLS connection, so a man in the middle cannot relay it',
		rfc: 'RFC 5802',
	},
	'SCRAM-SHA-256': {
		summary: 'Salted challenge-response with SHA-256: the password never crosses the wire',
		rfc: 'RFC 7677',
	},
	'SCRAM-SHA-256-PLUS': {
		summary: 'SCRAM-SHA-256 bound to this TLS connection, so a man in the middle cannot relay it',
		rfc: 'RFC 7677',
	},
	GSSAPI: {summary: 'Kerberos login with a ticket: no password is sent', rfc: 'RFC 4752'},
	NTLM: {
		summary: 'Microsoft challenge-response login: no clear password, but old and weak',
		rfc: '[MS-SMTPNTLM] (Microsoft, not an RFC)',
	},
	EXTERNAL: {
		summary: 'Uses an identity proven outside SASL, usually a TLS client certificate; no password',
		rfc: 'RFC 4422 App. A',
	},
	'DIGEST-MD5': {
		summary: 'Challenge-response with MD5: no clear password, but obsolete and weak',
		rfc: 'RFC 2831 (made historic by RFC 6331)',
	},
	ANONYMOUS: {summary: 'Logs in without credentials (an optional trace string only)', rfc: 'RFC 4505'},
};

/** Explains a SASL mechanism name, saying whether it exposes the password without TLS. */
export function explainMechanism(name: string): Explanation {
	const known = mechanismTable[name.trim().toUpperCase()];
	if (known) {
		return {...known};
	}

	return {
		summary: 'Unrecognised SASL mechanism; smtp-tui cannot say whether it protects the password.',
		rfc: 'RFC 4422',
	};
}

// ---------------------------------------------------------------------------------------------
// Ready-to-print reply lines
// ---------------------------------------------------------------------------------------------

// What a reply means depends on what it answers: 554 as the greeting is "no service here",
// after RCPT a refused recipient; 220 is the banner, or after STARTTLS "start TLS now".
const inContext: Readonly<Record<number, Partial<Record<StepKind, Explanation>>>> = {
	220: {
		connect: {summary: 'Service ready: the greeting (banner); the client may now say EHLO', rfc: smtpCodes},
		starttls: {summary: 'Ready to start TLS: the handshake begins now, before anything else is sent', rfc: 'RFC 3207 §4'},
	},
	250: {
		ehlo: {summary: 'Hello accepted; the lines after the first list the extensions the server offers', rfc: 'RFC 5321 §4.1.1.1'},
		mail: {summary: 'Sender accepted: the mail transaction has begun', rfc: smtpCodes},
		rcpt: {summary: 'Recipient accepted: the server will take the message for this address', rfc: smtpCodes},
		body: {summary: 'Message accepted: the server has taken responsibility for delivering it', rfc: 'RFC 5321 §4.1.1.4'},
		rset: {summary: 'Transaction reset: sender, recipients and data are forgotten', rfc: smtpCodes},
	},
	554: {
		connect: {summary: 'No SMTP service here: the server refuses the session at the greeting', rfc: 'RFC 5321 §3.1'},
		mail: {summary: 'Sender refused for good, usually by policy (a blocked sender or client)', rfc: smtpCodes},
		rcpt: {summary: 'Recipient refused for good, usually by policy, e.g. "Relay access denied"', rfc: smtpCodes},
		data: {summary: 'DATA refused for good: no valid recipients, or refused by policy', rfc: smtpCodes},
		body: {summary: 'Message refused for good after the final dot, usually by a content or policy check', rfc: smtpCodes},
	},
};

/** The code's explanation as a reply to `step` (the command it answers), else the general one. */
export function explainCodeFor(code: number, step?: StepKind, enhanced?: string): Explanation {
	const specific = step ? inContext[code]?.[step] : undefined;
	if (specific) return {...specific};
	const basic = explainCode(code);
	// A code RFC 5321 does not define (OpenSMTPD's 524, say) is read by its class and the
	// enhanced code beside it, not by a second digit the server may not have meant.
	if (!codeTable[code] && enhanced !== undefined && explainEnhanced(enhanced) && firstDigitMeaning[Math.floor(code / 100)]) {
		return {summary: `A code RFC 5321 does not define; ${Math.floor(code / 100)}xx means ${firstDigitMeaning[Math.floor(code / 100)]}: read the enhanced code beside it`, rfc: 'RFC 5321 §4.2.1'};
	}

	return basic;
}

/**
 * One line for the code and, when given, one for the enhanced code: "250 — text (RFC …)".
 * `step` is the command the reply answers ('connect' for the greeting), when known.
 */
export function explainReplyLines(code: number, enhanced?: string, step?: StepKind): string[] {
	const basic = explainCodeFor(code, step, enhanced);
	const lines = [`${code} — ${basic.summary} (${basic.rfc})`];
	if (enhanced !== undefined) {
		const extra = explainEnhanced(enhanced);
		lines.push(
			extra
				? `${enhanced} — ${extra.summary} (${extra.rfc})`
				: `${safeToken(enhanced)} — Not a valid enhanced status code of the form x.y.z (RFC 3463 §2)`,
		);
	}

	return lines;
}

// ---------------------------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------------------------

export type PortProfileText = {
	port: number;
	name: string;
	purpose: string;
	tls: string;
	expects: string;
	who: string;
	rfc: string;
};

export const portTexts: Record<25 | 465 | 587 | 2525, PortProfileText> = {
	25: {
		port: 25,
		name: 'relay / MX',
		purpose: "Server-to-server delivery: a domain's mail server (MX) takes mail for its own domains",
		tls: 'STARTTLS upgrade, optional on a public MX',
		expects: '220 banner → EHLO → STARTTLS → EHLO again → MAIL → RCPT (its own domains only) → DATA',
		who: 'Mail servers handing mail to each other; home ISPs often block it outbound',
		rfc: 'RFC 5321; RFC 3207 §4',
	},
	465: {
		port: 465,
		name: 'submissions (implicit TLS)',
		purpose: 'Mail programs hand over outgoing mail on a connection encrypted from the start',
		tls: 'TLS from the first byte (implicit TLS)',
		expects: 'TLS handshake → 220 banner → EHLO (AUTH listed, no STARTTLS) → AUTH → MAIL …',
		who: 'Mail programs and apps of users with an account; mail may go anywhere after login',
		rfc: 'RFC 8314 §3.3',
	},
	587: {
		port: 587,
		name: 'submission',
		purpose: 'Mail programs hand over outgoing mail, after upgrading to TLS and logging in',
		tls: 'STARTTLS upgrade, required before AUTH or MAIL',
		expects: '220 banner → EHLO (no AUTH yet) → STARTTLS → EHLO again (AUTH appears) → AUTH → MAIL …',
		who: 'Mail programs and apps of users with an account; mail may go anywhere after login',
		rfc: 'RFC 6409; RFC 3207',
	},
	2525: {
		port: 2525,
		name: 'alternative submission (unofficial)',
		purpose: 'A stand-in for 587 where a network blocks the usual mail ports',
		tls: 'Usually a STARTTLS upgrade as on 587; some providers also allow AUTH without TLS',
		expects: '220 banner → EHLO → STARTTLS → EHLO again → AUTH → MAIL … (provider-dependent)',
		who: 'Customers of mail-sending services whose network blocks 587',
		rfc: 'No RFC: a provider convention that behaves like RFC 6409',
	},
};

export const whySeveralPorts =
	'Port 25 is for server-to-server delivery, and many ISPs block it outbound from home networks. ' +
	'Mail programs submit mail on 587 (STARTTLS, RFC 6409) or 465 (TLS from the start, RFC 8314); ' +
	'2525 is an unofficial alternative some providers offer when 587 is blocked. ' +
	'Articles that give port 487 mean 587: IANA assigns 487 to saft.';

// ---------------------------------------------------------------------------------------------
// Steps of a session
// ---------------------------------------------------------------------------------------------

/** The SMTP steps a session has (transcript.ts defines them once). */
export type ExplainedStep = StepKind;

const stepTable: Readonly<Record<ExplainedStep, Explanation>> = {
	connect: {
		summary: "Open a TCP connection and wait for the server's 220 greeting before saying anything",
		rfc: 'RFC 5321 §3.1',
		detail: 'On port 465 the TLS handshake comes first and the greeting arrives inside TLS.',
	},
	ehlo: {
		summary: 'Say EHLO with our name; the server answers 250 and lists the extensions it offers',
		rfc: 'RFC 5321 §4.1.1.1',
		detail: 'The list can change after STARTTLS: AUTH often appears only once the connection is encrypted.',
	},
	helo: {
		summary: 'Say HELO, the old greeting: every server knows it, but it turns off all extensions',
		rfc: 'RFC 5321 §4.1.1.1',
		detail: 'After HELO there is no STARTTLS, AUTH or PIPELINING; use it only when EHLO is refused.',
	},
	starttls: {
		summary: 'Ask for TLS; on 220 the handshake starts, then both sides forget the session and EHLO repeats',
		rfc: 'RFC 3207 §4.2',
		detail: 'Both sides discard what they learned before TLS, since an attacker could have changed it.',
	},
	auth: {
		summary: 'Log in with a SASL mechanism; the lines until the final reply carry secrets and are masked',
		rfc: 'RFC 4954 §4',
		detail: 'PLAIN and LOGIN only base64-encode the password, so they belong inside TLS.',
	},
	mail: {
		summary: 'Start a message: MAIL FROM gives the envelope sender, where bounces will go',
		rfc: 'RFC 5321 §4.1.1.2',
		detail: 'The envelope sender may differ from the From: header the reader sees.',
	},
	rcpt: {
		summary: 'Name one recipient with RCPT TO; each gets its own reply, so some may fail and others pass',
		rfc: 'RFC 5321 §4.1.1.3',
	},
	data: {
		summary: 'Ask to send the message; the server answers 354 when it is ready to receive it',
		rfc: 'RFC 5321 §4.1.1.4',
	},
	body: {
		summary: 'Send headers, a blank line and the body, dot-stuffed, then a line with only a dot',
		rfc: 'RFC 5321 §4.5.2',
		detail: 'A 250 after the dot means the server has taken responsibility for the message.',
	},
	rset: {
		summary: 'Abort the current message (sender, recipients, data); the connection stays open',
		rfc: 'RFC 5321 §4.1.1.5',
	},
	noop: {
		summary: 'Do nothing; the 250 reply shows the server is still there',
		rfc: 'RFC 5321 §4.1.1.9',
	},
	quit: {
		summary: 'Say goodbye; the server answers 221 and closes the connection',
		rfc: 'RFC 5321 §4.1.1.10',
	},
	manual: {
		summary: 'Send a command typed by hand; it goes on the wire as typed, ended by CRLF',
		rfc: 'RFC 5321 §2.3.8',
		detail: 'CR, LF and NUL inside the typed text are refused, so one line cannot smuggle in another.',
	},
};

/** Said of MAIL FROM:<>, the null reverse-path. */
export const nullSenderNote = 'The empty sender <> (the null reverse-path): the sender of bounces (delivery status notifications) and auto-replies, so that no bounce is ever sent back about a bounce (RFC 5321 §4.5.5, §3.6.3).';

/** Whether a MAIL command names the null reverse-path <>. */
export function isNullSender(line: string): boolean {
	return /^MAIL FROM:\s*<>(?:\s|$)/i.test(line);
}

/**
 * What one line typed after DATA's 354 means: a header field, the blank line, a body line, a
 * dot-stuffed line or the lone dot that ends the message. `inHeader`: no blank line typed yet.
 */
export function explainMessageLine(line: string, inHeader: boolean): string[] {
	if (line === '.') return ['The lone dot on a line of its own (CRLF.CRLF) ends the message; the server now answers whether it takes it (RFC 5321 §4.1.1.4).'];
	const notes: string[] = [];
	if (line.startsWith('.')) {
		notes.push(line.startsWith('..')
			? `Stored as "${line.slice(1)}": the server deletes the first dot of every line that starts with one (dot-stuffing, RFC 5321 §4.5.2). That is how a line that really starts with a dot travels: mail programs double it for you.`
			: `Stored as "${line.slice(1)}": the dot is lost. The server deletes the first dot of every line that starts with one (dot-stuffing, RFC 5321 §4.5.2); to keep it, type it twice ("${`.${line}`}"), as mail programs do.`);
	}

	if (line === '') {
		notes.push(inHeader
			? 'The empty line ends the header section: everything after it is the body the reader sees (RFC 5322 §2.1).'
			: 'An empty line inside the body.');
	} else if (inHeader && /^[ \t]/.test(line)) {
		notes.push('A folded header line: leading white space continues the header field above (RFC 5322 §2.2.3).');
	} else if (inHeader && /^[!-9;-~]+:/.test(line)) {
		notes.push('A header field of the message itself (RFC 5322 §2.2). Mail programs show From:, To: and Subject:, but servers route by the envelope (MAIL FROM and RCPT TO), not by these lines: that is how a From: header can differ from the sender.');
	} else if (inHeader) {
		notes.push('Not a header field (those look like "Name: value"): type an empty line first to end the headers, then the body.');
	} else {
		notes.push('A body line: text the reader sees, at most 998 characters (RFC 5322 §2.1.1). A lone dot ends the message.');
	}

	return notes;
}

/** Explains what a step of the session does and why. */
export function explainStep(step: ExplainedStep): Explanation {
	return {...stepTable[step]};
}
