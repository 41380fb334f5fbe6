// Quiz mode: after each command, the server's reply is held back until the student
// predicts its class (2 success, 3 go on, 4 try later, 5 refused). Pure functions.
import type {TranscriptEntry} from '../protocol/transcript.js';
import {glyphs} from './glyphs.js';

export type QuizState = {
	on: boolean;
	/** Entries from this index on are hidden until the student answers. */
	hideFrom?: number;
	/** The code the hidden reply carries. */
	expected?: number;
	asked: number;
	right: number;
	/** The last verdict, shown until the next question. */
	last?: string;
};

export const initialQuiz: QuizState = {on: false, asked: 0, right: 0};

const classes: Record<number, string> = {2: 'success', 3: 'go on', 4: 'try later', 5: 'refused'};

/** After a step: hide its server reply if there is one, and ask. */
export function askIfReplied(quiz: QuizState, entries: readonly TranscriptEntry[], from: number): QuizState {
	const reply = entries.slice(from).findIndex(e => e.direction === 'server');
	if (!quiz.on || reply < 0) return quiz;
	return {...quiz, hideFrom: from + reply, expected: entries[from + reply]!.code, last: undefined};
}

/** The student's guess (the first digit); reveals the reply. */
export function answer(quiz: QuizState, digit: number): QuizState {
	if (quiz.hideFrom === undefined || quiz.expected === undefined) return quiz;
	const actual = Math.floor(quiz.expected / 100);
	const right = digit === actual;
	return {
		...quiz,
		hideFrom: undefined,
		expected: undefined,
		asked: quiz.asked + 1,
		right: quiz.right + (right ? 1 : 0),
		last: right ? `Right: ${quiz.expected} is ${actual}xx, ${classes[actual] ?? '?'}.` : `Not quite: it was ${quiz.expected}, ${actual}xx (${classes[actual] ?? '?'}); you said ${digit}xx.`,
	};
}

export function quizLine(quiz: QuizState, done: boolean): string {
	const score = `quiz ${quiz.right}/${quiz.asked}`;
	if (quiz.hideFrom !== undefined) return `${score} ${glyphs.dot} What will the server answer? 2 success ${glyphs.dot} 3 go on ${glyphs.dot} 4 try later ${glyphs.dot} 5 refused`;
	if (done && quiz.asked > 0) return `${score} ${glyphs.dot} Final score: ${quiz.right} of ${quiz.asked} replies predicted.${quiz.last ? ' ' + quiz.last : ''}`;
	return `${score}${quiz.last ? ` ${glyphs.dot} ` + quiz.last : ` ${glyphs.dot} press enter; predict each reply before it shows`}`;
}
