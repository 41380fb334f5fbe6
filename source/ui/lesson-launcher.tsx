// The root component for `smtp-tui lesson NAME`: terminal size and exit around a lesson.
import React from 'react';
import {useApp} from 'ink';
import type {SessionOptions} from '../engine/session.js';
import type {Lesson, LessonPort} from '../lessons/lesson.js';
import {LessonScreen, type LessonContextSource} from './lesson-screen.js';
import {SizeGate} from './size-gate.js';

export type LessonLauncherProps = {
	lesson: Lesson;
	labSession: (port: LessonPort) => Promise<SessionOptions>;
	/** Journey lessons: what the receiving MX found, and the faults per step. */
	context?: LessonContextSource;
	quiz?: boolean;
	onExit: (code: number) => void;
};

export function LessonLauncher({lesson, labSession, context, quiz, onExit}: LessonLauncherProps) {
	const {exit} = useApp();
	const quit = (code = 0) => {
		onExit(code);
		exit();
	};

	return (
		<SizeGate onQuit={quit}>
			{({columns, rows}) => <LessonScreen lesson={lesson} labSession={labSession} context={context} columns={columns} rows={rows} quiz={quiz} onQuit={() => quit(0)} />}
		</SizeGate>
	);
}
