// The step-through session: transcript, explanation of the selected line, the next
// bytes, the status line and the keys.
import React, {useEffect, useMemo, useState} from 'react';
import {Box, Text, useInput, type Key} from 'ink';
import type {SessionLike} from '../engine/replay.js';
import {answer, askIfReplied, initialQuiz, quizLine, type QuizState} from './quiz.js';
import {completeVerb} from '../protocol/commands.js';
import type {SessionOptions} from '../engine/session.js';
import type {TranscriptEntry} from '../protocol/transcript.js';
import {exportAll, saveRecording, stampedName} from '../commands/record.js';
import {explainEntry} from './explain-lines.js';
import {ExplainPane} from './explain-pane.js';
import {HelpOverlay} from './help-overlay.js';
import {commandFor, footerKeys} from './keymap.js';
import {NextPane} from './next-pane.js';
import {StatusBar} from './status-bar.js';
import {TlsPanel} from './tls-panel.js';
import {fit, TranscriptPane} from './transcript-pane.js';
import {useSession} from './use-session.js';

export type SessionScreenProps = {
	options: SessionOptions;
	columns: number;
	rows: number;
	onQuit: (exitCode: number) => void;
	onBack?: () => void;
	/** The `c` key: compare ports side by side (lab sessions). */
	onCompare?: () => void;
	/** The `i` key: the lab's inbox (lab sessions). */
	onInbox?: () => void;
	/** False while another screen (the inbox) is shown over this one: no keys then. */
	isActive?: boolean;
	/** Quiz mode from the start (--quiz); z toggles it. */
	quiz?: boolean;
	/** Keys a wrapping screen handles first (a lesson's n); true when handled. */
	extraKeys?: (input: string, key: Key) => boolean;
	/** A pane shown above the Next pane (a lesson's), and the rows it takes. */
	sidePane?: React.ReactNode;
	sidePaneRows?: number;
	/** Called whenever the session changes (a lesson checks its expectations). */
	onChange?: (session: SessionLike) => void;
	/** Start with every step performed (for demos): the `a` key at launch. */
	autoRun?: boolean;
	/** Replay these recorded entries instead of talking to a server. */
	replay?: readonly TranscriptEntry[];
	/** Where `w` saves the recording (default: a stamped name in the current folder). */
	recordFile?: string;
};

/** Rows taken by everything but the transcript: status, Next pane, footer, borders. */
const chromeRows = 10;

