// What the inbox shows of a captured message: parsed with mailparser, and every string made
// terminal-safe on the way out. A captured message is untrusted input (anyone who can reach
// the lab can send one), so nothing from it reaches the screen without safeText().
// Types only at load: mailparser (with iconv-lite's tables, about 1 MB) is imported when
// the first message is opened, not while the first screen is being drawn.
import type {AddressObject, HeaderValue, ParsedMail} from 'mailparser';
import type {CheckReport} from '../checks/message-checks.js';
import type {CapturedMessage} from '../lab/index.js';
import {safeText} from './terminal-text.js';
import {glyphs} from './glyphs.js';
import {nullSenderNote} from '../protocol/explain.js';

export type InboxPart = {filename?: string; contentType: string; size: number};

export type InboxMessage = {
	/** The From header, decoded; the envelope sender when the message has none. */
	from: string;
	/** The To header(s), decoded; the envelope recipients when the message has none. */
	to: string;
	subject: string;
	/** The Date header as written, or '' when there is none. */
	date: string;
	/** Every header field in order, unfolded; RFC 2047 encoded words decoded. */
	headers: Array<[string, string]>;
	/** The plain-text body (made from the HTML when there is no text part), one entry per line. */
	text: string[];
	/** Attachments and other non-text parts. */
	parts: InboxPart[];
	/** Why the message could not be parsed, when it could not (the raw view still works). */
	problem?: string;
};

const tabWidth = 8;

/** Safe for the terminal, tabs expanded (Ink measures a tab as no width at all). */
export function displayText(text: string): string {
	const safe = safeText(text);
	if (!safe.includes('\t')) return safe;
	let out = '';
	for (const char of safe) {
		out += char === '\t' ? ' '.repeat(tabWidth - (out.length % tabWidth)) : char;
	}

	return out;
}

function unfold(value: string): string {
	return value.replace(/\r?\n[ \t]+/g, ' ').replace(/\r?\n$/, '');
}

function addressText(value: AddressObject | AddressObject[] | undefined): string | undefined {
	if (!value) return undefined;
	return (Array.isArray(value) ? value : [value]).map(address => address.text).join(', ');
}

/** The decoded value of the `occurrence`-th header named `key`, when mailparser has a plain one. */
function decodedHeader(value: HeaderValue | undefined, occurrence: number): string | undefined {
	const one = Array.isArray(value) ? value[occurrence] : occurrence === 0 ? value : undefined;
	if (typeof one === 'string') return one;
	if (one && typeof one === 'object' && 'text' in one && typeof one.text === 'string') return one.text;
	return undefined;
}

/** mailparser keeps header lines as binary strings: raw 8-bit (RFC 6532 UTF-8) bytes undone. */
function headerLineText(line: string): string {
	return decodeBytes(Buffer.from(line, 'latin1'));
}

function headerPairs(parsed: ParsedMail): Array<[string, string]> {
	const seen = new Map<string, number>();
	return parsed.headerLines.map(({key, line: binary}): [string, string] => {
		const line = headerLineText(binary);
		const colon = line.indexOf(':');
		const name = colon >= 0 ? line.slice(0, colon) : key;
		const raw = unfold(colon >= 0 ? line.slice(colon + 1) : '').trim();
		const occurrence = seen.get(key) ?? 0;
		seen.set(key, occurrence + 1);
		// Shown as sent, except that encoded words (=?UTF-8?B?…?=) are decoded for reading.
		const value = raw.includes('=?') ? decodedHeader(parsed.headers.get(key), occurrence) ?? raw : raw;
		return [displayText(name), displayText(value)];
	});
}

function textLines(text: string | undefined): string[] {
	if (text === undefined || text === '') return [];
	return text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n').map(line => displayText(line));
}

function envelopeFallback(message: CapturedMessage): Pick<InboxMessage, 'from' | 'to'> {
	return {from: displayText(message.mailFrom || '<>'), to: displayText(message.rcptTo.join(', '))};
}

