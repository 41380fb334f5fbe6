// What the lesson pane says for every step of every shipped lesson: the port named once
// ("Port 25: press enter", never "Port 25: Port 25: …"), and no step repeating the one before.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {lessons} from '../../source/lessons/index.js';
import {instructionText} from '../../source/ui/lesson-screen.js';

test('every step of every lesson names its port once, at the start', () => {
	for (const lesson of lessons) {
		for (const [index, step] of lesson.steps.entries()) {
			const text = instructionText(step);
			const where = `${lesson.name} step ${index + 1}: ${text}`;
			assert.ok(text.startsWith(`Port ${step.port}`), where);
			assert.doesNotMatch(text, /^Port (\d+)\b.{0,3}Port \1\b/, where);
		}
	}
});

test('no step gives the same instruction as the step before it', () => {
	for (const lesson of lessons) {
		for (let i = 1; i < lesson.steps.length; i++) {
			assert.notEqual(lesson.steps[i]!.instruction, lesson.steps[i - 1]!.instruction, `${lesson.name} steps ${i} and ${i + 1}`);
		}
	}
});

/** Rows a text takes in a pane `width` columns wide, wrapped at spaces as the terminal shows it. */
function rowsAt(text: string, width: number): number {
	let rows = 1;
	let used = 0;
	for (const word of text.split(' ')) {
		const length = [...word].length;
		if (used > 0 && used + 1 + length > width) {
			rows += Math.ceil(length / width);
			used = length % width;
		} else {
			used += (used > 0 ? 1 : 0) + length;
		}
	}

	return rows;
}

test('at 80 columns every step\'s instruction and explanation fit the lesson pane whole (4 rows of 76)', () => {
	for (const lesson of lessons) {
		for (const [index, step] of lesson.steps.entries()) {
			const rows = rowsAt(instructionText(step), 76) + rowsAt(`✓ ${step.explanation}`, 76);
			assert.ok(rows <= 4, `${lesson.name} step ${index + 1} takes ${rows} rows: ${instructionText(step)} / ${step.explanation}`);
		}
	}
});
