// A lesson: the session screen with a lesson pane above the Next pane. Each step says
// what to do; once the transcript shows the expected outcome, its explanation appears and
// n moves on (starting a session on another port when the step needs one).
import React, {useCallback, useEffect, useRef, useState} from 'react';
import {Box, Text} from 'ink';
import type {SessionLike} from '../engine/replay.js';
import type {SessionOptions} from '../engine/session.js';
import type {Lesson, LessonContext, LessonPort} from '../lessons/lesson.js';
import {LessonProgress} from '../lessons/runner.js';
import {SessionScreen} from './session-screen.js';
import {fit} from './transcript-pane.js';
import {safeOutput} from '../protocol/safe-text.js';

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
};

const paneRows = 6;

export function LessonScreen({lesson, labSession, context, columns, rows, quiz, onQuit}: LessonScreenProps) {
	const progress = useRef(new LessonProgress(lesson));
	const [, setTick] = useState(0);
	const [session, setSession] = useState<{port: LessonPort; options: SessionOptions; segment: number}>();
	const [error, setError] = useState<string>();
	const current = useRef<SessionLike | undefined>(undefined);
	const step = progress.current.step;

	// Each step's authentication faults, in force before its session (or its next message) starts.
	const index = progress.current.index;
	useEffect(() => {
		context?.beginStep(progress.current.step?.authFaults);
	}, [context, index]);

	// The MX checks a relayed message after the submission is over: check again when it has.
	useEffect(() => context?.onContext(() => {
		if (current.current && progress.current.check(current.current, context.context())) setTick(t => t + 1);
	}), [context]);

	// A session on the port the current step needs.
	useEffect(() => {
		const port = step?.port;
		if (port === undefined || port === session?.port) return;
		labSession(port).then(
			options => {
				progress.current.since = 0;
				setSession(previous => ({port, options, segment: (previous?.segment ?? 0) + 1}));
			},
			(failure: Error) => setError(failure.message),
		);
	}, [step?.port, session?.port, labSession]);

	const onChange = useCallback((s: SessionLike) => {
		current.current = s;
		if (progress.current.check(s, context?.context())) setTick(t => t + 1);
	}, [context]);

	const extraKeys = useCallback((input: string) => {
		if (input !== 'n' || !progress.current.met) return false;
		progress.current.advance(current.current?.entries.length ?? 0);
		setTick(t => t + 1);
		return true;
	}, []);

	if (error) return <Text color="red">{safeOutput(error)}</Text>;
	if (!session) return <Text dimColor>Starting the lab for “{safeOutput(lesson.title)}”…</Text>;

	const total = lesson.steps.length;
	const done = progress.current.finished;
	const met = progress.current.met;
	const width = columns - 4;
	const pane = (
		<Box flexDirection="column" borderStyle="round" borderColor={met || done ? 'green' : 'cyan'} paddingX={1} height={paneRows}>
			<Text bold wrap="truncate">{safeOutput(fit(`Lesson: ${lesson.title} · ${done ? 'complete' : `step ${progress.current.index + 1} of ${total}`}`, width))}</Text>
			{done ? (
				<Text wrap="wrap">Lesson complete: {safeOutput(lesson.goal)} Press q to quit, or r to run the last session again.</Text>
			) : (
				<>
					<Text wrap="truncate">{safeOutput(fit(`Port ${step!.port}: ${step!.instruction}`, width))}</Text>
					{met ? <Text color="green" wrap="wrap">✓ {safeOutput(step!.explanation)} (n: next step)</Text> : <Text dimColor wrap="truncate">{safeOutput(fit(`Goal: ${lesson.goal}`, width))}</Text>}
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
			onChange={onChange}
			onQuit={onQuit}
		/>
	);
}