/** Parses a captured message for display. Never throws: a broken message gets `problem`. */
export async function parseCapturedMessage(message: CapturedMessage): Promise<InboxMessage> {
	let parsed: ParsedMail;
	try {
		const {simpleParser} = await import('mailparser');
		parsed = await simpleParser(message.raw, {
			skipTextToHtml: true,
			skipTextLinks: true,
			keepCidLinks: true,
			checksumAlgo: false,
			// Converting a huge HTML part to text is slow; past this it is listed, not converted.
			maxHtmlLengthToParse: 2_000_000,
		});
	} catch (error) {
		return {
			...envelopeFallback(message),
			subject: '',
			date: '',
			headers: [],
			text: [],
			parts: [],
			problem: displayText(`The message could not be parsed: ${(error as Error).message}`),
		};
	}

	const envelope = envelopeFallback(message);
	const from = addressText(parsed.from);
	const to = addressText(parsed.to);
	const date = parsed.headerLines.find(header => header.key === 'date');
	return {
		// "From: <>" or an empty From: names nobody: the envelope sender says who (<> for a bounce).
		from: from === undefined || from.trim() === '' ? envelope.from : displayText(from),
		to: to === undefined ? envelope.to : displayText(to),
		subject: displayText(parsed.subject ?? ''),
		date: date ? displayText(unfold(headerLineText(date.line).replace(/^[^:]*:/, '')).trim()) : '',
		headers: headerPairs(parsed),
		text: textLines(parsed.text),
		parts: parsed.attachments.map(part => ({
			...(part.filename === undefined ? {} : {filename: displayText(part.filename)}),
			contentType: displayText(part.contentType),
			size: part.size,
		})),
	};
}

const parsedCache = new WeakMap<CapturedMessage, Promise<InboxMessage>>();

/** parseCapturedMessage, once per message (the list and the message view share it). */
export async function parseCached(message: CapturedMessage): Promise<InboxMessage> {
	let parsing = parsedCache.get(message);
	if (!parsing) {
		parsing = parseCapturedMessage(message);
		parsedCache.set(message, parsing);
	}

	return parsing;
}

