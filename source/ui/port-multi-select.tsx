// Choose the ports to compare: space toggles, enter starts (two or more), Esc or b goes back
// to the port picker, q quits.
import React, {useState} from 'react';
import {Box, Text} from 'ink';
import {portTexts} from '../protocol/explain.js';
import {pickerPorts} from './port-picker.js';
import {useScreenInput} from './screen-input.js';
import {safeOutput} from './terminal-text.js';
import {glyphs} from './glyphs.js';

export type PortMultiSelectProps = {
	onStart: (ports: number[]) => void;
	/** Esc or b: back to the port picker. */
	onCancel: () => void;
	/** q: quit smtp-tui (exit 0), as on every screen. */
	onQuit: () => void;
};

export function PortMultiSelect({onStart, onCancel, onQuit}: PortMultiSelectProps) {
	const [chosen, setChosen] = useState<Set<number>>(new Set(pickerPorts));
	const [cursor, setCursor] = useState(0);
	const [notice, setNotice] = useState<string>();
	useScreenInput((input, key) => {
		if (input === 'q') onQuit();
		else if (key.escape || input === 'b') onCancel();
		else if (key.upArrow) setCursor(c => Math.max(0, c - 1));
		else if (key.downArrow) setCursor(c => Math.min(pickerPorts.length - 1, c + 1));
		else if (input === ' ') {
			const port = pickerPorts[cursor]!;
			setChosen(previous => {
				const next = new Set(previous);
				if (next.has(port)) next.delete(port);
				else next.add(port);
				return next;
			});
		} else if (key.return) {
			if (chosen.size < 2) setNotice('Choose at least two ports to compare.');
			else onStart(pickerPorts.filter(p => chosen.has(p)));
		}
	});
	return (
		<Box flexDirection="column" borderStyle={glyphs.border} paddingX={1}>
			<Text bold>Compare which ports? (space toggles, enter starts, esc cancels)</Text>
			{pickerPorts.map((port, index) => (
				<Text key={port} inverse={index === cursor}>
					{chosen.has(port) ? '[x]' : '[ ]'} {safeOutput(String(port).padEnd(5))} {safeOutput(portTexts[port].name)}
				</Text>
			))}
			{notice ? <Text color="yellow">{safeOutput(notice)}</Text> : null}
			<Text dimColor>{glyphs.upDown} move  space toggle  enter start  esc/b back  q quit</Text>
		</Box>
	);
}
