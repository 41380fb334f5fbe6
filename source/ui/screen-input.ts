// Keys for a screen. Three things every screen needs:
// - several keys that arrive in one read (fast typing, a paste, a loaded machine) are
//   handed over one key per commit, so none is lost or taken for another, and each acts on
//   the state the key before it left (Down then space toggles the row Down moved to). A
//   handler that did only what the next key sees without a commit (a line edited through
//   useReducerNow) returns 'latest': a paste into a text input goes through in one pass;
// - no key is lost while one screen replaces another: one listener at the app's root (the
//   KeyRouter, always mounted) hands each key to the screens' handlers, registered in the
//   commit that draws them (Ink's own `useInput` binds a new screen only after its first
//   frame, when the old one's handler is already gone). While a screen is being replaced or
//   started (a lab, a session) keys wait in order and go to the screen that comes next;
// - while drawing is paused (the terminal is below the minimum size) no key reaches the
//   screen: it stays mounted with all its state, and nothing happens unseen.
import {createContext, createElement, useContext, useLayoutEffect, useRef, useState, type ReactNode} from 'react';
import {useInput, type Key} from 'ink';

export const InputPaused = createContext(false);

/** Whether a screen (or a component in it) should take keys now. */
export function useInputActive(isActive = true): boolean {
	return isActive && !useContext(InputPaused);
}

/**
 * One event per key. Ink hands a read of plain characters over as one input ("mRCPT",
 * "\r\r\r"); escape sequences (arrows, Esc) always come one per event already.
 */
export function keysOf(input: string, key: Key): Array<[string, Key]> {
	const chars = [...input];
	if (chars.length <= 1 || input.includes('\u001B')) return [[input, key]];
	const plain: Key = {...key, return: false, tab: false, backspace: false, delete: false, ctrl: false, meta: false, shift: false, escape: false};
	return chars.flatMap((char): Array<[string, Key]> => {
		if (char === '\r' || char === '\n') return [['', {...plain, return: true}]];
		if (char === '\t') return [['', {...plain, tab: true}]];
		if (char === '\u007F') return [['', {...plain, delete: true}]];
		if (char === '\b') return [['', {...plain, backspace: true}]];
		const code = char.codePointAt(0)!;
		if (code < 0x20) return [[String.fromCodePoint(code + 0x60), {...plain, ctrl: true}]]; // Ctrl-letter
		return [[char, {...plain, shift: /[A-Z]/.test(char)}]];
	});
}

/** Returns 'latest' when what it did is seen by the next key without a commit (see the top). */
type Handler = (input: string, key: Key) => void | 'latest';
type Entry = {handler: {current: Handler}};

/** Keys waiting at most (a paste into a screen that never comes keeps the newest). */
const queueLimit = 4096;
/** Commits in a row that may hand queued keys on before the rest waits for the next tick. */
const nestedLimit = 20;

/** Hands keys to the registered handlers, in order; holds them while no screen can take them. */
export class KeyRouter {
	private readonly entries = new Set<Entry>();
	private readonly queue: Array<[string, Key, number]> = [];
	private handing = 0;
	private held = false;
	private starting = 0;
	private draining = false;
	private nested = 0;

	/** `commit` asks React for a commit of the root (its layout effect calls `committed`). */
	constructor(private readonly commit: () => void) {}

	register(entry: Entry): () => void {
		this.entries.add(entry);
		if (this.queue.length > 0) this.commit();
		return () => {
			this.entries.delete(entry);
		};
	}

	/** Keys as Ink read them. */
	push(input: string, key: Key): void {
		const now = performance.now();
		this.queue.push(...keysOf(input, key).map(([one, oneKey]): [string, Key, number] => [one, oneKey, now]));
		if (this.queue.length > queueLimit) this.queue.splice(0, this.queue.length - queueLimit);
		this.drain();
	}

	/** When the key being handed over was read (performance.now()): a key pressed while a step was in flight is refused even if it is handed over after the step ended. */
	pressedAt(): number {
		return this.handing;
	}

	/** The screen is being replaced: keys wait for the commit that draws the next one. */
	settle(): void {
		this.held = true;
		this.commit();
	}

	/** Something the next screen needs is starting (a lab, a session): keys wait for it. */
	start(): void {
		this.starting++;
	}

	/** Call after the screen it was for has been shown (or the refusal). */
	started(): void {
		this.starting = Math.max(0, this.starting - 1);
		this.settle();
	}

	/** The root's layout effect: every screen of this commit has registered its handlers. */
	committed(): void {
		if (this.nested++ === 0) setImmediate(() => {
			this.nested = 0;
		});
		if (this.nested > nestedLimit) {
			// React allows only so many updates nested in commits: go on in the next tick.
			setImmediate(() => this.commit());
			return;
		}

		this.held = false;
		this.drain();
	}

	private drain(): void {
		if (this.draining) return;
		this.draining = true;
		try {
			while (this.queue.length > 0 && !this.held && this.starting === 0 && this.entries.size > 0) {
				const [input, key, at] = this.queue.shift()!;
				this.handing = at;
				let latest = true;
				for (const entry of [...this.entries]) if (this.entries.has(entry) && entry.handler.current(input, key) !== 'latest') latest = false;
				// The next key waits for the commit of what this one changed: every handler then
				// reads the state (and closure) this key left, not the frame before it.
				if (!latest) this.settle();
			}
		} finally {
			this.draining = false;
		}
	}
}

const RouterContext = createContext<KeyRouter | undefined>(undefined);

/** The app's router (undefined outside a KeyRouterRoot: a component rendered on its own). */
export function useKeyRouter(): KeyRouter | undefined {
	return useContext(RouterContext);
}

/** The one always-mounted key listener; every `useScreenInput` below it gets its keys here. */
export function KeyRouterRoot({children}: {children: ReactNode}) {
	const [, setTick] = useState(0);
	const router = useRef<KeyRouter | undefined>(undefined);
	router.current ??= new KeyRouter(() => setTick(tick => tick + 1));
	useInput((input, key) => router.current!.push(input, key));
	useLayoutEffect(() => router.current!.committed());
	return createElement(RouterContext.Provider, {value: router.current}, children);
}

/** A screen's keys, one per commit, silent while drawing is paused (see the top of this file). */
export function useScreenInput(handler: Handler, options: {isActive?: boolean} = {}): void {
	const router = useKeyRouter();
	const active = useInputActive(options.isActive ?? true);
	const current = useRef(handler);
	useLayoutEffect(() => {
		current.current = handler;
	});
	useLayoutEffect(() => (router && active ? router.register({handler: current}) : undefined), [router, active]);
	// Outside a KeyRouterRoot (a component test): Ink's own listener.
	useInput((input, key) => {
		for (const [one, oneKey] of keysOf(input, key)) handler(one, oneKey);
	}, {isActive: active && !router});
}
