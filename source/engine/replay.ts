// Replay: a recorded session played back through the same interface the session screen
// uses for a live one, step by step or at the recorded speed. No network at all.
import {explainStep} from '../protocol/explain.js';
import type {StepKind, TlsFacts, TranscriptEntry} from '../protocol/transcript.js';
import {SessionFailure} from './failure.js';
import {initialPlanState, type PlanState} from '../protocol/smtp-plan.js';
import type {Preview, SessionOptions, StepOutcome} from './session.js';

/** What the session screen needs from a session, live or replayed. */
export type SessionLike = {
	readonly options: SessionOptions;
	readonly entries: TranscriptEntry[];
	readonly target: string;
	readonly state: Readonly<PlanState>;
	readonly tlsFacts: TlsFacts | undefined;
	readonly exitCode: number;
	readonly done: boolean;
	readonly stepNumber: number;
	readonly plannedSteps: number;
	/** After DATA's 354, before the lone dot: typed lines are message lines. */
	readonly inMessage?: boolean;
	/** A SASL exchange typed by hand waits for the answer to a 334. */
	readonly awaitingSaslAnswer?: boolean;
	onEntry(listener: (entry: TranscriptEntry) => void): () => void;
	peek(): Preview;
	step(override?: string): Promise<StepOutcome>;
	skip(): void;
	manual(input: string): Promise<StepOutcome>;
	close(): void;
};

/** Recorded pauses longer than this are shortened when playing at recorded speed. */
const maxPauseMs = 2000;

export class ReplaySession implements SessionLike {
	readonly options: SessionOptions;
	readonly entries: TranscriptEntry[] = [];
	readonly target: string;
	private readonly groups: TranscriptEntry[][];
	private next = 0;
	private listeners = new Set<(entry: TranscriptEntry) => void>();
	private closed = false;

	constructor(options: SessionOptions, recorded: readonly TranscriptEntry[]) {
		this.options = options;
		this.target = options.label ?? `${options.host}:${options.port}`;
		// One group per recorded step: what one press of enter did in the live session.
		const groups = new Map<number, TranscriptEntry[]>();
		for (const entry of recorded) {
			const group = groups.get(entry.stepIndex) ?? [];
			group.push(entry);
			groups.set(entry.stepIndex, group);
		}

		this.groups = [...groups.keys()].sort((a, b) => a - b).map(key => groups.get(key)!);
	}

	get done(): boolean {
		return this.closed || this.next >= this.groups.length;
	}

	get stepNumber(): number {
		return this.next;
	}

	get plannedSteps(): number {
		return this.groups.length;
	}

	get exitCode(): number {
		return 0;
	}

	get tlsFacts(): TlsFacts | undefined {
		return this.entries.findLast(e => e.tlsFacts)?.tlsFacts;
	}

	get state(): Readonly<PlanState> {
		const last = this.entries.at(-1);
		return {
			...initialPlanState,
			connected: this.entries.some(e => e.direction === 'info' && e.text.startsWith('Connected to')) || this.entries.some(e => e.direction === 'server'),
			ended: this.done,
			tls: last?.tls ?? false,
			authenticated: this.entries.some(e => e.code === 235),
		};
	}

	onEntry(listener: (entry: TranscriptEntry) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	peek(): Preview {
		const group = this.groups[this.next];
		if (!group || this.closed) return {kind: 'done', lines: [], description: 'The recording is over. Press r to play it again.', editable: false};
		const kind = group.find(e => e.direction === 'client')?.step ?? group[0]!.step;
		const client = group.filter(e => e.direction === 'client');
		const lines = client.length > 0 ? client.map(e => e.text) : [`(${group[0]!.text})`];
		const decoded = client.find(e => e.decoded !== undefined)?.decoded;
		return {kind: kind === 'manual' ? 'connect' : kind as Preview['kind'], lines, decoded, description: `Recorded: ${explainStep(kind as StepKind).summary}`, editable: false};
	}

	async step(): Promise<StepOutcome> {
		const group = this.groups[this.next];
		if (!group || this.closed) return {ok: true};
		this.next++;
		for (const entry of group) this.emit(entry);
		return {ok: true};
	}

	/** Plays the rest at the recorded speed (long pauses shortened to 2 s). */
	async play(): Promise<void> {
		let previous = this.entries.at(-1)?.at;
		while (!this.done) {
			const group = this.groups[this.next++]!;
			for (const entry of group) {
				const pause = previous === undefined ? 0 : Math.min(maxPauseMs, Math.max(0, entry.at - previous));
				previous = entry.at;
				if (pause > 0) await new Promise(resolve => setTimeout(resolve, pause));
				if (this.closed) return;
				this.emit(entry);
			}
		}
	}

	skip(): void {
		void this.step();
	}

	async manual(): Promise<StepOutcome> {
		return {ok: false, failure: new SessionFailure('local', 'This is a recording: it replays what was sent and cannot send new commands.')};
	}

	close(): void {
		this.closed = true;
	}

	private emit(entry: TranscriptEntry): void {
		this.entries.push(entry);
		for (const listener of this.listeners) listener(entry);
	}
}
