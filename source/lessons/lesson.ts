// Lessons are data: one JSON file each in data/, read through this type. A step says what
// the student does, what should happen, and what it means once it has happened. The
// `do` part lets a test (or a demo) perform the step without a person.
import type {TranscriptEntry} from '../protocol/transcript.js';

export type LessonPort = 25 | 465 | 587 | 2525;

/** What the student does for a step; also how a test performs it. */
export type LessonAction = (
	| {kind: 'step'; times?: number} // press enter this many times (default 1)
	| {kind: 'until'; step: string} // press enter until the next step is this one (e.g. "rcpt")
	// type a command with m; `at`: where it is typed (enter stops there): a step the Next pane
	// shows ("auth"), or "sasl-answer" (a login typed by hand waits for the answer to its 334)
	| {kind: 'manual'; line: string; at?: string}
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
	/** An info line (e.g. the MX lookup before the connection) matching this regular expression. */
	info?: string;
	/** Journey lessons: what the receiving MX's checks found for the latest message, e.g. {"spf": "pass"}. */
	authentication?: Record<string, string>;
	/** Journey lessons: the provider sent the sender a DSN with this Status: for a recipient. */
	bounce?: {status: string};
};

/** What a lesson step can be checked against besides the transcript (journey lessons). */
export type LessonContext = {
	/** The receiving MX's results for the latest message it checked (spf, dkim, dmarc, arc, iprev). */
	authentication?: Record<string, string>;
	/** The Status: codes of the latest DSN the provider sent back. */
	bounce?: string[];
};

export type LessonStep = {
	/** Which lab port the step runs on; a change of port starts a new session. */
	port: LessonPort;
	instruction: string;
	do: LessonAction;
	expect: Expectation;
	/** Shown once the expectation is met. */
	explanation: string;
	/** Journey lessons: the authentication faults in force for this step (default none). */
	authFaults?: string[];
};

export type Lesson = {
	name: string;
	title: string;
	goal: string;
	/** Lab faults the lesson needs, as for --fault (e.g. "587:greylist=5"). */
	faults?: string[];
	/** Opt-in attack personalities the lesson needs. */
	attacks?: string[];
	/**
	 * 'journey': the lesson runs on the mail journey (sender.test's provider on 587, the MX of
	 * receiver.test on 25, the lab's DNS server); default: the one lab.
	 */
	lab?: 'journey';
	steps: LessonStep[];
};

/** Whether a whole reply (its last line) with this code (and enhanced code) arrived. */
function isReply(e: TranscriptEntry, code: number, enhanced?: string): boolean {
	return e.direction === 'server' && e.last !== false && e.code === code && (enhanced === undefined || e.enhanced === enhanced);
}

function lastReply(entries: readonly TranscriptEntry[], code: number, enhanced?: string): boolean {
	return entries.some(e => isReply(e, code, enhanced));
}

/**
 * A client line matching `sent` whose own answer (the first whole reply after it) is `code`:
 * what really happened on the wire. A 501 to a line typed as a SASL answer is not the 501 that
 * answers a `*`, even though both are in the transcript.
 */
function answeredWith(entries: readonly TranscriptEntry[], sent: RegExp, code: number, enhanced?: string): boolean {
	return entries.some((e, index) => {
		if (e.direction !== 'client' || !sent.test(e.text)) return false;
		const answer = entries.slice(index + 1).find(later => later.direction === 'client' || (later.direction === 'server' && later.last !== false));
		return answer !== undefined && isReply(answer, code, enhanced);
	});
}

function latestAnsweredEhlo(entries: readonly TranscriptEntry[]): number {
	let answered = false;
	for (let index = entries.length - 1; index >= 0; index--) {
		const e = entries[index]!;
		if (e.direction === 'server' && e.last !== false) answered = true;
		else if (answered && e.direction === 'client' && /^EHLO /i.test(e.text)) return index;
	}

	return -1;
}

