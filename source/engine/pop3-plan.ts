// The POP3 session's plan, pure: from the state so far to the next step (as protocol/smtp-plan.ts is for
// SMTP), how many steps a run takes, and the exit code of a failed step.
import type {Pop3StepKind, TranscriptStep} from '../protocol/transcript.js';
import {exitCodes} from './exit-codes.js';

export type Pop3TlsMode = 'auto' | 'implicit' | 'stls' | 'none';

export type Pop3PlanState = {
	connected: boolean;
	ended: boolean;
	tls: boolean;
	/** CAPA asked since the last change of TLS state (or skipped, or refused). */
	capaDone: boolean;
	/** The last CAPA list, one capability per line; undefined before CAPA or when refused. */
	capabilities?: string[];
	stlsDone: boolean;
	userDone: boolean;
	passDone: boolean;
	authenticated: boolean;
	statDone: boolean;
	listDone: boolean;
	retrDone: boolean;
	quitDone: boolean;
	/** A step failed: only QUIT is left. */
	stopping: boolean;
	/** Messages in the mailbox, from STAT. */
	messageCount?: number;
};

export const initialPop3PlanState: Pop3PlanState = {
	connected: false,
	ended: false,
	tls: false,
	capaDone: false,
	stlsDone: false,
	userDone: false,
	passDone: false,
	authenticated: false,
	statDone: false,
	listDone: false,
	retrDone: false,
	quitDone: false,
	stopping: false,
};

export type Pop3PlanConfig = {
	/** Resolved: `opportunistic` upgrades when STLS is offered. */
	tls: 'implicit' | 'stls' | 'opportunistic' | 'none';
	insecureAuth: boolean;
	/** Message number RETR asks for; 0: no RETR. */
	retrieve: number;
};

export type Pop3PlanBlock = {step: Pop3StepKind; message: string};

export type Pop3NextStep =
	| {kind: 'done'}
	| {kind: 'blocked'; block: Pop3PlanBlock}
	| {kind: 'connect' | Pop3StepKind};

export function hasCapability(capabilities: string[] | undefined, name: string): boolean {
	return (capabilities ?? []).some(line => (line.trim().split(/\s+/)[0] ?? '').toUpperCase() === name);
}

export function nextPop3Step(state: Pop3PlanState, config: Pop3PlanConfig): Pop3NextStep {
	if (state.quitDone || state.ended) return {kind: 'done'};
	if (!state.connected) return {kind: 'connect'};
	if (state.stopping) return {kind: 'pop-quit'};
	if (!state.capaDone) return {kind: 'pop-capa'};
	const wantsTls = config.tls === 'stls' || config.tls === 'opportunistic';
	if (wantsTls && !state.tls && !state.stlsDone) {
		if (hasCapability(state.capabilities, 'STLS')) return {kind: 'pop-stls'};
		if (config.tls === 'stls') {
			return {kind: 'blocked', block: {step: 'pop-stls', message: 'TLS is required (STLS) but the server does not offer STLS; smtp-tui will not continue in cleartext.'}};
		}
	}

	if (!state.userDone) {
		if (!state.tls && !config.insecureAuth) {
			return {kind: 'blocked', block: {step: 'pop-user', message: 'Refusing to send the password over a connection without TLS; allow insecure logins to do it anyway.'}};
		}

		return {kind: 'pop-user'};
	}

	if (!state.passDone) return {kind: 'pop-pass'};
	if (!state.statDone) return {kind: 'pop-stat'};
	if (!state.listDone) return {kind: 'pop-list'};
	if (!state.retrDone && config.retrieve > 0 && (state.messageCount ?? 1) >= config.retrieve) return {kind: 'pop-retr'};
	return {kind: 'pop-quit'};
}

/** Steps the plan takes when everything succeeds (for "step n of m"). */
export function plannedPop3StepCount(config: Pop3PlanConfig, state: Pop3PlanState): number {
	const offered = state.capabilities ? hasCapability(state.capabilities, 'STLS') : true;
	const upgrade = config.tls === 'stls' || (config.tls === 'opportunistic' && (offered || state.stlsDone));
	const retrieve = config.retrieve > 0 && (state.messageCount ?? 1) >= config.retrieve;
	// connect, CAPA, [STLS, CAPA], USER, PASS, STAT, LIST, [RETR], QUIT
	return 1 + 1 + (upgrade ? 2 : 0) + 2 + 2 + (retrieve ? 1 : 0) + 1;
}

export function resolvePop3TlsMode(mode: Pop3TlsMode, port: number): Pop3PlanConfig['tls'] {
	if (mode !== 'auto') return mode;
	// 995 is POP3 over implicit TLS (RFC 8314 §7); elsewhere STLS when the server offers it.
	return port === 995 ? 'implicit' : 'opportunistic';
}

// ——— exit codes ———

/**
 * Exit codes of a POP3 session: the SMTP table's where the meaning is the same (connect 3,
 * timeout 6, greeting 21, QUIT 27, login 28, TLS 29), and three of its own.
 */
export const pop3ExitCodes = {
	stat: 41,
	list: 42,
	retr: 43,
} as const;

export function exitCodeForPop3Step(step: TranscriptStep): number {
	switch (step) {
		case 'connect':
			return exitCodes.banner;
		case 'pop-stls':
			return exitCodes.tls;
		case 'pop-user':
		case 'pop-pass':
			return exitCodes.auth;
		case 'pop-stat':
			return pop3ExitCodes.stat;
		case 'pop-list':
			return pop3ExitCodes.list;
		case 'pop-retr':
			return pop3ExitCodes.retr;
		case 'pop-quit':
			return exitCodes.quit;
		case 'pop-capa':
		case 'manual':
			return exitCodes.command;
		default:
			return exitCodes.internal;
	}
}
