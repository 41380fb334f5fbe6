// Every shipped lesson, in the real binary, by a clumsy student: n pressed too early, a
// wrong command typed by hand, extra enters (a burst of them in one write after every step,
// and one more where the port changes), a restart in the middle of a step, the window shrunk
// below 80x24 and back. Each must still reach "Lesson complete". And the straight path: each
// step done as the lesson says, nothing else.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {lessons} from '../../source/lessons/index.js';
import type {Lesson, LessonAction} from '../../source/lessons/lesson.js';
import {keys, spawnTui, type Terminal} from '../support/pty.js';

const ctrlU = '\u0015';
/** A whole lesson frame with no step in flight. */
const settled = /Lesson: [\s\S]*Next: [\s\S]*q quit/;

/** Presses `key` and waits until the frame changed and settled (or nothing more happens). */
async function press(tui: Terminal, key: string, fromInput = false): Promise<string> {
	// In an input line (m, e) the frame has no Next: line until enter closes it.
	const before = fromInput ? tui.screen() : await tui.waitFor(settled, 20_000);
	const stepOf = (screen: string) => Number(/ step (\d+)\/\d+/.exec(screen.split('\n')[0] ?? '')?.[1] ?? -1);
	const from = stepOf(before);
	await tui.press(key);
	for (let wait = 0; wait < 300; wait++) {
		const now = tui.screen();
		// Enter on a planned step: done once the status line counts it and nothing is in flight.
		const refused = /This step (stops here|is done)/.test(now) && !/This step (stops here|is done)/.test(before);
		const done = key === keys.enter && !fromInput ? stepOf(now) > from || refused : now !== before;
		if (done && settled.test(now) && !now.includes('working…')) break;
		await new Promise(resolve => setTimeout(resolve, 20));
	}

	return tui.waitFor(settled, 20_000);
}

/** Waits until nothing is in flight and the frame is whole again. */
async function settle(tui: Terminal): Promise<string> {
	for (let wait = 0; wait < 300 && tui.screen().includes('working…'); wait++) await new Promise(resolve => setTimeout(resolve, 20));
	return tui.waitFor(settled, 20_000);
}

const tick = (lesson: Lesson, index: number) => `✓ ${lesson.steps[index]!.explanation.slice(0, 24)}`;

/** Enter until the step is met (a fresh session after a restart needs a few). */
async function enterUntilMet(tui: Terminal, lesson: Lesson, index: number): Promise<void> {
	for (let i = 0; i < 15 && !tui.screen().includes(tick(lesson, index)); i++) await press(tui, keys.enter);
}

/** Does what the lesson pane says, with keys, as the student would. */
async function perform(tui: Terminal, lesson: Lesson, index: number, action: LessonAction): Promise<void> {
	if (action.waitMs) await new Promise(resolve => setTimeout(resolve, action.waitMs)); // the lesson says "wait"
	switch (action.kind) {
		case 'step':
			for (let i = 0; i < (action.times ?? 1); i++) await press(tui, keys.enter);
			break;
		case 'until':
			// "Press enter until the Next pane shows …": the lesson stops enter there.
			for (let i = 0; i < 15 && !tui.screen().includes('This step stops here'); i++) await press(tui, keys.enter);
			break;
		case 'manual':
			await tui.press('m');
			await tui.waitFor(/Manual command|Message line|Answer the server/);
			await tui.type(action.line);
			await press(tui, keys.enter, true);
			break;
		case 'edit':
			await tui.press('e');
			await tui.waitFor('Edit the next command');
			await tui.press(ctrlU);
			await tui.type(action.line);
			await press(tui, keys.enter, true);
			break;
		case 'run-all':
			await press(tui, 'a');
			break;
	}
}

async function stepHeading(tui: Terminal, lesson: Lesson, index: number): Promise<string> {
	return tui.waitFor(`step ${index + 1} of ${lesson.steps.length}`, 20_000);
}

/** The first step whose next one runs on another port (one enter too many is tested there), else the last. */
function overshootAt(lesson: Lesson): number {
	const index = lesson.steps.findIndex((step, i) => i > 0 && lesson.steps[i + 1] !== undefined && lesson.steps[i + 1]!.port !== step.port);
	return index >= 0 ? index : lesson.steps.length - 1;
}

