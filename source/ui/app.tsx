// The screens in order: target → port picker → session. Holds no argv logic: start.tsx
// turns flags into the props given here. Which screen is shown is app-state.ts's reducer
// (use-app-navigation.ts starts what a screen needs); this file only draws. Only the start
// screen and the port picker are imported here: every other screen's module loads before it
// is first shown (screens.ts), and all of them in the background once the first frame is up.
import React, {useCallback, useEffect} from 'react';
import {Box, Text, useApp} from 'ink';
import type {CompareScenario} from '../engine/compare.js';
import type {SessionOptions} from '../engine/session.js';
import type {TranscriptEntry} from '../protocol/transcript.js';
import type {JourneyLab} from '../journey/index.js';
import type {ProbeTarget} from '../engine/probe.js';
import type {Lab, LabPort} from '../lab/index.js';
import {TargetScreen, type RemoteAnswers} from './target-screen.js';
import {PortPicker} from './port-picker.js';
import {chooserRows, PortMultiSelect} from './port-multi-select.js';
import {SizeGate} from './size-gate.js';
import {initialAppState, type Screen, type SessionScreen as SessionState} from './app-state.js';
import {loadedScreen, loadScreen, preloadScreens} from './screens.js';
import {useAppNavigation} from './use-app-navigation.js';
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

/** Loads the screen the App opens on (a session or a comparison when flags name one); await it before rendering. */
export async function loadFirstScreen(launch: Pick<AppProps, 'initialSession' | 'initialCompare'>): Promise<void> {
	await loadScreen(initialAppState(launch).screen);
}

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
	const {state, dispatch, back, launch} = useAppNavigation({initialSession, initialCompare});
	const {screen, lastPort, lastAnswers} = state;
	const show = (next: Screen) => dispatch({type: 'show', screen: next});

	// Start the lab and load the other screens in the background while the person reads the
	// first screen, once that screen is on the terminal (loading them competes with the first
	// frame for the CPU). A screen not loaded yet when it is wanted is loaded then.
	useEffect(() => {
		if (screen.name !== 'target') return;
		const timer = setTimeout(() => {
			void labSession(587).catch(() => undefined);
			void preloadScreens().catch(() => undefined);
		}, 300);
		return () => clearTimeout(timer);
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, []);

	const openInbox = (from: Screen) => {
		if (lab) launch(lab(), started => ({name: 'inbox', lab: started, from}));
	};

	// The inbox, the port chooser and the comparison opened from a session are drawn in its
	// place while the session stays mounted (hidden, keys off): its connection, transcript and
	// step are still there on the way back.
	const renderSession = (current: SessionState, cover?: React.ReactNode) => {
		const {SessionScreen} = loadedScreen('session');
		return (
			<Box flexDirection="column">
				<Box display={cover ? 'none' : 'flex'}>
					<SessionScreen
						key={`${current.options.host}:${current.options.port}`}
						options={current.options}
						columns={columns}
						rows={rows}
						onQuit={() => quit(0)}
						onBack={back}
						onCompare={current.options.label?.startsWith('lab:') ? () => dispatch({type: 'choose-ports', from: current}) : undefined}
						replay={current.options === initialSession ? initialReplay : undefined}
						recordFile={recordFile}
						quiz={quiz}
						isActive={!cover}
						onInbox={lab && current.options.label?.startsWith('lab:') ? () => openInbox(current) : undefined}
					/>
				</Box>
				{cover}
			</Box>
		);
	};

	switch (screen.name) {
		case 'target':
			return (
				<TargetScreen
					columns={columns}
					rows={rows}
					error={screen.error}
					initialAnswers={lastAnswers}
					openWizard={screen.wizard}
					onQuit={() => quit(0)}
					onLab={() => show({name: 'ports'})}
					onRemote={answers => {
						dispatch({type: 'answer', answers});
						launch(remoteSession(answers), options => ({name: 'session', options, fromPicker: false, fromWizard: true}), 'target');
					}}
				/>
			);
		case 'ports': {
			const chooser = screen.choosing ? (
				<PortMultiSelect
					columns={columns}
					onCancel={back}
					onQuit={() => quit(0)}
					onStart={ports => launch(compareScenario(ports), scenario => ({name: 'compare', scenario, target: 'lab', fromPicker: true, session: screen.session}))}
				/>
			) : null;
			if (screen.session) return renderSession(screen.session, chooser);
			return (
				<Box flexDirection="column">
					<PortPicker
						title={`smtp-tui ${glyphs.dot} embedded lab (local servers on 127.0.0.1)`}
						columns={columns}
						rows={rows}
						below={screen.choosing ? chooserRows : 0}
						initialPort={lastPort}
						isActive={!screen.choosing}
						onQuit={() => quit(0)}
						onBack={back}
						onCompare={() => dispatch({type: 'choose-ports'})}
						onInbox={lab ? () => openInbox({name: 'ports'}) : undefined}
						onJourney={journeyLab ? () => launch(journeyLab(), journey => ({name: 'journey', journey})) : undefined}
						onFaults={lab ? () => launch(lab(), started => ({name: 'faults', lab: started})) : undefined}
						onProbe={() => launch(probeTargets(), targets => ({name: 'probe', targets}))}
						onHighlight={port => dispatch({type: 'highlight', port})}
						onPick={port => {
							dispatch({type: 'pick', port});
							launch(labSession(port), options => ({name: 'session', options, fromPicker: true}));
						}}
					/>
					{chooser}
					{screen.error ? <Text color="red">{safeOutput(screen.error)}</Text> : null}
				</Box>
			);
		}
		case 'probe': {
			const {ProbeScreen} = loadedScreen('probe');
			return <ProbeScreen host="the embedded lab" targets={screen.targets} columns={columns} rows={rows} onQuit={() => quit(0)} onBack={back} />;
		}

		case 'compare': {
			const {CompareScreen} = loadedScreen('compare');
			const compare = (
				<CompareScreen
					scenario={screen.scenario}
					target={screen.target}
					columns={columns}
					rows={rows}
					onQuit={() => quit(0)}
					onBack={back}
				/>
			);
			return screen.session ? renderSession(screen.session, compare) : compare;
		}
		case 'session':
			return renderSession(screen);
		case 'journey': {
			const {JourneyScreen} = loadedScreen('journey');
			return <JourneyScreen journey={screen.journey} columns={columns} rows={rows} onQuit={() => quit(0)} onBack={back} />;
		}

		case 'faults': {
			const {FaultMenu} = loadedScreen('faults');
			return <FaultMenu lab={screen.lab} columns={columns} rows={rows} onBack={back} onQuit={() => quit(0)} />;
		}

		case 'inbox': {
			const {InboxScreen} = loadedScreen('inbox');
			const inbox = <InboxScreen lab={screen.lab} columns={columns} rows={rows} onQuit={() => quit(0)} onBack={back} />;
			return screen.from.name === 'session' ? renderSession(screen.from, inbox) : inbox;
		}
	}
}
