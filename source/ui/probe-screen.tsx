// Probe every port at once; each block fills in as its port answers, then the diagnosis.
import React, {useEffect, useState} from 'react';
import {Box, Text} from 'ink';
import {diagnose, probePort, type ProbeRow, type ProbeTarget} from '../engine/probe.js';
import {probeRowLines} from '../engine/probe-lines.js';
import {safeOutput, safeText} from './terminal-text.js';
import {fit} from './transcript-pane.js';
import {useScreenInput} from './screen-input.js';
import {glyphs} from './glyphs.js';

export type ProbeScreenProps = {
	host: string;
	targets: ProbeTarget[];
	columns: number;
	onQuit: () => void;
	onBack?: () => void;
};

export function ProbeScreen({host, targets, columns, onQuit, onBack}: ProbeScreenProps) {
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

	useScreenInput((input, key) => {
		if (input === 'q' || (key.ctrl && input === 'c')) onQuit();
		else if (input === 'r') setRun(r => r + 1);
		else if ((input === 'b' || key.escape) && onBack) onBack();
	});

	const done = rows.every(Boolean);
	const diagnosis = done ? diagnose(host, rows as ProbeRow[]) : [];
	return (
		<Box flexDirection="column" width={columns}>
			<Text bold>probe {glyphs.dot} {safeText(host)} {glyphs.dot} {rows.filter(Boolean).length}/{targets.length} ports answered{done ? '' : safeOutput(` ${glyphs.dot} probing${glyphs.ellipsis}`)}</Text>
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
			<Text dimColor>r probe again{onBack ? '  b back' : ''}  q quit</Text>
		</Box>
	);
}
