// The session's quiz state: pure transitions, no Ink.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {answer, askIfReplied, initialQuiz, quizLine} from '../../source/ui/quiz.js';
import type {TranscriptEntry} from '../../source/protocol/transcript.js';

const entry = (seq: number, direction: TranscriptEntry['direction'], code?: number) => ({seq, direction, code, text: '', step: 'ehlo', stepIndex: 1, at: 0, tls: false, secret: false}) as unknown as TranscriptEntry;
const entries = [entry(0, 'client'), entry(1, 'server', 250), entry(2, 'client'), entry(3, 'server', 554)];

test('quiz: a step with a reply hides it and asks; off, or with no reply, nothing is asked', () => {
	const on = {...initialQuiz, on: true};
	assert.deepEqual(askIfReplied(on, entries, 0), {...on, hideFrom: 1, expected: 250, last: undefined});
	assert.equal(askIfReplied(initialQuiz, entries, 0), initialQuiz, 'quiz off');
	assert.equal(askIfReplied(on, entries.slice(0, 1), 0), on, 'no server line yet');
	assert.match(quizLine(askIfReplied(on, entries, 0), false), /What will the server answer\?/);
});

test('quiz: the answer reveals the reply and keeps score; a digit with nothing asked changes nothing', () => {
	const asked = askIfReplied({...initialQuiz, on: true}, entries, 2);
	const wrong = answer(asked, 2);
	assert.equal(wrong.hideFrom, undefined);
	assert.equal(wrong.asked, 1);
	assert.equal(wrong.right, 0);
	assert.match(wrong.last ?? '', /Not quite: it was 554, 5xx \(refused\); you said 2xx/);
	const right = answer(askIfReplied(wrong, entries, 0), 2);
	assert.equal(right.right, 1);
	assert.equal(right.asked, 2);
	assert.equal(answer(right, 3), right);
	assert.match(quizLine(right, true), /Final score: 1 of 2 replies predicted/);
});
