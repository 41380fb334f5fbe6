// The step-through session: transcript, explanation of the selected line, the next
// bytes, the status line and the keys.
import React, {useEffect, useMemo} from 'react';
import {Box, Text, useInput} from 'ink';
import {completeVerb} from '../protocol/commands.js';
import type {SessionOptions} from '../engine/session.js';
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
	/** Start with every step performed (for demos): the `a` key at launch. */
	autoRun?: boolean;
};

/** Rows taken by everything but the transcript: status, Next pane, footer, borders. */
const chromeRows = 10;

export function SessionScreen({options, columns, rows, onQuit, onBack, onCompare, autoRun}: SessionScreenProps) {
	const controls = useSession(options);
	const {session, view, dispatch, revision} = controls;
	const transcriptHeight = Math.max(3, rows - chromeRows);
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
	const selected = view.cursor >= 0 ? session.entries[view.cursor] : undefined;
	const explanation = useMemo(() => explainEntry(selected, session.entries), [selected, session, revision]);
	const completions = view.mode === 'manual' ? completeVerb(view.input.trim().split(' ')[0] ?? '') : [];

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

		const command = commandFor(input, key);
		switch (command) {
			case 'send':
				if (!view.busy && !session.done) void controls.send();
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
	});

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
					<TranscriptPane entries={session.entries} view={view} width={transcriptWidth} />
					<ExplainPane lines={explanation} width={explainWidth} height={transcriptHeight} />
				</Box>
			)}
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
