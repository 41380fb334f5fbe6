// Incremental, strict SMTP reply parser (RFC 5321 §4.2), fed whatever bytes the connection gives.
// Any split of the same bytes parses the same. Memory stays bounded: every cap is checked while
// bytes are buffered, before they are copied, so a 10 MB line with no newline costs at most one
// line's worth of memory.

import {Buffer} from 'node:buffer';
import {RemoteProtocolError, type RemoteProtocolErrorKind} from './errors.js';
import {safeText} from './safe-text.js';

export type Reply = {
	code: number;
	/** The x.y.z enhanced status code at the start of the last line's text, when present. */
	enhanced?: string;
	/** Text after "NNN-" / "NNN " (the enhanced code, if any, stays in the text). */
	lines: string[];
	/** Each line as received, without its line ending. */
	raw: string[];
	/** True when any line ended with a bare LF instead of CRLF (a deviation worth showing). */
	bareLf: boolean;
};

export type ParserLimits = {
	/** Longest reply line accepted, in bytes, not counting its line ending. */
	maxLineLength: number;
	/** Most lines accepted in one reply. */
	maxLines: number;
	/** Most bytes held while a reply is incomplete (its finished lines plus the partial line). */
	maxBuffered: number;
};

export const defaultParserLimits: ParserLimits = {
	maxLineLength: 4096,
	maxLines: 512,
	maxBuffered: 1024 * 1024,
};

/** Thrown by ReplyParser.feed; carries the replies that were complete before the fault. */
export class ReplyParseError extends RemoteProtocolError {
	/** Replies completed earlier in the same feed() call, which the throw would otherwise lose. */
	readonly completed: Reply[];
	/** The offending line, as received (safe to store, render through safeText), when known. */
	readonly line?: string;
	/** The lines of the unfinished reply up to and including the offending one, as received. */
	readonly received: string[];

	constructor(kind: RemoteProtocolErrorKind, message: string, completed: Reply[], line?: string, received: string[] = []) {
		super(kind, message);
		this.completed = completed;
		this.line = line;
		this.received = received;
	}
}

type ParsedLine = {
	code: number;
	last: boolean;
	text: string;
	raw: string;
	bareLf: boolean;
};

const lineShape = /^(\d{3})(?:([ -])(.*)|)$/s;
const enhancedShape = /^[245]\.\d{1,3}\.\d{1,3}(?=\s|$)/;
const LF = 0x0a;
const CR = 0x0d;

/** Shortened, terminal-safe quote of peer text for an error message. */
function quote(text: string): string {
	const short = text.length > 60 ? `${text.slice(0, 60)}…` : text;
	return `"${safeText(short)}"`;
}

export class ReplyParser {
	private readonly limits: ParserLimits;
	// The partial (unterminated) line, kept as the chunks it arrived in to avoid quadratic copying.
	private partial: Buffer[] = [];
	private partialLength = 0;
	// Finished lines of a reply whose last line has not arrived yet, and their bytes as received.
	private lines: ParsedLine[] = [];
	private lineBytes: Buffer[] = [];
	private lineBytesLength = 0;
	// Once the stream is broken it stays broken: there is no way to find the next reply boundary.
	private failure?: ReplyParseError;

	constructor(limits?: Partial<ParserLimits>) {
		this.limits = {...defaultParserLimits, ...limits};
	}

	/** Bytes held that are not yet part of a complete reply, the partial line included. */
	get buffered(): number {
		return this.lineBytesLength + this.partialLength;
	}

	/**
	 * Parse the next bytes; returns every reply they complete, in order. Throws a
	 * RemoteProtocolError (a ReplyParseError) when the peer breaks the format or a cap; after
	 * that the parser holds nothing and keeps throwing the same error until reset().
	 */
	feed(chunk: Uint8Array): Reply[] {
		if (this.failure) {
			// A fresh error, so replies already handed over with the first one are not handed over twice.
			const {kind, message, line} = this.failure;
			throw new ReplyParseError(kind, message, [], line);
		}

		const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
		const replies: Reply[] = [];
		let pos = 0;
		try {
			while (pos < bytes.length) {
				const lf = bytes.indexOf(LF, pos);
				if (lf === -1) {
					this.holdPartial(bytes.subarray(pos));
					break;
				}

				const reply = this.finishLine(bytes.subarray(pos, lf + 1));
				if (reply) {
					replies.push(reply);
				}

				pos = lf + 1;
			}
		} catch (error) {
			if (error instanceof ReplyParseError) {
				const withCompleted = new ReplyParseError(error.kind, error.message, replies, error.line, error.received);
				this.fail(withCompleted);
				throw withCompleted;
			}

			throw error;
		}

		return replies;
	}

	/** The finished lines of a reply whose last line has not arrived yet, as received (untrusted). */
	get unfinishedLines(): string[] {
		return this.lines.map(line => line.raw);
	}

	/**
	 * Return and forget everything buffered: finished lines of an unfinished reply plus the
	 * partial line, as the bytes received. Used at STARTTLS, where anything after the 220 was
	 * sent before the handshake and must never be read as protected.
	 */
	takeRemainder(): Buffer {
		const remainder = Buffer.concat([...this.lineBytes, ...this.partial]);
		this.clear();
		return remainder;
	}

