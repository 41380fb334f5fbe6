// The Explain pane: plain words about the selected transcript line.
import React from 'react';
import {Box, Text} from 'ink';
import type {ExplainLine} from './explain-lines.js';
import {safeOutput} from './terminal-text.js';
import {glyphs} from './glyphs.js';

export type ExplainPaneProps = {
	lines: ExplainLine[];
	width: number;
	height: number;
};

export function ExplainPane({lines, width, height}: ExplainPaneProps) {
	return (
		<Box flexDirection="column" borderStyle={glyphs.border} width={width + 2} height={height + 2} overflow="hidden">
			<Text bold>Explain</Text>
			{lines.map((line, index) => (
				// Never squeezed: a pane too short for its lines shows the first ones whole and
				// leaves out the rest (a shrunk line would lose rows from its middle).
				// eslint-disable-next-line react/no-array-index-key
				<Box key={index} flexShrink={0}>
					<Text wrap="wrap" bold={line.tone === 'heading'} color={line.tone === 'warning' ? 'yellow' : undefined} dimColor={line.tone === 'dim'}>
						{safeOutput(line.text)}
					</Text>
				</Box>
			))}
		</Box>
	);
}
