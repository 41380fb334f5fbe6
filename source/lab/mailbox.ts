// The recipient's side of the mail journey: per-user mailboxes that a lab's accepted messages
// are delivered into, the way a mail server hands mail to its local delivery agent. Delivery
// prepends the receiving hop's Received: header (RFC 5321 §4.4), so each stored message holds
// the trace of every hop it took. POP3 (pop3.ts) reads and deletes from here.

import {formatRfc5322Date} from '../protocol/message.js';
import type {CapturedMessage, LabUser} from './types.js';
import {randomHex} from './random-hex.js';

/** One message in one user's mailbox. */
export type StoredMessage = {
	/** The queue ID the receiving server gave it (quoted in its 250 reply). */
	queueId: string;
	/** UIDL's unique ID (RFC 1939 §7): stable for the message's life, printable, at most 70 characters. */
	uid: string;
	/** The mailbox's owner: a LabUser's `user`. */
	user: string;
	/** The recipient address it was delivered for. */
	recipient: string;
	/** Envelope sender; '' for the null sender. */
	mailFrom: string;
	deliveredAt: Date;
	/** The bytes as stored: the new Received: header, then the message exactly as received (CRLF line ends). */
	raw: Buffer;
	/** IMAP's UID (RFC 3501 §2.3.1.1): ascending in delivery order within the user's mailbox, never reused. */
	imapUid: number;
	/** IMAP flags (systemFlags), kept across sessions: \Seen once read over IMAP, and what STORE sets. */
	flags: Set<string>;
	/**
	 * Set when the mailboxes pruned it to stay within their bounds: it left its mailbox and its
	 * bytes were dropped (`raw` is empty), also for a POP3 or IMAP session that still lists it.
	 */
	pruned?: boolean;
};

/** The mailboxes' total against their bounds, and how many messages were pruned to stay in them. */
export type MailboxStats = {messages: number; bytes: number; pruned: number};

/** The flags the lab keeps per message (RFC 3501 §2.3.2; \Recent is never set). */
export const systemFlags = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'] as const;

export type ReceivedFields = {
	/** The name the client gave in EHLO/HELO; 'unknown' when it gave none. */
	helo?: string;
	/** The client's address; the host name behind it is not looked up (Postfix writes "unknown"). */
	ip?: string;
	/** The receiving server's host name. */
	by: string;
	/** RFC 3848 protocol: SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA. */
	protocol: string;
	/** The receiving server's queue ID. */
	id: string;
	/** Named when there is exactly one recipient, as Postfix does. */
	for?: string;
	date: Date;
};

/**
 * A Received: header field in Postfix's shape, folded over three lines, ending in CRLF:
 *
 *     Received: from client.example (unknown [127.0.0.1])
 *     	by smtp.sender.test (smtp-tui lab) with ESMTPSA id 0A1B2C3D4E
 *     	for <bob@receiver.test>; Sat, 29 Nov 2026 10:00:00 +0000
 */
export function formatReceived(fields: ReceivedFields): string {
	const from = `from ${clean(fields.helo) || 'unknown'} (unknown${fields.ip ? ` [${clean(fields.ip)}]` : ''})`;
	const by = `by ${clean(fields.by)} (smtp-tui lab) with ${clean(fields.protocol)} id ${clean(fields.id)}`;
	const recipient = fields.for ? `for <${clean(fields.for)}>; ` : '';
	return `Received: ${from}\r\n\t${by}\r\n\t${recipient}${formatRfc5322Date(fields.date)}\r\n`;
}

/**
 * Keeps a peer-supplied name (the EHLO argument) from breaking the header: no line breaks, no
 * control characters, no parentheses or angle brackets that would change its structure.
 */
function clean(text: string | undefined): string {
	// eslint-disable-next-line no-control-regex
	return (text ?? '').replace(/[\x00-\x20\x7f()<>;\\]/g, '').slice(0, 255);
}

/** The Received: fields for a message a lab accepted, from what the lab recorded about its session. */
export function receivedFieldsOf(message: CapturedMessage, by: string): ReceivedFields {
	return {
		helo: message.helo,
		ip: message.remoteAddress,
		by,
		protocol: message.transmission ?? `ESMTP${message.tls ? 'S' : ''}${message.user ? 'A' : ''}`,
		id: message.id,
		for: message.rcptTo.length === 1 ? message.rcptTo[0] : undefined,
		date: message.receivedAt,
	};
}

/** The result of one delivery: the copies stored, and the recipients that have no mailbox. */
export type Delivery = {stored: StoredMessage[]; unknownRecipients: string[]};

export class Mailboxes {
	readonly hostname: string;
	private readonly users: LabUser[];
	private readonly boxes = new Map<string, StoredMessage[]>();
	private readonly listeners = new Set<(message: StoredMessage) => void>();
	private readonly locks = new Set<string>();
	private readonly nextUid = new Map<string, number>();
	/** Every stored message of every user in delivery order: pruning takes from the front. */
	private readonly order: StoredMessage[] = [];
	private bytes = 0;
	private pruned = 0;
	private readonly maxMessages: number;
	private readonly maxBytes: number;
	/** IMAP's UIDVALIDITY: one value for these mailboxes' life (UIDs are never reused within it). */
	readonly uidValidity = Math.floor(Date.now() / 1000) % 4_000_000_000 || 1;

