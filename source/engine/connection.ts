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

	get buffered(): number {
		return this.parser.buffered;
	}

	/** Lines of a reply still waiting for its last line (a banner of "220-" lines that never ends). */
	get unfinishedLines(): string[] {
		return this.parser.unfinishedLines;
	}

	/** How the peer broke the reply stream, once it did. */
	fault?: ReplyParseError;

	receiveData(data: Buffer): void {
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
		const remainder = Buffer.concat([...this.replies.map(replyBytes), this.parser.takeRemainder()]);
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
			return await this.read(timeoutMs, waitingFor);
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
