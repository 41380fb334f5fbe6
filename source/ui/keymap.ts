// The one keymap table: every key the session screen knows, with its help text. The
// input hook, the help overlay, the footer and the readme's key table (test/ui/keys-doc)
// all read it, so they cannot disagree.
import type {Key} from 'ink';
import {glyphs} from './glyphs.js';
import {fitFooter, type ScreenKey} from './key-help.js';

export type SessionCommand =
	| 'send'
	| 'edit'
	| 'skip'
	| 'run-all'
	| 'manual'
	| 'restart'
	| 'quit'
	| 'help'
	| 'tls'
	| 'up'
	| 'down'
	| 'page-up'
	| 'page-down'
	| 'home'
	| 'end'
	| 'back'
	| 'compare'
	| 'quiz'
	| 'save'
	| 'export'
	| 'inbox';

export type KeyBinding = {
	command: SessionCommand;
	keys: string;
	help: string;
	match: (input: string, key: Key) => boolean;
	/** The short label in the footer, when the key has one there ("enter send"). */
	footer?: string;
};

export const sessionKeymap: KeyBinding[] = [
	{command: 'send', keys: 'enter/space', help: 'send the next step (shown in the Next pane)', match: (input, key) => key.return || input === ' ', footer: 'enter send'},
	{command: 'edit', keys: 'e', help: 'edit the next command (another verb goes out by hand; the step stays next)', match: input => input === 'e', footer: 'e edit'},
	{command: 'skip', keys: 's', help: 'skip the next step', match: input => input === 's', footer: 's skip'},
	{command: 'run-all', keys: 'a', help: 'run all remaining steps', match: input => input === 'a', footer: 'a run all'},
	{command: 'manual', keys: 'm', help: 'type any SMTP command (tab completes); after DATA\'s 354: message lines, . ends', match: input => input === 'm', footer: 'm manual'},
	{command: 'tls', keys: 't', help: 'show the TLS details (version, cipher, certificate)', match: input => input === 't', footer: 't TLS'},
	{command: 'restart', keys: 'r', help: 'restart the session from the start (even while waiting for a reply)', match: input => input === 'r', footer: 'r restart'},
	{command: 'save', keys: 'w', help: 'save the session as a recording (secrets masked) to replay later', match: input => input === 'w', footer: 'w save'},
	{command: 'export', keys: 'x', help: 'export: text, Markdown, JSON Lines, Mermaid diagram, swaks/openssl commands', match: input => input === 'x', footer: 'x export'},
	{command: 'up', keys: `${glyphs.up}/k`, help: 'select the line above', match: (input, key) => key.upArrow || input === 'k'},
	{command: 'down', keys: `${glyphs.down}/j`, help: 'select the line below', match: (input, key) => key.downArrow || input === 'j', footer: `${glyphs.upDown} select`},
	{command: 'page-up', keys: 'PgUp', help: 'scroll up a page', match: (_input, key) => key.pageUp},
	{command: 'page-down', keys: 'PgDn', help: 'scroll down a page', match: (_input, key) => key.pageDown},
	{command: 'home', keys: 'Home/g', help: 'first line', match: (input, key) => key.home || input === 'g'},
	{command: 'end', keys: 'End/G', help: 'last line (follow new lines)', match: (input, key) => key.end || input === 'G'},
	{command: 'back', keys: 'b', help: 'back to the screen the session was opened from (the port picker or the start screen)', match: input => input === 'b', footer: 'b back'},
	{command: 'compare', keys: 'c', help: 'compare ports side by side (same scenario on each)', match: (input, key) => input === 'c' && !key.ctrl, footer: 'c compare'},
	{command: 'inbox', keys: 'i', help: 'inbox: messages the lab accepted', match: input => input === 'i', footer: 'i inbox'},
	{command: 'help', keys: '?', help: 'show or hide this help', match: input => input === '?', footer: '? help'},
	{command: 'quiz', keys: 'z', help: `quiz: predict each reply (2${glyphs.range}5) before it shows`, match: input => input === 'z', footer: 'z quiz'},
	{command: 'quit', keys: 'q/Ctrl-C', help: 'quit (closes the connection and the lab)', match: (input, key) => input === 'q' || (key.ctrl && input === 'c'), footer: 'q quit'},
];

export function commandFor(input: string, key: Key): SessionCommand | undefined {
	return sessionKeymap.find(binding => binding.match(input, key))?.command;
}

/** Footer labels, most needed first: what does not fit the width is left out, never cut. */
const footerOrder: SessionCommand[] = ['send', 'edit', 'manual', 'skip', 'run-all', 'restart', 'down', 'tls', 'compare', 'inbox', 'save', 'export', 'quiz'];

/**
 * The key line at the bottom of the session screen, for a screen `width` columns wide: the
 * way back, "? help" and "q quit" always, at the end; before them as many keys as fit (the
 * help overlay lists them all). `extra` goes first (a lesson's keys; its "b ..." is the way
 * back then). `back: false`: nothing to go back to.
 */
export function footerFor(width: number, extra: string[] = [], {back = true}: {back?: boolean} = {}): string {
	const label = (command: SessionCommand) => sessionKeymap.find(binding => binding.command === command)?.footer ?? '';
	const backLabel = extra.find(part => part.startsWith('b ')) ?? (back ? label('back') : undefined);
	const taken = new Set(extra.map(part => part.split(' ')[0]));
	const own = footerOrder.map(label).filter(part => !taken.has(part.split(' ')[0]));
	const kept = [...(backLabel ? [backLabel] : []), label('help'), label('quit')];
	return fitFooter(width, [...extra.filter(part => part !== backLabel), ...own], kept);
}

/** The session's keys as the help overlay lists them. */
export const sessionHelpKeys: ScreenKey[] = sessionKeymap.map(({keys, help}) => ({keys, help}));

/** Every key as the readme's Markdown table (a test holds the readme to it). */
export function keyTableMarkdown(): string {
	const rows = sessionKeymap.map(binding => `| ${binding.keys.replaceAll('|', '\\|')} | ${binding.help} |`);
	return ['| key | does |', '|---|---|', ...rows].join('\n');
}
