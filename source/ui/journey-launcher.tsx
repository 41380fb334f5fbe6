// The root component for `smtp-tui journey`: terminal size and exit around the journey.
import React from 'react';
import {useApp} from 'ink';
import type {JourneyLab} from '../journey/index.js';
import {JourneyScreen} from './journey-screen.js';
import {SizeGate} from './size-gate.js';

export function JourneyLauncher({journey}: {journey: JourneyLab}) {
	const {exit} = useApp();
	return <SizeGate onQuit={() => exit()}>{({columns, rows}) => <JourneyScreen journey={journey} columns={columns} rows={rows} onQuit={() => exit()} />}</SizeGate>;
}
