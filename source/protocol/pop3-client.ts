// The client side of POP3 (RFC 1939, CAPA RFC 2449, STLS RFC 2595) without I/O, in the style of
// python-hyper/h11: `send()` says what a command puts on the wire and what answer it waits for,
// `receiveData()` takes whatever bytes arrived, `nextEvent()` hands out whole responses (single-
// line or dot-terminated multi-line, byte-stuffing undone) in order. No socket, timer or promise.
//
// - After a +OK to STLS the conversation stops reading: the driver must start TLS, and whatever
//   came before the handshake is `takeRemainder()`, never a response (response injection).
// - Bytes that arrive while no command waits are not parsed: `takeUnsolicited()` returns them, so
//   a server talking out of turn is shown, never believed as the next command's answer.
// - The peer's faults are Pop3ParseErrors (RemoteProtocolError); our misuse is a Pop3UsageError.

import {Buffer} from 'node:buffer';
import {LocalInputError, RemoteProtocolError, type RemoteProtocolErrorKind} from './errors.js';
import type {Pop3Status} from './pop3-explain.js';
import {safeText} from './safe-text.js';

export type Pop3Response = {
	ok: boolean;
	status: Pop3Status;
	/** Text after the status word; may start with a response code such as "[AUTH]". */
	text: string;
	/** The RFC 2449 response code without its brackets ("AUTH", "SYS/TEMP"), when present. */
	code?: string;
	/** The status line as received, without its line ending. Untrusted: render through safeText(). */
	raw: string;
	/** A multi-line response's lines as received (still byte-stuffed), without the final ".". */
	rawLines: string[];
	/** A multi-line response's content, byte-stuffing undone, every line ended by CRLF: for RETR, the message's exact bytes. */
	data?: Buffer;
	/** Some line ended with a bare LF instead of CRLF (a deviation worth showing). */
	bareLf: boolean;
};

export type Pop3ParserLimits = {
	/** Longest status line, in bytes without its line ending (RFC 2449 §4: 512 with CRLF; some slack). */
	maxStatusLength: number;
	/** Longest line inside a multi-line response (a message line). */
	maxLineLength: number;
	/** Most bytes held for responses not yet taken (a whole message while RETR arrives). */
	maxBuffered: number;
};

export const defaultPop3ParserLimits: Pop3ParserLimits = {
	maxStatusLength: 1024,
	maxLineLength: 1024 * 1024,
	// The lab takes messages up to 10,240,000 bytes; byte-stuffing adds a little.
	maxBuffered: 32 * 1024 * 1024,
};

/** The server broke POP3's format, or sent more than the parser will hold. */
export class Pop3ParseError extends RemoteProtocolError {}

type Line = {bytes: Buffer; bareLf: boolean};

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const statusShape = /^(\+OK|-ERR)(?:[ \t](.*))?$/s;
const codeShape = /^\[([^\]\s]+)\]/;

/**
 * Splits bytes into lines and lines into responses. Whether a response is multi-line depends on
 * the command it answers, so the caller says so when it takes one: take(true) after RETR, CAPA,
 * LIST and UIDL without argument, TOP. Any split of the same bytes gives the same responses.
 */
export class Pop3ResponseParser {
	private readonly limits: Pop3ParserLimits;
	private lines: Line[] = [];
	private linesBytes = 0;
	private partial: Buffer[] = [];
	private partialLength = 0;
	/** Where the search for a multi-line terminator goes on (lines before it hold no "."). */
	private scanFrom = 1;

	constructor(limits?: Partial<Pop3ParserLimits>) {
		this.limits = {...defaultPop3ParserLimits, ...limits};
	}

	/** Bytes held that no response has taken yet. */
	get buffered(): number {
		return this.linesBytes + this.partialLength;
	}

	/** Adds received bytes; throws a Pop3ParseError when a cap would be broken. */
	feed(chunk: Uint8Array): void {
		const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
		let pos = 0;
		while (pos < bytes.length) {
			const lf = bytes.indexOf(LF, pos);
			const piece = bytes.subarray(pos, lf === -1 ? bytes.length : lf);
			this.hold(piece);
			if (lf === -1) break;
			this.endLine();
			pos = lf + 1;
		}
	}

