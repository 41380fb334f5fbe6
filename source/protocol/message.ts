// The message itself: a well-formed RFC 5322 test message, and the DATA encoding that makes it
// safe on the wire. Only CRLF may end a line (RFC 5321 §2.3.8); a bare CR or LF is what SMTP
// smuggling exploits, so every one is turned into CRLF before anything is sent.

import {Buffer} from 'node:buffer';
import {randomBytes} from 'node:crypto';
import {createRequire} from 'node:module';
import * as libbase64 from 'libbase64';
import type Libmime from 'libmime';
import * as libqp from 'libqp';
import addressparser from 'nodemailer/lib/addressparser';
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

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

/**
 * encodeData() on bytes, for a message that must travel byte for byte (8-bit mail that is not
 * UTF-8 included): bare CR and bare LF become CRLF, a leading "." is doubled, a CRLF is added
 * where the last line lacks one, then ".\r\n". No byte is decoded as text.
 */
export function encodeDataBytes(message: Uint8Array): Buffer {
	const out = Buffer.allocUnsafe(message.length * 2 + 5);
	let length = 0;
	let lineStart = true;
	for (let i = 0; i < message.length; i++) {
		const byte = message[i]!;
		if (byte === CR || byte === LF) {
			if (byte === CR && message[i + 1] === LF) i++;
			out[length++] = CR;
			out[length++] = LF;
			lineStart = true;
			continue;
		}

		if (lineStart && byte === DOT) out[length++] = DOT;
		out[length++] = byte;
		lineStart = false;
	}

	if (!lineStart) {
		out[length++] = CR;
		out[length++] = LF;
	}

	out[length++] = DOT;
	out[length++] = CR;
	out[length++] = LF;
	return out.subarray(0, length);
}

/** Whether every byte is 7-bit ASCII. */
export function isAsciiBytes(bytes: Uint8Array): boolean {
	for (const byte of bytes) if (byte > 0x7f) return false;
	return true;
}

export type MessageOptions = {
	from: string;
	to: string[];
	subject?: string;
	date?: Date;
	messageId?: string;
	/** Extra header fields, each "Name: value". */
	headers?: string[];
	/** Text, or bytes (a --body-file that is not UTF-8: sent as an attachment, byte for byte). */
	body?: string | Uint8Array;
	/** The file name a byte body is attached under. */
	bodyName?: string;
	/**
	 * The server takes 8-bit bodies (8BITMIME): a UTF-8 text body travels as it is (8bit).
	 * Without it the body is quoted-printable, 7-bit clean, so any server passes it on intact.
	 */
	eightBit?: boolean;
};

export const defaultSubject = 'smtp-tui test message';
const defaultBody = 'This is a test message sent by smtp-tui.\r\n';
/** RFC 5322 §2.1.1: a line holds at most 998 characters; longer text needs an encoding. */
const maxLineLength = 998;
/** libmime's length for the encoded text of one RFC 2047 word: with "=?UTF-8?Q?" and "?=" it stays under 75. */
const encodedWordText = 52;
/** Header lines are folded at 76 characters (RFC 5322 §2.1.1 recommends 78 at most). */
const foldAt = 76;

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

