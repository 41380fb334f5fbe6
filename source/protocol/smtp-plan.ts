// The SMTP client's plan: given what has happened so far, which step comes next. Pure, no I/O,
// so every branch can be tested without a network; smtp-client.ts's conversation drives it.
import {hasExtension, type Capabilities} from './ehlo.js';
import type {StepKind} from './transcript.js';

/** How TLS starts, once `--tls auto` is resolved for the port: `opportunistic` upgrades when STARTTLS is offered. */
export type PlanTls = 'starttls' | 'implicit' | 'none' | 'opportunistic';

export type QuitAfter = 'connect' | 'banner' | 'ehlo' | 'starttls' | 'auth' | 'mail' | 'rcpt' | 'data';
export const quitAfterValues: QuitAfter[] = ['connect', 'banner', 'ehlo', 'starttls', 'auth', 'mail', 'rcpt', 'data'];

export type PlanConfig = {
	/** Resolved TLS mode: `opportunistic` upgrades when STARTTLS is offered. */
	tls: PlanTls;
	/** Credentials were given, so the plan logs in. */
	wantAuth: boolean;
	/** The user allowed AUTH over a connection without TLS. */
	insecureAuth: boolean;
	recipients: string[];
	quitAfter?: QuitAfter;
	/** The sender or a recipient is a UTF-8 address: MAIL needs the server's SMTPUTF8. */
	utf8Addresses?: boolean;
	/** Where the user names a remedy: as command-line flags (default) or as the remote wizard's fields. */
	remedies?: Remedies;
};

/** Where the user names the remedies for a refusal: flags on the command line, or the remote wizard's fields. */
export type Remedies = 'flags' | 'wizard';

/** Where the remote wizard is, for advice in a session it started. */
export const inWizard = 'In the remote wizard (b goes back to it, your answers kept)';

export type PlanState = {
	connected: boolean;
	/** The connection is gone (closed by either side, or failed). */
	ended: boolean;
	tls: boolean;
	/** EHLO (or HELO) since the last change of TLS state: done or skipped. */
	ehloDone: boolean;
	/** EHLO was refused as unknown, so HELO is next. */
	useHelo: boolean;
	capabilities?: Capabilities;
	starttlsDone: boolean;
	authDone: boolean;
	authenticated: boolean;
	mailDone: boolean;
	rcptIndex: number;
	rcptAccepted: number;
	dataDone: boolean;
	bodyDone: boolean;
	quitDone: boolean;
	/** A step failed or quit-after was reached: only QUIT is left. */
	stopping: boolean;
	/** Opportunistic STARTTLS was refused, so the session went on in cleartext. */
	plaintextFallback?: boolean;
	/** Opportunistic STARTTLS went on with a certificate that did not verify. */
	unverifiedTls?: boolean;
};

export const initialPlanState: PlanState = {
	connected: false,
	ended: false,
	tls: false,
	ehloDone: false,
	useHelo: false,
	starttlsDone: false,
	authDone: false,
	authenticated: false,
	mailDone: false,
	rcptIndex: 0,
	rcptAccepted: 0,
	dataDone: false,
	bodyDone: false,
	quitDone: false,
	stopping: false,
};

/** A reason the plan cannot go on safely; the session reports it and quits. */
export type PlanBlock = {step: StepKind; message: string};

export type NextStep =
	| {kind: 'done'}
	| {kind: 'blocked'; block: PlanBlock}
	| {kind: Exclude<StepKind, 'manual'>; recipient?: string};

/** What to do about opportunistic TLS whose certificate did not verify, before a login. */
function unverifiedHint(remedies: Remedies = 'flags'): string {
	return remedies === 'wizard'
		? `. ${inWizard}, type starttls as the TLS mode and give the CA certificate file to trust it, or answer yes to "Accept any certificate" to log in anyway.`
		: '; use --tls starttls with --ca FILE to trust it, or --insecure to log in anyway.';
}

