// The inbox's keys: inbox-keymap.ts says which command a key is in the open view, this hook
// turns the command into an inbox-state action (or leaves the screen). It reads the view as
// the last key left it, so a burst (enter then v) lands in the view the first key opened.
import type {Key} from 'ink';
import type {InboxAction, InboxState} from './inbox-state.js';
import {inboxCommandFor, type InboxCommand} from './inbox-keymap.js';
import {useScreenInput} from './screen-input.js';

/** The action a command is in a view, or what it does instead (leaving, quitting). */
export function inboxIntent(command: InboxCommand | undefined, state: InboxState): InboxAction | 'leave' | 'quit' | undefined {
	switch (command) {
		case 'open':
			return {type: 'open'};
		case 'raw':
			return {type: 'toggle-raw'};
		case 'checks':
			return {type: 'toggle-checks'};
		case 'up':
			return {type: 'move', delta: -1};
		case 'down':
			return {type: 'move', delta: 1};
		case 'page-up':
			return {type: 'page', direction: -1};
		case 'page-down':
			return {type: 'page', direction: 1};
		case 'home':
			return {type: 'home'};
		case 'end':
			return {type: 'end'};
		case 'back':
			return state.mode === 'list' ? 'leave' : {type: 'back'};
		case 'quit':
			return 'quit';
		case undefined:
			return undefined;
	}
}

export function useInboxInput(now: () => InboxState, dispatch: (action: InboxAction) => void, onBack: () => void, onQuit: () => void, help?: (input: string, key: Key) => boolean): void {
	useScreenInput((input, key) => {
		if (help?.(input, key)) return;
		const state = now();
		const intent = inboxIntent(inboxCommandFor(input, key, state.mode), state);
		if (intent === 'leave') onBack();
		else if (intent === 'quit') onQuit();
		else if (intent) dispatch(intent);
	});
}
