// Starts the TUI: turns flags into the App's props, renders, and cleans up on exit
// (sockets closed, lab stopped, terminal restored).
import {safeOutput} from './terminal-text.js';
import React from 'react';
import type {CompareFlags, PortMapping, Target, TargetEnvironment, TargetFlags} from '../setup/target.js';
import {saveDirectory} from '../setup/save-dir.js';
import type {CompareScenario} from '../engine/compare.js';
import type {TranscriptEntry} from '../protocol/transcript.js';
import type {Recording} from '../export/recording.js';
import type {ProbeTarget} from '../engine/probe.js';
import type {SessionOptions} from '../engine/session.js';
import type {Lab, LabPort} from '../lab/index.js';
import type {SaveDirHandle} from '../lab/save.js';
import {App, loadFirstScreen} from './app.js';
import {interruptedExitCode, showUntilExit} from './show.js';
import type {JourneyLab} from '../journey/index.js';
import type {AuthFaultName, Retrieval} from '../journey/index.js';
import type {LessonLab} from './lesson-launcher.js';
import type {Lesson, LessonPort} from '../lessons/lesson.js';
import type {AttackName} from '../lab/attacks.js';
import {isYes, type RemoteAnswers} from './target-screen.js';

// What the first screen does not need (the dashboard, lessons, the journey, compare,
// probe, replay, saving, the checks of a target and the session engine behind them) is
// imported when it is used: time to first frame (readme).

const loadTarget = async () => import('../setup/target.js');

async function resolveTarget(flags: TargetFlags, environment: TargetEnvironment): Promise<Target> {
	return (await loadTarget()).resolveTarget(flags, environment);
}

type Launch = {initialSession?: SessionOptions; initialCompare?: {scenario: CompareScenario; target: string}; initialReplay?: readonly TranscriptEntry[]};

/** The TUI from the first screen, or straight into a session when flags name a target. */
export async function startTui(flags: TargetFlags, environment: TargetEnvironment): Promise<number> {
	return launch(flags, environment, async ({resolve}) => {
		// Flags that name a target (a host, a lab port, an MX delivery) open the session directly.
		if (!flags.host && !flags.port && !flags.mx && !flags.resolver) return {};
		const target = await resolve(flags);
		for (const warning of target.warnings) process.stderr.write(safeOutput(`smtp-tui: warning: ${warning}\n`));
		return {initialSession: target.options};
	});
}

/** `smtp-tui replay FILE` on a terminal: the recording in the session screen. */
export async function startReplayTui(recording: Recording): Promise<number> {
	return launch({}, {env: {}, startLab: async () => {
		throw new Error('a replay never starts the lab');
	}}, async () => ({initialSession: (await import('../setup/record.js')).replayOptions(recording), initialReplay: recording.entries}));
}

/**
 * `smtp-tui lesson NAME`: the lesson screen on a lab started with the lesson's faults (or the
 * mail journey, for a journey lesson). The next lesson (n once one is complete) gets a lab of
 * its own; the one before is closed first.
 */
export async function startLessonTui(lesson: Lesson, flags: TargetFlags, environment: TargetEnvironment): Promise<number> {
	const {lessons} = await import('../lessons/index.js');
	const {LessonLauncher} = await import('./lesson-launcher.js');
	let current: {name: string; lab: Promise<LessonLab & {close: () => Promise<void>}>} | undefined;
	const labFor = async (wanted: Lesson): Promise<LessonLab> => {
		if (current?.name !== wanted.name) {
			const previous = current;
			current = {
				name: wanted.name,
				lab: (async () => {
					if (previous) await (await previous.lab).close();
					return startLessonLab(wanted, environment);
				})(),
			};
		}

		return current.lab;
	};

	const known = lessons.includes(lesson);
	let exitCode = 0;
	try {
		const {interrupted} = await showUntilExit(<LessonLauncher lessons={known ? lessons : [lesson]} start={known ? lessons.indexOf(lesson) : 0} labFor={labFor} quiz={flags.quiz} onExit={code => {
			exitCode = code;
		}} />);
		return interrupted ? interruptedExitCode : exitCode;
	} finally {
		if (current) await (await current.lab).close();
	}
}

