// Every shipped lesson runs to completion against the lab: each step's action performed,
// each expected outcome asserted.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {simpleParser} from 'mailparser';
import {Pop3Session} from '../../source/engine/pop3.js';
import {Session} from '../../source/engine/session.js';
import {parseFault, startLab, type AttackName, type LabPort} from '../../source/lab/index.js';
import {lessons} from '../../source/lessons/index.js';
import {checkLesson, expectationMet} from '../../source/lessons/lesson.js';
import {LessonProgress, performAction} from '../../source/lessons/runner.js';
import {labSessionOptions} from '../support/lab-session.js';
import {startJourneyLessonLab} from '../../source/journey/lesson-lab.js';

const options = labSessionOptions;

test('at least six lessons ship, each well-formed', () => {
	assert.ok(lessons.length >= 6);
	for (const lesson of lessons) assert.deepEqual(checkLesson(lesson), [], lesson.name);
	assert.equal(new Set(lessons.map(l => l.name)).size, lessons.length, 'names are unique');
});

for (const lesson of lessons.filter(candidate => candidate.lab !== 'journey')) {
	test(`lesson "${lesson.name}" runs to completion against the lab`, {timeout: 60_000}, async () => {
		const lab = await startLab({faults: (lesson.faults ?? []).map(spec => parseFault(spec)), attacks: lesson.attacks as AttackName[] | undefined});
		const progress = new LessonProgress(lesson);
		let session: Session | undefined;
		let port: LabPort | undefined;
		try {
			while (!progress.finished) {
				const step = progress.step!;
				if (step.port !== port) {
					session?.close();
					port = step.port;
					session = new Session(options(lab, port));
					progress.since = 0;
				}

				assert.equal(progress.check(session!), false, `step ${progress.index + 1} is not met before its action`);
				await performAction(session!, step.do);
				assert.equal(progress.check(session!), true, `${lesson.name} step ${progress.index + 1} ("${step.instruction}") expected ${JSON.stringify(step.expect)}; transcript:\n${session!.entries.slice(progress.since).map(e => `${e.direction} ${e.text}`).join('\n')}`);
				progress.advance(session!.entries.length);
			}
		} finally {
			session?.close();
			await lab.close();
		}
	});
}

test('an expectation that does not hold is not met (the checks can fail)', () => {
	const entries = [{seq: 0, direction: 'server' as const, text: '250 ok', step: 'mail' as const, stepIndex: 1, at: 0, tls: false, secret: false, code: 250, last: true}];
	assert.equal(expectationMet({reply: 250}, entries, entries), true);
	assert.equal(expectationMet({reply: 554}, entries, entries), false);
	assert.equal(expectationMet({tls: true}, entries, entries), false);
	assert.equal(expectationMet({sent: '^RCPT'}, entries, entries), false);
});

// Journey lessons: sessions on the provider's 587 or the MX's 25, checked against what the
// receiving MX found. A relay ends after the submission's 250, so a step that expects
// authentication waits (bounded) for the MX to have checked the message.
for (const lesson of lessons.filter(candidate => candidate.lab === 'journey')) {
	test(`journey lesson "${lesson.name}" runs to completion against the journey`, {timeout: 90_000}, async () => {
		const lab = await startJourneyLessonLab();
		const progress = new LessonProgress(lesson);
		let session: Session | undefined;
		let port: number | undefined;
		try {
			while (!progress.finished) {
				const step = progress.step!;
				lab.beginStep(step.authFaults);
				if (step.port !== port) {
					session?.close();
					port = step.port;
					session = new Session(await lab.session(step.port as 25 | 587));
					progress.since = 0;
				}

				assert.equal(progress.check(session!, lab.context()), false, `step ${progress.index + 1} is not met before its action`);
				const checked = step.expect.authentication ?? step.expect.bounce ? new Promise<void>(resolve => {
					const stop = lab.onContext(() => {
						stop();
						resolve();
					});
				}) : Promise.resolve();
				await performAction(session!, step.do);
				let timer: NodeJS.Timeout | undefined;
				await Promise.race([checked, new Promise(resolve => {
					timer = setTimeout(resolve, 15_000);
				})]);
				clearTimeout(timer);
				assert.equal(progress.check(session!, lab.context()), true, `${lesson.name} step ${progress.index + 1} ("${step.instruction}") expected ${JSON.stringify(step.expect)}; MX found ${JSON.stringify(lab.context())}; transcript:\n${session!.entries.slice(progress.since).map(e => `${e.direction} ${e.text}`).join('\n')}`);
				progress.advance(session!.entries.length);
			}

			if (lesson.name === 'bounces-and-dsn') {
				// Where the student reads it: alice's mailbox at her provider, over POP3 with TLS.
				const reader = new Pop3Session(lab.journey.senderRetrievalOptions(995, {timeouts: {command: 5000}}));
				assert.equal(await reader.runToEnd(), 0, reader.failureMessage);
				const parsed = await simpleParser(reader.retrieved!);
				assert.equal(parsed.subject, 'Undelivered Mail Returned to Sender');
				assert.equal((parsed.headers.get('content-type') as {value: string}).value, 'multipart/report');
				assert.match(parsed.text ?? '', /^Final-Recipient: rfc822; unknown@receiver\.test$/m);
				assert.match(parsed.text ?? '', /^Status: 5\.1\.1$/m);
				assert.match(parsed.text ?? '', /^Diagnostic-Code: smtp; 550 5\.1\.1 <unknown@receiver\.test>/m);
			}
		} finally {
			session?.close();
			await lab.close();
		}
	});
}

test('a clumsy student: an expectation about the MX\'s results is not met by the wrong results or none', () => {
	const entries = [{seq: 0, direction: 'server' as const, text: '250 2.0.0 Ok', step: 'body' as const, stepIndex: 1, at: 0, tls: true, secret: false, code: 250, enhanced: '2.0.0', last: true}];
	const expect = {reply: 250, authentication: {spf: 'pass', dkim: 'pass'}};
	assert.equal(expectationMet(expect, entries, entries), false, 'nothing checked yet');
	assert.equal(expectationMet(expect, entries, entries, {authentication: {spf: 'pass', dkim: 'neutral'}}), false);
	assert.equal(expectationMet(expect, entries, entries, {authentication: {spf: 'pass', dkim: 'pass', dmarc: 'pass'}}), true);
	assert.equal(expectationMet({info: 'MX record'}, entries, entries), false);
});
