// A lesson: the session screen with a lesson pane above the Next pane. Each step says
// what to do; once the transcript shows the expected outcome, its explanation appears and
// n moves on (starting a session on another port when the step needs one). A clumsy
// student cannot jam it: an `until` step stops enter at its target, > skips a step, b goes
// back one, r restarts the session (the step then counts from the new session), and what
// was done early counts for the next step. When the lesson is complete, n opens the next.
import React, {useCallback, useEffect, useRef, useState} from 'react';
import {Box, Text, type Key} from 'ink';
import type {SessionLike} from '../engine/replay.js';
import type {SessionOptions} from '../engine/session.js';
import type {Lesson, LessonContext, LessonPort, LessonStep} from '../lessons/lesson.js';
import {enterRefusal, lessonNextKind, LessonProgress, misplaced, outOfReach} from '../lessons/runner.js';
import {SessionScreen} from './session-screen.js';
import {fit} from './transcript-pane.js';
import wrapAnsi from 'wrap-ansi';
import {asShown, safeOutput} from './terminal-text.js';
import {glyphs} from './glyphs.js';

/** Journey lessons: the receiving MX's results, when it checks, and the faults each step needs. */
export type LessonContextSource = {
	context(): LessonContext;
	onContext(listener: () => void): () => void;
	beginStep(authFaults: string[] | undefined): void;
};

export type LessonScreenProps = {
	lesson: Lesson;
	/** Session options for a lab port (the lab carries the lesson's faults). */
	labSession: (port: LessonPort) => Promise<SessionOptions>;
	context?: LessonContextSource;
	columns: number;
	rows: number;
	quiz?: boolean;
	onQuit: (code: number) => void;
	/** The lesson after this one, offered once it is complete (n). */
	next?: {title: string; open: () => void};
};

/**
 * Rows of the lesson pane: its title (one row), then each text whole, wrapped at `width`; as
 * many as that needs, up to what leaves the session screen a transcript of 3 rows (at 80×24:
 * 10, borders included).
 */
export function lessonPaneRows(texts: readonly string[], width: number, rows: number): number {
	const needed = 1 + texts.reduce((sum, text) => sum + wrapAnsi(asShown(text), Math.max(1, width), {hard: true, trim: false}).split('\n').length, 0);
	// The session screen's own rows with a 3-row transcript: status 1, transcript 3 + 2,
	// Next pane 4 + 2, footer 1, a spare row.
	return Math.max(4, Math.min(rows - 14, needed + 2));
}

/** The keys a lesson adds, for the footer; each also works as the pane says. */
export const lessonFooter = ['n next', '> skip step', 'b back a step'];

/** "Port 25: press enter…", without saying the port twice when the text already does. */
export function instructionText(step: LessonStep): string {
	return new RegExp(`^Port ${step.port}\\b`).test(step.instruction) ? step.instruction : `Port ${step.port}: ${step.instruction}`;
}