export function formatSize(bytes: number): string {
	if (bytes < 1024) return `${bytes} B`;
	if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
	return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Cuts a display line into pieces of at most `width` characters (by code point). */
export function wrap(line: string, width: number): string[] {
	const chars = [...line];
	if (chars.length <= width || width < 1) return [line];
	const pieces: string[] = [];
	for (let start = 0; start < chars.length; start += width) pieces.push(chars.slice(start, start + width).join(''));
	return pieces;
}

export type ViewLine = {text: string; tone?: 'heading' | 'dim' | 'problem'};

function wrapped(text: string, width: number, tone?: ViewLine['tone'], indent = ''): ViewLine[] {
	return wrap(text, width - indent.length).map((piece, index) => ({text: index === 0 ? piece : indent + piece, tone}));
}

/** The message view as lines already cut to `width`, so scrolling counts real rows. */
export function messageViewLines(captured: CapturedMessage, message: InboxMessage, width: number): ViewLine[] {
	const lines: ViewLine[] = [];
	const add = (text: string, tone?: ViewLine['tone'], indent = '  ') => lines.push(...wrapped(text, width, tone, indent));
	if (message.problem) add(message.problem, 'problem');
	add('Envelope (what SMTP said)', 'heading');
	add(`  MAIL FROM:<${displayText(captured.mailFrom)}>  RCPT TO:${captured.rcptTo.map(to => `<${displayText(to)}>`).join(' ')}`, undefined, '    ');
	if (captured.mailFrom === '') add(`  ${nullSenderNote}`, 'dim', '    ');
	const facts = [
		`port ${captured.port} (listening on ${captured.listenPort})`,
		captured.tls ? `TLS ${glyphs.lockBadge}`.trimEnd() : 'no TLS',
		captured.user === undefined ? 'not logged in' : `logged in as ${displayText(captured.user)}`,
		formatSize(captured.raw.length),
		`queued as ${displayText(captured.id)}`,
		`received ${captured.receivedAt.toISOString()}`,
	];
	add(`  ${facts.join(` ${glyphs.dot} `)}`, 'dim', '    ');
	lines.push({text: ''});
	add(`Headers (${message.headers.length})`, 'heading');
	for (const [name, value] of message.headers) add(`  ${name}: ${value}`, undefined, '      ');
	lines.push({text: ''});
	add(message.parts.length === 0 ? 'Parts: none besides the text' : `Parts (${message.parts.length})`, 'heading');
	for (const part of message.parts) {
		add(`  ${part.filename ?? '(no file name)'}  ${part.contentType}  ${formatSize(part.size)}`, undefined, '      ');
	}

	lines.push({text: ''});
	add('Body', 'heading');
	if (message.text.length === 0) add('(no text body)', 'dim');
	for (const line of message.text) lines.push(...wrapped(line, width));
	return lines;
}

/** Byte offsets where each line of `raw` starts (lines end in LF; a final LF opens no line). */
export function rawLineStarts(raw: Buffer): number[] {
	const starts: number[] = [];
	let start = 0;
	while (start < raw.length) {
		starts.push(start);
		const lf = raw.indexOf(0x0a, start);
		if (lf === -1) break;
		start = lf + 1;
	}

	return starts;
}

const strictUtf8 = new TextDecoder('utf-8', {fatal: true});

function tryUtf8(bytes: Uint8Array): string | undefined {
	try {
		return strictUtf8.decode(bytes);
	} catch {
		return undefined;
	}
}

/** UTF-8 where the bytes are UTF-8; any other byte as a visible `\xNN` (never U+FFFD). */
export function decodeBytes(bytes: Uint8Array): string {
	const whole = tryUtf8(bytes);
	if (whole !== undefined) return whole;
	let out = '';
	let index = 0;
	while (index < bytes.length) {
		const byte = bytes[index]!;
		if (byte < 0x80) {
			out += String.fromCharCode(byte);
			index++;
			continue;
		}

		const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc2 ? 2 : 0;
		const char = length > 0 && index + length <= bytes.length ? tryUtf8(bytes.subarray(index, index + length)) : undefined;
		if (char === undefined) {
			out += `\\x${byte.toString(16).padStart(2, '0')}`;
			index++;
		} else {
			out += char;
			index += length;
		}
	}

	return out;
}

/** Line `index` of the raw message, as it may be shown: CRLF dropped, everything else escaped. */
export function rawLine(raw: Buffer, starts: readonly number[], index: number): string {
	const start = starts[index];
	if (start === undefined) return '';
	let end = starts[index + 1] ?? raw.length;
	if (end > start && raw[end - 1] === 0x0a) end--;
	if (end > start && raw[end - 1] === 0x0d) end--;
	return displayText(decodeBytes(raw.subarray(start, end)));
}

/** The Checks view of a message: authentication results, then each finding with its rule. */
export function checkViewLines(report: CheckReport | undefined, width: number): ViewLine[] {
	if (!report) return [{text: `Checking${glyphs.ellipsis}`, tone: 'dim'}];
	const lines: ViewLine[] = [];
	const auth = Object.entries(report.authentication);
	lines.push({text: `Authentication (${report.authenticationClaim ? displayText(report.authenticationClaim.note) : 'from Authentication-Results:'})`, tone: 'heading'});
	lines.push(...wrapped(auth.length > 0 ? auth.map(([method, result]) => `${method}=${result}`).join('  ') : 'none: the message has not been through a receiving MX that checks (the journey\'s MX does).', width, undefined, '  '));
	for (const group of ['structure', 'mime', 'bulk', 'authentication'] as const) {
		const mine = report.findings.filter(item => item.group === group);
		lines.push({text: ''}, {text: `${group === 'mime' ? 'MIME' : group === 'bulk' ? 'Bulk-sender rules' : group[0]!.toUpperCase() + group.slice(1)}: ${mine.length === 0 ? 'nothing found' : `${mine.length} finding${mine.length === 1 ? '' : 's'}`}`, tone: 'heading'});
		for (const item of mine) {
			lines.push(...wrapped(displayText(`${item.severity.padEnd(7)} ${item.rule}: ${item.message} (${item.reference})`), width, item.severity === 'error' ? 'problem' : item.severity === 'info' ? 'dim' : undefined, '        '));
		}
	}

	const {error, warning, info} = report.counts;
	lines.push({text: ''}, {text: `${error} error${error === 1 ? '' : 's'}, ${warning} warning${warning === 1 ? '' : 's'}, ${info} note${info === 1 ? '' : 's'} (smtp-tui check FILE.eml prints the same)`, tone: 'dim'});
	return lines;
}

const checkCache = new WeakMap<CapturedMessage, Promise<CheckReport>>();

/** The checks of a captured message, once per message. */
export async function checksCached(message: CapturedMessage): Promise<CheckReport> {
	let checking = checkCache.get(message);
	if (!checking) {
		checking = import('../checks/message-checks.js').then(async ({checkMessage}) => checkMessage(message.raw));
		checkCache.set(message, checking);
	}

	return checking;
}
