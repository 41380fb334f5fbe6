// Command builders. Each returns the line WITHOUT its CRLF (the driver adds it). Every argument is
// checked: a CR or LF would end the line early and let the rest run as another command (command
// injection); NUL is not allowed in SMTP text at all.

import {Buffer} from 'node:buffer';
import {LocalInputError} from './errors.js';
import {hasExtension, type Capabilities} from './ehlo.js';

/** RFC 5321 §4.5.3.1.4: a command line is at most 512 octets, CRLF included. */
export const maxCommandLine = 512;
/** RFC 4954 §4: AUTH command and SASL response lines may be up to 12288 octets, CRLF included. */
export const maxAuthLine = 12_288;

/** Capitalise the first letter so a field name can start a sentence. */
function sentence(field: string): string {
	return field.charAt(0).toUpperCase() + field.slice(1);
}

/** Refuse CR, LF and NUL in a value; `field` names it in the message, e.g. "recipient address". */
export function checkField(value: string, field: string): string {
	if (/[\r\n]/.test(value)) {
		throw new LocalInputError(
			`${sentence(field)} contains a line break (CR or LF), which would let it inject SMTP commands.`,
		);
	}

	if (value.includes('\0')) {
		throw new LocalInputError(`${sentence(field)} contains a NUL character, which SMTP does not allow.`);
	}

	return value;
}

function checkLength(line: string, limit: number, what: string): string {
	const octets = Buffer.byteLength(line, 'utf8') + 2;
	if (octets > limit) {
		const rfc = limit === maxAuthLine ? 'RFC 4954 section 4' : limit === maxMessageLine ? 'RFC 5322 section 2.1.1' : 'RFC 5321 section 4.5.3.1.4';
		throw new LocalInputError(
			`${sentence(what)} would be ${octets} octets long with its CRLF, but SMTP allows at most ${limit} (${rfc}).`,
		);
	}

	return line;
}

function command(line: string): string {
	return checkLength(line, maxCommandLine, `the ${verbOf(line)} command`);
}

function nonEmpty(value: string, field: string): string {
	if (value.trim() === '') {
		throw new LocalInputError(`${sentence(field)} is empty.`);
	}

	return value;
}

/** A domain or address literal for HELO/EHLO: one word, no spaces. */
function checkHostName(domain: string, verb: string): string {
	const field = `the ${verb} name`;
	checkField(domain, field);
	nonEmpty(domain, field);
	if (/\s/.test(domain)) {
		throw new LocalInputError(`${sentence(field)} contains a space, but it must be a single domain or address literal.`);
	}

	return domain;
}

/** Accept "a@b" or "<a@b>"; the brackets are ours to add. */
function bareAddress(address: string, field: string): string {
	checkField(address, field);
	const trimmed = address.trim();
	return trimmed.startsWith('<') && trimmed.endsWith('>') ? trimmed.slice(1, -1) : trimmed;
}

export function helo(domain: string): string {
	return command(`HELO ${checkHostName(domain, 'HELO')}`);
}

export function ehlo(domain: string): string {
	return command(`EHLO ${checkHostName(domain, 'EHLO')}`);
}

export function starttls(): string {
	return 'STARTTLS';
}

/**
 * `AUTH mechanism [initial-response]`. An empty initial response is sent as "=" (RFC 4954 §4),
 * because an empty string would mean "no initial response".
 */
export function auth(mechanism: string, initialResponse?: string): string {
	checkField(mechanism, 'the AUTH mechanism');
	if (!/^[A-Za-z0-9_-]{1,20}$/.test(mechanism)) {
		throw new LocalInputError(
			'The AUTH mechanism must be 1 to 20 letters, digits, hyphens or underscores (RFC 4422 section 3.1).',
		);
	}

	let line = `AUTH ${mechanism.toUpperCase()}`;
	if (initialResponse !== undefined) {
		checkField(initialResponse, 'the AUTH initial response');
		line += ` ${initialResponse === '' ? '=' : initialResponse}`;
	}

	return checkLength(line, maxAuthLine, 'the AUTH command');
}

export type MailParams = {size?: number; body?: '7BIT' | '8BITMIME'; smtputf8?: boolean};

