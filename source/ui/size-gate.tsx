// Below the minimum terminal size drawing pauses: a one-line note replaces the frame, and
// the screen underneath stays mounted (hidden, keys off) with its session, lesson, compare
// or journey state, drawn again at the last good size until the terminal is big enough.
import React, {useRef} from 'react';
import {Box, Text} from 'ink';
import {InputPaused, useScreenInput} from './screen-input.js';
import {useTerminalSize} from './use-terminal-size.js';
import {glyphs} from './glyphs.js';

export const minColumns = 80;
export const minRows = 24;

export type SizeGateProps = {
	/** q and Ctrl-C while paused. */
	onQuit: () => void;
	children: (size: {columns: number; rows: number}) => React.ReactNode;
};

export function SizeGate({onQuit, children}: SizeGateProps) {
	const size = useTerminalSize();
	const tooSmall = size.columns < minColumns || size.rows < minRows;
	const lastGood = useRef({columns: Math.max(minColumns, size.columns), rows: Math.max(minRows, size.rows)});
	if (!tooSmall) lastGood.current = size;
	useScreenInput((input, key) => {
		if (input === 'q' || (key.ctrl && input === 'c')) onQuit();
	}, {isActive: tooSmall});

	return (
		<Box flexDirection="column">
			{tooSmall ? <Text color="yellow" wrap="wrap">Make the terminal at least {minColumns}{glyphs.times}{minRows} (it is {size.columns}{glyphs.times}{size.rows} now). Everything is kept; q quits.</Text> : null}
			<InputPaused.Provider value={tooSmall}>
				<Box display={tooSmall ? 'none' : 'flex'} flexDirection="column">
					{children(lastGood.current)}
				</Box>
			</InputPaused.Provider>
		</Box>
	);
}
