// Which screen the app shows, as a pure reducer: where each screen's back key leads, what a
// refused launch shows, and what is remembered on the way (the last lab port picked, the
// remote wizard's answers). No I/O here: use-app-navigation.ts starts labs and sessions and
// reports back with these actions.
import type {CompareScenario} from '../engine/compare.js';
import type {ProbeTarget} from '../engine/probe.js';
import type {SessionOptions} from '../engine/session.js';
import type {JourneyLab} from '../journey/index.js';
import type {Lab, LabPort} from '../lab/index.js';
import type {RemoteAnswers} from './target-screen.js';

/** `fromWizard`: started from the remote wizard, so back reopens the wizard with its answers. */
export type SessionScreen = {name: 'session'; options: SessionOptions; fromPicker: boolean; fromWizard?: boolean};

export type Screen =
	/** `wizard`: open the remote wizard (or the provider's) at once, with the answers kept. */
	| {name: 'target'; error?: string; wizard?: boolean}
	/** `session`: the port chooser was opened with c from this session, which stays as it is behind it. */
	| {name: 'ports'; error?: string; choosing?: boolean; session?: SessionScreen}
	| SessionScreen
	/** `session`: opened with c from this session; back returns to it as it was. */
	| {name: 'compare'; scenario: CompareScenario; target: string; fromPicker: boolean; session?: SessionScreen}
	| {name: 'probe'; targets: ProbeTarget[]}
	| {name: 'inbox'; lab: Lab; from: Screen}
	| {name: 'faults'; lab: Lab}
	| {name: 'journey'; journey: JourneyLab};

export type AppState = {
	screen: Screen;
	/** The port picker opens on the port picked, or highlighted, last. */
	lastPort: LabPort;
	/** The remote wizard's last answers, so b from the session (or a refused connection) keeps them. */
	lastAnswers?: RemoteAnswers;
};

export type AppAction =
	/** A screen is ready (a lab, a session or a comparison finished starting). */
	| {type: 'show'; screen: Screen}
	/** The screen's back key. */
	| {type: 'back'}
	/** The port picker: a lab port was picked (its session is starting). */
	| {type: 'pick'; port: LabPort}
	/** The port picker's pointer moved: back on the picker (from the journey, probe, ...) it is there still. */
	| {type: 'highlight'; port: LabPort}
	/** The remote wizard was answered (its session is starting). */
	| {type: 'answer'; answers: RemoteAnswers}
	/** c on the port picker, or in a lab session (`from`): choose the ports to compare. */
	| {type: 'choose-ports'; from?: SessionScreen}
	/** Starting something failed: one sentence on the screen it was started from. */
	| {type: 'failed'; on: 'ports' | 'target'; error: string};

export function initialAppState(launch: {initialSession?: SessionOptions; initialCompare?: {scenario: CompareScenario; target: string}}): AppState {
	const screen: Screen = launch.initialCompare ? {name: 'compare', ...launch.initialCompare, fromPicker: false}
		: launch.initialSession ? {name: 'session', options: launch.initialSession, fromPicker: false}
			: {name: 'target'};
	return {screen, lastPort: 587};
}

/** Where the back key leads from a screen. */
export function backFrom(screen: Screen): Screen {
	switch (screen.name) {
		case 'target':
			return screen;
		case 'ports':
			if (!screen.choosing) return {name: 'target'};
			return screen.session ?? {name: 'ports'};
		case 'compare':
			return screen.session ?? (screen.fromPicker ? {name: 'ports'} : {name: 'target'});
		case 'session':
			if (screen.fromWizard) return {name: 'target', wizard: true};
			return screen.fromPicker ? {name: 'ports'} : {name: 'target'};
		case 'inbox':
			return screen.from;
		case 'probe':
		case 'faults':
		case 'journey':
			return {name: 'ports'};
	}
}

export function appReducer(state: AppState, action: AppAction): AppState {
	switch (action.type) {
		case 'show':
			return {...state, screen: action.screen};
		case 'back':
			return {...state, screen: backFrom(state.screen)};
		case 'pick':
		case 'highlight':
			return {...state, lastPort: action.port};
		case 'answer':
			return {...state, lastAnswers: action.answers};
		case 'choose-ports':
			return {...state, screen: action.from ? {name: 'ports', choosing: true, session: action.from} : {name: 'ports', choosing: true}};
		case 'failed':
			return {...state, screen: {name: action.on, error: action.error}};
	}
}