	/**
	 * The next whole response, or undefined while it is incomplete. `multiLine`: the command
	 * answered expects a dot-terminated body after +OK (a -ERR is always one line).
	 */
	take(multiLine: boolean): Pop3Response | undefined {
		const first = this.lines[0];
		if (!first) return undefined;
		const status = parseStatus(first);
		if (!multiLine || !status.ok) {
			this.consume(1);
			return status;
		}

		for (let index = this.scanFrom; index < this.lines.length; index++) {
			const line = this.lines[index]!;
			if (line.bytes.length === 1 && line.bytes[0] === DOT) {
				const body = this.lines.slice(1, index);
				this.consume(index + 1);
				return withBody(status, body, first.bareLf || line.bareLf);
			}
		}

		this.scanFrom = this.lines.length;
		return undefined;
	}

	/** Returns and forgets everything held (bytes a server sent after its +OK to STLS). */
	takeRemainder(): Buffer {
		const parts: Buffer[] = [];
		for (const line of this.lines) parts.push(line.bytes, Buffer.from(line.bareLf ? '\n' : '\r\n'));
		parts.push(...this.partial);
		this.lines = [];
		this.linesBytes = 0;
		this.partial = [];
		this.partialLength = 0;
		this.scanFrom = 1;
		return Buffer.concat(parts);
	}

	private consume(count: number): void {
		const taken = this.lines.splice(0, count);
		for (const line of taken) this.linesBytes -= line.bytes.length + 2;
		this.scanFrom = 1;
	}

	private hold(piece: Buffer): void {
		if (piece.length === 0) return;
		const length = this.partialLength + piece.length;
		// A CR at the end may be the first half of CRLF: it does not count towards the line.
		const counted = piece[piece.length - 1] === CR ? length - 1 : length;
		const cap = this.lines.length === 0 ? this.limits.maxStatusLength : this.limits.maxLineLength;
		if (counted > cap) throw parseError('line-too-long', `The server sent a line longer than ${cap} bytes.`);
		if (this.linesBytes + length > this.limits.maxBuffered) {
			throw parseError('too-much-buffered', `The server sent more than ${this.limits.maxBuffered} bytes without finishing a response.`);
		}

		// Copied: the caller may reuse its buffer after feed() returns.
		this.partial.push(Buffer.from(piece));
		this.partialLength = length;
	}

	private endLine(): void {
		const whole = Buffer.concat(this.partial, this.partialLength);
		this.partial = [];
		this.partialLength = 0;
		const crlf = whole.length > 0 && whole[whole.length - 1] === CR;
		const bytes = crlf ? whole.subarray(0, -1) : whole;
		this.lines.push({bytes, bareLf: !crlf});
		// Counted as if CRLF-ended, so the total matches what take() hands out.
		this.linesBytes += bytes.length + 2;
	}
}

function parseError(kind: RemoteProtocolErrorKind, message: string): Pop3ParseError {
	return new Pop3ParseError(kind, message);
}

function parseStatus(line: Line): Pop3Response {
	const raw = line.bytes.toString('utf8');
	const match = statusShape.exec(raw);
	if (!match) {
		const shown = raw.length > 60 ? `${raw.slice(0, 60)}…` : raw;
		throw parseError('malformed', `The server sent a line that is not a POP3 status (+OK or -ERR): "${safeText(shown)}".`);
	}

	const text = match[2] ?? '';
	const code = codeShape.exec(text)?.[1];
	return {ok: match[1] === '+OK', status: match[1] as Pop3Status, text, ...(code ? {code} : {}), raw, rawLines: [], bareLf: line.bareLf};
}

function withBody(status: Pop3Response, body: Line[], bareLf: boolean): Pop3Response {
	const crlf = Buffer.from('\r\n');
	const parts: Buffer[] = [];
	for (const line of body) {
		// RFC 1939 §3: a line that starts with "." had one more "." put in front of it.
		parts.push(line.bytes[0] === DOT ? line.bytes.subarray(1) : line.bytes, crlf);
	}

	return {
		...status,
		rawLines: body.map(line => line.bytes.toString('utf8')),
		data: Buffer.concat(parts),
		bareLf: bareLf || body.some(line => line.bareLf),
	};
}

/** True when `line`'s +OK answer is dot-terminated (RFC 1939 §5, RFC 2449 §5). */
export function expectsMultiLine(line: string): boolean {
	const [verb = '', ...args] = line.trim().split(/\s+/);
	switch (verb.toUpperCase()) {
		case 'CAPA':
		case 'RETR':
		case 'TOP':
			return true;
		case 'LIST':
		case 'UIDL':
			return args.length === 0;
		default:
			return false;
	}
}

/** RFC 2449 §4: a command is at most 255 octets with its CRLF. */
const maxCommandLength = 253;