export function nextStep(state: PlanState, config: PlanConfig): NextStep {
	if (state.quitDone || state.ended) return {kind: 'done'};
	if (!state.connected) return {kind: 'connect'};
	if (state.stopping) return {kind: 'quit'};
	if (!state.ehloDone) return {kind: state.useHelo ? 'helo' : 'ehlo'};

	const caps = state.capabilities;
	const wantsTls = config.tls === 'starttls' || config.tls === 'opportunistic';
	if (wantsTls && !state.tls && !state.starttlsDone) {
		if (caps && hasExtension(caps, 'STARTTLS')) return {kind: 'starttls'};
		if (config.tls === 'starttls') {
			return {
				kind: 'blocked',
				block: {step: 'starttls', message: 'TLS is required (--tls starttls) but the server does not offer STARTTLS; smtp-tui will not continue in cleartext.'},
			};
		}
	}

	if (config.wantAuth && !state.authDone) {
		if (!caps || caps.auth.length === 0) {
			const hint = state.tls ? '' : ' before TLS (submission servers usually offer AUTH only after STARTTLS)';
			return {kind: 'blocked', block: {step: 'auth', message: `The server does not offer AUTH${hint}; cannot log in.`}};
		}

		if (state.unverifiedTls) {
			return {
				kind: 'blocked',
				block: {step: 'starttls', message: `Refusing to send credentials: the certificate did not verify (opportunistic TLS carries mail, not passwords)${unverifiedHint(config.remedies)}`},
			};
		}

		if (!state.tls && !config.insecureAuth) {
			return {
				kind: 'blocked',
				block: {step: 'auth', message: 'Refusing to send credentials over a connection without TLS; pass --insecure-auth to do it anyway.'},
			};
		}

		return {kind: 'auth'};
	}

	if (!state.mailDone) {
		if (config.utf8Addresses && !(caps && hasExtension(caps, 'SMTPUTF8'))) {
			// RFC 6531 §3.4: without SMTPUTF8 a non-ASCII address cannot be sent at all (the server
			// would answer 501 or 553); say so here instead of earning the refusal.
			const why = caps ? 'the server does not offer SMTPUTF8 in EHLO' : 'a server that only took HELO offers no SMTPUTF8';
			return {kind: 'blocked', block: {step: 'mail', message: `An address is not ASCII (UTF-8 mail, RFC 6531), and ${why}; smtp-tui did not send MAIL. Use an ASCII address here, or a server that offers SMTPUTF8.`}};
		}

		return {kind: 'mail'};
	}
	if (state.rcptIndex < config.recipients.length) {
		return {kind: 'rcpt', recipient: config.recipients[state.rcptIndex]};
	}

	if (!state.dataDone) {
		if (state.rcptAccepted === 0) {
			return {kind: 'blocked', block: {step: 'rcpt', message: 'No recipient was accepted, so there is nobody to send the message to.'}};
		}

		return {kind: 'data'};
	}

	if (!state.bodyDone) return {kind: 'body'};
	return {kind: 'quit'};
}

/** Whether the plan should stop (and quit) once `completed` has succeeded. */
export function reachedQuitAfter(completed: StepKind, state: PlanState, config: PlanConfig): boolean {
	switch (config.quitAfter) {
		case undefined:
			return false;
		case 'connect':
		case 'banner':
			return completed === 'connect';
		case 'ehlo':
			return completed === 'ehlo' || completed === 'helo';
		case 'starttls':
			return completed === 'starttls';
		case 'auth':
			return completed === 'auth';
		case 'mail':
			return completed === 'mail';
		case 'rcpt':
			return completed === 'rcpt' && state.rcptIndex >= config.recipients.length;
		case 'data':
			return completed === 'data';
	}
}

/** How many steps the plan takes when everything succeeds (for "step n of m"). */
export function plannedStepCount(config: PlanConfig, state: PlanState): number {
	const offered = state.capabilities ? hasExtension(state.capabilities, 'STARTTLS') : true;
	const upgrade = config.tls === 'starttls' || (config.tls === 'opportunistic' && (offered || state.starttlsDone));
	const steps = ['connect', 'ehlo', ...(upgrade ? ['starttls', ...(state.plaintextFallback ? [] : ['ehlo'])] : []), ...(config.wantAuth ? ['auth'] : []), 'mail', ...config.recipients.map(() => 'rcpt'), 'data', 'body'];
	const stopStep = config.quitAfter === 'banner' ? 'connect' : config.quitAfter;
	// Quit-after stops after the first EHLO, but after the last RCPT.
	const stopAt = stopStep === undefined ? -1 : stopStep === 'rcpt' ? steps.lastIndexOf(stopStep) : steps.indexOf(stopStep);
	return (stopAt >= 0 ? stopAt + 1 : steps.length) + 1; // + QUIT
}