	/** Forget everything, including an earlier failure. */
	reset(): void {
		this.clear();
		this.failure = undefined;
	}

	private clear(): void {
		this.partial = [];
		this.partialLength = 0;
		this.lines = [];
		this.lineBytes = [];
		this.lineBytesLength = 0;
	}

	private fail(error: ReplyParseError): void {
		this.clear();
		this.failure = error;
	}

	/** Keep bytes of an unterminated line, refusing before copying if they would break a cap. */
	private holdPartial(piece: Buffer): void {
		const length = this.partialLength + piece.length;
		// A held CR may be the first half of the CRLF, so it does not count towards the line.
		const endsWithCr = piece.length > 0 && piece[piece.length - 1] === CR;
		this.checkLineLength(endsWithCr ? length - 1 : length);
		this.checkBuffered(this.lineBytesLength + length);
		// Copy: the caller may reuse its chunk buffer after feed() returns.
		this.partial.push(Buffer.from(piece));
		this.partialLength = length;
	}

	/** A line ending in LF has arrived (`end` includes the LF). Returns a reply if it was the last line. */
	private finishLine(end: Buffer): Reply | undefined {
		const crlf = end.length >= 2 ? end[end.length - 2] === CR : this.partialEndsWithCr();
		const total = this.partialLength + end.length;
		this.checkLineLength(total - (crlf ? 2 : 1));
		// Checked for the last line too, and before the line is parsed: holdPartial() applies the
		// same cap to a line still arriving, so however the bytes are split, the outcome is one.
		this.checkBuffered(this.lineBytesLength + total);
		const whole = this.partialLength === 0 ? Buffer.from(end) : Buffer.concat([...this.partial, end], total);
		this.partial = [];
		this.partialLength = 0;

		const raw = whole.toString('utf8', 0, whole.length - (crlf ? 2 : 1));
		const line = this.parseLine(raw, !crlf);
		if (this.lines.length > 0 && line.code !== this.lines[0]!.code) {
			throw new ReplyParseError(
				'mixed-codes',
				`The server's multi-line reply changed its code from ${this.lines[0]!.code} to ${line.code} partway through.`,
				[],
				raw,
				[...this.lines.map(earlier => earlier.raw), raw],
			);
		}

		if (this.lines.length + 1 > this.limits.maxLines) {
			throw new ReplyParseError(
				'too-many-lines',
				`The server sent a reply with more than ${this.limits.maxLines} lines.`,
				[],
				raw,
				// The lines up to the cap, as received (the cap bounds how many are kept and shown).
				this.lines.map(earlier => earlier.raw),
			);
		}

		if (line.last) {
			const reply = this.buildReply([...this.lines, line]);
			this.lines = [];
			this.lineBytes = [];
			this.lineBytesLength = 0;
			return reply;
		}

		this.lines.push(line);
		this.lineBytes.push(whole);
		this.lineBytesLength += whole.length;
		return undefined;
	}

	private partialEndsWithCr(): boolean {
		const lastChunk = this.partial[this.partial.length - 1];
		return lastChunk !== undefined && lastChunk[lastChunk.length - 1] === CR;
	}

	private parseLine(raw: string, bareLf: boolean): ParsedLine {
		const match = lineShape.exec(raw);
		if (!match) {
			throw new ReplyParseError(
				'malformed',
				`The server sent a line that is not an SMTP reply (three digits, then a space, a dash or the end of the line): ${quote(raw)}.`,
				[],
				raw,
			);
		}

		const code = Number(match[1]);
		const first = match[1]![0]!;
		if (first < '2' || first > '5') {
			throw new ReplyParseError(
				'bad-code',
				`The server sent reply code ${match[1]}, but reply codes must start with 2, 3, 4 or 5.`,
				[],
				raw,
			);
		}

		return {code, last: match[2] !== '-', text: match[3] ?? '', raw, bareLf};
	}

	private buildReply(lines: ParsedLine[]): Reply {
		const lastText = lines[lines.length - 1]!.text;
		const enhanced = enhancedShape.exec(lastText)?.[0];
		const reply: Reply = {
			code: lines[0]!.code,
			lines: lines.map((line) => line.text),
			raw: lines.map((line) => line.raw),
			bareLf: lines.some((line) => line.bareLf),
		};
		if (enhanced !== undefined) {
			reply.enhanced = enhanced;
		}

		return reply;
	}

	private checkLineLength(length: number): void {
		if (length > this.limits.maxLineLength) {
			throw new ReplyParseError(
				'line-too-long',
				`The server sent a reply line longer than ${this.limits.maxLineLength} bytes.`,
				[],
			);
		}
	}

	private checkBuffered(length: number): void {
		if (length > this.limits.maxBuffered) {
			throw new ReplyParseError(
				'too-much-buffered',
				`The server sent more than ${this.limits.maxBuffered} bytes without finishing a reply.`,
				[],
			);
		}
	}
}
