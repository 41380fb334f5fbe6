// The lab's memory for messages, bounded by configuration and not by traffic: the in-memory
// inbox keeps the newest `maxInboxMessages` and at most `maxInboxBytes` (oldest pruned first,
// as Mailpit prunes to its newest 500), and the bytes of messages still being received are
// budgeted over the whole lab, so that neither a flood of big messages nor many at once can
// grow the process past the bound. A pruned message was already handed to every onMessage
// listener (`--save-dir` has started saving it): pruning only drops the in-memory copy.

import type {CapturedMessage} from './types.js';

export type InboxStats = {
	/** Messages in memory now. */
	messages: number;
	/** Their bytes. */
	bytes: number;
	/** Messages pruned (oldest first) since the lab started, to stay within the bounds. */
	pruned: number;
};

export class Inbox {
	/** Oldest first; the lab's `inbox` (pruning removes from the front, in place). */
	readonly messages: CapturedMessage[] = [];
	private bytes = 0;
	private pruned = 0;

	constructor(
		private readonly maxMessages: number,
		private readonly maxBytes: number,
	) {}

	/** Adds `message` as the newest, then prunes the oldest until within both bounds (the newest always stays). */
	add(message: CapturedMessage): void {
		this.messages.push(message);
		this.bytes += message.raw.length;
		while (this.messages.length > 1 && (this.messages.length > this.maxMessages || this.bytes > this.maxBytes)) {
			const oldest = this.messages.shift()!;
			this.bytes -= oldest.raw.length;
			this.pruned++;
		}
	}

	stats(): InboxStats {
		return {messages: this.messages.length, bytes: this.bytes, pruned: this.pruned};
	}
}

/**
 * Bytes held for messages still being received, over all sessions; one client IP may hold at
 * most half of it, so a single address cannot take the whole budget from everyone else.
 */
export class ReceiveBudget {
	private used = 0;
	private readonly perIp = new Map<string, number>();

	constructor(private readonly maxBytes: number) {}

	/** Takes `bytes` for `ip` if both the lab's budget and the address's share allow; false otherwise. */
	reserve(ip: string, bytes: number): boolean {
		const mine = this.perIp.get(ip) ?? 0;
		if (this.used + bytes > this.maxBytes || mine + bytes > this.maxBytes / 2) return false;
		this.used += bytes;
		this.perIp.set(ip, mine + bytes);
		return true;
	}

	/** Gives back `bytes` that `ip` reserved. */
	release(ip: string, bytes: number): void {
		if (bytes <= 0) return;
		this.used -= bytes;
		const left = (this.perIp.get(ip) ?? bytes) - bytes;
		if (left > 0) this.perIp.set(ip, left);
		else this.perIp.delete(ip);
	}

	/** Bytes held now, over the lab. */
	get held(): number {
		return this.used;
	}
}
