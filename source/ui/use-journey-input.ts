// The journey screen's keys (in the style of @inkjs/ui's use-select): one table maps keys to
// commands (the footer is made from it too), the hook turns commands into reducer actions and
// calls on the journey run. The state is read from a ref that every action updates at once,
// so several keys that arrive in one read each see what the one before did; whether a step may
// run is the run's own decision (journey/run.ts), taken before its first await.
import {useCallback, useEffect, useRef, useState} from 'react';
import type {Key} from 'ink';
import type {JourneyRun, Retrieval} from '../journey/run.js';
import {initialJourneyViewState, journeyReducer, type JourneyAction, type JourneyViewState} from './journey-state.js';
import {glyphs} from './glyphs.js';
import {useScreenInput} from './screen-input.js';
import {fitFooter, type ScreenKey} from './key-help.js';

export type JourneyCommand = 'step' | 'run-leg' | 'leg-1' | 'leg-2' | 'leg-3' | 'next-leg' | 'previous-leg' | 'up' | 'down' | 'pop3' | 'imap' | 'back' | 'help' | 'quit';

export type JourneyKeyBinding = {
	command: JourneyCommand;
	/** As the footer shows it; empty: not in the footer (shown with another binding). */
	keys: string;
	help: string;
	/** What the help overlay says (default: `help`). */
	about?: string;
	match: (input: string, key: Key) => boolean;
};

export const journeyKeymap: JourneyKeyBinding[] = [
	{command: 'step', keys: 'enter', help: 'step', about: 'the next step of the shown leg; at the end of a leg, on to the next leg', match: (input, key) => key.return || input === ' '},
	{command: 'run-leg', keys: 'a', help: 'run the leg', about: 'run every remaining step of the shown leg', match: input => input === 'a'},
	{command: 'leg-1', keys: '1 2 3 / tab', help: 'choose the leg', about: 'show leg 1, 2 or 3 (tab or right: the next leg, left: the one before)', match: input => input === '1'},
	{command: 'leg-2', keys: '', help: '', match: input => input === '2'},
	{command: 'leg-3', keys: '', help: '', match: input => input === '3'},
	{command: 'next-leg', keys: '', help: '', match: (_input, key) => key.tab || key.rightArrow},
	{command: 'previous-leg', keys: '', help: '', match: (_input, key) => key.leftArrow},
	{command: 'up', keys: `${glyphs.upDown}/k j`, help: 'scroll', about: 'scroll the leg\'s transcript; the newest line in view is explained', match: (input, key) => key.upArrow || input === 'k'},
	{command: 'down', keys: '', help: '', match: (input, key) => key.downArrow || input === 'j'},
	{command: 'pop3', keys: 'p/i', help: 'leg 3 reads with POP3 / IMAP', about: 'leg 3 reads the mailbox with POP3 (995) or IMAP (993): choose before it starts', match: input => input === 'p'},
	{command: 'imap', keys: '', help: '', match: input => input === 'i'},
	{command: 'back', keys: 'b', help: 'back', about: 'back to the port picker (b or esc)', match: (input, key) => input === 'b' || key.escape},
	{command: 'help', keys: '?', help: 'help', about: 'show or hide this help', match: input => input === '?'},
	{command: 'quit', keys: 'q', help: 'quit', about: 'quit (closes the journey\'s lab); Ctrl-C too', match: (input, key) => input === 'q' || (key.ctrl && input === 'c')},
];

export function journeyCommandFor(input: string, key: Key): JourneyCommand | undefined {
	return journeyKeymap.find(binding => binding.match(input, key))?.command;
}

/**
 * The key line for `width` columns: `b back` (only with somewhere to go back to), `? help`
 * and `q quit` always, at the end; before them the other keys that fit (`p/i` only while
 * leg 3's protocol is open). The help overlay lists them all.
 */
