// One line of text being typed (the manual command, an edited step, a wizard answer): the
// text and the cursor, changed key by key by a pure function. The screens keep this state
// where every key sees the one before it (see use-session.ts), so fast typing loses nothing.
import type {Key} from 'ink';

export type LineState = {value: string; cursor: number};

export const emptyLine: LineState = {value: '', cursor: 0};

/** A line holding `value` with the cursor at its end (after a completion, or when opened). */
export function lineAt(value: string): LineState {
	return {value, cursor: value.length};
}

/**
 * The line after one key. Keys that are not editing (enter, esc, tab, ↑↓, Ctrl-C) leave it
 * as it was: the screen handles those.
 */
export function editLine(state: LineState, input: string, key: Key): LineState {
	const cursor = Math.min(Math.max(0, state.cursor), state.value.length);
	const {value} = state;
	if (key.return || key.escape || key.tab || key.upArrow || key.downArrow || key.pageUp || key.pageDown) return state;
	if (key.leftArrow) return {value, cursor: Math.max(0, cursor - 1)};
	if (key.rightArrow) return {value, cursor: Math.min(value.length, cursor + 1)};
	if (key.home || (key.ctrl && input === 'a')) return {value, cursor: 0};
	if (key.end || (key.ctrl && input === 'e')) return {value, cursor: value.length};
	if (key.ctrl && input === 'u') return {value: value.slice(cursor), cursor: 0};
	// Terminals send DEL (0x7f) for the Backspace key, which Ink reports as delete.
	if (key.backspace || key.delete) {
		if (cursor === 0) return state;
		return {value: value.slice(0, cursor - 1) + value.slice(cursor), cursor: cursor - 1};
	}

	if (key.ctrl || key.meta || input === '') return state;
	// A paste arrives as one input: line breaks in it become spaces (one line is one line).
	const text = input.replace(/[\r\n]+/g, ' ');
	return {value: value.slice(0, cursor) + text + value.slice(cursor), cursor: cursor + text.length};
}
