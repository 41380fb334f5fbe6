// Lessons are data: one JSON file each in data/, read through this type. A step says what
// the student does, what should happen, and what it means once it has happened. The
// `do` part lets a test (or a demo) perform the step without a person.
import type {TranscriptEntry} from '../protocol/transcript.js';

export type LessonPort = 25 | 465 | 587 | 2525;

/** What the student does for a step; also how a test performs it. */
export type LessonAction = (
	| {kind: 'step'; times?: number} // press enter this many times (default 1)
	| {kind: 'until'; step: string} // press enter until the next step is this one (e.g. "rcpt")
	| {kind: 'manual'; line: string} // type a command with m
	| {kind: 'edit'; line: string} // edit the next command with e, then send it
	| {kind: 'run-all'} // press a
) & {
	/** Wait this long first (e.g. for a greylisting delay to pass). */
	waitMs?: number;
};

/** What must be seen in the transcript since the step began. All given fields must hold. */
export type Expectation = {
	/** A client line matching this regular expression was sent. */
	sent?: string;
	/** A server reply with this code arrived (its last line). */
	reply?: number;
	/** …with this enhanced code. */
	enhanced?: string;
	/** The latest EHLO reply lists (or does not list) this keyword. */
	capability?: {keyword: string; present: boolean};
	/** The connection is (or is not) inside TLS. */
	tls?: boolean;
	/** An entry flagged with this deviation (e.g. "starttls-injection"). */
	deviation?: string;
};

export type LessonStep = {
	/** Which lab port the step runs on; a change of port starts a new session. */
	port: LessonPort;
	instruction: string;
	do: LessonAction;
	expect: Expectation;
	/** Shown once the expectation is met. */
	explanation: string;
};

export type Lesson = {
	name: string;
	title: string;
	goal: string;
	/** Lab faults the lesson needs, as for --fault (e.g. "587:greylist=5"). */
	faults?: string[];
	/** Opt-in attack personalities the lesson needs. */
	attacks?: string[];
	steps: LessonStep[];
};

function lastReply(entries: readonly TranscriptEntry[], code: number, enhanced?: string): boolean {
	return entries.some(e => e.direction === 'server' && e.last !== false && e.code === code && (enhanced === undefined || e.enhanced === enhanced));
}

/** Whether `expect` holds for the entries a step produced. `all` is the whole transcript. */
export function expectationMet(expect: Expectation, since: readonly TranscriptEntry[], all: readonly TranscriptEntry[]): boolean {
	if (expect.sent !== undefined) {
		const pattern = new RegExp(expect.sent, 'i');
		if (!since.some(e => e.direction === 'client' && pattern.test(e.text))) return false;
	}

	if (expect.reply !== undefined && !lastReply(since, expect.reply, expect.enhanced)) return false;
	if (expect.reply === undefined && expect.enhanced !== undefined && !since.some(e => e.enhanced === expect.enhanced)) return false;
	if (expect.tls !== undefined && (all.at(-1)?.tls ?? false) !== expect.tls) return false;
	if (expect.deviation !== undefined && !since.some(e => e.deviation === expect.deviation)) return false;
	if (expect.capability) {
		// The latest EHLO reply: the run of 250 lines after the last EHLO command.
		const lastEhlo = all.findLastIndex(e => e.direction === 'client' && /^EHLO /i.test(e.text));
		if (lastEhlo < 0) return false;
		const keyword = expect.capability.keyword.toUpperCase();
		const listed = all.slice(lastEhlo).some(e => e.direction === 'server' && e.code === 250 && new RegExp(`^250[- ]${keyword}(\\b|=|$)`, 'i').test(e.text));
		if (listed !== expect.capability.present) return false;
	}

	return true;
}

/** One sentence per problem in a lesson file, so a broken lesson is caught by the tests. */
export function checkLesson(lesson: Lesson): string[] {
	const problems: string[] = [];
	if (!/^[a-z\d-]+$/.test(lesson.name)) problems.push(`name "${lesson.name}" must be lower-case words joined by dashes`);
	if (!lesson.title || !lesson.goal) problems.push('title and goal are required');
	if (lesson.steps.length === 0) problems.push('a lesson needs steps');
	lesson.steps.forEach((step, index) => {
		if (![25, 465, 587, 2525].includes(step.port)) problems.push(`step ${index + 1}: port ${step.port} is not a lab port`);
		if (!step.instruction || !step.explanation) problems.push(`step ${index + 1}: instruction and explanation are required`);
		if (Object.keys(step.expect).length === 0) problems.push(`step ${index + 1}: expect says nothing`);
		if (step.expect.sent) {
			try {
				new RegExp(step.expect.sent);
			} catch {
				problems.push(`step ${index + 1}: expect.sent is not a regular expression`);
			}
		}
	});
	return problems;
}
