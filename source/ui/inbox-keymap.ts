// Every key the inbox screen knows, with its help text, in the style of keymap.ts: the input
// hook and the footer both read this table.
import type {Key} from 'ink';
import type {InboxMode} from './inbox-state.js';
import {glyphs} from './glyphs.js';
import {fitFooter, helpKey, quitKey, type ScreenKey} from './key-help.js';

export type InboxCommand = 'open' | 'raw' | 'checks' | 'up' | 'down' | 'page-up' | 'page-down' | 'home' | 'end' | 'back' | 'quit';

export type InboxKeyBinding = {
	command: InboxCommand;
	keys: string;
	help: string;
	/** The views where the key does something (and is shown in the footer). */
	modes: readonly InboxMode[];
	match: (input: string, key: Key) => boolean;
};

const all: readonly InboxMode[] = ['list', 'message', 'raw', 'checks'];

export const inboxKeymap: InboxKeyBinding[] = [
	{command: 'open', keys: 'enter', help: 'open the message', modes: ['list'], match: (_input, key) => key.return},
	{command: 'raw', keys: 'v', help: 'raw source / message view', modes: ['message', 'raw', 'checks'], match: input => input === 'v'},
	{command: 'checks', keys: 'c', help: 'checks (structure, MIME, bulk-sender rules, authentication) / message view', modes: ['message', 'raw', 'checks'], match: input => input === 'c'},
	{command: 'up', keys: glyphs.up, help: 'up', modes: all, match: (input, key) => key.upArrow || input === 'k'},
	{command: 'down', keys: glyphs.down, help: 'down', modes: all, match: (input, key) => key.downArrow || input === 'j'},
	{command: 'page-up', keys: 'PgUp', help: 'page up', modes: all, match: (_input, key) => key.pageUp},
	{command: 'page-down', keys: 'PgDn', help: 'page down', modes: all, match: (_input, key) => key.pageDown},
	{command: 'home', keys: 'Home/g', help: 'first', modes: all, match: (input, key) => key.home || input === 'g'},
	{command: 'end', keys: 'End/G', help: 'last', modes: all, match: (input, key) => key.end || input === 'G'},
	{command: 'back', keys: 'esc/b', help: 'back (to the message, the list, then the screen the inbox was opened from)', modes: all, match: (input, key) => key.escape || input === 'b'},
	{command: 'quit', keys: 'q/Ctrl-C', help: 'quit', modes: all, match: (input, key) => input === 'q' || (key.ctrl && input === 'c')},
];

export function inboxCommandFor(input: string, key: Key, mode: InboxMode): InboxCommand | undefined {
	return inboxKeymap.find(binding => binding.modes.includes(mode) && binding.match(input, key))?.command;
}

/** The key line at the bottom of the inbox, for the open view: the way back, ? help and q quit always. */
export function inboxFooter(mode: InboxMode, width: number): string {
	const back = mode === 'list' ? 'esc/b back' : mode === 'message' ? 'esc/b back to the list' : 'esc/b back to the message';
	const optional = mode === 'list' ? [`${glyphs.upDown} select`, 'enter open']
		: [`${glyphs.upDown} PgUp PgDn scroll`, ...(mode === 'raw' ? ['v message view', 'c checks'] : mode === 'checks' ? ['c message view', 'v raw source'] : ['v raw source', 'c checks'])];
	// "back to the list" gives way to a plain "back" before any key is left out.
	const fitted = fitFooter(width, optional, [back, helpKey.footer!, quitKey.footer!]);
	return fitted.split('  ').length === optional.length + 3 ? fitted : fitFooter(width, optional, ['esc/b back', helpKey.footer!, quitKey.footer!]);
}

/** The open view's keys, as the help overlay lists them. */
export function inboxHelpKeys(mode: InboxMode): ScreenKey[] {
	return [...inboxKeymap.filter(binding => binding.modes.includes(mode) && binding.command !== 'quit').map(({keys, help}) => ({keys, help})), helpKey, quitKey];
}
