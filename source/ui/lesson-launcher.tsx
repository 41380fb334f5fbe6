// The root component for `smtp-tui lesson NAME`: terminal size and exit around a lesson,
// and the way on to the next lesson once one is complete (each on a lab of its own).
import React, {useEffect, useState} from 'react';
import {Text, useApp} from 'ink';
import type {SessionOptions} from '../engine/session.js';
import type {Lesson, LessonPort} from '../lessons/lesson.js';
import {LessonScreen, type LessonContextSource} from './lesson-screen.js';
import {SizeGate} from './size-gate.js';
import {safeOutput} from './terminal-text.js';
import {glyphs} from './glyphs.js';

/** What one lesson runs on: sessions on its lab, and (journey lessons) the MX's findings. */
export type LessonLab = {
	labSession: (port: LessonPort) => Promise<SessionOptions>;
	/** Journey lessons: what the receiving MX found, and the faults per step. */
	context?: LessonContextSource;
};

export type LessonLauncherProps = {
	/** The shipped lessons, in order; the student starts at `start`. */
	lessons: Lesson[];
	start: number;
	/** The lab a lesson needs (its faults, attacks, or the journey); the previous one is closed. */
	labFor: (lesson: Lesson) => Promise<LessonLab>;
	quiz?: boolean;
	onExit: (code: number) => void;
};

export function LessonLauncher({lessons, start, labFor, quiz, onExit}: LessonLauncherProps) {
	const {exit} = useApp();
	const [index, setIndex] = useState(start);
	const [lab, setLab] = useState<{name: string; lab: LessonLab}>();
	const [error, setError] = useState<string>();
	const lesson = lessons[index]!;
	const following = lessons[index + 1];
	const quit = (code = 0) => {
		onExit(code);
		exit();
	};

	useEffect(() => {
		let live = true;
		labFor(lesson).then(
			started => live && setLab({name: lesson.name, lab: started}),
			(failure: Error) => live && setError(failure.message),
		);
		return () => {
			live = false;
		};
	}, [lesson, labFor]);

	return (
		<SizeGate onQuit={quit}>
			{({columns, rows}) => error ? <Text color="red">{safeOutput(error)}</Text> : lab?.name === lesson.name ? (
				<LessonScreen
					key={lesson.name}
					lesson={lesson}
					labSession={lab.lab.labSession}
					context={lab.lab.context}
					columns={columns}
					rows={rows}
					quiz={quiz}
					onQuit={() => quit(0)}
					next={following ? {title: following.title, open: () => setIndex(index + 1)} : undefined}
				/>
			) : <Text dimColor>Starting the lab for {glyphs.openQuote}{safeOutput(lesson.title)}{glyphs.closeQuote}{glyphs.ellipsis}</Text>}
		</SizeGate>
	);
}
