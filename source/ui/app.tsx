// The screens in order: target → port picker → session. Holds no argv logic: start.tsx
// turns flags into the props given here.
import React, {useCallback, useEffect, useState} from 'react';
import {Box, Text, useApp} from 'ink';
import type {CompareScenario} from '../engine/compare.js';
import type {SessionOptions} from '../engine/session.js';
import type {TranscriptEntry} from '../protocol/transcript.js';
import {CompareScreen} from './compare-screen.js';
import {PortMultiSelect} from './port-multi-select.js';
import {FaultMenu} from './fault-menu.js';
import {JourneyScreen} from './journey-screen.js';
import type {JourneyLab} from '../journey/index.js';
import {ProbeScreen} from './probe-screen.js';
import {InboxScreen} from './inbox-screen.js';
import type {ProbeTarget} from '../engine/probe.js';
import type {Lab, LabPort} from '../lab/index.js';
import {PortPicker} from './port-picker.js';
import {SessionScreen} from './session-screen.js';
import {TargetScreen, type RemoteAnswers} from './target-screen.js';
import {SizeGate} from './size-gate.js';
import {safeOutput} from './terminal-text.js';
import {glyphs} from './glyphs.js';

export {minColumns, minRows} from './size-gate.js';

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
	/** Replay these recorded entries in the initial session. */
	initialReplay?: readonly TranscriptEntry[];
	/** Where `w` saves a recording. */
	recordFile?: string;
	/** Sessions start in quiz mode (--quiz). */
	/** Starts (once) the two-domain lab of the mail journey (the `j` key). */
	journeyLab?: () => Promise<JourneyLab>;
	quiz?: boolean;
	/** Open a comparison straight away (`smtp-tui compare` on a terminal). */
	initialCompare?: {scenario: CompareScenario; target: string};
	onExit: (code: number) => void;
	/** The embedded lab, started on first use: the `i` key shows its inbox. */
	lab?: () => Promise<Lab>;
};

type Screen =
	| {name: 'target'; error?: string}
	| {name: 'ports'; error?: string; choosing?: boolean}
	| {name: 'session'; options: SessionOptions; fromPicker: boolean}
	| {name: 'compare'; scenario: CompareScenario; target: string; fromPicker: boolean}
	| {name: 'probe'; targets: ProbeTarget[]}
	| {name: 'inbox'; lab: Lab; from: Screen}
	| {name: 'faults'; lab: Lab}
	| {name: 'journey'; journey: JourneyLab};

type SessionState = Extract<Screen, {name: 'session'}>;

/** Below 80×24 drawing pauses (SizeGate); the screens and their state stay. */
export function App(props: AppProps) {
	const {exit} = useApp();
	const quit = useCallback((code = 0) => {
		props.onExit(code);
		exit();
	}, [exit, props]);
	return <SizeGate onQuit={quit}>{({columns, rows}) => <Screens {...props} columns={columns} rows={rows} quit={quit} />}</SizeGate>;
}

