// The step-through session: transcript, explanation of the selected line, the next
// bytes, the status line and the keys.
import React, {useEffect, useMemo, useRef, useState} from 'react';
import {Box, Text, type Key} from 'ink';
import type {SessionLike} from '../engine/replay.js';
import {answer, askIfReplied, initialQuiz, quizLine, type QuizState} from './quiz.js';
import {completeVerb, verbOf} from '../protocol/commands.js';
import type {SessionOptions} from '../engine/session.js';
import type {TranscriptEntry} from '../protocol/transcript.js';
import {exportAll, saveRecording, stampedName} from '../commands/record.js';
import {explainEntry} from './explain-lines.js';
import {ExplainPane} from './explain-pane.js';
import {HelpOverlay} from './help-overlay.js';
import {commandFor, footerFor} from './keymap.js';
import {editLine} from './line-edit.js';
import {NextPane, nextPaneRows} from './next-pane.js';
import {StatusBar} from './status-bar.js';
import {TlsPanel} from './tls-panel.js';
import {fit, TranscriptPane} from './transcript-pane.js';
import {useSession} from './use-session.js';
import {useScreenInput} from './screen-input.js';
import {safeOutput} from './terminal-text.js';

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
	/** Keys a wrapping screen handles first (a lesson's n); true when handled, a string to refuse with that notice. */
	extraKeys?: (input: string, key: Key) => boolean | string;
	/** A pane shown above the Next pane (a lesson's), and the rows it takes. */
	sidePane?: React.ReactNode;
	sidePaneRows?: number;
	/** Footer labels of the wrapping screen's keys, shown first ("n next step"). */
	extraFooter?: string[];
	/** Called whenever the session changes (a lesson checks its expectations). */
	onChange?: (session: SessionLike) => void;
	/** Start with every step performed (for demos): the `a` key at launch. */
	autoRun?: boolean;
	/** Replay these recorded entries instead of talking to a server. */
	replay?: readonly TranscriptEntry[];
	/** Where `w` saves the recording (default: a stamped name in the current folder). */
	recordFile?: string;
};

/**
 * Rows taken by everything but the transcript: status, its borders, Next pane, footer, and
 * one spare (Ink clears the whole screen on every frame as tall as the terminal).
 */
const chromeRows = 1 + 2 + nextPaneRows + 2 + 1 + 1;

/** The footer while the help overlay or the TLS panel covers the transcript. */
const overlayFooter = 'esc/b back to the session  q quit';

