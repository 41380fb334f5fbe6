// Random hex strings for queue IDs and mailbox UIDs, drawn from a pool refilled 4 KB at a
// time: one randomBytes() call per message cost the lab about 3% of its CPU under load
// (bench lab-load profile); the strings are as random as before.
import {randomBytes} from 'node:crypto';

const poolBytes = 4096;
let pool = Buffer.alloc(0);
let used = 0;

/** `bytes` random bytes as lower-case hex (2 × bytes digits). */
export function randomHex(bytes: number): string {
	if (used + bytes > pool.length) {
		pool = randomBytes(Math.max(poolBytes, bytes));
		used = 0;
	}

	const hex = pool.toString('hex', used, used + bytes);
	used += bytes;
	return hex;
}
