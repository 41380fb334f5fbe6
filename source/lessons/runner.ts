// Performing a lesson step's action on a session (for tests and the demo key), and
// following a student's progress through a lesson.
import type {SessionLike} from '../engine/replay.js';
import {firstMet, type Lesson, type LessonAction, type LessonContext, type LessonStep} from './lesson.js';

/** Enter-presses an `until` may take at the most (a full session is about 12). */
const maxSteps = 20;

export async function performAction(session: SessionLike & {next?: () => {kind: string}}, action: LessonAction): Promise<void> {
	if (action.waitMs) await new Promise(resolve => setTimeout(resolve, action.waitMs));
	switch (action.kind) {
		case 'step':
			for (let i = 0; i < (action.times ?? 1) && !session.done; i++) await session.step();
			return;
		case 'until':
			for (let i = 0; i < maxSteps && !session.done; i++) {
				if (untilReached(action, session.peek().kind)) return;
				await session.step();
			}

			return;
		case 'manual':
			await session.manual(action.line);
			return;
		case 'edit':
			await session.step(action.line);
			return;
		case 'run-all':
			for (let i = 0; i < maxSteps && !session.done; i++) await session.step();
	}
}

export type ProgressState = {index: number; since: number; met: boolean};

/**
 * Whether enter should stop for an `until` step: the Next pane shows its target (or only
 * QUIT is left, or nothing can go on). Performing the action stops at the same place.
 */
export function untilReached(action: LessonAction, nextKind: string): boolean {
	if (action.kind !== 'until') return false;
	return nextKind === action.step || nextKind === 'blocked' || nextKind === 'done' || (nextKind === 'quit' && action.step !== 'quit');
}

/**
 * Whether enter should stop for an `edit` step that is not done yet: the Next pane shows the
 * command the student is to edit (RCPT for "RCPT TO:<friend@example.com>"), so enter would send
 * it unedited and run past the step (after a restart, pressing enter to catch up).
 */
export function editReached(action: LessonAction, nextKind: string): boolean {
	return action.kind === 'edit' && nextKind === (action.line.trimStart().split(/[\s:]/, 1)[0] ?? '').toLowerCase();
}

/** Where the session is, as a lesson step names it: the Next pane's step, or "sasl-answer" while a login typed by hand waits for its answer. */
export function lessonNextKind(session: {readonly awaitingSaslAnswer?: boolean; peek(): {kind: string}}): string {
	return session.awaitingSaslAnswer ? 'sasl-answer' : session.peek().kind;
}

/** Next pane steps at which the session cannot go on with the plan: QUIT, a blocked plan, the end. */
const endKinds = new Set(['quit', 'blocked', 'done']);

/**
 * Why enter (send the next planned step) is refused now in a lesson, or undefined when it may
 * go. `nextKind`: what the Next pane shows; `onItsPort`: the session is the step's own.
 * - an `until` step that is met stops at its target;
 * - a step typed by hand (`manual`) is not done by enter: enter stops where it is typed (its
 *   `at`, or where the plan cannot go on), so a habitual enter never runs past it or into QUIT;
 * - an `edit` step stops at the line to edit (sent unedited it would run past the step);
 * - a step that is done stops enter where the next one is typed or edited, and any step done
 *   that is not an `until` stops enter (its target is reached);
 * - enter never sends QUIT in a lesson (it would end the session the next step needs; `a` still
 *   runs everything, r starts a new session).
 */
export function enterRefusal(step: LessonStep | undefined, met: boolean, nextKind: string, onItsPort: boolean, following?: LessonStep): string | undefined {
	if (!step) return undefined;
	const action = step.do;
	if (met && untilReached(action, nextKind)) return 'This step stops here: press n for the next step (> skips it, m types a command).';
	// Done, and the next step (on this session) is typed or edited right here: one enter too
	// many would run past it (STARTTLS before the AUTH PLAIN that is to earn a 530).
	if (met && following && following.port === step.port && (following.do.kind === 'manual' || following.do.kind === 'edit') && enterRefusal(following, false, nextKind, onItsPort) !== undefined) {
		return 'This step is done: press n for the next one, which starts right here (enter would run past it).';
	}

	// Done by enter (or by hand): its target is reached, so a habitual enter (a burst of them)
	// would run on past it, into what later steps are to do (AUTH, MAIL, RCPT after the last EHLO).
	if (met && action.kind !== 'until') return 'This step is done: press n for the next step (enter would run past it).';

	// A login answer is typed after AUTH typed by hand, so enter stops at AUTH for it as well.
	const typedAt = action.kind === 'manual' && action.at === 'sasl-answer' ? ['sasl-answer', 'auth'] : action.kind === 'manual' ? [action.at] : [];
	if (!met && onItsPort && action.kind === 'manual' && action.at === 'sasl-answer' && nextKind === 'auth') {
		return `No login waits for an answer now: press m and type AUTH LOGIN to start one, then ${action.line} (> skips the step).`;
	}

	if (!met && onItsPort && action.kind === 'manual' && (typedAt.includes(nextKind) || endKinds.has(nextKind))) {
		return `This step is typed by hand: press m and type ${action.line} (> skips the step).`;
	}

	if (!met && onItsPort && editReached(action, nextKind)) return 'Press e to change this line, as the lesson pane says (> skips the step).';
	if (nextKind === 'quit') return 'Enter stops before QUIT in a lesson, so the session stays open (r starts a new one, > skips this step).';
	return undefined;
}