export function SessionScreen({options, columns, rows, onQuit, onBack, onCompare, onInbox, isActive = true, autoRun, replay, recordFile, quiz: quizAtStart, extraKeys, sidePane, sidePaneRows = 0, extraFooter, onChange}: SessionScreenProps) {
	const controls = useSession(options, replay);
	const [quiz, setQuiz] = useState<QuizState>(() => ({...initialQuiz, on: quizAtStart ?? false}));
	const {session, view, dispatch, revision} = controls;
	const transcriptHeight = Math.max(3, rows - chromeRows - sidePaneRows - (quiz.on ? 1 : 0));
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
	const typingMessage = useRef(false);
	const completionsFor = (text: string) => completeVerb(text.trim().split(' ')[0] ?? '');
	const completions = view.mode === 'manual' && !session.inMessage ? completionsFor(view.input) : [];
	/** A key that would start a step while one is in flight: refused, and said so. */
	const refuseWhileBusy = (what: string) => {
		dispatch({type: 'notice', text: `Still waiting for the server's reply: ${what} not done. Press it again once the reply is in (r restarts).`});
	};

	useEffect(() => {
		onChange?.(controls.session);
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [controls.revision, controls.session]);

	useScreenInput((input, key) => {
		// Ctrl-C quits from anywhere, overlays and text inputs included.
		if (key.ctrl && input === 'c') {
			onQuit(session.exitCode);
			return;
		}

		// The view as the last key left it: a key typed before the frame is drawn still lands
		// in the input that the key before it opened.
		const now = controls.viewNow();
		if (now.mode === 'edit' || now.mode === 'manual') {
			if (key.escape) {
				typingMessage.current = false;
				dispatch({type: 'close'});
			} else if (key.return) submit(now.mode, now.input);

			else if (key.tab) {
				const choices = now.mode === 'manual' && !session.inMessage ? completionsFor(now.input) : [];
				if (choices.length > 0 && !now.input.includes(' ')) dispatch({type: 'input', value: choices[0] + ' '});
			} else {
				const next = editLine({value: now.input, cursor: now.inputCursor}, input, key);
				if (next.value !== now.input || next.cursor !== now.inputCursor) dispatch({type: 'input', value: next.value, cursor: next.cursor});
			}

			return;
		}

		// The help overlay and the TLS panel: esc (or b, or the key that opened it) goes back to
		// the session; q quits, as everywhere.
		if (now.mode === 'help' || now.mode === 'tls') {
			if (input === 'q') onQuit(session.exitCode);
			else if (key.escape || input === 'b' || input === '?' || input === 't') dispatch({type: 'close'});
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

		const handled = extraKeys?.(input, key);
		if (typeof handled === 'string') dispatch({type: 'notice', text: handled});
		if (handled) return;
		const command = commandFor(input, key);
		switch (command) {
			case 'send':
				if (controls.busyNow()) refuseWhileBusy('enter');
				else if (!session.done) {
					const before = session.entries.length;
					void controls.send().then(() => {
						if (quiz.on) setQuiz(q => askIfReplied(q, session.entries, before));
					});
				}

				break;
			case 'edit':
				if (preview.editable) dispatch({type: 'open', mode: 'edit', input: preview.lines[0] ?? ''});
				else dispatch({type: 'notice', text: preview.kind === 'auth' ? 'AUTH lines are built from your credentials; use m to type one by hand.' : 'This step has no command line to edit.'});
				break;
			case 'skip':
				if (controls.busyNow()) refuseWhileBusy('s (skip)');
				else controls.skip();
				break;
			case 'run-all':
				if (controls.busyNow()) refuseWhileBusy('a (run all)');
				else void controls.runAll();
				break;
			case 'manual':
				// Open at once, even while a step is in flight: the line waits its turn.
				dispatch({type: 'open', mode: 'manual'});
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

	function submit(mode: 'edit' | 'manual', value: string) {
		// Typing a message by hand is line after line, as in telnet: the input stays open after
		// DATA and after each line until the lone dot (lines typed before the 354 arrives wait
		// their turn, and the session decides then whether they are message lines).
		if (mode === 'manual' && verbOf(value) === 'DATA' && !session.inMessage) typingMessage.current = true;
		const message = mode === 'manual' && (session.inMessage || typingMessage.current);
		if (value === '.') typingMessage.current = false;
		const keepOpen = message && value !== '.';
		dispatch(keepOpen ? {type: 'open', mode: 'manual'} : {type: 'close'});
		if (mode === 'edit') void controls.send(value);
		if (mode === 'manual' && (message || value.trim() !== '')) {
			void controls.manual(value).then(() => {
				// DATA was refused: what follows is commands again.
				if (verbOf(value) === 'DATA' && !session.inMessage) typingMessage.current = false;
			});
		}
	}

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
			{quiz.on ? <Text color="magenta" wrap="truncate">{safeOutput(fit(quizLine(quiz, session.done), columns))}</Text> : null}
			<NextPane
				preview={preview}
				view={view}
				width={columns}
				completions={completions}
				inMessage={session.inMessage}
				saslAnswer={session.awaitingSaslAnswer}
			/>
			<Text dimColor wrap="truncate">{safeOutput(fit(overlay ? overlayFooter : footerFor(columns, extraFooter), columns))}</Text>
		</Box>
	);
}
