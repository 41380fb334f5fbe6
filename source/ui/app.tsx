// The screens in order: target → port picker → session. Holds no argv logic: start.tsx
// turns flags into the props given here.
import React, {useCallback, useEffect, useState} from 'react';
import {Box, Text, useApp, useInput} from 'ink';
import type {SessionOptions} from '../engine/session.js';
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
	/** Start on the port picker (the lab was chosen by flags). */
	startOnPorts?: boolean;
	onExit: (code: number) => void;
	lab?: () => Lab | undefined;
};

type Screen = {name: 'target'; error?: string} | {name: 'ports'; error?: string} | {name: 'session'; options: SessionOptions; fromPicker: boolean};

export function App({initialSession, labSession, remoteSession, startOnPorts, onExit}: AppProps) {
	const {exit} = useApp();
	const {columns, rows} = useTerminalSize();
	const [screen, setScreen] = useState<Screen>(
		initialSession ? {name: 'session', options: initialSession, fromPicker: false} : startOnPorts ? {name: 'ports'} : {name: 'target'},
	);
	const [lastPort, setLastPort] = useState<LabPort>(587);

	const quit = useCallback((code = 0) => {
		onExit(code);
		exit();
	}, [exit, onExit]);

	// Start the lab in the background while the person reads the first screen.
	useEffect(() => {
		if (screen.name !== 'session') void labSession(587).catch(() => undefined);
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
						onQuit={() => quit(0)}
						onPick={port => {
							setLastPort(port);
							labSession(port)
								.then(options => setScreen({name: 'session', options, fromPicker: true}))
								.catch((error: Error) => setScreen({name: 'ports', error: error.message}));
						}}
					/>
					{screen.error ? <Text color="red">{screen.error}</Text> : null}
				</Box>
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
				/>
			);
	}
}
