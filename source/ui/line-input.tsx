// Draws a line being typed, with its cursor (the state lives in line-edit.ts).
import React from 'react';
import {Text} from 'ink';
import {safeOutput, safeText} from './terminal-text.js';
import type {LineState} from './line-edit.js';

/** `mask` hides what is typed (from `maskFrom`, default the start): a password, a SASL answer. */
export type LineInputProps = {line: LineState; mask?: string; maskFrom?: number; placeholder?: string; width?: number};

export function LineInput({line, mask, maskFrom = 0, placeholder, width}: LineInputProps) {
	const shown = mask ? safeText(line.value.slice(0, maskFrom)) + mask.repeat(Math.max(0, line.value.length - maskFrom)) : safeText(line.value);
	const cursor = Math.min(line.cursor, shown.length);
	if (shown.length === 0 && placeholder) {
		return <Text><Text inverse> </Text><Text dimColor>{safeOutput(placeholder)}</Text></Text>;
	}

	// Keep the cursor in view on a narrow screen: show the end of a long line.
	const room = width === undefined ? Number.POSITIVE_INFINITY : Math.max(4, width - 1);
	const start = cursor > room ? cursor - room : 0;
	const visible = shown.slice(start, start + room + 1);
	const at = cursor - start;
	return (
		<Text>
			{safeOutput(visible.slice(0, at))}
			<Text inverse>{safeOutput(visible[at] ?? ' ')}</Text>
			{safeOutput(visible.slice(at + 1))}
		</Text>
	);
}