export function isAscii(text: string): boolean {
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

let loadedMime: typeof Libmime | undefined;

/**
 * libmime, loaded from node_modules on first use and not bundled: with its character-set
 * tables (iconv-lite, 580 KB, a GBK codec built at load) it cost more than the rest of a
 * batch `run` just to be parsed, and a plain ASCII message with short header lines never
 * needs it (non-ASCII text, a header line of 76 characters or more, an attachment do).
 */
function libmime(): typeof Libmime {
	loadedMime ??= createRequire(import.meta.url)('libmime') as typeof Libmime;
	return loadedMime;
}

/** RFC 2047 encoded-words (each under 75 characters) for non-ASCII text; plain ASCII passes through. */
function encodeWords(text: string): string {
	return isAscii(text) ? text : libmime().encodeWords(text, 'Q', encodedWordText);
}

/** "Name: value", folded at whitespace onto continuation lines (RFC 5322 §2.2.3). */
function headerLine(name: string, value: string): string {
	const line = `${name}: ${value}`;
	// libmime.foldLines returns a line shorter than foldAt as it is.
	return normalizeCrlf(line.length < foldAt ? line : libmime().foldLines(line, foldAt));
}

/** Header fields whose value is an address list (RFC 5322 §3.6.2, §3.6.3). */
const addressFields = new Set(['from', 'sender', 'reply-to', 'to', 'cc', 'bcc']);

/**
 * A display name as an RFC 5322 phrase: non-ASCII as encoded-words of the whole name
 * (RFC 2047 §5 (3): never inside a quoted string), ASCII with specials quoted.
 */
function phrase(name: string): string {
	if (!isAscii(name)) return libmime().encodeWord(name, 'Q', encodedWordText);
	if (/^[\w !#$%&'*+\-/=?^`{|}~]*$/.test(name)) return name;
	return `"${name.replace(/[\\"]/g, '\\$&')}"`;
}

type ParsedAddress = {name: string; address?: string; group?: ParsedAddress[]};

function parseAddresses(value: string): ParsedAddress[] {
	return addressparser(value) as ParsedAddress[];
}

function formatAddress(entry: ParsedAddress): string {
	if (entry.group) return `${phrase(entry.name)}: ${entry.group.map(formatAddress).join(', ')};`;
	return entry.name === '' ? entry.address! : `${phrase(entry.name)} <${entry.address}>`;
}

/**
 * An address list as a header field holds it (parsed by nodemailer's addressparser): each
 * display name encoded as a phrase, the address itself outside it and unchanged (a UTF-8
 * address is legal in headers once SMTPUTF8 carries it, RFC 6532; without SMTPUTF8 the
 * session refuses it before MAIL). A value that is not an address list stays as it is.
 */
function headerAddresses(value: string): string {
	const parsed = parseAddresses(value);
	const flat = parsed.flatMap(entry => entry.group ?? [entry]);
	if (parsed.length === 0 || flat.some(entry => !entry.address)) return encodeWords(value.trim());
	return parsed.map(formatAddress).join(', ');
}

/** The addresses the --header address fields (From:, To:, Reply-To:, ...) name. */
export function headerFieldAddresses(headers: string[]): string[] {
	return headers.flatMap(header => {
		const colon = header.indexOf(':');
		if (colon < 0 || !addressFields.has(header.slice(0, colon).trim().toLowerCase())) return [];
		return parseAddresses(header.slice(colon + 1)).flatMap(entry => entry.group ?? [entry]).map(entry => entry.address ?? '');
	});
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

/** Whether the body bytes are text this builder sends as text (valid UTF-8). */
export function decodeTextBody(bytes: Uint8Array): string | undefined {
	try {
		return new TextDecoder('utf-8', {fatal: true, ignoreBOM: true}).decode(bytes);
	} catch {
		return undefined;
	}
}

type Body = {headers: string[]; text: string};

/** An encoder's output with CRLF line ends, ending in one. */
function crlfLines(text: string): string {
	const crlf = normalizeCrlf(text);
	return crlf.endsWith('\r\n') ? crlf : crlf + '\r\n';
}

function textBody(text: string, eightBit: boolean): Body {
	let body = normalizeCrlf(text);
	if (!body.endsWith('\r\n')) body += '\r\n';
	const long = body.split('\r\n').some(line => line.length > maxLineLength);
	if (isAscii(body) && !long) return {headers: [], text: body};
	const mime = ['MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8'];
	// Raw UTF-8 only where the server said it takes 8-bit data, and only in lines it can hold.
	if (eightBit && !long) return {headers: [...mime, 'Content-Transfer-Encoding: 8bit'], text: body};
	return {headers: [...mime, 'Content-Transfer-Encoding: quoted-printable'], text: crlfLines(libqp.wrap(libqp.encode(body), foldAt))};
}

function binaryBody(bytes: Uint8Array, name: string): Body {
	// The bytes go base64 (7-bit, any server), so the recipient gets exactly the file.
	const file = libmime().encodeWords(name.replace(/["\\\r\n]/g, '_'), 'Q', encodedWordText);
	return {
		headers: [
			'MIME-Version: 1.0',
			'Content-Type: application/octet-stream',
			'Content-Transfer-Encoding: base64',
			headerLine('Content-Disposition', `attachment; filename="${file}"`),
		],
		text: crlfLines(libbase64.wrap(libbase64.encode(bytes), foldAt)),
	};
}

/**
 * A complete message with CRLF line endings, ready for encodeData(): header fields with
 * RFC 2047 encoded-words and folding (libmime), the body as 7bit, 8bit or quoted-printable
 * text, or base64 bytes.
 */
export function buildMessage(o: MessageOptions): string {
	const from = checkHeaderValue(o.from, 'From address');
	const to = o.to.map((address) => checkHeaderValue(address, 'To address'));
	const subject = checkHeaderValue(o.subject ?? defaultSubject, 'subject');
	const messageId = checkHeaderValue(o.messageId ?? makeMessageId(from), 'Message-ID');
	const extra = (o.headers ?? []).map((header) => checkExtraHeader(header));
	const given = o.body ?? defaultBody;
	const text = typeof given === 'string' ? given : decodeTextBody(given);
	const body = text === undefined ? binaryBody(given as Uint8Array, o.bodyName ?? 'body.bin') : textBody(text, o.eightBit ?? false);

	// A --header of a default field's name replaces that field (as swaks does): one From, one To.
	const user = extra.map((header) => {
		const colon = header.indexOf(':');
		const name = header.slice(0, colon);
		const value = header.slice(colon + 1).trim();
		return {key: name.toLowerCase(), line: headerLine(name, addressFields.has(name.toLowerCase()) ? headerAddresses(value) : encodeWords(value))};
	});
	const replaced = new Set(user.map(field => field.key));
	const defaults: Array<[string, string]> = [
		['date', `Date: ${formatRfc5322Date(o.date ?? new Date())}`],
		['from', headerLine('From', headerAddresses(from))],
		// No recipients in the header is legal (RFC 5322 §3.6.3: like a Bcc-only message).
		...(to.length > 0 ? [['to', headerLine('To', to.map(headerAddresses).join(', '))] as [string, string]] : []),
		['subject', headerLine('Subject', encodeWords(subject))],
		['message-id', `Message-ID: ${messageId}`],
	];
	const headers = [
		...defaults.filter(([key]) => !replaced.has(key)).map(([, line]) => line),
		...body.headers,
		...user.map(field => field.line),
	];
	return `${headers.join('\r\n')}\r\n\r\n${body.text}`;
}
