// The session screen's keys: which key means what comes from keymap.ts, the view state from
// session-view-state.ts (through useSession), and this hook turns a key into actions on both.
// It reads the view as the last key left it (controls.viewNow()), so a key typed before the
// frame is drawn still lands in the input the key before it opened; a key that would start a
// step while one is in flight is refused with a notice (a typed line waits its turn instead).
import {useRef, type Dispatch, type SetStateAction} from 'react';
import type {Key} from 'ink';
import {completeVerb, verbOf} from '../protocol/commands.js';
import type {SessionLike} from '../engine/replay.js';
import {exportAll, saveRecording, stampedName} from '../setup/record.js';
import {answer, askIfReplied, type QuizState} from './quiz.js';
import {commandFor} from './keymap.js';
import {editLine} from './line-edit.js';
import {useKeyRouter, useScreenInput} from './screen-input.js';
import type {SessionControls} from './use-session.js';

/** The verbs tab completes for what is typed so far. */
export function completionsFor(text: string): string[] {
	return completeVerb(text.trim().split(' ')[0] ?? '');
}

export type SessionInput = {
	controls: SessionControls;
	preview: ReturnType<SessionLike['peek']>;
	quiz: QuizState;
	setQuiz: Dispatch<SetStateAction<QuizState>>;
	onQuit: (exitCode: number) => void;
	onBack?: () => void;
	onCompare?: () => void;
	onInbox?: () => void;
	/** Keys a wrapping screen handles first (a lesson's n); true when handled, a string to refuse with that notice. */
	extraKeys?: (input: string, key: Key, session: SessionLike) => boolean | string;
	recordFile?: string;
	isActive?: boolean;
	/** The help overlay's scrolling keys (key-help.tsx): true when the key scrolled it. */
	helpScroll?: (input: string, key: Key) => boolean;
};

export function useSessionInput({controls, preview, quiz, setQuiz, onQuit, onBack, onCompare, onInbox, extraKeys, recordFile, isActive = true, helpScroll}: SessionInput): void {
	const {session, dispatch} = controls;
	const typingMessage = useRef(false);
	const router = useKeyRouter();
	/** A step is (or was, when this key was pressed) in flight. */
	const busy = () => controls.busyNow(router?.pressedAt());
	/** A key that would start a step while one is in flight: refused, and said so. */
	const refuseWhileBusy = (what: string) => {
		dispatch({type: 'notice', text: `Still waiting for the server's reply: ${what} not done. Press it again once the reply is in (r restarts).`, whileBusy: true});
	};

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

	useScreenInput((input, key) => {
		// Ctrl-C quits from anywhere, overlays and text inputs included.
		if (key.ctrl && input === 'c') {
			onQuit(session.exitCode);
			return;
		}

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
				// Edited through viewNow(): the next key of a paste need not wait for a frame.
				return 'latest';
			}

			return;
		}

		// The help overlay and the TLS panel: esc (or b, or the key that opened it) goes back to
		// the session; q quits, as everywhere. The help overlay scrolls.
		if (now.mode === 'help' && helpScroll?.(input, key)) return;
		if (now.mode === 'help' || now.mode === 'tls') {
			if (input === 'q') onQuit(session.exitCode);
			else if (now.mode === 'tls' && input === '?') dispatch({type: 'open', mode: 'help'});
			else if (key.escape || input === 'b' || input === '?' || input === 't') dispatch({type: 'close'});
			return;
		}

		// A quiz question waits for its answer: 2-5 reveal the reply, q still quits.
		if (quiz.hideFrom !== undefined) {
			if (/^[2-5]$/.test(input)) setQuiz(q => answer(q, Number(input)));
			else if (input === 'q') onQuit(session.exitCode);
			return;
		}

		if (input === 'z') {
			setQuiz(q => ({...q, on: !q.on, last: undefined}));
			return;
		}

		const handled = extraKeys?.(input, key, controls.sessionNow());
		// A key the wrapping screen took (a lesson's n, > or b) changes what is asked of the
		// student: the notice about the step before (why enter stopped there) is gone with it.
		if (typeof handled === 'string' || (handled && controls.viewNow().notice !== undefined)) dispatch({type: 'notice', text: typeof handled === 'string' ? handled : undefined});
		if (handled) return;
		switch (commandFor(input, key)) {
			case 'send':
				if (busy()) refuseWhileBusy('enter');
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
				if (busy()) refuseWhileBusy('s (skip)');
				else controls.skip();
				break;
			case 'run-all':
				if (busy()) refuseWhileBusy('a (run all)');
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
}
