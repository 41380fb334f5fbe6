// What every step-through client session shares, whatever its protocol. TranscriptSession
// (SMTP, POP3 and IMAP alike): the transcript (one list of entries, listeners told of each),
// the target, the clock, the StepGate that runs one step at a time, and running to the end.
// ClientSession (POP3 and IMAP, whose sessions keep their own plan state) adds every text
// through the secret gate, the first failure and its exit code, and the TLS facts.
// A session = a conversation (protocol/) + the driver (driver.ts) + this.
import {LocalInputError} from '../protocol/errors.js';
import type {SecretGate} from '../protocol/redact.js';
import type {Direction, TlsFacts, TranscriptEntry, TranscriptStep} from '../protocol/transcript.js';
import {formatTarget, StepGate} from './driver.js';
import {exitCodes} from './exit-codes.js';
import {SessionFailure} from './failure.js';
import {describeCertError} from './tls.js';

export type StepOutcome = {ok: boolean; failure?: SessionFailure};

/** The steps every plan shares; the rest are the protocol's own. */
export type PlanStep<Kind extends string> = {kind: 'done'} | {kind: 'blocked'; block: {step: Kind; message: string}} | {kind: 'connect' | Kind};

/** The transcript, its listeners, the clock and the step gate: what the SMTP, POP3 and IMAP sessions all keep. */
export abstract class TranscriptSession {
	readonly entries: TranscriptEntry[] = [];
	readonly target: string;
	/** One step at a time: a second one while one is in flight is refused, never run. */
	protected readonly steps = new StepGate();
	private readonly started = performance.now();
	private readonly listeners = new Set<(entry: TranscriptEntry) => void>();

	constructor(host: string, port: number) {
		this.target = formatTarget(host, port);
	}

	abstract get done(): boolean;

	/** 0 when everything went as planned, else the exit code of the first failure. */
	abstract get exitCode(): number;

	/** Performs the next planned step. */
	abstract step(): Promise<StepOutcome>;

	get elapsedMs(): number {
		return performance.now() - this.started;
	}

	onEntry(listener: (entry: TranscriptEntry) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	/** Steps until the plan is done; returns the exit code. */
	async runToEnd(): Promise<number> {
		while (!this.done) await this.step();
		return this.exitCode;
	}

	/** An entry's `at`: milliseconds since the session began, to the microsecond. */
	protected now(): number {
		return Math.round((performance.now() - this.started) * 1000) / 1000;
	}

	/** Appends a finished entry to the transcript and tells every listener. */
	protected publish(entry: TranscriptEntry): TranscriptEntry {
		this.entries.push(entry);
		for (const listener of this.listeners) listener(entry);
		return entry;
	}
}

export abstract class ClientSession<Kind extends string = string> extends TranscriptSession {
	protected stepIndex = 0;
	protected firstFailure?: {exitCode: number; message: string};
	protected lastTlsFacts?: TlsFacts;

	constructor(host: string, port: number, protected readonly gate: SecretGate) {
		super(host, port);
	}

	/** The connection: each entry records whether it is inside TLS. */
	protected abstract readonly driver: {readonly isTls: boolean};

	/** The next step of the plan. */
	abstract next(): PlanStep<Kind>;

	/** Steps the plan takes when everything succeeds, as far as is known now. */
	protected abstract plannedCount(): number;

	get done(): boolean {
		return this.next().kind === 'done';
	}

	get stepNumber(): number {
		return this.stepIndex;
	}

	get plannedSteps(): number {
		return Math.max(this.plannedCount(), this.stepIndex);
	}

	/** The preview of the steps every protocol shares: done, blocked, connect. */
	protected sharedPreview(next: PlanStep<Kind>, implicitTls: boolean, connectDescription: string): {kind: 'done' | 'blocked' | 'connect'; lines: string[]; description: string; editable: false} {
		if (next.kind === 'done') return {kind: 'done', lines: [], description: 'The session is over.', editable: false};
		if ('block' in next) return {kind: 'blocked', lines: [], description: next.block.message, editable: false};
		return {kind: 'connect', lines: [`(connect to ${this.target}${implicitTls ? ', TLS from the first byte' : ''})`], description: connectDescription, editable: false};
	}

	get tlsFacts(): TlsFacts | undefined {
		return this.lastTlsFacts;
	}

	/** 0 when everything went as planned, else the exit code of the first failure. */
	get exitCode(): number {
		return this.firstFailure?.exitCode ?? exitCodes.ok;
	}

	get failureMessage(): string | undefined {
		return this.firstFailure?.message;
	}

	/** Runs one step through the gate; a step while another is in flight is refused. */
	protected async oneStep(work: () => Promise<StepOutcome>): Promise<StepOutcome> {
		return this.steps.run(work, failure => ({ok: false, failure}));
	}

	protected add(direction: Direction, text: string, step: TranscriptStep, extra: Partial<TranscriptEntry> = {}): TranscriptEntry {
		const entry: TranscriptEntry = {
			seq: this.entries.length,
			direction,
			// Client and server lines come already gated from the session; the rest is gated here.
			text: direction === 'client' || direction === 'server' ? text : this.gate.text(text),
			step,
			stepIndex: this.stepIndex,
			at: this.now(),
			tls: this.driver.isTls,
			secret: false,
			...extra,
		};
		if (entry.explain) entry.explain = entry.explain.map(line => this.gate.text(line));
		if (entry.deviation !== undefined) entry.deviation = this.gate.text(entry.deviation);
		return this.publish(entry);
	}

	/** The TLS handshake as a transcript entry; `why` says why an unverified certificate was let through. */
	protected recordTls(facts: TlsFacts, step: TranscriptStep, why = ' — continuing because of --insecure', extra: Partial<TranscriptEntry> = {}): void {
		this.lastTlsFacts = facts;
		const verified = facts.authorized ? 'certificate verified' : `certificate NOT verified (${describeCertError(facts.authorizationError, facts)})${why}`;
		this.add('tls', `TLS handshake: ${facts.protocol} ${facts.cipher}; ${verified}`, step, {tlsFacts: facts, ...extra});
	}

	protected recordRefusedTls(facts: TlsFacts, step: TranscriptStep): void {
		this.lastTlsFacts = facts;
		this.add('tls', `TLS handshake: ${facts.protocol} ${facts.cipher}; certificate refused`, step, {tlsFacts: facts});
	}

	/**
	 * Records a failure (an error entry) and keeps the first one's exit code: timeout 6, connect 3,
	 * TLS 29, else `stepCode` (the code of the step that failed, which each protocol decides).
	 */
	protected recordFailure(step: TranscriptStep, failure: SessionFailure, stepCode: number): void {
		const message = this.gate.text(failure.message);
		this.add('error', message, step);
		if (this.firstFailure) return;
		const code = failure.kind === 'timeout' ? exitCodes.timeout
			: failure.kind === 'connect' ? exitCodes.connect
				: failure.kind === 'tls' ? exitCodes.tls
					: stepCode;
		this.firstFailure = {exitCode: code, message};
	}
}

/** Any error as a SessionFailure: ours as they are, the user's input as 'local', the rest as 'protocol'. */
export function asSessionFailure(error: unknown): SessionFailure {
	if (error instanceof SessionFailure) return error;
	if (error instanceof LocalInputError) return new SessionFailure('local', error.message);
	return new SessionFailure('protocol', `Unexpected error: ${error instanceof Error ? error.message : String(error)}`);
}
