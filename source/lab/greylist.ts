// Greylisting's memory: when each (client IP, sender, recipient) triple was first seen. A
// triple passes once it has waited long enough, and from then on (as postgrey whitelists it).

export class Greylist {
	private readonly firstSeen = new Map<string, number>();
	private readonly passed = new Set<string>();

	/** True if this RCPT may pass now; the first sighting of a triple is always refused and starts its wait. */
	check(ip: string, sender: string, recipient: string, waitSeconds: number, now = Date.now()): boolean {
		const key = [ip, sender.toLowerCase(), recipient.toLowerCase()].join('\0');
		if (this.passed.has(key)) return true;
		const first = this.firstSeen.get(key);
		if (first === undefined) {
			this.firstSeen.set(key, now);
			return false;
		}

		return now - first >= waitSeconds * 1000 && this.pass(key);
	}

	private pass(key: string): true {
		this.firstSeen.delete(key);
		this.passed.add(key);
		return true;
	}
}