/** Refuses a command line that could inject another (CR, LF, NUL), is empty, or too long. */
export function checkPop3Line(line: string, what = 'the command'): string {
	if (/[\r\n\0]/.test(line)) throw new LocalInputError(`${capitalise(what)} contains CR, LF or NUL, which would let it inject another command.`);
	const trimmed = line.replace(/[ \t]+$/, '');
	if (trimmed.trim() === '') throw new LocalInputError(`${capitalise(what)} is empty.`);
	if (Buffer.byteLength(trimmed) > maxCommandLength) throw new LocalInputError(`${capitalise(what)} is longer than POP3's ${maxCommandLength + 2} octets (RFC 2449 §4).`);
	return trimmed;
}

function capitalise(text: string): string {
	return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The verb of a command line, upper-cased ("RETR 1" → "RETR"). */
export function pop3Verb(line: string): string {
	return (line.trim().split(/\s/, 1)[0] ?? '').toUpperCase();
}

// ——— the conversation ———

export type Pop3ClientEvent = {
	type: 'response';
	/** What it answers: the verb sent ("CAPA", "RETR"), or "greeting" for the server's first line. */
	answers: string;
	response: Pop3Response;
	/** The answer was awaited as dot-terminated (its +OK carries a list or a message). */
	multiLine: boolean;
	/** The +OK to STLS: start TLS now (the driver), then call tlsStarted(). */
	startTls: boolean;
};

/** Misuse of the conversation by its caller (h11's LocalProtocolError). */
export class Pop3UsageError extends Error {
	override readonly name = 'Pop3UsageError';
}

export class Pop3ClientConversation {
	/** 'open': commands may go; 'tls': waiting for the driver's handshake after STLS's +OK. */
	state: 'open' | 'tls' = 'open';
	private parser: Pop3ResponseParser;
	/** The answer waited for: the greeting first, then one command at a time. */
	private awaiting?: {answers: string; multiLine: boolean} = {answers: 'greeting', multiLine: false};

	constructor(private readonly limits?: Partial<Pop3ParserLimits>) {
		this.parser = new Pop3ResponseParser(limits);
	}

	/** Bytes held that are not a whole response yet. */
	get buffered(): number {
		return this.parser.buffered;
	}

	/** The verb whose answer is awaited, if any. */
	get waitingFor(): string | undefined {
		return this.awaiting?.answers;
	}

	/**
	 * The bytes of one command (CRLF added), which the next response answers: multi-line when the
	 * verb's +OK is dot-terminated. One command at a time (no pipelining).
	 */
	send(line: string): Buffer {
		if (this.state === 'tls') throw new Pop3UsageError('A command cannot be sent while TLS is being started.');
		if (this.awaiting) throw new Pop3UsageError(`A command cannot be sent before the answer to ${this.awaiting.answers} has come.`);
		// Sent as given (a password may end in a space); only what would inject another command is refused.
		if (/[\r\n\0]/.test(line)) throw new Pop3UsageError('A POP3 command cannot hold CR, LF or NUL.');
		this.awaiting = {answers: pop3Verb(line), multiLine: expectsMultiLine(line)};
		return Buffer.from(`${line}\r\n`, 'utf8');
	}

	/** Feeds what the server sent; throws a Pop3ParseError when a cap would be broken. */
	receiveData(data: Uint8Array): void {
		this.parser.feed(data);
	}

	/** The next whole response, or undefined until more bytes come (or while nothing is awaited). */
	nextEvent(): Pop3ClientEvent | undefined {
		if (!this.awaiting || this.state === 'tls') return undefined;
		const response = this.parser.take(this.awaiting.multiLine);
		if (!response) return undefined;
		const {answers, multiLine} = this.awaiting;
		this.awaiting = undefined;
		const startTls = answers === 'STLS' && response.ok;
		if (startTls) this.state = 'tls';
		return {type: 'response', answers, response, multiLine, startTls};
	}

	/** Bytes the server sent while no command waited (a server talking out of turn); forgotten here. */
	takeUnsolicited(): Buffer {
		return !this.awaiting && this.parser.buffered > 0 ? this.parser.takeRemainder() : Buffer.alloc(0);
	}

	/** Returns and forgets everything held: at STLS, the bytes before the handshake. */
	takeRemainder(): Buffer {
		const remainder = this.parser.takeRemainder();
		this.parser = new Pop3ResponseParser(this.limits);
		return remainder;
	}

	/** The driver finished the TLS handshake after STLS's +OK: commands may go again. */
	tlsStarted(): void {
		if (this.state !== 'tls') throw new Pop3UsageError('tlsStarted() without a +OK to STLS.');
		this.state = 'open';
	}
}