/**
 * `MAIL FROM:<address>` with only the parameters the server advertised: SIZE= needs SIZE,
 * BODY= needs 8BITMIME, SMTPUTF8 needs SMTPUTF8. Without `caps` (a HELO session) no
 * parameters are sent, since a server that did not answer EHLO knows no extensions. An empty
 * address is the null sender `<>` used for bounces.
 */
export function mailFrom(address: string, params?: MailParams, caps?: Capabilities): string {
	let line = `MAIL FROM:<${bareAddress(address, 'the sender address')}>`;
	if (params?.size !== undefined) {
		if (!Number.isSafeInteger(params.size) || params.size < 0) {
			throw new LocalInputError('The message size must be a whole number of bytes, zero or more.');
		}

		if (caps && hasExtension(caps, 'SIZE')) {
			line += ` SIZE=${params.size}`;
		}
	}

	if (params?.body !== undefined && caps && hasExtension(caps, '8BITMIME')) {
		line += ` BODY=${params.body}`;
	}

	if (params?.smtputf8 && caps && hasExtension(caps, 'SMTPUTF8')) {
		line += ' SMTPUTF8';
	}

	return command(line);
}

export function rcptTo(address: string): string {
	const field = 'the recipient address';
	const bare = bareAddress(address, field);
	nonEmpty(bare, field);
	return command(`RCPT TO:<${bare}>`);
}

export function data(): string {
	return 'DATA';
}

/** `BDAT size [LAST]` (RFC 3030); the chunk's bytes follow the line, without dot-stuffing. */
export function bdat(size: number, last: boolean): string {
	if (!Number.isSafeInteger(size) || size < 0) {
		throw new LocalInputError('The BDAT chunk size must be a whole number of bytes, zero or more.');
	}

	return last ? `BDAT ${size} LAST` : `BDAT ${size}`;
}

export function rset(): string {
	return 'RSET';
}

export function noop(): string {
	return 'NOOP';
}

export function vrfy(arg: string): string {
	const field = 'the VRFY argument';
	checkField(arg, field);
	nonEmpty(arg, field);
	return command(`VRFY ${arg.trim()}`);
}

export function quit(): string {
	return 'QUIT';
}

/** Upper-case first word of a command line, e.g. "MAIL" for "mail from:<a@b>". */
export function verbOf(line: string): string {
	return (line.trimStart().split(/\s/, 1)[0] ?? '').toUpperCase();
}

/**
 * Check a command typed by hand: no CR/LF/NUL, not empty, not over the length limit (12288 for
 * AUTH, 512 otherwise). Returns the line without trailing spaces or tabs.
 */
export function validateCommandLine(line: string): string {
	checkField(line, 'the command');
	const trimmed = line.replace(/[ \t]+$/, '');
	nonEmpty(trimmed, 'the command');
	const limit = verbOf(trimmed) === 'AUTH' ? maxAuthLine : maxCommandLine;
	return checkLength(trimmed, limit, 'the command');
}

/** RFC 5322 §2.1.1: a message line is at most 998 characters plus CRLF. */
export const maxMessageLine = 1000;

/** Check a message line typed by hand after DATA's 354: it may be empty; no CR, LF or NUL. */
export function validateMessageLine(line: string): string {
	checkField(line, 'the message line');
	return checkLength(line, maxMessageLine, 'the message line');
}

/**
 * Check a SASL response typed by hand (the answer to a 334). Unlike a command it may be empty
 * (XOAUTH2 acknowledges an error that way) and may be up to 12288 octets.
 */
export function validateResponseLine(line: string): string {
	checkField(line, 'the SASL response');
	const trimmed = line.replace(/[ \t]+$/, '');
	return checkLength(trimmed, maxAuthLine, 'the SASL response');
}

export const knownVerbs: string[] = [
	'HELO',
	'EHLO',
	'MAIL',
	'RCPT',
	'DATA',
	'BDAT',
	'RSET',
	'NOOP',
	'QUIT',
	'VRFY',
	'EXPN',
	'HELP',
	'STARTTLS',
	'AUTH',
	'ETRN',
];

/** Verbs starting with `prefix` (any case); empty prefix gives all; nothing once past the verb. */
export function completeVerb(prefix: string): string[] {
	const wanted = prefix.trimStart().toUpperCase();
	if (/\s/.test(wanted)) {
		return [];
	}

	return knownVerbs.filter((verb) => verb.startsWith(wanted));
}