export function SessionScreen({options, columns, rows, onQuit, onBack, onCompare, onInbox, isActive = true, autoRun, replay, recordFile, quiz: quizAtStart, extraKeys, sidePane, sidePaneRows = 0, onChange}: SessionScreenProps) {
	const controls = useSession(options, replay);
	const [quiz, setQuiz] = useState<QuizState>(() => ({...initialQuiz, on: quizAtStart ?? false}));
	const {session, view, dispatch, revision} = controls;
	const transcriptHeight = Math.max(3, rows - chromeRows - sidePaneRows);
	const transcriptWidth = Math.max(30, Math.floor(columns * 0.6) - 2);
	const explainWidth = Math.max(20, columns - transcriptWidth - 4);

	useEffect(() => {
		dispatch({type: 'resize', height: transcriptHeight});
	}, [transcriptHeight, dispatch]);

	useEffect(() => {
		if (autoRun) void controls.runAll();
		// Only at launch and after a restart (a new session).
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [session]);

	// `revision` changes whenever the session does; the preview depends on its state.
	const preview = useMemo(() => session.peek(), [session, revision, view.busy]);
	// A reply held back by the quiz is not explained before it is revealed.
	const selected = view.cursor >= 0 && (quiz.hideFrom === undefined || view.cursor < quiz.hideFrom) ? session.entries[view.cursor] : undefined;
	const explanation = useMemo(() => explainEntry(selected, session.entries), [selected, session, revision]);
	const completions = view.mode === 'manual' ? completeVerb(view.input.trim().split(' ')[0] ?? '') : [];

	useEffect(() => {
		onChange?.(controls.session);
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [controls.revision, controls.session]);

	useInput((input, key) => {
		// Ctrl-C quits from anywhere, overlays and text inputs included.
		if (key.ctrl && input === 'c') {
			onQuit(session.exitCode);
			return;
		}

		if (view.mode === 'edit' || view.mode === 'manual') {
			if (key.escape) dispatch({type: 'close'});
			else if (key.tab && view.mode === 'manual' && completions.length > 0 && !view.input.includes(' ')) {
				dispatch({type: 'input', value: completions[0] + ' '});
			}

			return; // the text input handles the rest
		}

		if (view.mode === 'help' || view.mode === 'tls') {
			if (key.escape || input === '?' || input === 't' || input === 'q') dispatch({type: 'close'});
			return;
		}

		// A quiz question waits for its answer: 2–5 reveal the reply, q still quits.
		if (quiz.hideFrom !== undefined) {
			if (/^[2-5]$/.test(input)) setQuiz(q => answer(q, Number(input)));
			else if (input === 'q') onQuit(session.exitCode);
			return;
		}

		if (input === 'z') {
			setQuiz(q => ({...q, on: !q.on, last: undefined}));
			return;
		}

		if (extraKeys?.(input, key)) return;
		const command = commandFor(input, key);
		switch (command) {
			case 'send':
				if (!view.busy && !session.done) {
					const before = session.entries.length;
					void controls.send().then(() => {
						if (quiz.on) setQuiz(q => askIfReplied(q, session.entries, before));
					});
				}

				break;
			case 'edit':
				if (preview.editable && !view.busy) dispatch({type: 'open', mode: 'edit', input: preview.lines[0] ?? ''});
				else dispatch({type: 'notice', text: preview.kind === 'auth' ? 'AUTH lines are built from your credentials; use m to type one by hand.' : 'This step has no command line to edit.'});
				break;
			case 'skip':
				controls.skip();
				break;
			case 'run-all':
				if (!view.busy) void controls.runAll();
				break;
			case 'manual':
				if (!view.busy) dispatch({type: 'open', mode: 'manual'});
				break;
			case 'tls':
				dispatch({type: 'open', mode: 'tls'});
				break;
			case 'help':
				dispatch({type: 'open', mode: 'help'});
				break;
			case 'restart':
				controls.restart();
				break;
			case 'up':
				dispatch({type: 'move', delta: -1});
				break;
			case 'down':
				dispatch({type: 'move', delta: 1});
				break;
			case 'page-up':
				dispatch({type: 'page', direction: -1});
				break;
			case 'page-down':
				dispatch({type: 'page', direction: 1});
				break;
			case 'home':
				dispatch({type: 'home'});
				break;
			case 'end':
				dispatch({type: 'end'});
				break;
			case 'back':
				if (onBack) onBack();
				break;
			case 'save':
				void saveRecording(recordFile ?? `${stampedName(session)}.jsonl`, session).then(
					file => dispatch({type: 'notice', text: `Saved the recording (secrets masked) to ${file}; replay it with smtp-tui replay ${file}`}),
					(error: Error) => dispatch({type: 'notice', text: `Could not save the recording: ${error.message}`}),
				);
				break;
			case 'export':
				void exportAll(stampedName(session), session).then(
					folder => dispatch({type: 'notice', text: `Exported transcript.txt, .md, .jsonl, sequence.mmd, swaks.sh and openssl.sh to ${folder}/`}),
					(error: Error) => dispatch({type: 'notice', text: `Could not export: ${error.message}`}),
				);
				break;
			case 'inbox':
				if (onInbox) onInbox();
				else dispatch({type: 'notice', text: 'The inbox holds what the embedded lab accepted; this session talks to another server.'});
				break;
			case 'compare':
				if (onCompare) onCompare();
				else dispatch({type: 'notice', text: 'Compare runs on the lab from the port picker, or as `smtp-tui compare --host H` for a server.'});
				break;
			case 'quit':
				onQuit(session.exitCode);
				break;
			case undefined:
				break;
		}
	}, {isActive});

	const submit = (value: string) => {
		const mode = view.mode;
		dispatch({type: 'close'});
		if (mode === 'edit') void controls.send(value);
		if (mode === 'manual' && value.trim() !== '') void controls.manual(value);
	};

	const overlay = view.mode === 'help' ? <HelpOverlay width={columns} /> : view.mode === 'tls' ? <TlsPanel facts={session.tlsFacts} width={columns} /> : null;
	return (
		<Box flexDirection="column" width={columns}>
			<StatusBar session={session} width={columns} lastStepMs={controls.lastStepMs} />
			{overlay ?? (
				<Box>
					<TranscriptPane entries={quiz.hideFrom === undefined ? session.entries : session.entries.slice(0, quiz.hideFrom)} view={view} width={transcriptWidth} />
					<ExplainPane lines={explanation} width={explainWidth} height={transcriptHeight} />
				</Box>
			)}
			{sidePane}
			{quiz.on ? <Text color="magenta" wrap="truncate">{fit(quizLine(quiz, session.done), columns)}</Text> : null}
			<NextPane
				preview={preview}
				view={view}
				width={columns}
				completions={completions}
				onInput={value => dispatch({type: 'input', value})}
				onSubmit={submit}
			/>
			<Text dimColor wrap="truncate">{fit(footerKeys, columns)}</Text>
		</Box>
	);
}
