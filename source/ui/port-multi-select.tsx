// Choose the ports to compare: space toggles, enter starts (two or more), Esc or b goes back
// to the port picker, q quits.
import React, {useState} from 'react';
import {Box, Text} from 'ink';
import {portTexts} from '../protocol/explain.js';
import {pickerPorts} from './port-picker.js';
import {useScreenInput} from './screen-input.js';
import {safeOutput} from './terminal-text.js';
import {glyphs} from './glyphs.js';
import {helpKey, quitKey, screenFooter, useKeyHelp, type ScreenKey} from './key-help.js';

export type PortMultiSelectProps = {
	onStart: (ports: number[]) => void;
	/** Esc or b: back to the port picker. */
	onCancel: () => void;
	/** q: quit smtp-tui (exit 0), as on every screen. */
	onQuit: () => void;
	columns?: number;
};

/** Rows the chooser takes below the port picker (its notice included). */
export const chooserRows = 9;

const chooserKeys: ScreenKey[] = [
	{keys: glyphs.upDown, help: 'move between the ports', footer: `${glyphs.upDown} move`},
	{keys: 'space', help: 'compare this port or not', footer: 'space toggle'},
	{keys: 'enter', help: 'start the comparison (two ports or more)', footer: 'enter start'},
	{keys: 'esc/b', help: 'back to the port picker', footer: 'esc/b back', keep: true},
	helpKey,
	quitKey,
];

export function PortMultiSelect({onStart, onCancel, onQuit, columns = 80}: PortMultiSelectProps) {
	const [chosen, setChosen] = useState<Set<number>>(new Set(pickerPorts));
	const [cursor, setCursor] = useState(0);
	const [notice, setNotice] = useState<string>();
	const help = useKeyHelp({keys: chooserKeys, width: columns - 4, height: chooserRows - 2, back: 'esc/b back to the chooser'});
	useScreenInput((input, key) => {
		if (help.handle(input, key)) return;
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
			{help.overlay}
			{help.open ? <Text dimColor>{safeOutput(help.footer(columns - 4))}</Text> : null}
			<Box display={help.open ? 'none' : 'flex'} flexDirection="column">
			<Text bold>Compare which ports? (space toggles, enter starts, esc cancels)</Text>
			{pickerPorts.map((port, index) => (
				<Text key={port} inverse={index === cursor}>
					{chosen.has(port) ? '[x]' : '[ ]'} {safeOutput(String(port).padEnd(5))} {safeOutput(portTexts[port].name)}
				</Text>
			))}
			{notice ? <Text color="yellow">{safeOutput(notice)}</Text> : null}
			<Text dimColor>{safeOutput(screenFooter(chooserKeys, columns - 4))}</Text>
			</Box>
		</Box>
	);
}
