// Keys for a screen. Two things every screen needs:
// - several keys that arrive in one read (fast typing, a paste, a loaded machine) are
//   handed over one key at a time, so none is lost or taken for another;
// - while drawing is paused (the terminal is below the minimum size) no key reaches the
//   screen: it stays mounted with all its state, and nothing happens unseen.
import {createContext, useContext} from 'react';
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

/** `useInput`, one key at a time, silent while drawing is paused. */
export function useScreenInput(handler: (input: string, key: Key) => void, options: {isActive?: boolean} = {}): void {
	useInput((input, key) => {
		for (const [one, oneKey] of keysOf(input, key)) handler(one, oneKey);
	}, {isActive: useInputActive(options.isActive ?? true)});
}
