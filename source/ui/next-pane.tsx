// The Next pane: the exact bytes the next step will send, CRLF shown, before they go. Its
// height never changes (a long message, a notice, the manual input): the frame stays
// inside the window whatever is typed.
import React from 'react';
import {Box, Text} from 'ink';
import {safeOutput, safeText, showCrlf} from './terminal-text.js';
import type {Preview} from '../engine/session.js';
import type {ViewState} from './session-view-state.js';
import {credentialsStart} from '../protocol/redact.js';
import {LineInput} from './line-input.js';
import {fit} from './transcript-pane.js';
import {glyphs} from './glyphs.js';

export type NextPaneProps = {
	preview: Preview;
	view: ViewState;
	width: number;
	completions: string[];
	/** After DATA's 354: the manual line is a message line. */
	inMessage?: boolean;
	/** A SASL exchange typed by hand waits for its answer. */
	saslAnswer?: boolean;
};

/** Rows inside the pane's border. */
export const nextPaneRows = 4;

function inputTitle(view: ViewState, inMessage?: boolean, saslAnswer?: boolean): string {
	if (view.mode === 'edit') return 'Edit the next command (enter sends, esc cancels)';
	if (inMessage) return 'Message line (after 354): headers, an empty line, the body; a lone . ends the message (esc closes)';
	if (saslAnswer) return 'Answer the server\'s 334 (base64), or * to cancel the login (enter sends, esc closes)';
	return 'Manual command (tab completes, enter sends, esc cancels)';
}

/** What is typed into a SASL answer, or after `AUTH MECH `, shows as stars (the secret gate masks the line once sent). */
function secretInput(view: ViewState, saslAnswer?: boolean): {mask?: string; maskFrom?: number} {
	if (view.mode !== 'manual') return {};
	if (saslAnswer) return {mask: '*', maskFrom: 0};
	const from = credentialsStart(view.input);
	return from === undefined ? {} : {mask: '*', maskFrom: from};
}

export function NextPane({preview, view, width, completions, inMessage, saslAnswer}: NextPaneProps) {
	const inputMode = view.mode === 'edit' || view.mode === 'manual';
	const inner = width - 4;
	const notice = view.notice ? <Text color="yellow" wrap="truncate">{safeOutput(fit(view.notice, inner))}</Text> : null;
	if (inputMode) {
		return (
			<Box flexDirection="column" borderStyle={glyphs.border} width={width} height={nextPaneRows + 2} overflow="hidden">
				<Text bold wrap="truncate">{safeOutput(fit(inputTitle(view, inMessage, saslAnswer), inner))}</Text>
				<Box>
					<Text color="cyan">{'> '}</Text>
					<LineInput line={{value: view.input, cursor: view.inputCursor}} width={inner - 2} {...secretInput(view, saslAnswer)} />
				</Box>
				{view.mode === 'manual' && completions.length > 0 && !inMessage ? <Text dimColor wrap="truncate">{safeOutput(fit(completions.join(' '), inner))}</Text> : null}
				{notice}
			</Box>
		);
	}

	// Title, then as many lines as fit beside the decoding and the notice.
	const room = nextPaneRows - 1 - (preview.decoded === undefined ? 0 : 1) - (view.notice ? 1 : 0);
	const more = preview.lines.length > room;
	const shown = preview.lines.slice(0, more ? Math.max(0, room - 1) : room);
	return (
		<Box flexDirection="column" borderStyle={glyphs.border} width={width} height={nextPaneRows + 2} overflow="hidden">
			<Text bold wrap="truncate">
				Next{view.busy ? safeOutput(` ${glyphs.dot} working${glyphs.ellipsis}`) : ''}: <Text dimColor>{safeOutput(fit(preview.description, inner - 14))}</Text>
			</Text>
			{shown.map((line, index) => (
				// eslint-disable-next-line react/no-array-index-key
				<Text key={index} color="cyan" wrap="truncate">{safeOutput(fit(preview.kind === 'connect' ? line : showCrlf(safeText(line)), inner))}</Text>
			))}
			{preview.waiting === undefined ? null : <Text color="yellow" wrap="wrap">{safeOutput(preview.waiting)}</Text>}
			{more ? <Text dimColor>{glyphs.ellipsis} {preview.lines.length - shown.length} more lines</Text> : null}
			{preview.decoded === undefined ? null : <Text dimColor wrap="truncate">{safeOutput(fit(`= "${safeText(preview.decoded)}" (base64 decoded, password masked)`, inner))}</Text>}
			{notice}
		</Box>
	);
}