export function LessonScreen({lesson, labSession, context, columns, rows, quiz, onQuit, next}: LessonScreenProps) {
	const progress = useRef(new LessonProgress(lesson));
	const [, setTick] = useState(0);
	const [session, setSession] = useState<{port: LessonPort; options: SessionOptions; segment: number}>();
	const [error, setError] = useState<string>();
	const current = useRef<SessionLike | undefined>(undefined);
	const sessionPort = useRef<LessonPort | undefined>(undefined);
	// The port of the session screen now shown (its live session is handed to extraKeys).
	const screenPort = useRef<LessonPort | undefined>(undefined);
	screenPort.current = session?.port;
	const step = progress.current.step;
	// The last step's port once the lesson is over: its session stays on screen.
	const port = step?.port ?? session?.port;

	// Each step's authentication faults, in force before its session (or its next message) starts.
	const stepIndex = progress.current.index;
	useEffect(() => {
		context?.beginStep(progress.current.step?.authFaults);
	}, [context, stepIndex]);

	// The MX checks a relayed message after the submission is over: check again when it has.
	useEffect(() => context?.onContext(() => {
		if (current.current && progress.current.step?.port === sessionPort.current && progress.current.check(current.current, context.context())) setTick(t => t + 1);
	}), [context]);

	// A session on the port the current step needs.
	useEffect(() => {
		if (port === undefined || port === session?.port) return;
		labSession(port).then(
			options => {
				progress.current.since = 0;
				setSession(previous => ({port, options, segment: (previous?.segment ?? 0) + 1}));
			},
			(failure: Error) => setError(failure.message),
		);
	}, [port, session?.port, labSession]);

	const onChange = useCallback((s: SessionLike) => {
		current.current = s;
		sessionPort.current = session?.port;
		if (progress.current.step?.port === session?.port) progress.current.check(s, context?.context());
		// The pane reads the session too (is it behind the lesson after a restart?).
		setTick(t => t + 1);
	}, [session?.port, context]);

	const extraKeys = useCallback((input: string, key: Key, live: SessionLike): boolean | string => {
		const p = progress.current;
		// Decided on the session as it is now, not as the last frame showed it: a key of a burst
		// can come before the frame of the step before it.
		current.current = live;
		sessionPort.current = screenPort.current;
		const onItsPort = p.step?.port === sessionPort.current;
		if (onItsPort) p.check(live, context?.context());
		const entries = live.entries.length;
		const moved = () => {
			// What is already on screen may meet the step just reached (on its own port only: a
			// step on another port waits for its own session).
			if (p.step?.port === sessionPort.current) p.check(live, context?.context());
			setTick(t => t + 1);
			return true;
		};

		if (input === 'n') {
			if (p.finished) {
				if (next) next.open();
				return next ? true : 'That was the last lesson: q quits.';
			}

			if (!p.met) return 'Not yet: do what the lesson pane says first (> skips this step, b goes back one).';
			p.advance(entries);
			return moved();
		}

		if (input === '>' && !p.finished) {
			p.skip(entries);
			return moved();
		}

		if (input === 'b') {
			if (p.index === 0) return 'This is the first step: nothing to go back to (q quits).';
			p.back(entries);
			return moved();
		}

		// Enter stops where the step wants it to (an until's target, the line to edit or to type
		// by hand) and never sends QUIT: see enterRefusal.
		if (key.return || input === ' ') {
			const refusal = enterRefusal(p.step, p.met, lessonNextKind(live), onItsPort, p.lesson.steps[p.index + 1]);
			if (refusal !== undefined) {
				setTick(t => t + 1);
				return refusal;
			}
		}

		return false;
	}, [next, context]);

	if (error) return <Text color="red">{safeOutput(error)}</Text>;
	if (!session) return <Text dimColor>Starting the lab for {glyphs.openQuote}{safeOutput(lesson.title)}{glyphs.closeQuote}{glyphs.ellipsis}</Text>;

	const total = lesson.steps.length;
	const done = progress.current.finished;
	const met = progress.current.met;
	const width = columns - 4;
	// A restart left the session behind the lesson: an earlier step on this port must run again.
	const index = progress.current.index;
	const firstOnPort = step ? lesson.steps.findLastIndex((s, i) => i <= index && (i === 0 || lesson.steps[i - 1]!.port !== s.port)) : index;
	const live = current.current;
	const onItsPort = step !== undefined && live !== undefined && step.port === sessionPort.current && sessionPort.current === session.port;
	// What the pane says is decided on the transcript as it is now, not on the last check.
	if (onItsPort && !met) progress.current.check(live, context?.context());
	const nowMet = progress.current.met;
	const behind = !nowMet && step !== undefined && index > firstOnPort && live?.state.connected === false;
	const nextKind = onItsPort ? lessonNextKind(live) : undefined;
	const stuck = nextKind !== undefined && !behind && outOfReach(step, nowMet, nextKind);
	const elsewhere = nextKind !== undefined && !behind && !stuck && misplaced(step, nowMet, nextKind);
	const lastReply = stuck || elsewhere ? live?.entries.findLast(e => e.direction === 'server' && e.last !== false) : undefined;
	const answered = lastReply ? `the server answered ${lastReply.text}` : '';
	const catchUp = step?.do.kind === 'manual'
		? 'A new session: press enter to catch up (it stops where this step is typed), then do this step, or > to skip it.'
		: 'A new session: press enter until this step is done (the steps before it run again), or > to skip it.';
	const typedWhere = step?.do.kind === 'manual' && step.do.at === 'sasl-answer' ? `while a login waits for its answer: ${nextKind === 'auth' ? '' : 'enter until AUTH, then '}press m and type AUTH LOGIN to start one` : `when the Next pane shows ${(step?.do.kind === 'manual' ? step.do.at ?? '' : '').toUpperCase()} (enter stops there; r starts again)`;
	const hint = stuck
		? `This session cannot do this step any more${answered ? ` (${answered})` : ''}: r starts it again, > skips the step.`
		: `${answered ? `Now ${answered}. ` : ''}This step is typed ${typedWhere}.`;
	// The title gives way on a narrow window, never where the student is (step n of m, done).
	const where = ` ${glyphs.dot} ${done ? 'complete' : `step ${progress.current.index + 1} of ${total}${nowMet ? ` ${glyphs.dot} done: n next step` : ''}`}`;
	const heading = fit(`${fit(`Lesson: ${lesson.title}`, Math.max(12, width - where.length))}${where}`, width);
	const goalLine = `Goal: ${lesson.goal} ${glyphs.dot} > skips this step`;
	const completeLine = next ? `n: next lesson, ${glyphs.openQuote}${next.title}${glyphs.closeQuote} ${glyphs.dot} b: back a step ${glyphs.dot} q: quit` : `That was the last lesson. b: back a step ${glyphs.dot} q: quit`;
	const said = nowMet ? `${glyphs.check} ${step!.explanation}` : behind ? catchUp : stuck || elsewhere ? hint : goalLine;
	const paneRows = lessonPaneRows(done ? [`Lesson complete: ${lesson.goal}`, completeLine] : [instructionText(step!), said], width, rows);
	const pane = (
		<Box flexDirection="column" borderStyle={glyphs.borderLesson} borderColor={nowMet || done ? 'green' : 'cyan'} paddingX={1} height={paneRows} overflow="hidden">
			<Box flexShrink={0}>
				<Text bold wrap="truncate">{safeOutput(heading)}</Text>
			</Box>
			{done ? (
				<>
					<Text wrap="wrap">Lesson complete: {safeOutput(lesson.goal)}</Text>
					<Text color="green" wrap="wrap">{safeOutput(completeLine)}</Text>
				</>
			) : (
				<>
					<Box flexShrink={0}>
						<Text wrap="wrap">{safeOutput(instructionText(step!))}</Text>
					</Box>
					{nowMet ? <Text color="green" wrap="wrap">{glyphs.check} {safeOutput(step!.explanation)}</Text> : behind ? <Text color="yellow" wrap="wrap">{catchUp}</Text> : stuck || elsewhere ? <Text color="yellow" wrap="wrap">{safeOutput(hint)}</Text> : <Text dimColor wrap="wrap">{safeOutput(goalLine)}</Text>}
				</>
			)}
		</Box>
	);

	return (
		<SessionScreen
			key={session.segment}
			options={session.options}
			columns={columns}
			rows={rows}
			quiz={quiz}
			sidePane={pane}
			sidePaneRows={paneRows}
			extraKeys={extraKeys}
			extraFooter={lessonFooter}
			onChange={onChange}
			onQuit={onQuit}
		/>
	);
}
