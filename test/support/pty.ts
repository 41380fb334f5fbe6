// Drives the built smtp-tui binary in a real pseudo-terminal, as a person would: one key
// per write, and the screen read back through a headless xterm.
import assert from 'node:assert/strict';
import {fileURLToPath} from 'node:url';
import pty from 'node-pty';
import xterm from '@xterm/headless';

export const cliPath = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export const keys = {
	enter: '\r',
	escape: '\u001B',
	up: '\u001B[A',
	down: '\u001B[B',
	right: '\u001B[C',
	left: '\u001B[D',
	tab: '\t',
	ctrlC: '\u0003',
	pageUp: '\u001B[5~',
	backspace: '\u007F',
	home: '\u001B[H',
	end: '\u001B[F',
} as const;

export type Terminal = {
	screen: () => string;
	waitFor: (pattern: string | RegExp, timeoutMs?: number) => Promise<string>;
	press: (key: string) => Promise<void>;
	type: (text: string) => Promise<void>;
	/** Types `text` one key per write, back to back, without waiting for a frame in between. */
	typeFast: (text: string) => Promise<void>;
	/** Writes `text` in ONE write (a burst: several enters arrive in one read). */
	burst: (text: string) => Promise<void>;
	exited: Promise<number>;
	/** Everything the program wrote, raw, for byte-level checks. */
	output: () => string;
	kill: () => void;
	/** Resizes the terminal, as a person dragging the window would. */
	resize: (columns: number, rows: number) => void;
	/** Moves down a select list until `label` is highlighted. */
	select: (label: string) => Promise<void>;
	/** Screen rows (0-based) that continue the row above: the program wrote a line wider than the terminal. */
	wrappedRows: () => number[];
};

export function spawnTui(args: string[] = [], options: {columns?: number; rows?: number; env?: Record<string, string>; cwd?: string} = {}): Terminal {
	const columns = options.columns ?? 120;
	let rows = options.rows ?? 40;
	const env: Record<string, string> = {};
	for (const [key, value] of Object.entries(process.env)) {
		// With CI set, Ink draws nothing until exit.
		if (value !== undefined && key !== 'CI') env[key] = value;
	}

	// A UTF-8 terminal unless a test says otherwise (TERM=dumb or LANG=C: the ASCII glyphs),
	// whatever locale the machine running the tests has.
	delete env.LC_ALL;
	delete env.LC_CTYPE;
	Object.assign(env, {TERM: 'xterm-256color', LANG: 'C.UTF-8'}, options.env);
	const term = new xterm.Terminal({cols: columns, rows, allowProposedApi: true});
	const child = pty.spawn(process.execPath, [cliPath, ...args], {name: env.TERM ?? 'xterm-256color', cols: columns, rows, env, cwd: options.cwd});
	let raw = '';
	let lastDataAt = Date.now();
	child.onData(data => {
		raw += data;
		lastDataAt = Date.now();
		term.write(data);
	});
	const exited = new Promise<number>(resolve => {
		child.onExit(({exitCode}) => resolve(exitCode));
	});

	const screen = () => {
		const buffer = term.buffer.active;
		const lines: string[] = [];
		for (let y = 0; y < rows; y++) lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
		return lines.join('\n');
	};

	const waitFor = async (pattern: string | RegExp, timeoutMs = 8000) => {
		const deadline = Date.now() + timeoutMs;
		const matches = (text: string) => (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text));
		for (;;) {
			// Let xterm finish parsing what arrived.
			await new Promise<void>(resolve => term.write('', resolve));
			if (matches(screen())) {
				// A frame can arrive in pieces: wait until the output has been quiet for a
				// moment, then read the whole screen (and check it still matches).
				while (Date.now() - lastDataAt < 40 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10));
				await new Promise<void>(resolve => term.write('', resolve));
				const text = screen();
				if (matches(text)) {
					// Ink rebinds input handlers just after drawing: yield before the next key.
					await new Promise(resolve => setTimeout(resolve, 30));
					return text;
				}
			}

			const text = screen();
			if (Date.now() > deadline) throw new Error(`Timed out waiting for ${String(pattern)}. Screen:\n${text}`);
			await new Promise(resolve => setTimeout(resolve, 20));
		}
	};

	const press = async (key: string) => {
		child.write(key);
		await new Promise(resolve => setTimeout(resolve, 40));
	};

	const type = async (text: string) => {
		for (const char of text) await press(char);
	};

	const typeFast = async (text: string) => {
		for (const char of text) child.write(char);
		await new Promise(resolve => setTimeout(resolve, 40));
	};

	const burst = async (text: string) => {
		child.write(text);
		await new Promise(resolve => setTimeout(resolve, 40));
	};

	const select = async (label: string) => {
		// The list's pointer: Unicode, or ASCII on a TERM=dumb / LANG=C terminal.
		const pointedLine = () => screen().split('\n').find(line => /^[│|]? ?[❯>] \S/.test(line));
		for (let i = 0; i < 12; i++) {
			const pointed = ['❯', '>'].map(pointer => `${pointer} ${label}`).find(text => screen().includes(text));
			if (pointed) {
				await waitFor(pointed);
				return;
			}

			// One down, then wait for the pointer to move before the next (on a loaded machine
			// a frame can take longer than any fixed pause: a second down would overshoot).
			const before = pointedLine();
			await press(keys.down);
			const deadline = Date.now() + 8000;
			while (pointedLine() === before && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 30));
			await new Promise<void>(resolve => term.write('', resolve));
		}

		throw new Error(`"${label}" never became the highlighted item. Screen:\n${screen()}`);
	};

	const wrappedRows = () => {
		const buffer = term.buffer.active;
		const wrapped: number[] = [];
		for (let y = 0; y < rows; y++) if (buffer.getLine(buffer.viewportY + y)?.isWrapped) wrapped.push(y);
		return wrapped;
	};

	const resize = (newColumns: number, newRows: number) => {
		child.resize(newColumns, newRows);
		term.resize(newColumns, newRows);
		rows = newRows;
	};

	return {screen, waitFor, press, type, typeFast, burst, exited, output: () => raw, kill: () => child.kill(), select, resize, wrappedRows};
}