	/**
	 * `hostname`: the receiving server, named in the Received: header delivery adds. `bounds`:
	 * what all mailboxes together keep (the lab passes --max-inbox-messages and --max-inbox-size);
	 * past either, the oldest message of any mailbox is pruned first (the newest always stays).
	 */
	constructor(hostname: string, users: LabUser[], bounds: {maxMessages?: number; maxBytes?: number} = {}) {
		this.hostname = hostname;
		this.maxMessages = bounds.maxMessages ?? 500;
		this.maxBytes = bounds.maxBytes ?? 100_000_000;
		this.users = [...users];
		for (const user of this.users) this.boxes.set(user.user, []);
	}

	/** The account `name` logs in as (a user name or a full address, any case). */
	findUser(name: string): LabUser | undefined {
		const wanted = name.toLowerCase();
		return this.users.find(user => user.user.toLowerCase() === wanted || user.address.toLowerCase() === wanted);
	}

	/**
	 * Delivers a message the receiving lab accepted to every recipient that has a mailbox: one
	 * copy each, with this hop's Received: header in front of the bytes as received.
	 */
	deliver(message: CapturedMessage): Delivery {
		const stored: StoredMessage[] = [];
		const unknownRecipients: string[] = [];
		for (const recipient of message.rcptTo) {
			const user = this.users.find(candidate => candidate.address.toLowerCase() === recipient.toLowerCase());
			if (!user) {
				unknownRecipients.push(recipient);
				continue;
			}

			const header = formatReceived({...receivedFieldsOf(message, this.hostname), for: recipient});
			const copy: StoredMessage = {
				queueId: message.id,
				uid: `${message.id}.${randomHex(4)}`,
				user: user.user,
				recipient,
				mailFrom: message.mailFrom,
				deliveredAt: new Date(),
				raw: Buffer.concat([Buffer.from(header, 'latin1'), message.raw]),
				imapUid: this.uidNext(user.user),
				flags: new Set(),
			};
			this.nextUid.set(user.user, copy.imapUid + 1);
			this.boxes.get(user.user)!.push(copy);
			this.order.push(copy);
			this.bytes += copy.raw.length;
			stored.push(copy);
		}

		this.prune();

		for (const copy of stored) {
			for (const listener of [...this.listeners]) {
				// A listener's bug must not break the SMTP session waiting for its 250.
				try {
					listener(copy);
				} catch {}
			}
		}

		return {stored, unknownRecipients};
	}

	/** The messages in `user`'s mailbox, oldest first (a copy of the list). */
	list(user: string): StoredMessage[] {
		return [...(this.boxes.get(this.findUser(user)?.user ?? '') ?? [])];
	}

	/** Every stored message of every user, oldest first per user. */
	all(): StoredMessage[] {
		return [...this.boxes.values()].flat();
	}

	/** Removes the given messages (by UID) from `user`'s mailbox; returns how many went. */
	remove(user: string, uids: Iterable<string>): number {
		const owner = this.findUser(user)?.user ?? '';
		const box = this.boxes.get(owner);
		if (!box) return 0;
		const gone = new Set(uids);
		const kept = box.filter(message => !gone.has(message.uid));
		const removed = box.length - kept.length;
		box.splice(0, box.length, ...kept);
		for (let index = this.order.length - 1; index >= 0; index--) {
			const message = this.order[index]!;
			if (message.user !== owner || !gone.has(message.uid)) continue;
			this.order.splice(index, 1);
			this.bytes -= message.raw.length;
		}

		return removed;
	}

	/**
	 * Drops the oldest messages, of any mailbox, until within both bounds. Open sessions do not
	 * hold a message back: a POP3 session that listed it answers -ERR for it and an IMAP session
	 * NO, then EXPUNGE at its next sync. Keeping bytes for sessions would let one IMAP client
	 * that is told of every new message (NOOP, IDLE) hold them all, unbounded.
	 */
	private prune(): void {
		while (this.order.length > 1 && (this.order.length > this.maxMessages || this.bytes > this.maxBytes)) {
			const oldest = this.order.shift()!;
			const box = this.boxes.get(oldest.user)!;
			box.splice(box.indexOf(oldest), 1);
			this.bytes -= oldest.raw.length;
			oldest.pruned = true;
			oldest.raw = Buffer.alloc(0);
			this.pruned++;
		}
	}

	stats(): MailboxStats {
		return {messages: this.order.length, bytes: this.bytes, pruned: this.pruned};
	}

	/** The UID the next message delivered to `user` will get (IMAP's UIDNEXT). */
	uidNext(user: string): number {
		return this.nextUid.get(this.findUser(user)?.user ?? '') ?? 1;
	}

	/** Calls `listener` for each message stored from now on; returns the unsubscribe function. */
	onDelivery(listener: (message: StoredMessage) => void): () => void {
		this.listeners.add(listener);
		return () => {
			this.listeners.delete(listener);
		};
	}

	/** Resolves with the first message stored from now on (or already stored) that `match` accepts. */
	async waitFor(match: (message: StoredMessage) => boolean, timeoutMs = 10_000): Promise<StoredMessage> {
		const present = this.all().find(match);
		if (present) return present;
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				stop();
				reject(new Error(`No matching message was delivered within ${timeoutMs} ms.`));
			}, timeoutMs);
			const stop = this.onDelivery(message => {
				if (!match(message)) return;
				clearTimeout(timer);
				stop();
				resolve(message);
			});
		});
	}

	/** POP3's maildrop lock (RFC 1939 §8): true if taken now, false if another session holds it. */
	lock(user: string): boolean {
		if (this.locks.has(user)) return false;
		this.locks.add(user);
		return true;
	}

	unlock(user: string): void {
		this.locks.delete(user);
	}
}
