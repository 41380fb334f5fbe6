// The root component for `smtp-tui journey`: terminal size and exit around the journey.
import React from 'react';
import {useApp} from 'ink';
import type {JourneyLab} from '../journey/index.js';
import type {Retrieval} from '../journey/run.js';
import {JourneyScreen} from './journey-screen.js';
import {SizeGate} from './size-gate.js';

export type JourneyLauncherProps = {
	journey: JourneyLab;
	/** How leg 3 reads bob's mailbox at first (`--retrieval`); p / i change it until leg 3 starts. */
	retrieval?: Retrieval;
};

export function JourneyLauncher({journey, retrieval}: JourneyLauncherProps) {
	const {exit} = useApp();
	return <SizeGate onQuit={() => exit()}>{({columns, rows}) => <JourneyScreen journey={journey} columns={columns} rows={rows} retrieval={retrieval} onQuit={() => exit()} />}</SizeGate>;
}
