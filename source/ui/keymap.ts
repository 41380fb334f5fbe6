// The one keymap table: every key the session screen knows, with its help text. The
// input hook and the help overlay both read it, so they cannot disagree.
import type {Key} from 'ink';

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

export type KeyBinding = {command: SessionCommand; keys: string; help: string; match: (input: string, key: Key) => boolean};

export const sessionKeymap: KeyBinding[] = [
	{command: 'send', keys: 'enter/space', help: 'send the next step (shown in the Next pane)', match: (input, key) => key.return || input === ' '},
	{command: 'edit', keys: 'e', help: 'edit the next command before sending it', match: input => input === 'e'},
	{command: 'skip', keys: 's', help: 'skip the next step', match: input => input === 's'},
	{command: 'run-all', keys: 'a', help: 'run all remaining steps', match: input => input === 'a'},
	{command: 'manual', keys: 'm', help: 'type any SMTP command (tab completes the verb)', match: input => input === 'm'},
	{command: 'tls', keys: 't', help: 'show the TLS details (version, cipher, certificate)', match: input => input === 't'},
	{command: 'restart', keys: 'r', help: 'restart the session from the start', match: input => input === 'r'},
	{command: 'save', keys: 'w', help: 'save the session as a recording (secrets masked) to replay later', match: input => input === 'w'},
	{command: 'export', keys: 'x', help: 'export: text, Markdown, JSON Lines, Mermaid diagram, swaks/openssl commands', match: input => input === 'x'},
	{command: 'up', keys: '↑', help: 'select the line above', match: (input, key) => key.upArrow || input === 'k'},
	{command: 'down', keys: '↓', help: 'select the line below', match: (input, key) => key.downArrow || input === 'j'},
	{command: 'page-up', keys: 'PgUp', help: 'scroll up a page', match: (_input, key) => key.pageUp},
	{command: 'page-down', keys: 'PgDn', help: 'scroll down a page', match: (_input, key) => key.pageDown},
	{command: 'home', keys: 'Home/g', help: 'first line', match: (input, key) => key.home || input === 'g'},
	{command: 'end', keys: 'End/G', help: 'last line (follow new lines)', match: (input, key) => key.end || input === 'G'},
	{command: 'back', keys: 'b', help: 'back to the port picker', match: input => input === 'b'},
	{command: 'compare', keys: 'c', help: 'compare ports side by side (same scenario on each)', match: (input, key) => input === 'c' && !key.ctrl},
	{command: 'inbox', keys: 'i', help: 'inbox: messages the lab accepted', match: input => input === 'i'},
	{command: 'help', keys: '?', help: 'show or hide this help', match: input => input === '?'},
	{command: 'quiz', keys: 'z', help: 'quiz: predict each reply (2–5) before it shows', match: input => input === 'z'},
	{command: 'quit', keys: 'q/Ctrl-C', help: 'quit (closes the connection and the lab)', match: (input, key) => input === 'q' || (key.ctrl && input === 'c')},
];

export function commandFor(input: string, key: Key): SessionCommand | undefined {
	return sessionKeymap.find(binding => binding.match(input, key))?.command;
}

/** The short key line at the bottom of the session screen. */
export const footerKeys = 'enter send  e edit  s skip  a run all  m manual  t TLS  ↑↓ select  r restart  w save  x export  c compare  b back  ? help  q quit';