export function journeyFooter(options: {back: boolean; choosing: boolean}, width = Number.POSITIVE_INFINITY): string {
	const label = (binding: JourneyKeyBinding) => `${binding.keys} ${binding.help}`;
	const kept = new Set<JourneyCommand>(['back', 'help', 'quit']);
	const shown = journeyKeymap.filter(binding => binding.keys !== '' && (binding.command !== 'back' || options.back) && (binding.command !== 'pop3' || options.choosing));
	return fitFooter(width, shown.filter(binding => !kept.has(binding.command)).map(label), shown.filter(binding => kept.has(binding.command)).map(label));
}

/** The journey's keys as its help overlay lists them. */
export function journeyHelpKeys(back: boolean): ScreenKey[] {
	return journeyKeymap.filter(binding => binding.keys !== '' && (binding.command !== 'back' || back)).map(binding => ({keys: binding.keys, help: binding.about ?? binding.help}));
}

export type JourneyStateHandle = {
	/** The state this frame draws. */
	state: JourneyViewState;
	/** Applies an action at once (the next key in the same read sees it) and draws again. */
	apply: (action: JourneyAction) => void;
	/** The state as it is now, actions of keys not yet drawn included. */
	current: () => JourneyViewState;
};

export function useJourneyState(): JourneyStateHandle {
	const state = useRef(initialJourneyViewState);
	const [, setShown] = useState(initialJourneyViewState);
	const apply = useCallback((action: JourneyAction) => {
		state.current = journeyReducer(state.current, action);
		setShown(state.current);
	}, []);
	const current = useCallback(() => state.current, []);
	return {state: state.current, apply, current};
}

export type JourneyInputOptions = JourneyStateHandle & {
	run: JourneyRun;
	/** How far the shown leg's transcript can scroll back. */
	maxScroll: number;
	onQuit: () => void;
	onBack?: () => void;
	/** The help overlay's keys first (key-help.tsx): true when it took the key. */
	help?: (input: string, key: Key) => boolean;
};

const refused = 'A step is still running: that key was not run (wait for it, then press again).';

export function useJourneyInput({run, apply, current, maxScroll, onQuit, onBack, help}: JourneyInputOptions): void {
	useEffect(() => run.onChange(() => apply({type: 'changed'})), [run, apply]);

	const step = (all: boolean) => {
		const {leg} = current();
		// At the end of a leg enter goes on to the next one (once its last step has settled).
		if (!all && !run.busy && leg < 2 && run.peekLeg(leg)?.done) {
			apply({type: 'next-leg'});
			return;
		}

		void run.step(leg, all).then(result => {
			if (result === 'refused') apply({type: 'notice', text: refused});
		});
	};

	const choose = (retrieval: Retrieval) => {
		if (!run.chooseRetrieval(retrieval)) apply({type: 'notice', text: `Leg 3 has started with ${run.retrieval === 'imap' ? 'IMAP' : 'POP3'}; the choice holds for this run (b and j again for a new run).`});
	};

	useScreenInput((input, key) => {
		if (help?.(input, key)) return;
		const command = journeyCommandFor(input, key);
		if (command === undefined) return;
		apply({type: 'key'});
		switch (command) {
			case 'quit':
				onQuit();
				break;
			case 'back':
				onBack?.();
				break;
			case 'help': // opened by the help overlay's own keys (above)
				break;
			case 'leg-1':
			case 'leg-2':
			case 'leg-3':
				apply({type: 'show-leg', leg: (Number(command.slice(4)) - 1) as 0 | 1 | 2});
				break;
			case 'next-leg':
			case 'previous-leg':
				apply({type: command});
				break;
			case 'up':
				apply({type: 'scroll', delta: 1, max: maxScroll});
				break;
			case 'down':
				apply({type: 'scroll', delta: -1, max: maxScroll});
				break;
			case 'step':
				step(false);
				break;
			case 'run-leg':
				step(true);
				break;
			case 'pop3':
			case 'imap':
				choose(command);
				break;
		}
	});
}
