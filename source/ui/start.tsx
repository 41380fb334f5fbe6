// Starts the TUI: turns flags into the App's props, renders, and cleans up on exit
// (sockets closed, lab stopped, terminal restored).
import React from 'react';
import {render} from 'ink';
import {resolveTarget, UsageError, type TargetEnvironment, type TargetFlags} from '../commands/target.js';
import type {Lab, LabPort} from '../lab/index.js';
import {App} from './app.js';
import type {RemoteAnswers} from './target-screen.js';

export async function startTui(flags: TargetFlags, environment: TargetEnvironment): Promise<number> {
	let labPromise: Promise<Lab> | undefined;
	// One lab for the whole TUI, all four ports, started on first use.
	const sharedLab = async () => {
		labPromise ??= environment.startLab([25, 465, 587, 2525]);
		return labPromise;
	};

	const labEnvironment: TargetEnvironment = {...environment, startLab: sharedLab};
	const labSession = async (port: LabPort) => {
		const target = await resolveTarget({...flags, host: undefined, port: String(port)}, labEnvironment);
		return target.options;
	};

	const remoteSession = async (answers: RemoteAnswers) => {
		const target = await resolveTarget({
			...flags,
			host: answers.host,
			port: answers.port,
			tls: answers.tls,
			user: answers.user || undefined,
			to: answers.to ? [answers.to] : undefined,
		}, {...environment, promptPassword: async () => answers.password});
		return target.options;
	};

	// Flags that name a target open the session directly.
	let initialSession;
	if (flags.host) {
		const target = await resolveTarget(flags, environment);
		for (const warning of target.warnings) process.stderr.write(`smtp-tui: warning: ${warning}\n`);
		initialSession = target.options;
	} else if (flags.port) {
		initialSession = await labSession(Number(flags.port) as LabPort).catch((error: unknown) => {
			if (error instanceof UsageError) throw error;
			throw error;
		});
	}

	let exitCode = 0;
	const instance = render(
		<App
			initialSession={initialSession}
			labSession={labSession}
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
		if (labPromise) await (await labPromise).close();
	}

	return exitCode;
}
