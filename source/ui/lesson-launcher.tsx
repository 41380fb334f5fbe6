// The root component for `smtp-tui lesson NAME`: terminal size and exit around a lesson.
import React from 'react';
import {Text, useApp} from 'ink';
import type {SessionOptions} from '../engine/session.js';
import type {Lesson, LessonPort} from '../lessons/lesson.js';
import {minColumns, minRows} from './app.js';
import {LessonScreen} from './lesson-screen.js';
import {useTerminalSize} from './use-terminal-size.js';

export type LessonLauncherProps = {
	lesson: Lesson;
	labSession: (port: LessonPort) => Promise<SessionOptions>;
	quiz?: boolean;
	onExit: (code: number) => void;
};

export function LessonLauncher({lesson, labSession, quiz, onExit}: LessonLauncherProps) {
	const {exit} = useApp();
	const {columns, rows} = useTerminalSize();
	if (columns < minColumns || rows < minRows) return <Text color="yellow">Make the terminal at least {minColumns}×{minRows} (it is {columns}×{rows} now).</Text>;
	return (
		<LessonScreen
			lesson={lesson}
			labSession={labSession}
			columns={columns}
			rows={rows}
			quiz={quiz}
			onQuit={() => {
				onExit(0);
				exit();
			}}
		/>
	);
}
