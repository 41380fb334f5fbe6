// The Next pane: the exact bytes the next step will send, CRLF shown, before they go.
import React from 'react';
import {Box, Text} from 'ink';
import TextInput from 'ink-text-input';
import {safeText, showCrlf} from '../protocol/safe-text.js';
import type {Preview} from '../engine/session.js';
import type {ViewState} from './session-view-state.js';
import {fit} from './transcript-pane.js';

export type NextPaneProps = {
	preview: Preview;
	view: ViewState;
	width: number;
	completions: string[];
	onInput: (value: string) => void;
	onSubmit: (value: string) => void;
};

const shownLines = 3;

export function NextPane({preview, view, width, completions, onInput, onSubmit}: NextPaneProps) {
	const inputMode = view.mode === 'edit' || view.mode === 'manual';
	return (
		<Box flexDirection="column" borderStyle="single" width={width}>
			{inputMode ? (
				<>
					<Text bold>{view.mode === 'edit' ? 'Edit the next command (enter sends, esc cancels)' : 'Manual command (tab completes, enter sends, esc cancels)'}</Text>
					<Box>
						<Text color="cyan">{'> '}</Text>
						<TextInput value={view.input} onChange={onInput} onSubmit={onSubmit} />
					</Box>
					{view.mode === 'manual' && completions.length > 0 ? <Text dimColor>{fit(completions.join(' '), width - 4)}</Text> : null}
				</>
			) : (
				<>
					<Text bold>
						Next{view.busy ? ' · working…' : ''}: <Text dimColor>{fit(preview.description, width - 14)}</Text>
					</Text>
					{preview.lines.slice(0, shownLines).map((line, index) => (
						// eslint-disable-next-line react/no-array-index-key
						<Text key={index} color="cyan" wrap="truncate">{fit(preview.kind === 'connect' ? line : showCrlf(safeText(line)), width - 4)}</Text>
					))}
					{preview.lines.length > shownLines ? <Text dimColor>… {preview.lines.length - shownLines} more lines</Text> : null}
					{preview.decoded === undefined ? null : <Text dimColor>{fit(`= "${safeText(preview.decoded)}" (base64 decoded, password masked)`, width - 4)}</Text>}
				</>
			)}
			{view.notice ? <Text color="yellow" wrap="truncate">{fit(view.notice, width - 4)}</Text> : null}
		</Box>
	);
}
