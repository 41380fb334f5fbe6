// The message itself: a well-formed RFC 5322 test message, and the DATA encoding that makes it
// safe on the wire. Only CRLF may end a line (RFC 5321 §2.3.8); a bare CR or LF is what SMTP
// smuggling exploits, so every one is turned into CRLF before anything is sent.

import {Buffer} from 'node:buffer';
import {randomBytes} from 'node:crypto';
import {LocalInputError} from './errors.js';

/** Bare CR and bare LF become CRLF; existing CRLF pairs stay as they are. */
export function normalizeCrlf(text: string): string {
	return text.replace(/\r\n|\r|\n/g, '\r\n');
}

/** Double a leading "." on every line (RFC 5321 §4.5.2), so no line can read as the end marker. */
export function dotStuff(textCrlf: string): string {
	return textCrlf.replace(/(^|\r\n)\./g, '$1..');
}

/**
 * The full bytes to write after 354: normalised, dot-stuffed, ending in CRLF, then ".\r\n".
 * An empty body is just ".\r\n" (the CRLF before it is the one that ended the DATA command).
 */
export function encodeData(body: string): string {
	let text = dotStuff(normalizeCrlf(body));
	if (text !== '' && !text.endsWith('\r\n')) {
		text += '\r\n';
	}

	return `${text}.\r\n`;
}

export type MessageOptions = {
	from: string;
	to: string[];
	subject?: string;
	date?: Date;
	messageId?: string;
	/** Extra header fields, each "Name: value". */
	headers?: string[];
	body?: string;
};

export const defaultSubject = 'smtp-tui test message';
const defaultBody = 'This is a test message sent by smtp-tui.\r\n';

const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function two(n: number): string {
	return String(n).padStart(2, '0');
}

/** RFC 5322 §3.3 date-time, in UTC so the output does not depend on the machine's time zone. */
export function formatRfc5322Date(date: Date): string {
	const day = days[date.getUTCDay()]!;
	const month = months[date.getUTCMonth()]!;
	const time = `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
	return `${day}, ${date.getUTCDate()} ${month} ${date.getUTCFullYear()} ${time} +0000`;
}

function isAscii(text: string): boolean {
	return /^[\x00-\x7F]*$/.test(text);
}

function checkHeaderValue(value: string, what: string): string {
	if (/[\r\n]/.test(value)) {
		throw new LocalInputError(`The ${what} contains a line break (CR or LF), which would let it inject header fields.`);
	}

	if (value.includes('\0')) {
		throw new LocalInputError(`The ${what} contains a NUL character, which a message header may not hold.`);
	}

	return value;
}

/** RFC 2047 encoded-word for a non-ASCII subject; plain ASCII passes through. */
function encodeSubject(subject: string): string {
	return isAscii(subject) ? subject : `=?UTF-8?B?${Buffer.from(subject, 'utf8').toString('base64')}?=`;
}

/** The domain of an address such as "a@b.example" or "Alice <a@b.example>". */
function domainOf(address: string): string {
	const match = /@([^>\s@]+)>?\s*$/.exec(address);
	return match?.[1] ?? 'smtp-tui.invalid';
}

export function makeMessageId(from: string): string {
	const unique = `${Date.now().toString(36)}.${randomBytes(9).toString('hex')}`;
	return `<${unique}@${domainOf(from)}>`;
}

function checkExtraHeader(header: string): string {
	checkHeaderValue(header, 'header field');
	if (!/^[!-9;-~]+:/.test(header)) {
		throw new LocalInputError(`The header field "${header}" must look like "Name: value".`);
	}

	return header;
}

/** A complete message with CRLF line endings, ready for encodeData(). */
export function buildMessage(o: MessageOptions): string {
	const from = checkHeaderValue(o.from, 'From address');
	const to = o.to.map((address) => checkHeaderValue(address, 'To address'));
	const subject = checkHeaderValue(o.subject ?? defaultSubject, 'subject');
	const messageId = checkHeaderValue(o.messageId ?? makeMessageId(from), 'Message-ID');
	const extra = (o.headers ?? []).map((header) => checkExtraHeader(header));
	let body = normalizeCrlf(o.body ?? defaultBody);
	if (!body.endsWith('\r\n')) {
		body += '\r\n';
	}

	const headers = [
		`Date: ${formatRfc5322Date(o.date ?? new Date())}`,
		`From: ${from}`,
		// No recipients in the header is legal (RFC 5322 §3.6.3: like a Bcc-only message).
		...(to.length > 0 ? [`To: ${to.join(', ')}`] : []),
		`Subject: ${encodeSubject(subject)}`,
		`Message-ID: ${messageId}`,
	];
	if (!isAscii(body)) {
		headers.push('MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit');
	}

	headers.push(...extra);
	return `${headers.join('\r\n')}\r\n\r\n${body}`;
}
