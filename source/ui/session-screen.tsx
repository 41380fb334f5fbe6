// The step-through session: transcript, explanation of the selected line, the next
// bytes, the status line and the keys. State lives in useSession (the view reducer in
// session-view-state.ts), keys in useSessionInput; this component only draws.
import React, {useEffect, useMemo, useState} from 'react';
import {Box, Text, type Key} from 'ink';
import type {SessionLike} from '../engine/replay.js';
import {initialQuiz, quizLine, type QuizState} from './quiz.js';
import type {SessionOptions} from '../engine/session.js';
import type {TranscriptEntry} from '../protocol/transcript.js';
import {explainEntry} from './explain-lines.js';
import {ExplainPane} from './explain-pane.js';
import {footerFor, sessionHelpKeys} from './keymap.js';
import {useKeyHelp} from './key-help.js';
import {NextPane, nextPaneRows} from './next-pane.js';
import {StatusBar} from './status-bar.js';
import {TlsPanel} from './tls-panel.js';
import {fit, TranscriptPane} from './transcript-pane.js';
import {useSession} from './use-session.js';
import {completionsFor, useSessionInput} from './use-session-input.js';
import {safeOutput} from './terminal-text.js';
import {glyphs} from './glyphs.js';

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
	extraKeys?: (input: string, key: Key, session: SessionLike) => boolean | string;
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

/** The footer while the TLS panel covers the transcript. */
const overlayFooter = 'esc/b back to the session  ? help  q quit';

/** After the keys in the help overlay. */
const markers = `Markers: C client, S server, ~ inside TLS, ${glyphs.lock} TLS handshake, ${glyphs.note} note, !! error.`;

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
	const completions = view.mode === 'manual' && !session.inMessage ? completionsFor(view.input) : [];

	useEffect(() => {
		onChange?.(controls.session);
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [controls.revision, controls.session]);

	// The help overlay takes the transcript's rows (its border included) and scrolls in them.
	const help = useKeyHelp({keys: sessionHelpKeys, notes: [markers], width: columns, height: transcriptHeight + 2, back: 'esc/b back to the session', open: view.mode === 'help'});
	useSessionInput({controls, preview, quiz, setQuiz, onQuit, onBack, onCompare, onInbox, extraKeys, recordFile, isActive, helpScroll: help.scroll});

	// The view learns the transcript's height in an effect (above): until then (the first frame,
	// a pane that just grew) it is drawn no taller than the rows it has, so no frame outgrows the window.
	const framed = view.height <= transcriptHeight ? view : {...view, height: transcriptHeight};
	const overlay = view.mode === 'help' ? help.overlay : view.mode === 'tls' ? <TlsPanel facts={session.tlsFacts} width={columns} /> : null;
	return (
		<Box flexDirection="column" width={columns}>
			<StatusBar session={session} width={columns} lastStepMs={controls.lastStepMs} />
			{overlay ?? (
				<Box>
					<TranscriptPane entries={quiz.hideFrom === undefined ? session.entries : session.entries.slice(0, quiz.hideFrom)} view={framed} width={transcriptWidth} />
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
			<Text dimColor wrap="truncate">{safeOutput(fit(view.mode === 'help' ? help.footer(columns) : overlay ? overlayFooter : footerFor(columns, extraFooter, {back: onBack !== undefined}), columns))}</Text>
		</Box>
	);
}
