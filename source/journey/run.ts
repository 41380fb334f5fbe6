// One run of the mail journey, as a person steps it: the submission session (alice → her
// provider on 587), the relay hop (provider → recipient's MX on 25, stepped by hand) and the
// retrieval session (bob's reader ← his mailbox, POP3 on 995 or IMAP on 993, the person's
// choice). Everything a screen needs to draw the journey lives here, outside React, so that
// - steps are serialised: a second step asked for while one is in flight is refused (the
//   caller is told), never run, however fast the keys come and whenever the screen redraws;
// - a second run on the same journey lab shows its own relay and message, not the last run's.
//
// Layering: the journey layer (engine + lab); the UI only calls it and draws what it says.

import {ImapSession} from '../engine/imap.js';
import {Pop3Session} from '../engine/pop3.js';
import {Session} from '../engine/session.js';
import type {TranscriptEntry} from '../protocol/transcript.js';
import type {JourneyLab, JourneyRelay} from './journey.js';

/** How bob's mail program reads his mailbox in leg 3. */
export type Retrieval = 'pop3' | 'imap';
export const retrievals: readonly Retrieval[] = ['pop3', 'imap'];

export function isRetrieval(value: string): value is Retrieval {
	return (retrievals as readonly string[]).includes(value);
}

/** The three legs: 0 submission, 1 relay, 2 retrieval. */
export type LegIndex = 0 | 1 | 2;

/** What a leg's session offers: the transcript so far, the next step, one step at a time. */
export type JourneyLegSession = {
	readonly entries: TranscriptEntry[];
	readonly done: boolean;
	step(): Promise<unknown>;
	peek(): {lines: string[]; description: string};
	close(): void;
};

/**
 * stepped: the step ran; refused: another step was still in flight, nothing ran;
 * no-leg: the leg has no session yet (the relay before leg 1 ended); done: the leg was over.
 */
export type StepResult = 'stepped' | 'refused' | 'no-leg' | 'done';

/** Where the message is: alice's client, her provider, the MX, bob's mailbox, bob's reader. */
export type Position = 0 | 1 | 2 | 3 | 4;

/** A leg is a dozen steps at most; the bound keeps a stuck peer from spinning a run of the leg. */
const maxStepsPerRun = 40;

export class JourneyRun {
	readonly submission: Session;
	private hop?: JourneyRelay;
	private reader?: Pop3Session | ImapSession;
	private choice: Retrieval;
	/** bob's messages when the run began: this run's message is the next one. */
	private readonly bobsAtStart: number;
	private inFlight = false;
	private readonly listeners = new Set<() => void>();
	private readonly unsubscribe: Array<() => void>;

	constructor(readonly journey: JourneyLab, options: {retrieval?: Retrieval} = {}) {
		this.choice = options.retrieval ?? 'pop3';
		this.submission = new Session(journey.submissionOptions(587));
		this.bobsAtStart = this.bobsMessages().length;
		this.unsubscribe = [
			// Only a relay that starts after this run began is this run's.
			journey.onRelay(relay => {
				this.hop = relay;
				this.changed();
			}),
			journey.onEvent(() => this.changed()),
		];
	}

	/** POP3 or IMAP for leg 3. */
	get retrieval(): Retrieval {
		return this.choice;
	}

	/** Whether leg 3's protocol can still be chosen (its session has not started). */
	get retrievalOpen(): boolean {
		return this.reader === undefined;
	}

	/** Chooses POP3 or IMAP for leg 3; false (nothing changes) once leg 3 has started. */
	chooseRetrieval(retrieval: Retrieval): boolean {
		if (!this.retrievalOpen) return retrieval === this.choice;
		this.choice = retrieval;
		this.changed();
		return true;
	}

	get relay(): JourneyRelay | undefined {
		return this.hop;
	}

	/** The retrieval session, once leg 3 has begun. */
	get retrievalSession(): Pop3Session | ImapSession | undefined {
		return this.reader;
	}

