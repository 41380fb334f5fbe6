// The Explain pane: plain words about the selected transcript line.
import React from 'react';
import {Box, Text} from 'ink';
import wrapAnsi from 'wrap-ansi';
import type {ExplainLine} from './explain-lines.js';
import {asShown, safeOutput} from './terminal-text.js';
import {glyphs} from './glyphs.js';

export type ExplainPaneProps = {
	lines: ExplainLine[];
	width: number;
	/** Rows inside the border, the title row included. */
	height: number;
};

/**
 * The pane's rows under its title: every line wrapped whole at `width` (words kept whole where
 * they fit, a longer one broken), so no piece of a sentence is lost. When they are more than
 * `rows`, the first `rows - 1` and a last row that says how many more there are (a taller
 * terminal shows them; the Markdown export has every explanation).
 */
export function explainRows(lines: readonly ExplainLine[], width: number, rows: number): ExplainLine[] {
	const columns = Math.max(1, width);
	const wrapped = lines.flatMap(line =>
		wrapAnsi(asShown(line.text), columns, {hard: true, trim: false})
			.split('\n')
			// A row that a break began carries the space the break was at: drop it, keep the
			// line's own indentation on its first row.
			.map((text, index) => ({text: index === 0 ? text : text.replace(/^ /, ''), tone: line.tone})),
	);
	if (wrapped.length <= rows) return wrapped;
	const kept = wrapped.slice(0, Math.max(0, rows - 1));
	const more = wrapped.length - kept.length;
	const long = `${glyphs.ellipsis} ${more} more row${more === 1 ? '' : 's'}: make the terminal taller`;
	const middle = `${glyphs.ellipsis} ${more} more row${more === 1 ? '' : 's'}: taller terminal`;
	const short = `${glyphs.ellipsis} ${more} more`;
	return [...kept, {text: [long, middle, short].find(text => text.length <= columns) ?? glyphs.ellipsis, tone: 'dim'}];
}

export function ExplainPane({lines, width, height}: ExplainPaneProps) {
	return (
		<Box flexDirection="column" borderStyle={glyphs.border} width={width + 2} height={height + 2} overflow="hidden">
			<Box flexShrink={0}>
				<Text bold>Explain</Text>
			</Box>
			{explainRows(lines, width, height - 1).map((row, index) => (
				// One row each, wrapped here: Yoga never shrinks a row away from the middle of a
				// sentence, and a pane too short says how much it left out.
				// eslint-disable-next-line react/no-array-index-key
				<Box key={index} flexShrink={0} height={1}>
					<Text wrap="truncate" bold={row.tone === 'heading'} color={row.tone === 'warning' ? 'yellow' : undefined} dimColor={row.tone === 'dim'}>
						{safeOutput(row.text)}
					</Text>
				</Box>
			))}
		</Box>
	);
}
