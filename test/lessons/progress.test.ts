// Step completion and where enter stops, decided from the transcript of a real session against
// the lab (no screen, no timing): the places issue 17's student attack found lessons jamming.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {Session} from '../../source/engine/session.js';
import {startLab} from '../../source/lab/index.js';
import {labSessionOptions} from '../support/lab-session.js';
import {findLesson} from '../../source/lessons/index.js';
import type {Lesson} from '../../source/lessons/lesson.js';
import {enterRefusal, lessonNextKind, LessonProgress, misplaced, outOfReach} from '../../source/lessons/runner.js';

const options = labSessionOptions;

function lesson(name: string): Lesson {
	const found = findLesson(name);
	assert.ok(found, name);
	return found;
}

/** Plans steps until the Next pane shows `kind`, bounded. */
async function stepUntil(session: Session, kind: string): Promise<void> {
	for (let i = 0; i < 12 && session.peek().kind !== kind; i++) await session.step();
	assert.equal(session.peek().kind, kind);
}

test('lesson 3: STARTTLS sent before anyone looked (a burst of enters) still completes step 2, at the line it was sent', {timeout: 30_000}, async () => {
	const lab = await startLab();
	const session = new Session(options(lab, 587));
	try {
		const progress = new LessonProgress(lesson('starttls'));
		// Connect, EHLO and STARTTLS all done before the first check (the frame came late).
		await session.step();
		await session.step();
		await session.step();
		assert.ok(session.entries.some(e => e.direction === 'client' && e.text === 'STARTTLS'));
		assert.equal(progress.check(session), true, 'step 1: STARTTLS was listed by the EHLO that was answered');
		progress.advance(session.entries.length);
		assert.equal(progress.check(session), true, 'step 2: the STARTTLS and its 220 came after step 1 was met, so they count for it');
		progress.advance(session.entries.length);
		assert.equal(progress.check(session), false, 'step 3 waits for the EHLO inside TLS');
		await session.step();
		assert.equal(progress.check(session), true);
	} finally {
		session.close();
		await lab.close();
	}
});

test('an EHLO still waiting for its reply is not "the latest EHLO reply" (a capability absent is not met by silence)', () => {
	const auth = lesson('auth-decoded');
	const progress = new LessonProgress(auth);
	const entry = (direction: 'client' | 'server', text: string, extra: Record<string, unknown> = {}) => ({seq: 0, direction, text, step: 'ehlo' as const, stepIndex: 1, at: 0, tls: false, secret: false, ...extra});
	const entries = [entry('server', '220 hi', {code: 220, last: true}), entry('client', 'EHLO client.example')];
	const fake = {entries} as unknown as Session;
	assert.equal(progress.check(fake), false, 'no reply to EHLO yet');
	entries.push(entry('server', '250-mx.lab.test', {code: 250, last: false}), entry('server', '250 STARTTLS', {code: 250, last: true}));
	assert.equal(progress.check(fake), true, 'now answered, without AUTH');
});

