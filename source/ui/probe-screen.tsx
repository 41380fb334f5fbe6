// Probe every port at once; each block fills in as its port answers, then the diagnosis.
import React, {useEffect, useState} from 'react';
import {Box, Text} from 'ink';
import {diagnose, probePort, type ProbeRow, type ProbeTarget} from '../engine/probe.js';
import {probeRowLines} from '../engine/probe-lines.js';
import {safeOutput, safeText} from './terminal-text.js';
import {fit} from './transcript-pane.js';
import {useScreenInput} from './screen-input.js';
import {glyphs} from './glyphs.js';
import {helpKey, quitKey, screenFooter, useKeyHelp, type ScreenKey} from './key-help.js';

export type ProbeScreenProps = {
	host: string;
	targets: ProbeTarget[];
	columns: number;
	/** The window's rows (the help overlay fits them). */
	rows?: number;
	onQuit: () => void;
	onBack?: () => void;
};

const probeKeys = (back: boolean): ScreenKey[] => [
	{keys: 'r', help: 'probe every port again', footer: 'r probe again'},
	...(back ? [{keys: 'b/esc', help: 'back to the port picker', footer: 'b back', keep: true}] : []),
	helpKey,
	quitKey,
];

export function ProbeScreen({host, targets, columns, rows: windowRows = 24, onQuit, onBack}: ProbeScreenProps) {
	const [rows, setRows] = useState<Array<ProbeRow | undefined>>(() => targets.map(() => undefined));
	const [run, setRun] = useState(0);
	useEffect(() => {
		let live = true;
		setRows(targets.map(() => undefined));
		targets.forEach((target, index) => {
			void probePort(target).then(row => {
				if (live) setRows(previous => previous.map((r, i) => (i === index ? row : r)));
			});
		});
		return () => {
			live = false;
		};
	}, [targets, run]);

	const keys = probeKeys(onBack !== undefined);
	const help = useKeyHelp({keys, width: columns, height: windowRows - 3, back: 'esc/b back to the probe'});
	useScreenInput((input, key) => {
		if (help.handle(input, key)) return;
		if (input === 'q' || (key.ctrl && input === 'c')) onQuit();
		else if (input === 'r') setRun(r => r + 1);
		else if ((input === 'b' || key.escape) && onBack) onBack();
	});

	const done = rows.every(Boolean);
	const diagnosis = done ? diagnose(host, rows as ProbeRow[]) : [];
	return (
		<Box flexDirection="column" width={columns}>
			<Text bold>probe {glyphs.dot} {safeText(host)} {glyphs.dot} {rows.filter(Boolean).length}/{targets.length} ports answered{done ? '' : safeOutput(` ${glyphs.dot} probing${glyphs.ellipsis}`)}</Text>
			{help.overlay ?? (
				<>
			{targets.map((target, index) => {
				const row = rows[index];
				if (!row) return <Text key={target.port} dimColor>{safeOutput(`${String(target.port).padEnd(5)} probing${glyphs.ellipsis}`)}</Text>;
				const [head = '', ...rest] = probeRowLines(row);
				return (
					<Box key={target.port} flexDirection="column">
						<Text color={row.status === 'open' ? 'green' : 'red'} wrap="truncate">{safeOutput(fit(head, columns))}</Text>
						{rest.map(line => <Text key={line} wrap="truncate">{safeOutput(fit(line, columns))}</Text>)}
					</Box>
				);
			})}
			{done ? (
				<Box flexDirection="column" borderStyle={glyphs.border} paddingX={1}>
					<Text bold>Diagnosis</Text>
					{diagnosis.length === 0 ? <Text>Nothing wrong found.</Text> : diagnosis.map(sentence => <Text key={sentence} wrap="wrap" color="yellow">{glyphs.bullet} {safeText(sentence)}</Text>)}
				</Box>
			) : null}
				</>
			)}
			<Text dimColor>{safeOutput(help.open ? help.footer(columns) : screenFooter(keys, columns))}</Text>
		</Box>
	);
}
