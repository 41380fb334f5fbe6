// The screens in order: target → port picker → session. Holds no argv logic: start.tsx
// turns flags into the props given here.
import React, {useCallback, useEffect, useState} from 'react';
import {Box, Text, useApp, useInput} from 'ink';
import type {CompareScenario} from '../engine/compare.js';
import type {SessionOptions} from '../engine/session.js';
import {CompareScreen} from './compare-screen.js';
import {PortMultiSelect} from './port-multi-select.js';
import {ProbeScreen} from './probe-screen.js';
import type {ProbeTarget} from '../engine/probe.js';
import type {Lab, LabPort} from '../lab/index.js';
import {PortPicker} from './port-picker.js';
import {SessionScreen} from './session-screen.js';
import {TargetScreen, type RemoteAnswers} from './target-screen.js';
import {useTerminalSize} from './use-terminal-size.js';

export const minColumns = 80;
export const minRows = 24;

export type AppProps = {
	/** Open this session straight away (flags named the target). */
	initialSession?: SessionOptions;
	/** Builds session options for a lab port, starting the lab on first use. */
	labSession: (port: LabPort) => Promise<SessionOptions>;
	/** Builds session options from the remote-server questions; throws a sentence on bad input. */
	remoteSession: (answers: RemoteAnswers) => Promise<SessionOptions>;
	/** Builds a comparison of lab ports (the `c` key). */
	compareScenario: (ports: number[]) => Promise<CompareScenario>;
	/** Builds probe targets for the lab's four ports (the `p` key). */
	probeTargets: () => Promise<ProbeTarget[]>;
	/** Open a comparison straight away (`smtp-tui compare` on a terminal). */
	initialCompare?: {scenario: CompareScenario; target: string};
	onExit: (code: number) => void;
	lab?: () => Lab | undefined;
};

type Screen =
	| {name: 'target'; error?: string}
	| {name: 'ports'; error?: string; choosing?: boolean}
	| {name: 'session'; options: SessionOptions; fromPicker: boolean}
	| {name: 'compare'; scenario: CompareScenario; target: string; fromPicker: boolean}
	| {name: 'probe'; targets: ProbeTarget[]};

export function App({initialSession, initialCompare, labSession, remoteSession, compareScenario, probeTargets, onExit}: AppProps) {
	const {exit} = useApp();
	const {columns, rows} = useTerminalSize();
	const [screen, setScreen] = useState<Screen>(
		initialCompare ? {name: 'compare', ...initialCompare, fromPicker: false}
			: initialSession ? {name: 'session', options: initialSession, fromPicker: false}
				: {name: 'target'},
	);
	const [lastPort, setLastPort] = useState<LabPort>(587);

	const quit = useCallback((code = 0) => {
		onExit(code);
		exit();
	}, [exit, onExit]);

	// Start the lab in the background while the person reads the first screen, once that
	// screen is on the terminal (loading the lab competes with the first frame for the CPU).
	useEffect(() => {
		if (screen.name !== 'target') return;
		const timer = setTimeout(() => void labSession(587).catch(() => undefined), 300);
		return () => clearTimeout(timer);
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, []);

	const tooSmall = columns < minColumns || rows < minRows;
	useInput((input, key) => {
		if (input === 'q' || (key.ctrl && input === 'c')) quit(0);
	}, {isActive: tooSmall});

	if (tooSmall) {
		return (
			<Box>
				<Text color="yellow">Make the terminal at least {minColumns}×{minRows} (it is {columns}×{rows} now). q quits.</Text>
			</Box>
		);
	}

	switch (screen.name) {
		case 'target':
			return (
				<TargetScreen
					columns={columns}
					error={screen.error}
					onQuit={() => quit(0)}
					onLab={() => setScreen({name: 'ports'})}
					onRemote={answers => {
						remoteSession(answers)
							.then(options => setScreen({name: 'session', options, fromPicker: false}))
							.catch((error: Error) => setScreen({name: 'target', error: error.message}));
					}}
				/>
			);
		case 'ports':
			return (
				<Box flexDirection="column">
					<PortPicker
						title="smtp-tui · embedded lab (local servers on 127.0.0.1)"
						columns={columns}
						initialPort={lastPort}
						isActive={!screen.choosing}
						onQuit={() => quit(0)}
						onCompare={() => setScreen({name: 'ports', choosing: true})}
						onProbe={() => {
							probeTargets()
								.then(targets => setScreen({name: 'probe', targets}))
								.catch((error: Error) => setScreen({name: 'ports', error: error.message}));
						}}
						onPick={port => {
							setLastPort(port);
							labSession(port)
								.then(options => setScreen({name: 'session', options, fromPicker: true}))
								.catch((error: Error) => setScreen({name: 'ports', error: error.message}));
						}}
					/>
					{screen.choosing ? (
						<PortMultiSelect
							onCancel={() => setScreen({name: 'ports'})}
							onStart={ports => {
								compareScenario(ports)
									.then(scenario => setScreen({name: 'compare', scenario, target: 'lab', fromPicker: true}))
									.catch((error: Error) => setScreen({name: 'ports', error: error.message}));
							}}
						/>
					) : null}
					{screen.error ? <Text color="red">{screen.error}</Text> : null}
				</Box>
			);
		case 'probe':
			return <ProbeScreen host="the embedded lab" targets={screen.targets} columns={columns} onQuit={() => quit(0)} onBack={() => setScreen({name: 'ports'})} />;
		case 'compare':
			return (
				<CompareScreen
					scenario={screen.scenario}
					target={screen.target}
					columns={columns}
					rows={rows}
					onQuit={() => quit(0)}
					onBack={screen.fromPicker ? () => setScreen({name: 'ports'}) : undefined}
				/>
			);
		case 'session':
			return (
				<SessionScreen
					key={`${screen.options.host}:${screen.options.port}`}
					options={screen.options}
					columns={columns}
					rows={rows}
					onQuit={() => quit(0)}
					onBack={screen.fromPicker ? () => setScreen({name: 'ports'}) : () => setScreen({name: 'target'})}
					onCompare={screen.fromPicker ? () => setScreen({name: 'ports', choosing: true}) : undefined}
				/>
			);
	}
}