test('lesson 4: AUTH LOGIN typed twice: the second goes out as the user name, the Next pane says what the server waits for, and step 7 is not met by that 501', {timeout: 30_000}, async () => {
	const lab = await startLab();
	const session = new Session(options(lab, 2525));
	try {
		const auth = lesson('auth-decoded');
		const step6 = auth.steps[5]!;
		const step7 = auth.steps[6]!;
		const progress = new LessonProgress(auth);
		progress.index = 5;
		await stepUntil(session, 'auth');
		assert.equal(enterRefusal(step6, false, lessonNextKind(session), true)?.startsWith('This step is typed by hand: press m and type AUTH LOGIN'), true, 'enter stops where AUTH LOGIN is typed');
		await session.manual('AUTH LOGIN');
		assert.equal(progress.check(session), true, 'step 6: AUTH LOGIN answered 334');
		progress.advance(session.entries.length);

		// The server waits for the user name: that is what the Next pane shows, and enter sends nothing.
		const waiting = session.peek();
		assert.match(waiting.description, /waits for your answer to its 334 \("Username:"\)/);
		assert.match(waiting.waiting ?? '', /\* alone to cancel/);
		assert.equal(lessonNextKind(session), 'sasl-answer');
		const before = session.entries.length;
		const refused = await session.step();
		assert.equal(refused.ok, false);
		assert.equal(refused.failure?.kind, 'local');
		assert.equal(session.entries.length, before, 'the planned AUTH PLAIN did not go out as the user name');
		assert.equal(session.exitCode, 0, 'a refused key is not a failure of the session');
		assert.ok(enterRefusal(step7, false, 'sasl-answer', true), 'the lesson refuses enter too');

		await session.manual('AUTH LOGIN'); // again: taken as the base64 user name
		assert.ok(session.entries.some(e => e.direction === 'server' && e.code === 501), `the server refused it:\n${session.entries.map(e => e.text).join('\n')}`);
		assert.equal(progress.check(session), false, 'the 501 answered a user name, not a *');
		assert.equal(misplaced(step7, false, lessonNextKind(session)), true, 'the pane says a login must be waiting');
		assert.match(enterRefusal(step7, false, lessonNextKind(session), true) ?? '', /press m and type AUTH LOGIN to start one/);

		await session.manual('AUTH LOGIN');
		assert.equal(misplaced(step7, false, lessonNextKind(session)), false);
		await session.manual('*');
		assert.equal(progress.check(session), true, 'the * and its 501');
	} finally {
		session.close();
		await lab.close();
	}
});

test('enter stops where the step wants it and never sends QUIT (pure rules)', () => {
	const auth = lesson('auth-decoded');
	const wrong = lesson('when-things-go-wrong');
	const relay = lesson('relay-vs-submission');
	// Finding 1: lesson 4 step 6 after a restart: enter catches up to AUTH, then stops.
	assert.equal(enterRefusal(auth.steps[5], false, 'starttls', true), undefined, 'catching up');
	assert.ok(enterRefusal(auth.steps[5], false, 'auth', true));
	assert.equal(enterRefusal(auth.steps[5], false, 'auth', false), undefined, 'another port waits for its own session');
	// Lesson 4 step 2: AUTH PLAIN is typed before STARTTLS; enter there would upgrade first.
	assert.ok(enterRefusal(auth.steps[1], false, 'starttls', true));
	// Lesson 4 step 1 done (connect, EHLO): a third enter would send STARTTLS before step 2's AUTH PLAIN.
	assert.match(enterRefusal(auth.steps[0], true, 'starttls', true, auth.steps[1]) ?? '', /press n for the next one/);
	assert.match(enterRefusal(auth.steps[0], true, 'starttls', true, undefined) ?? '', /This step is done: press n for the next step/, 'done: enter stops there too');
	// Finding 4: lesson 6 step 2 after the greylisted RCPT: the plan is blocked, enter would lead to QUIT.
	assert.match(enterRefusal(wrong.steps[1], false, 'blocked', true) ?? '', /press m and type RCPT TO:<bob@lab\.test>/);
	assert.match(enterRefusal(wrong.steps[3], false, 'quit', true) ?? '', /press m and type MAIL FROM/);
	// An until step stops at its target once met; before QUIT in any step.
	assert.match(enterRefusal(wrong.steps[2], true, 'quit', true) ?? '', /This step stops here/);
	assert.match(enterRefusal(relay.steps[0], true, 'quit', true) ?? '', /This step stops here/);
	assert.match(enterRefusal(auth.steps[3], false, 'quit', true) ?? '', /stops before QUIT/);
	assert.equal(enterRefusal(auth.steps[3], false, 'auth', true), undefined, 'enter is the step');
	// Finding 5: a malformed edit was refused and the plan went on: the step is out of reach.
	assert.equal(outOfReach(relay.steps[1], false, 'quit'), true);
	assert.equal(outOfReach(relay.steps[1], false, 'rcpt'), false);
	assert.equal(outOfReach(relay.steps[1], true, 'quit'), false);
	assert.equal(outOfReach(wrong.steps[3], false, 'quit'), false, 'a step typed by hand can still be typed');
});

