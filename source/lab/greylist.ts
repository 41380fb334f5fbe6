// Greylisting's memory: when each (client IP, sender, recipient) triple was first seen. A
// triple passes once it has waited long enough, and from then on (as postgrey whitelists it).
// Both tables are bounded and expire, so a client inventing triples cannot grow them: at most
// `greylistEntries` each, the least recently used dropped first; a waiting triple is forgotten
// a day after it was first seen, a passed one a day after it last passed (postgrey's retry
// window is two days, its auto-whitelist 35; a lab needs neither).

import {LRUCache} from 'lru-cache';

/** Triples kept per table. */
export const greylistEntries = 10_000;
const dayMs = 24 * 60 * 60 * 1000;

export class Greylist {
	private readonly firstSeen = new LRUCache<string, number>({max: greylistEntries, ttl: dayMs});
	private readonly passed = new LRUCache<string, true>({max: greylistEntries, ttl: dayMs, updateAgeOnGet: true});

	/** True if this RCPT may pass now; the first sighting of a triple is always refused and starts its wait. */
	check(ip: string, sender: string, recipient: string, waitSeconds: number, now = Date.now()): boolean {
		const key = [ip, sender.toLowerCase(), recipient.toLowerCase()].join('\0');
		if (this.passed.get(key)) return true;
		const first = this.firstSeen.get(key);
		if (first === undefined) {
			this.firstSeen.set(key, now);
			return false;
		}

		return now - first >= waitSeconds * 1000 && this.pass(key);
	}

	/** Triples remembered now (waiting and passed). */
	get size(): number {
		return this.firstSeen.size + this.passed.size;
	}

	private pass(key: string): true {
		this.firstSeen.delete(key);
		this.passed.set(key, true);
		return true;
	}
}
