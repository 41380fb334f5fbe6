// The fault menu: which lab port fails how, changed live. One row per fault, one column
// per port; space toggles the fault on the selected port, + and - change its value.
import React, {useState} from 'react';
import {Box, Text} from 'ink';
// From faults.js, not the lab's index: the index loads the servers (smtp-server), which
// the first screen must not wait for.
import {faultNames, faultText, type Fault, type FaultName} from '../lab/faults.js';
import type {Lab, LabPort} from '../lab/index.js';
import {fit} from './transcript-pane.js';
import {useScreenInput} from './screen-input.js';
import {safeOutput} from './terminal-text.js';
import {glyphs} from './glyphs.js';
import {helpKey, quitKey, screenFooter, useKeyHelp, type ScreenKey} from './key-help.js';

const ports: LabPort[] = [25, 465, 587, 2525];

export type FaultMenuProps = {lab: Lab; columns: number; rows?: number; onBack: () => void; onQuit: () => void};

const faultKeys: ScreenKey[] = [
	{keys: glyphs.arrows, help: 'choose a fault (rows) and a port (columns)', footer: `${glyphs.arrows} choose`},
	{keys: 'space', help: 'the fault on or off on that port', footer: 'space on/off'},
	{keys: '+ -', help: 'double or halve the fault\'s value', footer: '+ - value'},
	{keys: 'enter/esc/b', help: 'back to the port picker (the faults stay as set)', footer: 'enter/esc back', keep: true},
	helpKey,
	quitKey,
];

const magic = 'Magic recipients need no setting: greylist@ full@ unknown@ slow@ tempfail@lab.test';

type Setting = Partial<Record<LabPort, number | true>>;

/** The lab's faults as a grid: fault → port → value (true when it takes none). */
function toGrid(faults: Fault[]): Record<FaultName, Setting> {
	const grid = Object.fromEntries(faultNames.map(name => [name, {}])) as Record<FaultName, Setting>;
	for (const fault of faults) {
		for (const port of fault.ports === 'all' ? ports : fault.ports) grid[fault.name][port] = fault.value ?? true;
	}

	return grid;
}

function toFaults(grid: Record<FaultName, Setting>): Fault[] {
	return faultNames.flatMap(name => ports.flatMap(port => {
		const value = grid[name][port];
		return value === undefined ? [] : [{name, ports: [port], value: value === true ? undefined : value}];
	}));
}

/** Bigger and smaller steps for a fault's value: ×2 and ÷2 keep it a round number. */
/** Doubled or halved, within the fault's range (the lab refuses a value past its maximum). */
function scaled(value: number, up: boolean, max = Number.MAX_SAFE_INTEGER): number {
	return Math.min(max, Math.max(1, up ? value * 2 : Math.floor(value / 2)));
}

export function FaultMenu({lab, columns, rows = 24, onBack, onQuit}: FaultMenuProps) {
	const [grid, setGrid] = useState(() => toGrid(lab.faults));
	const [cursor, setCursor] = useState({row: 0, column: 2});
	const apply = (next: Record<FaultName, Setting>) => {
		setGrid(next);
		lab.setFaults(toFaults(next));
	};

	const help = useKeyHelp({keys: faultKeys, notes: [magic], width: columns, height: rows - 3, back: 'esc/b back to the faults'});
	useScreenInput((input, key) => {
		if (help.handle(input, key)) return;
		const name = faultNames[cursor.row]!;
		const port = ports[cursor.column]!;
		if (input === 'q' || (key.ctrl && input === 'c')) onQuit();
		else if (key.escape || input === 'b' || key.return) onBack();
		else if (key.upArrow) setCursor(c => ({...c, row: Math.max(0, c.row - 1)}));
		else if (key.downArrow) setCursor(c => ({...c, row: Math.min(faultNames.length - 1, c.row + 1)}));
		else if (key.leftArrow) setCursor(c => ({...c, column: Math.max(0, c.column - 1)}));
		else if (key.rightArrow) setCursor(c => ({...c, column: Math.min(ports.length - 1, c.column + 1)}));
		else if (input === ' ') {
			const current = grid[name][port];
			const value = current === undefined ? faultText[name].defaultValue ?? true : undefined;
			apply({...grid, [name]: {...grid[name], [port]: value}});
		} else if ((input === '+' || input === '-') && typeof grid[name][port] === 'number') {
			apply({...grid, [name]: {...grid[name], [port]: scaled(grid[name][port] as number, input === '+', faultText[name].maxValue)}});
		}
	});

	const selected = faultNames[cursor.row]!;
	const text = faultText[selected];
	return (
		<Box flexDirection="column" width={columns}>
			<Text bold>smtp-tui {glyphs.dot} lab faults (changes apply to the next command on that port)</Text>
			{help.overlay ?? (
				<>
					<Box flexDirection="column" borderStyle={glyphs.border} paddingX={1}>
						<Text bold>{safeOutput('fault'.padEnd(22))}{safeOutput(ports.map(p => String(p).padEnd(10)).join(''))}</Text>
						{faultNames.map((name, row) => (
							<Text key={name}>
								{safeOutput(name.padEnd(22))}
								{ports.map((port, column) => {
									const value = grid[name][port];
									const cell = value === undefined ? glyphs.dot : value === true ? 'on' : `on ${value}`;
									return <Text key={port} inverse={row === cursor.row && column === cursor.column} color={value === undefined ? 'gray' : 'yellow'}>{safeOutput(cell.padEnd(9))}</Text>;
								}).reduce<Array<React.ReactElement | ' '>>((all, cell) => [...all, cell, ' '], [])}
							</Text>
						))}
					</Box>
					<Text wrap="truncate">{safeOutput(fit(`${selected}: ${text.summary}`, columns))}</Text>
					<Text wrap="truncate" dimColor>{safeOutput(fit(`reply: ${text.reply}${text.valueMeaning ? ` ${glyphs.dot} value: ${text.valueMeaning}` : ''}`, columns))}</Text>
					<Text wrap="wrap" dimColor>{magic}</Text>
				</>
			)}
			<Text dimColor>{safeOutput(help.open ? help.footer(columns) : screenFooter(faultKeys, columns))}</Text>
		</Box>
	);
}