function Screens({initialSession, initialCompare, initialReplay, recordFile, quiz, journeyLab, labSession, remoteSession, compareScenario, probeTargets, lab, columns, rows, quit}: AppProps & {columns: number; rows: number; quit: (code?: number) => void}) {
	const [screen, setScreen] = useState<Screen>(
		initialCompare ? {name: 'compare', ...initialCompare, fromPicker: false}
			: initialSession ? {name: 'session', options: initialSession, fromPicker: false}
				: {name: 'target'},
	);
	const [lastPort, setLastPort] = useState<LabPort>(587);
	// The remote wizard's last answers, so b from the session (or a refused connection) keeps them.
	const [lastAnswers, setLastAnswers] = useState<RemoteAnswers>();

	// Start the lab in the background while the person reads the first screen, once that
	// screen is on the terminal (loading the lab competes with the first frame for the CPU).
	useEffect(() => {
		if (screen.name !== 'target') return;
		const timer = setTimeout(() => void labSession(587).catch(() => undefined), 300);
		return () => clearTimeout(timer);
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, []);

	const openInbox = (from: Screen) => {
		lab?.()
			.then(started => setScreen({name: 'inbox', lab: started, from}))
			.catch((error: Error) => setScreen({name: 'ports', error: error.message}));
	};

	// The inbox opened from a session is drawn in its place while the session stays mounted
	// (hidden, keys off): its connection and transcript are still there on the way back.
	const renderSession = (current: SessionState, inbox?: React.ReactNode) => (
		<Box flexDirection="column">
			<Box display={inbox ? 'none' : 'flex'}>
				<SessionScreen
					key={`${current.options.host}:${current.options.port}`}
					options={current.options}
					columns={columns}
					rows={rows}
					onQuit={() => quit(0)}
					onBack={current.fromPicker ? () => setScreen({name: 'ports'}) : () => setScreen({name: 'target'})}
					onCompare={current.options.label?.startsWith('lab:') ? () => setScreen({name: 'ports', choosing: true}) : undefined}
					replay={current.options === initialSession ? initialReplay : undefined}
					recordFile={recordFile}
					quiz={quiz}
					isActive={!inbox}
					onInbox={lab && current.options.label?.startsWith('lab:') ? () => openInbox(current) : undefined}
				/>
			</Box>
			{inbox}
		</Box>
	);

	switch (screen.name) {
		case 'target':
			return (
				<TargetScreen
					columns={columns}
					error={screen.error}
					initialAnswers={lastAnswers}
					onQuit={() => quit(0)}
					onLab={() => setScreen({name: 'ports'})}
					onRemote={answers => {
						setLastAnswers(answers);
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
						title={`smtp-tui ${glyphs.dot} embedded lab (local servers on 127.0.0.1)`}
						columns={columns}
						initialPort={lastPort}
						isActive={!screen.choosing}
						onQuit={() => quit(0)}
						onBack={() => setScreen({name: 'target'})}
						onCompare={() => setScreen({name: 'ports', choosing: true})}
						onInbox={lab ? () => openInbox({name: 'ports'}) : undefined}
						onJourney={journeyLab ? () => {
							journeyLab()
								.then(journey => setScreen({name: 'journey', journey}))
								.catch((error: Error) => setScreen({name: 'ports', error: error.message}));
						} : undefined}
						onFaults={lab ? () => {
							lab()
								.then(started => setScreen({name: 'faults', lab: started}))
								.catch((error: Error) => setScreen({name: 'ports', error: error.message}));
						} : undefined}
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
							onQuit={() => quit(0)}
							onStart={ports => {
								compareScenario(ports)
									.then(scenario => setScreen({name: 'compare', scenario, target: 'lab', fromPicker: true}))
									.catch((error: Error) => setScreen({name: 'ports', error: error.message}));
							}}
						/>
					) : null}
					{screen.error ? <Text color="red">{safeOutput(screen.error)}</Text> : null}
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
					onBack={screen.fromPicker ? () => setScreen({name: 'ports'}) : () => setScreen({name: 'target'})}
				/>
			);
		case 'session':
			return renderSession(screen);
		case 'journey':
			return <JourneyScreen journey={screen.journey} columns={columns} rows={rows} onQuit={() => quit(0)} onBack={() => setScreen({name: 'ports'})} />;
		case 'faults':
			return <FaultMenu lab={screen.lab} columns={columns} onBack={() => setScreen({name: 'ports'})} onQuit={() => quit(0)} />;
		case 'inbox': {
			const inbox = <InboxScreen lab={screen.lab} columns={columns} rows={rows} onQuit={() => quit(0)} onBack={() => setScreen(screen.from)} />;
			return screen.from.name === 'session' ? renderSession(screen.from, inbox) : inbox;
		}
	}
}