test('an enter step that is done stops enter at its target: lesson 3 step 3 (the EHLO inside TLS) does not run on to AUTH, MAIL and RCPT', () => {
	const starttls = lesson('starttls');
	const auth = lesson('auth-decoded');
	const ports = lesson('four-ports');
	// Lesson 3 step 3, the last: done once the EHLO inside TLS is answered; the Next pane shows AUTH.
	assert.equal(enterRefusal(starttls.steps[2], false, 'ehlo', true), undefined, 'enter is the step');
	assert.match(enterRefusal(starttls.steps[2], true, 'auth', true) ?? '', /This step is done: press n for the next step/);
	assert.match(enterRefusal(starttls.steps[2], true, 'mail', true) ?? '', /This step is done/);
	// Lesson 1 step 1 (connect on 25) done: enter does not go on to EHLO.
	assert.match(enterRefusal(ports.steps[0], true, 'ehlo', true, ports.steps[1]) ?? '', /This step is done/);
	// A step typed by hand, once done, stops enter too (lesson 4 step 2, the 530 to AUTH PLAIN).
	assert.match(enterRefusal(auth.steps[1], true, 'starttls', true, auth.steps[2]) ?? '', /This step is done/);
	// An `until` step that is done before its target still lets enter go on to the target.
	assert.equal(enterRefusal(lesson('relay-vs-submission').steps[2], true, 'mail', true), undefined);
});

/**
 * Plays a lesson's `until auth` step from `since` on a real lab session, one enter at a time,
 * and returns the Next pane's step at the moment the step was first met.
 */
async function metAt(name: string, index: number, port: 587 | 2525, prepare: (session: Session) => Promise<void>): Promise<{next: string; sent: string[]}> {
	const lab = await startLab();
	const session = new Session(options(lab, port));
	try {
		const progress = new LessonProgress(lesson(name));
		await prepare(session);
		progress.index = index;
		progress.since = session.entries.length;
		for (let i = 0; i < 8 && !session.done; i++) {
			if (progress.check(session)) break;
			await session.step();
		}

		assert.equal(progress.met, true, `${name} step ${index + 1} was met`);
		return {next: lessonNextKind(session), sent: session.entries.filter(e => e.direction === 'client').map(e => e.text)};
	} finally {
		session.close();
		await lab.close();
	}
}

test('lesson 4 step 3 (and 5, and lesson 5 step 4): "until AUTH" is done when the EHLO inside TLS is answered, not at the 220 to STARTTLS', {timeout: 60_000}, async () => {
	const cases = [
		{name: 'auth-decoded', index: 2, port: 587 as const, prepare: async (s: Session) => stepUntil(s, 'starttls')},
		{name: 'auth-decoded', index: 4, port: 2525 as const, prepare: async () => undefined},
		{name: 'implicit-vs-starttls', index: 3, port: 587 as const, prepare: async () => undefined},
	];
	for (const {name, index, port, prepare} of cases) {
		const {next, sent} = await metAt(name, index, port, prepare);
		// Its ✓ text says the Next pane shows the AUTH line (lesson 5: "a second EHLO"): it must.
		assert.equal(next, 'auth', `${name} step ${index + 1}: met with the Next pane at ${next} after ${sent.join(', ')}`);
		assert.equal(sent.filter(line => /^EHLO /.test(line)).length, 2, 'the EHLO after STARTTLS went out');
		assert.ok(enterRefusal(lesson(name).steps[index], true, next, true), 'and enter stops there');
	}
});