/** A step done by pressing enter, near the middle: restarted halfway through. */
function restartAt(lesson: Lesson): number {
	const candidates = lesson.steps.map((step, i) => ({step, i})).filter(({step, i}) => i > 0 && (step.do.kind === 'step' || step.do.kind === 'until'));
	const middle = lesson.steps.length / 2;
	candidates.sort((a, b) => Math.abs(a.i - middle) - Math.abs(b.i - middle));
	return candidates[0]?.i ?? -1;
}

lessons.forEach((lesson, number) => {
	test(`lesson ${number + 1} "${lesson.name}": a clumsy student still reaches "Lesson complete"`, {timeout: 180_000}, async () => {
		const tui = spawnTui(['lesson', lesson.name]);
		const overshoot = overshootAt(lesson);
		const restart = restartAt(lesson);
		const resize = Math.min(lesson.steps.length - 1, restart + 1);
		try {
			for (let index = 0; index < lesson.steps.length; index++) {
				const step = lesson.steps[index]!;
				await stepHeading(tui, lesson, index);
				await tui.waitFor(settled, 20_000);
				if (index === 0) {
					await tui.press('n'); // too early
					await tui.waitFor('Not yet: do what the lesson pane says first');
				}

				if (index === resize) {
					const before = tui.screen().split('\n')[0];
					tui.resize(70, 20);
					await tui.waitFor('Make the terminal at least 80×24');
					tui.resize(120, 40);
					const after = await stepHeading(tui, lesson, index);
					assert.equal(after.split('\n')[0], before, 'the session survived the resize');
				}

				// What was done early (one enter too many before) may already meet the step.
				if (!tui.screen().includes(tick(lesson, index))) {
					if (index === restart) {
						await press(tui, keys.enter); // halfway…
						await press(tui, 'r'); // …and start the session again
						await tui.waitFor('not connected');
						await enterUntilMet(tui, lesson, index);
					} else if (step.do.kind === 'step') {
						// As the pane says after a restart: enter until the step is done.
						await enterUntilMet(tui, lesson, index);
					} else {
						await perform(tui, lesson, index, step.do);
					}
				}

				let screen = await tui.waitFor(tick(lesson, index), 20_000);
				if (step.do.kind === 'until') {
					screen = await press(tui, keys.enter);
					if (screen.includes('This step stops here')) assert.match(screen, /press n for the next step/);
				}

				if (index === 0) {
					// A typo typed by hand: the server says 502, nothing else changes.
					await tui.press('m');
					await tui.waitFor('Manual command');
					await tui.type('NOOOP');
					await press(tui, keys.enter, true);
					await tui.waitFor(/502 5\.5\.2|Not connected/);
				}

				// Habitual extra enters, several in one write: the lesson stops them where they would
				// run past what the next step needs (or they do the next step early, which counts).
				const quitBefore = /C~? +QUIT/.test(tui.screen()); // `a` (run all) sends QUIT itself
				await tui.burst(keys.enter.repeat(3));
				await settle(tui);
				if (!quitBefore) assert.doesNotMatch(tui.screen(), /C~? +QUIT/, `a burst of enters after step ${index + 1} did not send QUIT`);
				if (index === overshoot) await press(tui, keys.enter); // one enter too many
				await press(tui, 'n');
			}

			const screen = await tui.waitFor('Lesson complete');
			const following = lessons[number + 1];
			if (following) {
				assert.match(screen, /n: next lesson/);
				await tui.press('n');
				await tui.waitFor(`Lesson: ${following.title.slice(0, 30)}`, 20_000);
			} else {
				assert.match(screen, /That was the last lesson/);
			}

			await tui.press('q');
			assert.equal(await tui.exited, 0);
		} finally {
			tui.kill();
		}
	});
});

lessons.forEach((lesson, number) => {
	test(`lesson ${number + 1} "${lesson.name}": the straight path`, {timeout: 120_000}, async () => {
		const tui = spawnTui(['lesson', String(number + 1)]);
		try {
			for (let index = 0; index < lesson.steps.length; index++) {
				await stepHeading(tui, lesson, index);
				assert.ok(!tui.screen().includes(tick(lesson, index)), `step ${index + 1} is not met before it is done:\n${tui.screen()}`);
				await perform(tui, lesson, index, lesson.steps[index]!.do);
				await tui.waitFor(tick(lesson, index), 20_000);
				await press(tui, 'n');
			}

			await tui.waitFor('Lesson complete');
			await tui.press('q');
			assert.equal(await tui.exited, 0);
		} finally {
			tui.kill();
		}
	});
});
