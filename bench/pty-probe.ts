// A pseudo-terminal driver for timing, not for testing: test/support/pty.ts polls the
// screen every 20 ms and sleeps after each key, which is right for tests and far too
// coarse for a 16 ms budget. Here every chunk the program writes is stamped when it
// arrives and the screen is checked as soon as xterm has parsed it, so a measured time
// is "key written" → "the bytes that changed the screen arrived". It also exposes the
// child's pid (for /proc/<pid>/status), which pty.ts does not.
import {readFile} from 'node:fs/promises';
import {performance} from 'node:perf_hooks';
import pty from 'node-pty';
import xterm from '@xterm/headless';

export type ProbeOptions = {
	columns?: number;
	rows?: number;
	env?: Record<string, string>;
};

export type Probe = {
	/** The pid of the program itself (node-pty execs it directly). */
	pid: number;
	/** performance.now() just before the spawn. */
	spawnedAt: number;
	screen: () => string;
	/** Writes one key and returns performance.now() just before the write. */
	press: (key: string) => number;
	/**
	 * Resolves with the arrival time of the chunk after which `matches(screen)` first held.
	 * Checks the current screen first (then `at` is now).
	 */
	waitUntil: (matches: (screen: string) => boolean, timeoutMs: number, what: string) => Promise<{at: number; screen: string}>;
	/** Resolves once the program has written nothing for `quietMs`. */
	settle: (quietMs: number, timeoutMs?: number) => Promise<void>;
	/** Complete frames (synchronized-output blocks) drawn so far. */
	frames: () => number;
	exited: Promise<number>;
	kill: () => void;
};

const beginSync = '\u001B[?2026h';
const endSync = '\u001B[?2026l';

type Waiter = {
	matches: (screen: string) => boolean;
	resolve: (result: {at: number; screen: string}) => void;
	/** The program ended before the screen matched. */
	abandon: (exitCode: number) => void;
};

/** The child's environment: ours without CI (with CI set, Ink draws nothing until exit). */
function childEnvironment(extra: Record<string, string> = {}): Record<string, string> {
	const env: Record<string, string> = {};
	for (const [key, value] of Object.entries(process.env)) {
		if (value !== undefined && key !== 'CI') env[key] = value;
	}

	return {...env, TERM: 'xterm-256color', ...extra};
}

export function spawnProbe(file: string, args: readonly string[], options: ProbeOptions = {}): Probe {
	const columns = options.columns ?? 120;
	const rows = options.rows ?? 40;
	const term = new xterm.Terminal({cols: columns, rows, allowProposedApi: true});
	const env = childEnvironment(options.env);
	const spawnedAt = performance.now();
	const child = pty.spawn(file, [...args], {name: 'xterm-256color', cols: columns, rows, env});
	let lastDataAt = spawnedAt;
	let waiters: Waiter[] = [];
	let alive = true;

	const screen = () => {
		const buffer = term.buffer.active;
		const lines: string[] = [];
		for (let y = 0; y < rows; y++) lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
		return lines.join('\n');
	};

	const check = (arrivedAt: number) => {
		if (waiters.length === 0) return;
		const text = screen();
		const pending: Waiter[] = [];
		for (const waiter of waiters) {
			if (waiter.matches(text)) waiter.resolve({at: arrivedAt, screen: text});
			else pending.push(waiter);
		}

		waiters = pending;
	};

	// Ink wraps each frame in synchronized-output marks (BSU … ESU) on a TTY; a terminal
	// that honours them shows the frame at ESU. So the screen is only judged between
	// frames, never half-drawn. A mark split across two chunks is caught by the tail.
	let inFrame = false;
	let tail = '';
	let frames = 0;
	child.onData(data => {
		const arrivedAt = performance.now();
		lastDataAt = arrivedAt;
		const scan = tail + data;
		frames += data.split(endSync).length - 1;
		const begin = scan.lastIndexOf(beginSync);
		const end = scan.lastIndexOf(endSync);
		if (begin > end) inFrame = true;
		else if (end > begin) inFrame = false;
		tail = scan.slice(-(endSync.length - 1));
		const complete = !inFrame;
		term.write(data, () => {
			if (complete) check(arrivedAt);
		});
	});
	const exited = new Promise<number>(resolve => {
		child.onExit(({exitCode}) => {
			alive = false;
			resolve(exitCode);
			// node-pty may report the exit before the last output: give that output a moment
			// to arrive and be judged before giving up on the waiters.
			setTimeout(() => {
				term.write('', () => {
					for (const waiter of waiters.splice(0)) waiter.abandon(exitCode);
				});
			}, 250);
		});
	});

	const waitUntil = async (matches: (screen: string) => boolean, timeoutMs: number, what: string) => {
		// Let xterm finish parsing whatever already arrived before looking.
		await new Promise<void>(resolve => term.write('', resolve));
		const now = screen();
		if (!inFrame && matches(now)) return {at: performance.now(), screen: now};
		return new Promise<{at: number; screen: string}>((resolve, reject) => {
			const timer = setTimeout(() => {
				waiters = waiters.filter(waiter => waiter !== entry);
				reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}. Screen:\n${screen()}`));
			}, timeoutMs);
			const entry: Waiter = {
				matches,
				resolve: result => {
					clearTimeout(timer);
					resolve(result);
				},
				abandon: exitCode => {
					clearTimeout(timer);
					reject(new Error(`The program exited with code ${exitCode} while waiting for ${what}. Screen:\n${screen()}`));
				},
			};
			waiters.push(entry);
		});
	};

	const settle = async (quietMs: number, timeoutMs = 10_000) => {
		const deadline = performance.now() + timeoutMs;
		for (;;) {
			const quietFor = performance.now() - lastDataAt;
			if (quietFor >= quietMs) return;
			if (performance.now() > deadline) throw new Error(`The program kept writing for ${timeoutMs} ms; it never went quiet.`);
			await new Promise(resolve => setTimeout(resolve, quietMs - quietFor + 1));
		}
	};

	const press = (key: string) => {
		const at = performance.now();
		child.write(key);
		return at;
	};

	const kill = () => {
		if (!alive) return;
		try {
			child.kill();
		} catch {
			// It exited between the check and the signal.
		}
	};

	return {pid: child.pid, spawnedAt, screen, press, waitUntil, settle, frames: () => frames, exited, kill};
}

/** The resident set size of a process in bytes, from /proc/<pid>/status (Linux only). */
export async function residentBytes(pid: number): Promise<{rss: number; peak: number}> {
	const status = await readFile(`/proc/${pid}/status`, 'utf8');
	const field = (name: string) => {
		const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
		if (!match) throw new Error(`/proc/${pid}/status has no ${name} line.`);
		return Number(match[1]) * 1024;
	};

	return {rss: field('VmRSS'), peak: field('VmHWM')};
}

/**
 * CPU time a process has used so far, user + system, in ms, from /proc/<pid>/stat. Unlike
 * wall time it does not grow while the process waits for a core, so it tells a slow
 * program from a busy machine. Resolution: one clock tick (10 ms); use it over many events.
 */
export async function cpuMilliseconds(pid: number): Promise<number> {
	const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
	// The command name (field 2) may hold spaces; the fields after its ')' are plain.
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	// utime and stime are fields 14 and 15 overall, 12 and 13 after the name.
	const ticks = Number(fields[11]) + Number(fields[12]);
	const ticksPerSecond = 100; // USER_HZ, 100 on every Linux architecture Node supports
	return (ticks * 1000) / ticksPerSecond;
}