	/** A step is in flight. */
	get busy(): boolean {
		return this.inFlight;
	}

	/** The session of a leg, if it has one yet (leg 3's is made when first asked for). */
	leg(index: LegIndex): JourneyLegSession | undefined {
		if (index === 0) return this.submission;
		if (index === 1) return this.hop && relayLeg(this.hop);
		this.reader ??= this.makeReader();
		return this.reader;
	}

	/** The session of a leg without starting leg 3's (for drawing). */
	peekLeg(index: LegIndex): JourneyLegSession | undefined {
		return index === 2 ? this.reader : this.leg(index);
	}

	/**
	 * One step of a leg (all: to the end of the leg). Refused, never run, while another step of
	 * this run is in flight: the check and the claim happen before the first await.
	 */
	async step(index: LegIndex, all = false): Promise<StepResult> {
		if (this.inFlight) return 'refused';
		const target = this.leg(index);
		if (!target) return 'no-leg';
		if (target.done) return 'done';
		this.inFlight = true;
		this.changed();
		try {
			for (let count = 0; count < maxStepsPerRun; count++) {
				await target.step(); // eslint-disable-line no-await-in-loop
				this.changed();
				if (!all || target.done) break;
			}
		} finally {
			this.inFlight = false;
			this.changed();
		}

		return 'stepped';
	}

	/** Where the message is now. */
	get position(): Position {
		if (this.retrieved) return 4;
		const relay = this.hop;
		if (relay?.state === 'delivered') return 3;
		if (relay && relay.state !== 'waiting') return 2;
		return this.submission.entries.some(entry => entry.step === 'body' && entry.code === 250) ? 1 : 0;
	}

	/** The message as leg 3 fetched it (POP3 RETR or IMAP FETCH BODY[]): its exact bytes. */
	get retrieved(): Buffer | undefined {
		const reader = this.reader;
		return reader instanceof ImapSession ? reader.fetched : reader?.retrieved;
	}

	/** This run's message: as fetched, else as it arrived in bob's mailbox. */
	get message(): Buffer | undefined {
		return this.retrieved ?? this.bobsMessages().slice(this.bobsAtStart).at(-1)?.raw;
	}

	/** Calls `listener` whenever something the screen shows may have changed; returns the unsubscribe function. */
	onChange(listener: () => void): () => void {
		this.listeners.add(listener);
		return () => {
			this.listeners.delete(listener);
		};
	}

	/** Ends the run's sessions (the relay hop belongs to the journey lab and ends with it). */
	close(): void {
		for (const stop of this.unsubscribe) stop();
		this.listeners.clear();
		this.submission.close();
		this.reader?.close();
	}

	private makeReader(): Pop3Session | ImapSession {
		// This run's message is the next one in bob's mailbox, not message 1.
		const number = this.bobsAtStart + 1;
		return this.choice === 'imap'
			// LOGIN (not AUTHENTICATE PLAIN) to read, LIST for the folders, STORE \Seen for the flags.
			? new ImapSession(this.journey.imapRetrievalOptions(993, {fetch: number, auth: 'login', list: true, markSeen: true}))
			: new Pop3Session(this.journey.retrievalOptions(995, {retrieve: number}));
	}

	private bobsMessages() {
		const bob = this.journey.receiver.users[0]?.user ?? 'bob';
		return this.journey.mailboxes.all().filter(message => message.user === bob);
	}

	private changed(): void {
		for (const listener of [...this.listeners]) {
			// A screen's bug must not break a step in progress.
			try {
				listener();
			} catch {}
		}
	}
}

/** The relay hop seen as a leg: its session says when it is done. */
function relayLeg(relay: JourneyRelay): JourneyLegSession {
	return {
		entries: relay.entries,
		get done() {
			return relay.session.done;
		},
		step: async () => relay.step(),
		peek: () => relay.peek(),
		close: () => relay.close(),
	};
}
