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
				const kind = session.peek().kind;
				if (kind === action.step || kind === 'blocked' || (kind === 'quit' && action.step !== 'quit')) return;
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

/** Where a student is in a lesson: the step, the transcript index it began at, and whether it is met. */
export class LessonProgress {
	readonly lesson: Lesson;
	index = 0;
	/** Index into the current session's entries where the current step began. */
	since = 0;
	met = false;

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
		const step = this.step;
		if (!step || this.met) return false;
		if (expectationMet(step.expect, session.entries.slice(this.since), session.entries, context)) {
			this.met = true;
			return true;
		}

		return false;
	}

	/** Moves to the next step; `entries` is where it begins in the (possibly new) session. */
	advance(entries: number): void {
		this.index++;
		this.since = entries;
		this.met = false;
	}
}
