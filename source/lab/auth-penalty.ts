// Failed logins slow the attacker, not the class. Per client IP, after Dovecot's anvil
// penalty: every AUTH from an address with recent failed logins is held before it is even
// checked, for `authFailureDelayMs` doubled per failure up to `authFailureDelayMaxMs` (Dovecot:
// 2 s doubling to 15 s), right or wrong password alike, so that an early answer cannot tell a
// guess is right; a successful login clears the address's penalty. An address with
// `maxAuthFailuresPerMinute` failed logins in the last minute is refused outright, as
// Postfix's anvil does with smtpd_client_auth_rate_limit. Both tables are bounded and expire.

import {LRUCache} from 'lru-cache';
import type {LabLimits} from './limits.js';
import {perClientEntries} from './monitor.js';

/** How long an address's failed logins count after its last one. */
export const penaltyMemoryMs = 15 * 60 * 1000;
const minuteMs = 60 * 1000;

export class AuthPenalty {
	/** Failed logins per address since its last success, forgotten 15 minutes after the last one. */
	private readonly failures = new LRUCache<string, number>({max: perClientEntries, ttl: penaltyMemoryMs});
	/** When each failed login of the last minute happened, per address. */
	private readonly recent = new LRUCache<string, number[]>({max: perClientEntries, ttl: minuteMs});

	constructor(private readonly limits: Required<LabLimits>) {}

	/** Failed logins that count against `ip` now. */
	failuresOf(ip: string): number {
		return this.failures.get(ip) ?? 0;
	}

	/** How long an AUTH from `ip` is held before it is checked: 0 without recent failures. */
	delayFor(ip: string): number {
		const failed = this.failuresOf(ip);
		if (failed === 0) return 0;
		const {authFailureDelayMs, authFailureDelayMaxMs} = this.limits;
		return Math.min(authFailureDelayMaxMs, authFailureDelayMs * 2 ** Math.min(failed - 1, 30));
	}

	/** True if `ip` has used up its failed logins for this minute. */
	overRate(ip: string, now = Date.now()): boolean {
		return this.lastMinute(ip, now).length >= this.limits.maxAuthFailuresPerMinute;
	}

	failed(ip: string, now = Date.now()): void {
		this.failures.set(ip, this.failuresOf(ip) + 1);
		const times = this.lastMinute(ip, now);
		times.push(now);
		this.recent.set(ip, times.slice(-this.limits.maxAuthFailuresPerMinute));
	}

	succeeded(ip: string): void {
		this.failures.delete(ip);
	}

	/** Addresses remembered now (for the bound). */
	get size(): number {
		return Math.max(this.failures.size, this.recent.size);
	}

	private lastMinute(ip: string, now: number): number[] {
		return (this.recent.get(ip) ?? []).filter(time => now - time < minuteMs);
	}
}