/**
 * Whether a step typed by hand is not at the place it is typed (its `at`): the pane says where
 * that is (a login answer needs an open login: the second AUTH LOGIN went out as the user name
 * and the server ended the exchange with 501).
 */
export function misplaced(step: LessonStep | undefined, met: boolean, nextKind: string): boolean {
	return step !== undefined && !met && step.do.kind === 'manual' && step.do.at !== undefined && nextKind !== step.do.at;
}

/**
 * Whether the session can no longer do the step (a malformed edit was refused and the plan
 * went on to QUIT, a failure stopped it): the pane then says so and offers r, instead of
 * repeating an instruction that cannot be followed. A step typed by hand can still be typed.
 */
export function outOfReach(step: LessonStep | undefined, met: boolean, nextKind: string): boolean {
	return step !== undefined && !met && step.do.kind !== 'manual' && endKinds.has(nextKind);
}

/**
 * Where a student is in a lesson: the step, the transcript index it began at, and whether it
 * is met. Made for clumsy students: a restart (a new session) starts counting from the new
 * session's first line; what was done after a step was met (one enter too many, the next
 * step done early) counts for the next step; a step can be skipped or gone back to.
 */
export class LessonProgress {
	readonly lesson: Lesson;
	index = 0;
	/** Index into the current session's entries where the current step began. */
	since = 0;
	met = false;
	/** Entries the session had when the current step was met. */
	private metAt = 0;
	/** The session `since` counts in; another one (a restart, a new port) starts at 0. */
	private session?: SessionLike;
	/** For which step and start the transcript lengths below `to` were found unmet. */
	private scanned?: {index: number; since: number; to: number};

	constructor(lesson: Lesson) {
		this.lesson = lesson;
	}

	get step(): LessonStep | undefined {
		return this.lesson.steps[this.index];
	}

	get finished(): boolean {
		return this.index >= this.lesson.steps.length;
	}

	/**
	 * Checks the current step against the session's transcript (and the journey's context); true
	 * when it just became met. The step is met at the first line where the transcript met it,
	 * whenever this is called (a frame late, after a burst of keys ran further).
	 */
	check(session: SessionLike, context?: LessonContext): boolean {
		if (session !== this.session) {
			// A new session: its transcript starts empty, whatever the old one held.
			if (this.session !== undefined) this.since = 0;
			this.session = session;
			this.scanned = undefined;
		}

		const step = this.step;
		if (!step || this.met) return false;
		// Lengths already found unmet for this step and start need no second look (unless the
		// journey's context, which is not in the transcript, may have changed).
		const from = context === undefined && this.scanned?.index === this.index && this.scanned.since === this.since ? this.scanned.to : this.since;
		const at = firstMet(step.expect, session.entries, this.since, context, from);
		if (at === undefined) {
			this.scanned = {index: this.index, since: this.since, to: Math.max(this.since, session.entries.length + 1)};
			return false;
		}

		this.met = true;
		this.metAt = at;
		return true;
	}

	/**
	 * Moves to the next step. It begins where the current one was met, so what the student did
	 * since (on the same session) already counts; `entries` caps that (the session's length).
	 */
	advance(entries: number): void {
		this.since = this.met ? Math.min(this.metAt, entries) : entries;
		this.index++;
		this.met = false;
	}

	/** Goes on without the current step being met (the skip key). */
	skip(entries: number): void {
		this.met = false;
		this.advance(entries);
	}

	/** Back to the step before; it begins at `entries` (r starts a fresh session if needed). */
	back(entries: number): void {
		if (this.index === 0) return;
		this.index--;
		this.since = entries;
		this.met = false;
	}
}
