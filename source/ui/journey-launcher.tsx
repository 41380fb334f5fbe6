// The root component for `smtp-tui journey`: terminal size and exit around the journey.
import React from 'react';
import {Text, useApp} from 'ink';
import type {JourneyLab} from '../journey/index.js';
import {minColumns, minRows} from './app.js';
import {JourneyScreen} from './journey-screen.js';
import {useTerminalSize} from './use-terminal-size.js';

export function JourneyLauncher({journey}: {journey: JourneyLab}) {
	const {exit} = useApp();
	const {columns, rows} = useTerminalSize();
	if (columns < minColumns || rows < minRows) return <Text color="yellow">Make the terminal at least {minColumns}×{minRows} (it is {columns}×{rows} now).</Text>;
	return <JourneyScreen journey={journey} columns={columns} rows={rows} onQuit={() => exit()} />;
}
