// Performing a lesson step's action on a session (for tests and the demo key), and
// following a student's progress through a lesson.
import type {SessionLike} from '../engine/replay.js';
import {expectationMet, type Lesson, type LessonAction, type LessonContext, type LessonStep} from './lesson.js';

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

	constructor(lesson: Lesson) {
		this.lesson = lesson;
	}

	get step(): LessonStep | undefined {
		return this.lesson.steps[this.index];
	}

	get finished(): boolean {
		return this.index >= this.lesson.steps.length;
	}

	/** Checks the current step against the session's transcript (and the journey's context); true when it just became met. */
	check(session: SessionLike, context?: LessonContext): boolean {
		if (session !== this.session) {
			// A new session: its transcript starts empty, whatever the old one held.
			if (this.session !== undefined) this.since = 0;
			this.session = session;
		}

		const step = this.step;
		if (!step || this.met) return false;
		if (expectationMet(step.expect, session.entries.slice(this.since), session.entries, context)) {
			this.met = true;
			this.metAt = session.entries.length;
			return true;
		}

		return false;
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
