// Every screen's keys in one table per screen: its footer and its help overlay (`?`) are
// both made from it, so they cannot disagree. The footer keeps the way back, `? help` and
// `q quit` whatever the width and drops the other keys (never cut) when the row is full:
// the help overlay lists them all. The overlay fits the window and scrolls with the keys
// that scroll everywhere else (↑↓/j k, PgUp/PgDn, Home/End or g/G), and says so.
import React, {useEffect, useState, type ReactNode} from 'react';
import {Box, Text, type Key} from 'ink';
import wrapAnsi from 'wrap-ansi';
import {asShown, safeOutput} from './terminal-text.js';
import {glyphs} from './glyphs.js';

export type ScreenKey = {
	/** As the help overlay shows it ("enter", "esc/b"). */
	keys: string;
	help: string;
	/** The footer's label ("enter open"); none: only in the help overlay. */
	footer?: string;
	/** Always in the footer, at its end (the way back, help, quit). */
	keep?: boolean;
};

/** The `?` key, for every screen's table. */
export const helpKey: ScreenKey = {keys: '?', help: 'show or hide this help', footer: '? help', keep: true};
/** q and Ctrl-C, for every screen's table. */
export const quitKey: ScreenKey = {keys: 'q/Ctrl-C', help: 'quit smtp-tui', footer: 'q quit', keep: true};

/**
 * A footer for `width` columns: the `kept` labels always, at the end; before them as many of
 * `optional` as fit, in order (most needed first). A label is never cut.
 */
export function fitFooter(width: number, optional: readonly string[], kept: readonly string[]): string {
	const tail = kept.join('  ');
	const parts: string[] = [];
	let used = asShown(tail).length;
	for (const part of optional) {
		const length = asShown(part).length + 2;
		if (used + length > width) continue;
		parts.push(part);
		used += length;
	}

	return [...parts, tail].filter(part => part !== '').join('  ');
}

/** A screen's footer from its key table. */
export function screenFooter(keys: readonly ScreenKey[], width: number): string {
	const labels = (kept: boolean) => keys.filter(key => key.footer !== undefined && Boolean(key.keep) === kept).map(key => key.footer!);
	return fitFooter(width, labels(false), labels(true));
}

const keyColumn = 12;

/** The overlay's rows for `width` columns inside its border: the keys, then the help wrapped beside them. */
export function helpLines(keys: readonly ScreenKey[], notes: readonly string[], width: number): Array<{keys: string; text: string; note?: boolean}> {
	const textWidth = Math.max(10, width - keyColumn - 1);
	const lines: Array<{keys: string; text: string; note?: boolean}> = [];
	for (const key of keys) {
		const wrapped = wrapAnsi(asShown(key.help), textWidth, {hard: true, trim: true}).split('\n');
		wrapped.forEach((text, index) => lines.push({keys: index === 0 ? asShown(key.keys).padEnd(keyColumn) : ' '.repeat(keyColumn), text}));
	}

	for (const note of notes) {
		for (const text of wrapAnsi(asShown(note), Math.max(10, width), {hard: true, trim: true}).split('\n')) lines.push({keys: '', text, note: true});
	}

	return lines;
}

export type KeyHelp = {
	open: boolean;
	/**
	 * A screen's keys go here first: `?` opens the overlay; while it is open it takes every key
	 * (scrolling, and esc/b/? to close) but q and Ctrl-C, left to the screen. True when taken.
	 */
	handle: (input: string, key: Key) => boolean;
	/** The scrolling keys alone (a screen that opens and closes the overlay itself). */
	scroll: (input: string, key: Key) => boolean;
	/** The overlay, or null while it is closed. */
	overlay: ReactNode;
	/** The footer while the overlay is open. */
	footer: (width: number) => string;
};

export type KeyHelpOptions = {
	keys: readonly ScreenKey[];
	/** Paragraphs after the keys (markers, what a screen left out to fit the window). */
	notes?: readonly string[];
	width: number;
	/** Rows the overlay may take, its border included. */
	height: number;
	/** The footer's way back while it is open. */
	back?: string;
	/** Open from outside (the session's own view mode); the overlay then only scrolls. */
	open?: boolean;
};

export function useKeyHelp({keys, notes = [], width, height, back = 'esc/b back', open: controlled}: KeyHelpOptions): KeyHelp {
	const [state, setState] = useState({open: false, offset: 0});
	const open = controlled ?? state.open;
	// Opened again, it starts at the top.
	useEffect(() => {
		if (!open) setState(current => (current.offset === 0 ? current : {...current, offset: 0}));
	}, [open]);
	const lines = helpLines(keys, notes, width - 4);
	// Border (2), title (1); when it does not fit, one row says where the view is.
	const room = Math.max(1, height - 3);
	const scrolls = lines.length > room;
	const page = scrolls ? Math.max(1, room - 1) : room;
	const maxOffset = Math.max(0, lines.length - page);
	const offset = Math.min(state.offset, maxOffset);

	const move = (to: number) => setState(current => ({...current, offset: Math.max(0, Math.min(maxOffset, to))}));
	const scroll = (input: string, key: Key): boolean => {
		if (key.upArrow || input === 'k') move(offset - 1);
		else if (key.downArrow || input === 'j') move(offset + 1);
		else if (key.pageUp) move(offset - page);
		else if (key.pageDown) move(offset + page);
		else if (key.home || input === 'g') move(0);
		else if (key.end || input === 'G') move(maxOffset);
		else return false;
		return true;
	};

	const handle = (input: string, key: Key): boolean => {
		if (!open) {
			if (input !== '?') return false;
			setState({open: true, offset: 0});
			return true;
		}

		if (input === 'q' || (key.ctrl && input === 'c')) return false;
		if (key.escape || input === 'b' || input === '?') setState({open: false, offset: 0});
		else scroll(input, key);
		return true;
	};

	const shown = lines.slice(offset, offset + page);
	const overlay = open ? (
		<Box flexDirection="column" borderStyle={glyphs.borderOverlay} width={width} height={Math.min(height, lines.length + 3)} paddingX={1} overflow="hidden">
			<Text bold>Keys (press ? or esc to close)</Text>
			{shown.map((line, index) => (
				// eslint-disable-next-line react/no-array-index-key
				<Text key={index} dimColor={line.note}>
					<Text color="cyan">{safeOutput(line.keys)}</Text>{line.note ? '' : ' '}{safeOutput(line.text)}
				</Text>
			))}
			{scrolls ? <Text dimColor>{safeOutput(`lines ${offset + 1}${glyphs.range}${offset + shown.length} of ${lines.length} ${glyphs.dot} ${glyphs.upDown}/j k PgUp PgDn Home End scroll`)}</Text> : null}
		</Box>
	) : null;

	const footer = (footerWidth: number) => fitFooter(footerWidth, scrolls ? [`${glyphs.upDown} PgUp PgDn scroll`] : [], [back, helpKey.footer!, quitKey.footer!]);
	return {open, handle, scroll, overlay, footer};
}