/** The lab one lesson runs on: the four ports with its faults, or the journey's provider, MX and DNS. */
async function startLessonLab(lesson: Lesson, environment: TargetEnvironment): Promise<LessonLab & {close: () => Promise<void>}> {
	if (lesson.lab === 'journey') {
		const {startJourneyLessonLab} = await import('../journey/lesson-lab.js');
		const lab = await startJourneyLessonLab();
		const labSession = async (port: LessonPort) => {
			if (port !== 25 && port !== 587) throw new Error(`A journey lesson runs on 587 or 25, not ${port}.`);
			return lab.session(port);
		};

		return {labSession, context: lab, close: async () => lab.close()};
	}

	const {parseFault} = await import('../lab/faults.js');
	const config = {faults: (lesson.faults ?? []).map(spec => parseFault(spec)), attacks: lesson.attacks as AttackName[] | undefined};
	let labPromise: Promise<Lab> | undefined;
	let closed = false;
	const labEnvironment: TargetEnvironment = {
		...environment,
		async startLab() {
			// A session asked for before close() may reach here after it (target.ts loads first): start nothing then, no one would close it.
			if (closed && !labPromise) throw new Error('The lesson has ended.');
			return (labPromise ??= environment.startLab([25, 465, 587, 2525], config));
		},
	};
	return {
		labSession: async (port: LessonPort) => (await resolveTarget({host: undefined, lab: true, port: String(port)}, labEnvironment)).options,
		async close() {
			closed = true;
			if (labPromise) await (await labPromise).close();
		},
	};
}

/** `smtp-tui journey`: one message through submission, relay and retrieval, step by step. */
export async function startJourneyTui(options: {authFaults?: AuthFaultName[]; retrieval?: Retrieval} = {}): Promise<number> {
	const {startJourneyLab} = await import('../journey/index.js');
	const journey = await startJourneyLab({relay: 'manual', authFaults: options.authFaults ?? []});
	try {
		const {JourneyLauncher} = await import('./journey-launcher.js');
		const {interrupted} = await showUntilExit(<JourneyLauncher journey={journey} retrieval={options.retrieval} />);
		return interrupted ? interruptedExitCode : 0;
	} finally {
		await journey.close();
	}
}

/** `smtp-tui lab` on a terminal: the classroom dashboard until q. */
export async function startDashboard(lab: Lab, caOut: string | undefined): Promise<number> {
	try {
		const {Dashboard} = await import('./dashboard.js');
		const {interrupted} = await showUntilExit(<Dashboard lab={lab} caOut={caOut} onExit={() => undefined} />);
		return interrupted ? interruptedExitCode : 0;
	} finally {
		await lab.close();
	}
}

/** `smtp-tui compare` on a terminal: straight into the comparison. */
export async function startCompareTui(flags: CompareFlags, ports: PortMapping[], environment: TargetEnvironment): Promise<number> {
	return launch(flags, environment, async ({compareScenario}) => {
		if (!flags.host) return {initialCompare: {scenario: await compareScenario(ports.map(mapping => mapping.port)), target: 'lab'}};
		const {buildScenario} = await import('../setup/compare-scenario.js');
		const {scenario} = await buildScenario(flags, ports, environment);
		return {initialCompare: {scenario, target: flags.host}};
	});
}

type Builders = {
	labSession: (port: LabPort) => Promise<SessionOptions>;
	compareScenario: (ports: number[]) => Promise<CompareScenario>;
	/** Resolves flags with the shared lab. */
	resolve: (flags: TargetFlags) => Promise<Target>;
	probeTargets: () => Promise<ProbeTarget[]>;
};

