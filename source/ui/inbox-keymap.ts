// Every key the inbox screen knows, with its help text, in the style of keymap.ts: the input
// hook and the footer both read this table.
import type {Key} from 'ink';
import type {InboxMode} from './inbox-state.js';
import {glyphs} from './glyphs.js';

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
	{command: 'back', keys: 'esc/b', help: 'back', modes: all, match: (input, key) => key.escape || input === 'b'},
	{command: 'quit', keys: 'q/Ctrl-C', help: 'quit', modes: all, match: (input, key) => input === 'q' || (key.ctrl && input === 'c')},
];

export function inboxCommandFor(input: string, key: Key, mode: InboxMode): InboxCommand | undefined {
	return inboxKeymap.find(binding => binding.modes.includes(mode) && binding.match(input, key))?.command;
}

/** The key line at the bottom of the inbox, for the open view. */
export function inboxFooter(mode: InboxMode): string {
	switch (mode) {
		case 'list':
			return `${glyphs.upDown} select  enter open  esc/b back  q quit`;
		case 'message':
			return `${glyphs.upDown} PgUp PgDn scroll  v raw source  c checks  esc/b back to the list  q quit`;
		case 'raw':
			return `${glyphs.upDown} PgUp PgDn scroll  v message view  c checks  esc/b back to the message  q quit`;
		case 'checks':
			return `${glyphs.upDown} PgUp PgDn scroll  c message view  v raw source  esc/b back to the message  q quit`;
	}
}
