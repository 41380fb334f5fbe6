// The transcript, windowed: only the rows in view are drawn, so a 10,000-line session
// costs the same per frame as a 40-line one.
import React from 'react';
import {Box, Text} from 'ink';
import {asShown, safeOutput, safeText} from './terminal-text.js';
import type {TranscriptEntry} from '../protocol/transcript.js';
import {visibleRange, type ViewState} from './session-view-state.js';
import {glyphs} from './glyphs.js';

export type TranscriptPaneProps = {
	entries: readonly TranscriptEntry[];
	view: ViewState;
	width: number;
};

export function entryMarker(entry: TranscriptEntry): string {
	const tls = entry.tls ? '~' : ' ';
	switch (entry.direction) {
		case 'client':
			return `C${tls}`;
		case 'server':
			return `S${tls}`;
		case 'tls':
			return glyphs.lock;
		case 'info':
			return glyphs.note;
		case 'error':
			return '!!';
	}
}

export function entryColor(entry: TranscriptEntry): string | undefined {
	switch (entry.direction) {
		case 'client':
			return 'cyan';
		case 'server': {
			const digit = Math.floor((entry.code ?? 0) / 100);
			return digit === 2 ? 'green' : digit === 3 ? 'blue' : digit === 4 ? 'yellow' : digit === 5 ? 'red' : undefined;
		}

		case 'tls':
			return 'magenta';
		case 'info':
			return 'gray';
		case 'error':
			return 'red';
	}
}

export function fit(raw: string, width: number): string {
	if (width <= 1) return '';
	// A TAB would jump to the terminal's next tab stop and break the box borders.
	const text = asShown(raw).replace(/\t/g, '    ');
	return text.length > width ? text.slice(0, Math.max(0, width - glyphs.ellipsis.length)) + glyphs.ellipsis : text;
}

export function TranscriptPane({entries, view, width}: TranscriptPaneProps) {
	const {from, to} = visibleRange(view);
	const rows: React.ReactNode[] = [];
	// Fewer entries than the view counts when some are held back (quiz mode).
	for (let index = from; index < Math.min(to, entries.length); index++) {
		const entry = entries[index]!;
		const selected = index === view.cursor;
		const text = fit(safeText(entry.text), width - 4);
		rows.push(
			<Text key={entry.seq} wrap="truncate" inverse={selected}>
				<Text>{selected ? glyphs.selected : ' '}</Text>
				<Text color={entryColor(entry)} bold={entry.direction === 'error'}>{safeOutput(entryMarker(entry))} {safeOutput(text)}</Text>
			</Text>,
		);
	}

	return (
		<Box flexDirection="column" borderStyle={glyphs.border} width={width + 2} height={view.height + 2} paddingLeft={0}>
			{rows.length === 0 ? <Text dimColor>Nothing sent yet. The Next pane shows what enter will do.</Text> : rows}
		</Box>
	);
}