async function launch(flags: TargetFlags, environment: TargetEnvironment, first: (builders: Builders) => Promise<Launch>): Promise<number> {
	// --save-dir: checked before anything starts (a bad folder is a usage error, exit 2).
	const saveDir = await saveDirectory(flags);
	const saveErrors: string[] = [];
	let saving: SaveDirHandle | undefined;
	let labPromise: Promise<Lab> | undefined;
	let ended = false;
	// One lab for the whole TUI, all four ports, started on first use.
	const sharedLab = async () => {
		// --lab-cert, --fault, --attack: a mistake is this call's error, and the next call's.
		const config = labPromise ? {} : (await loadTarget()).labConfig(flags);
		// The TUI may have ended while target.ts loaded: then nothing may start (no one would close it).
		if (ended && !labPromise) throw new Error('The TUI has ended.');
		labPromise ??= Promise.all([environment.startLab([25, 465, 587, 2525], config), saveDir ? import('../lab/save.js') : undefined]).then(([lab, save]) => {
			// Attached before anyone gets the lab, so no message can arrive unsaved.
			if (saveDir && save) saving = save.attachSaveDir(lab, saveDir, message => saveErrors.push(message));
			return lab;
		});
		return labPromise;
	};

	const labEnvironment: TargetEnvironment = {...environment, startLab: sharedLab};
	const labFlags = {...flags, host: undefined, lab: true, mx: undefined, resolver: undefined};
	const builders: Builders = {
		labSession: async port => (await resolveTarget({...labFlags, port: String(port)}, labEnvironment)).options,
		compareScenario: async ports => (await (await import('../setup/compare-scenario.js')).buildScenario(labFlags, ports, labEnvironment)).scenario,
		resolve: async targetFlags => resolveTarget(targetFlags, labEnvironment),
		probeTargets: async () => {
			const {buildProbeTargets, parsePortList} = await import('../setup/probe-targets.js');
			return (await buildProbeTargets(labFlags, parsePortList(undefined, [25, 465, 587, 2525]), labEnvironment)).targets;
		},
	};

	const remoteSession = async (answers: RemoteAnswers) => {
		const target = await resolveTarget({
			...flags,
			host: answers.preset ? undefined : answers.host,
			preset: answers.preset,
			region: answers.region || undefined,
			port: answers.port,
			tls: answers.tls || undefined,
			user: answers.user || undefined,
			to: answers.to ? [answers.to] : undefined,
			from: answers.from || undefined,
			ca: answers.ca || undefined,
			insecure: isYes(answers.insecure) || undefined,
		}, {...environment, promptPassword: async () => answers.password});
		// A refused certificate's advice names the wizard's fields, not flags.
		return {...target.options, tlsOptions: {...target.options.tlsOptions, remedies: 'wizard' as const}};
	};

	let journeyPromise: Promise<JourneyLab> | undefined;
	const journeyLab = async () => {
		journeyPromise ??= import('../journey/index.js').then(async ({startJourneyLab}) => startJourneyLab({relay: 'manual'}));
		return journeyPromise;
	};

	let exitCode = 0;
	try {
		const {initialSession, initialCompare, initialReplay} = await first(builders);
		await loadFirstScreen({initialSession, initialCompare});
		const {interrupted} = await showUntilExit(
			<App
				initialSession={initialSession}
				initialCompare={initialCompare}
				initialReplay={initialReplay}
				quiz={flags.quiz}
				journeyLab={journeyLab}
				recordFile={flags.record}
				labSession={builders.labSession}
				compareScenario={builders.compareScenario}
				probeTargets={builders.probeTargets}
				lab={sharedLab}
				remoteSession={remoteSession}
				onExit={code => {
					exitCode = code;
				}}
			/>,
		);
		if (interrupted) exitCode = interruptedExitCode;
	} finally {
		ended = true;
		try {
			if (journeyPromise) await (await journeyPromise).close();
			if (labPromise) await (await labPromise).close();
		} finally {
			// After close() no message can be accepted any more; this waits for every save
			// started until then (each began before its 250 was sent).
			await saving?.flush();
		}
	}

	// The screen is gone now: say what could not be saved, where it can be read.
	for (const message of saveErrors) process.stderr.write(safeOutput(`smtp-tui: ${message}\n`));
	return saveErrors.length > 0 && exitCode === 0 ? 2 : exitCode;
}
