// Starts the TUI: turns flags into the App's props, renders, and cleans up on exit
// (sockets closed, lab stopped, terminal restored).
import React from 'react';
import {render} from 'ink';
import {buildScenario, type CompareFlags} from '../commands/compare.js';
import {labCertificate, resolveTarget, type Target, type TargetEnvironment, type TargetFlags} from '../commands/target.js';
import type {CompareScenario} from '../engine/compare.js';
import type {ProbeTarget} from '../engine/probe.js';
import {buildProbeTargets, parsePortList} from '../commands/probe.js';
import type {SessionOptions} from '../engine/session.js';
import type {Lab, LabPort} from '../lab/index.js';
import {App} from './app.js';
import type {RemoteAnswers} from './target-screen.js';

type Launch = {initialSession?: SessionOptions; initialCompare?: {scenario: CompareScenario; target: string}};

/** The TUI from the first screen, or straight into a session when flags name a target. */
export async function startTui(flags: TargetFlags, environment: TargetEnvironment): Promise<number> {
	return launch(flags, environment, async ({resolve}) => {
		// Flags that name a target (a host, a lab port, an MX delivery) open the session directly.
		if (!flags.host && !flags.port && !flags.mx && !flags.resolver) return {};
		const target = await resolve(flags);
		for (const warning of target.warnings) process.stderr.write(`smtp-tui: warning: ${warning}\n`);
		return {initialSession: target.options};
	});
}

/** `smtp-tui compare` on a terminal: straight into the comparison. */
export async function startCompareTui(flags: CompareFlags, ports: number[], environment: TargetEnvironment): Promise<number> {
	return launch(flags, environment, async ({compareScenario}) => {
		if (!flags.host) return {initialCompare: {scenario: await compareScenario(ports), target: 'lab'}};
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
	let labPromise: Promise<Lab> | undefined;
	// One lab for the whole TUI, all four ports, started on first use.
	const sharedLab = async () => {
		labPromise ??= environment.startLab([25, 465, 587, 2525], labCertificate(flags));
		return labPromise;
	};

	const labEnvironment: TargetEnvironment = {...environment, startLab: sharedLab};
	const labFlags = {...flags, host: undefined, lab: true, mx: undefined, resolver: undefined};
	const builders: Builders = {
		labSession: async port => (await resolveTarget({...labFlags, port: String(port)}, labEnvironment)).options,
		compareScenario: async ports => (await buildScenario(labFlags, ports, labEnvironment)).scenario,
		resolve: async targetFlags => resolveTarget(targetFlags, labEnvironment),
		probeTargets: async () => (await buildProbeTargets(labFlags, parsePortList(undefined, [25, 465, 587, 2525]), labEnvironment)).targets,
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
		}, {...environment, promptPassword: async () => answers.password});
		return target.options;
	};

	let exitCode = 0;
	try {
		const {initialSession, initialCompare} = await first(builders);
		const instance = render(
			<App
				initialSession={initialSession}
				initialCompare={initialCompare}
				labSession={builders.labSession}
				compareScenario={builders.compareScenario}
				probeTargets={builders.probeTargets}
				remoteSession={remoteSession}
				onExit={code => {
					exitCode = code;
				}}
			/>,
			{exitOnCtrlC: false},
		);
		try {
			await instance.waitUntilExit();
		} finally {
			instance.cleanup();
		}
	} finally {
		if (labPromise) await (await labPromise).close();
	}

	return exitCode;
}
