// The SMTP connection: the driver (driver.ts) fed with SMTP's reply parser. Lines go out,
// whole replies come in, TLS from the first byte (465) or after STARTTLS's 220. Protocol
// decisions live in protocol/smtp-client.ts (the conversation) and smtp-plan.ts.
import {Buffer} from 'node:buffer';
import {ReplyParseError, ReplyParser, type Reply} from '../protocol/reply-parser.js';
import type {TlsFacts} from '../protocol/transcript.js';
import {Driver, type ConnectOptions, type DriverConversation} from './driver.js';

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

	receiveData(data: Buffer): void {
		try {
			this.replies.push(...this.parser.feed(data));
		} catch (error) {
			// Whole replies that came in the same packet before the fault are still shown.
			if (error instanceof ReplyParseError) this.replies.push(...error.completed);
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
	constructor(options: ConnectOptions) {
		super(new SmtpReplyStream(), options, {
			unit: 'reply',
			units: 'replies',
			bytesOf: replyBytes,
			maxHeldEvents: maxUnsolicitedReplies,
			maxHeldBytes: maxUnsolicitedBytes,
			connectHint: ' (a firewall may be dropping the connection; many ISPs block outbound port 25)',
		});
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

	/** Waits for the next whole reply. */
	async readReply(timeoutMs: number, waitingFor: string): Promise<Reply> {
		return this.read(timeoutMs, waitingFor);
	}
}
