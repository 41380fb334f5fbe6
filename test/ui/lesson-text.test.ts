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