/**
 * Presses `key` to open a screen and waits for `shown`. On a loaded machine a key can land
 * between a new screen's first frame and the moment Ink binds its keys; then it is pressed
 * once more if nothing at all changed (a test using this checks where the key leads, not
 * that race: the key was taken by the screen that was just replaced).
 */
export async function pressToOpen(tui: Terminal, key: string, shown: string | RegExp, timeoutMs = 8000): Promise<string> {
	const before = tui.screen();
	await tui.press(key);
	try {
		return await tui.waitFor(shown, 3000);
	} catch {
		// Pressed again only if the first press changed nothing at all.
		if (tui.screen() === before) await tui.press(key);
		return tui.waitFor(shown, timeoutMs);
	}
}

/** The session screen's Explain pane as one line of text (its wrapped rows joined, spaces collapsed). */
export const explainPane = (screen: string) => screen.split('\n').map(line => line.split('││')[1]?.replace(/│$/, '') ?? '').join(' ').replace(/\s+/g, ' ');

/** Runs `body` against a fresh TUI and checks it quits with 0 on q at the end. */
export async function withTui(args: string[], body: (tui: Terminal) => Promise<void>, options: Parameters<typeof spawnTui>[1] = {}): Promise<void> {
	const tui = spawnTui(args, options);
	try {
		await body(tui);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
}

/** A lesson screen drawn whole: its pane, the Next pane and the footer. */
export const lessonSettled = /Lesson: [\s\S]*Next: [\s\S]*q quit/;

/** Presses enter until `until` is on screen (at most `max` times), each press waited out. */
export async function enterUntil(tui: Terminal, until: string | RegExp, max = 12): Promise<string> {
	const seen = (screen: string) => (typeof until === 'string' ? screen.includes(until) : until.test(screen));
	for (let i = 0; i < max && !seen(tui.screen()); i++) {
		const before = tui.screen();
		await tui.press(keys.enter);
		for (let wait = 0; wait < 200 && (tui.screen() === before || tui.screen().includes('working…')); wait++) await new Promise(resolve => setTimeout(resolve, 20));
		await tui.waitFor(lessonSettled, 20_000);
	}

	return tui.waitFor(until, 20_000);
}
