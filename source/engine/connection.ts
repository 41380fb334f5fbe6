// The SMTP connection: the driver (driver.ts) fed with SMTP's reply parser. Lines go out,
// whole replies come in, TLS from the first byte (465) or after STARTTLS's 220. Protocol
// decisions live in protocol/smtp-client.ts (the conversation) and smtp-plan.ts.
import {Buffer} from 'node:buffer';
import {ReplyParseError, ReplyParser, type Reply} from '../protocol/reply-parser.js';
import type {TlsFacts} from '../protocol/transcript.js';
import {Driver, seconds, type ConnectOptions, type DriverConversation} from './driver.js';
import {SessionFailure} from './failure.js';

export {describeCertError} from './tls.js';
export {connectTcp, formatTarget, handshake, speaksTls, writeWithDeadline, type ConnectOptions, type TlsOptions, type UpgradeResult} from './driver.js';

/** Caps on replies held before any command asked for them (a server that talks out of turn). */
const maxUnsolicitedReplies = 100;
const maxUnsolicitedBytes = 1024 * 1024;

/** SMTP replies as the driver's conversation: the reply parser, its whole replies queued. */
export class SmtpReplyStream implements DriverConversation<Reply> {
	private parser = new ReplyParser();
	private readonly replies: Reply[] = [];
	/** STARTTLS went out: parse no further than the reply to it (a 220 is followed by TLS, not by replies). */
	private tlsMayFollow = false;
	/** Bytes after that reply, held unparsed: injection before TLS, or (reply not 220) replies to parse after all. */
	private unparsed?: Buffer[];
	private unparsedLength = 0;

	get buffered(): number {
		return this.parser.buffered + this.unparsedLength;
	}

	/** The next reply may be the last one in clear (the reply to STARTTLS): nothing after it is parsed until resume(). */
	stopAfterNextReply(): void {
		this.tlsMayFollow = true;
	}

	/** STARTTLS went out and its reply (or the bytes after it) is held back. */
	get holding(): boolean {
		return this.tlsMayFollow || this.unparsed !== undefined;
	}

	/** The bytes held back after the reply to STARTTLS, now to be parsed (it was no 220, so no TLS follows). */
	resume(): Buffer {
		const held = Buffer.concat(this.unparsed ?? []);
		this.tlsMayFollow = false;
		this.unparsed = undefined;
		this.unparsedLength = 0;
		return held;
	}

	/** Lines of a reply still waiting for its last line (a banner of "220-" lines that never ends). */
	get unfinishedLines(): string[] {
		return this.parser.unfinishedLines;
	}

	/** How the peer broke the reply stream, once it did. */
	fault?: ReplyParseError;

	receiveData(data: Buffer): void {
		if (this.unparsed) {
			this.holdUnparsed(data);
			return;
		}

		if (this.tlsMayFollow) {
			// One line at a time, so not a byte after the reply's last line reaches the parser:
			// in the 220's own packet, what follows it is no reply (the STARTTLS injection).
			for (let at = 0; at < data.length;) {
				const lf = data.indexOf(0x0a, at);
				const end = lf === -1 ? data.length : lf + 1;
				const done = this.replies.length;
				this.feed(data.subarray(at, end));
				at = end;
				if (this.replies.length > done) {
					this.unparsed = [];
					this.holdUnparsed(data.subarray(at));
					return;
				}
			}

			return;
		}

		this.feed(data);
	}

	private holdUnparsed(data: Buffer): void {
		if (data.length === 0) return;
		if (this.unparsedLength + data.length > maxUnsolicitedBytes) {
			throw new ReplyParseError('too-much-buffered', `The server sent more than ${maxUnsolicitedBytes / 1024} KB after its reply to STARTTLS, before TLS began.`, []);
		}

		this.unparsed!.push(Buffer.from(data));
		this.unparsedLength += data.length;
	}