/** Whether `expect` holds for the entries a step produced. `all` is the whole transcript. */
export function expectationMet(expect: Expectation, since: readonly TranscriptEntry[], all: readonly TranscriptEntry[], context: LessonContext = {}): boolean {
	if (expect.info !== undefined) {
		const pattern = new RegExp(expect.info, 'i');
		if (!since.some(e => e.direction === 'info' && pattern.test(e.text))) return false;
	}

	if (expect.bounce && !(context.bounce ?? []).includes(expect.bounce.status)) return false;
	if (expect.authentication) {
		const found = context.authentication;
		if (!found || !Object.entries(expect.authentication).every(([method, result]) => found[method] === result)) return false;
	}

	const sent = expect.sent === undefined ? undefined : new RegExp(expect.sent, 'i');
	if (sent && !since.some(e => e.direction === 'client' && sent.test(e.text))) return false;
	if (expect.reply !== undefined && !(sent ? answeredWith(since, sent, expect.reply, expect.enhanced) : lastReply(since, expect.reply, expect.enhanced))) return false;
	if (expect.reply === undefined && expect.enhanced !== undefined && !since.some(e => e.enhanced === expect.enhanced)) return false;
	if (expect.tls !== undefined && (all.at(-1)?.tls ?? false) !== expect.tls) return false;
	if (expect.deviation !== undefined && !since.some(e => e.deviation === expect.deviation)) return false;
	if (expect.capability) {
		// The latest EHLO reply: the run of 250 lines after the last EHLO command that has been
		// answered (a whole reply after it), never an EHLO still waiting for its reply.
		const lastEhlo = latestAnsweredEhlo(all);
		if (lastEhlo < 0) return false;
		const keyword = expect.capability.keyword.toUpperCase();
		const listed = all.slice(lastEhlo).some(e => e.direction === 'server' && e.code === 250 && new RegExp(`^250[- ]${keyword}(\\b|=|$)`, 'i').test(e.text));
		if (listed !== expect.capability.present) return false;
	}

	return true;
}

/**
 * The first moment the transcript met `expect`: the smallest length `k` of the transcript
 * (at least `since`, more than 0) at which the entries from `since` to `k` met it, or
 * undefined. Decided from the transcript alone, so when the screen happens to look (a burst
 * of keys, a slow frame) cannot change it: a step met and then run past (STARTTLS done, then
 * EHLO again) is still met, and at the line where it was. `from` skips lengths already
 * found unmet (a caller checking again as the transcript grows).
 */
export function firstMet(expect: Expectation, entries: readonly TranscriptEntry[], since: number, context: LessonContext = {}, from = since): number | undefined {
	for (let k = Math.max(from, since, 1); k <= entries.length; k++) {
		if (expectationMet(expect, entries.slice(since, k), entries.slice(0, k), context)) return k;
	}

	return undefined;
}

/** The steps the Next pane can show, as `until` and a manual step's `at` name them. */
const stepKinds = ['connect', 'ehlo', 'helo', 'starttls', 'auth', 'mail', 'rcpt', 'data', 'body', 'quit', 'blocked', 'done', 'sasl-answer'];

/** One sentence per problem in a lesson file, so a broken lesson is caught by the tests. */
export function checkLesson(lesson: Lesson): string[] {
	const problems: string[] = [];
	if (!/^[a-z\d-]+$/.test(lesson.name)) problems.push(`name "${lesson.name}" must be lower-case words joined by dashes`);
	if (!lesson.title || !lesson.goal) problems.push('title and goal are required');
	if (lesson.steps.length === 0) problems.push('a lesson needs steps');
	lesson.steps.forEach((step, index) => {
		if (![25, 465, 587, 2525].includes(step.port)) problems.push(`step ${index + 1}: port ${step.port} is not a lab port`);
		if (lesson.lab === 'journey' && step.port !== 25 && step.port !== 587) problems.push(`step ${index + 1}: a journey lesson runs on 587 (the provider) or 25 (the MX), not ${step.port}`);
		if (lesson.lab !== 'journey' && (step.authFaults || step.expect.authentication || step.expect.bounce)) problems.push(`step ${index + 1}: authentication belongs to journey lessons ("lab": "journey")`);
		if (!step.instruction || !step.explanation) problems.push(`step ${index + 1}: instruction and explanation are required`);
		if (Object.keys(step.expect).length === 0) problems.push(`step ${index + 1}: expect says nothing`);
		if (step.do.kind === 'manual' && step.do.at !== undefined && !stepKinds.includes(step.do.at)) problems.push(`step ${index + 1}: do.at "${step.do.at}" is not a step the Next pane shows (${stepKinds.join(', ')})`);
		for (const key of ['sent', 'info'] as const) {
			const pattern = step.expect[key];
			if (pattern === undefined) continue;
			try {
				new RegExp(pattern);
			} catch {
				problems.push(`step ${index + 1}: expect.${key} is not a regular expression`);
			}
		}
	});
	return problems;
}