	private feed(data: Buffer): void {
		try {
			this.replies.push(...this.parser.feed(data));
		} catch (error) {
			// Whole replies that came in the same packet before the fault are still shown.
			if (error instanceof ReplyParseError) {
				this.replies.push(...error.completed);
				this.fault ??= error;
			}

			throw error;
		}
	}

	nextEvent(): Reply | undefined {
		return this.replies.shift();
	}

	takeRemainder(): Buffer {
		const remainder = Buffer.concat([...this.replies.map(replyBytes), this.parser.takeRemainder(), this.resume()]);
		this.replies.length = 0;
		this.parser = new ReplyParser();
		return remainder;
	}
}

export function replyBytes(reply: Reply): Buffer {
	return Buffer.from(reply.raw.join('\r\n') + '\r\n');
}

/** One SMTP connection. Create it before connecting, so close() can call off a connect under way. */
export class Connection extends Driver<Reply> {
	private readonly stream: SmtpReplyStream;

	constructor(options: ConnectOptions) {
		const stream = new SmtpReplyStream();
		super(stream, options, {
			unit: 'reply',
			units: 'replies',
			bytesOf: replyBytes,
			maxHeldEvents: maxUnsolicitedReplies,
			maxHeldBytes: maxUnsolicitedBytes,
			connectHint: ' (a firewall may be dropping the connection; many ISPs block outbound port 25)',
		});
		this.stream = stream;
	}

	/** STARTTLS goes out next: its reply may be the last in clear, so nothing after it is parsed unless it is no 220. */
	startTlsNext(): void {
		this.stream.stopAfterNextReply();
	}

	/** Bytes of a reply have arrived, but not yet its last line. */
	get replyUnderWay(): boolean {
		return this.stream.buffered > 0;
	}

	/** Connects in one go (for callers that never close early). */
	static async open(options: ConnectOptions): Promise<{connection: Connection; facts?: TlsFacts}> {
		const connection = new Connection(options);
		const facts = await connection.connect();
		return {connection, facts};
	}

	/** Whole replies that arrived before any command asked for them. */
	takeUnsolicited(): Reply[] {
		return this.takeHeld();
	}

	/**
	 * Waits for the next whole reply. When the time runs out in the middle of a multi-line reply
	 * (lines marked "more follows" kept coming, the last never did), the failure says so and
	 * carries the lines received, for the transcript to show.
	 */
	async readReply(timeoutMs: number, waitingFor: string): Promise<Reply> {
		try {
			const reply = await this.read(timeoutMs, waitingFor);
			// No 220 to STARTTLS: no TLS follows, so what came after the reply is parsed after all.
			if (reply.code !== 220 && this.stream.holding) this.receive(this.stream.resume());
			return reply;
		} catch (error) {
			if (!(error instanceof SessionFailure)) throw error;
			const banner = waitingFor === 'with a banner';
			const what = banner ? 'its banner' : `its reply to ${waitingFor}`;
			const capped = this.stream.fault?.kind === 'too-many-lines' ? error.received : undefined;
			if (banner && error.kind === 'protocol' && capped && capped.length > 0) {
				// A banner of "220-" lines past the line cap: the lines up to the cap are shown (the
				// parser carries them), and it is said to be cut there, unfinished: it is no silent port.
				throw new SessionFailure('protocol', `${this.target} began its banner but never finished it: it sent more than ${capped.length} lines, each "${capped[0]!.slice(0, 3)}-" (more to follow), and smtp-tui stopped reading at ${capped.length}, its cap on one reply, before the last line came.`, undefined, capped);
			}

			const lines = this.stream.unfinishedLines;
			if (error.kind !== 'timeout' || lines.length === 0) throw error;
			const count = lines.length === 1 ? 'one line' : `${lines.length} lines`;
			const code = lines[0]!.slice(0, 3); // three digits: the parser took the line as a reply line
			throw new SessionFailure('timeout', `${this.target} began ${what} but never finished it within ${seconds(timeoutMs)}: ${count} came, each "${code}-" (more to follow), but never the last line, "${code} " with a space.`, undefined, lines);
		}
	}
}
