// Every glyph the TUI draws that is not plain ASCII, in one table, chosen once at start-up.
// A terminal that cannot show them (TERM=dumb, or a locale that is not UTF-8: LANG=C,
// LC_ALL=POSIX, ...) gets the ASCII column: `+-|` borders, `>` markers, `<CR><LF>`. No other
// file in source/ui writes a non-ASCII character (test/ui/glyphs.test.ts holds them to it);
// text from elsewhere (explanations, lessons, peer replies) is made ASCII by the UI's
// terminal gate (terminal-text.ts) when this table is.
//
// Batch commands never load this: their text and JSON output is the same on every terminal.

import {safeText, type SafeText} from '../protocol/safe-text.js';

/** Ink border styles (cli-boxes names). */
type Border = 'single' | 'double' | 'round' | 'classic';

/** A glyph is source text, so it is drawn as it is (it passed the gate when the table was made). */
type Glyph = SafeText;

export type Glyphs = {
	readonly unicode: boolean;
	/** Borders: a plain box, an overlay (help, TLS), a lesson's pane. */
	readonly border: Border;
	readonly borderOverlay: Border;
	readonly borderLesson: Border;
	/** The selected transcript line, the current journey stop. */
	readonly selected: Glyph;
	/** The highlighted item of a list. */
	readonly pointer: Glyph;
	/** TLS: a transcript marker and a badge; as wide as two columns, or said in letters. */
	readonly lock: Glyph;
	/** Before "TLSv1.3" in a status line (nothing in ASCII: the word says it). */
	readonly lockBadge: Glyph;
	/** The transcript marker of a note (two columns). */
	readonly note: Glyph;
	/** What is cut off. */
	readonly ellipsis: Glyph;
	/** Between the parts of a status line: "lab:587 · step 3/9". */
	readonly dot: Glyph;
	readonly dash: Glyph;
	/** A range: "2–5". */
	readonly range: Glyph;
	readonly arrow: Glyph;
	readonly up: Glyph;
	readonly down: Glyph;
	readonly upDown: Glyph;
	readonly leftRight: Glyph;
	readonly arrows: Glyph;
	/** A column rule (compare, the inbox's line numbers) and a horizontal one (the journey). */
	readonly rule: Glyph;
	readonly hrule: Glyph;
	readonly check: Glyph;
	readonly warning: Glyph;
	readonly bullet: Glyph;
	readonly notEqual: Glyph;
	readonly times: Glyph;
	readonly openQuote: Glyph;
	readonly closeQuote: Glyph;
	/** After a line that goes on the wire: its CR LF, made visible. */
	readonly crlf: Glyph;
};

type Plain = {readonly [K in keyof Glyphs]: Glyphs[K] extends Glyph ? string : Glyphs[K]};

function table(plain: Plain): Glyphs {
	const out: Record<string, unknown> = {};
	for (const [name, value] of Object.entries(plain)) out[name] = typeof value === 'string' && !name.startsWith('border') ? safeText(value) : value;
	return out as Glyphs;
}

export const unicodeGlyphs: Glyphs = table({
	unicode: true,
	border: 'single',
	borderOverlay: 'double',
	borderLesson: 'round',
	selected: '▶',
	pointer: '❯',
	lock: '🔒',
	lockBadge: '🔒 ',
	note: '··',
	ellipsis: '…',
	dot: '·',
	dash: '—',
	range: '–',
	arrow: '→',
	up: '↑',
	down: '↓',
	upDown: '↑↓',
	leftRight: '←→',
	arrows: '↑↓←→',
	rule: '│',
	hrule: '─',
	check: '✓',
	warning: '⚠',
	bullet: '•',
	notEqual: '≠',
	times: '×',
	openQuote: '“',
	closeQuote: '”',
	crlf: '␍␊',
});

export const asciiGlyphs: Glyphs = table({
	unicode: false,
	border: 'classic',
	borderOverlay: 'classic',
	borderLesson: 'classic',
	selected: '>',
	pointer: '>',
	lock: '##',
	lockBadge: '',
	note: '..',
	ellipsis: '...',
	dot: '-',
	dash: '--',
	range: '-',
	arrow: '->',
	up: 'up',
	down: 'down',
	upDown: 'up/down',
	leftRight: 'left/right',
	arrows: 'arrows',
	rule: '|',
	hrule: '-',
	check: 'ok',
	warning: '!',
	bullet: '*',
	notEqual: '!=',
	times: 'x',
	openQuote: '"',
	closeQuote: '"',
	crlf: '<CR><LF>',
});

type Environment = Record<string, string | undefined>;

/**
 * Whether the terminal shows Unicode: not when TERM is dumb, nor when the locale's character
 * set is not UTF-8 (the first of LC_ALL, LC_CTYPE, LANG that is set decides; none set is the
 * C locale).
 */
export function unicodeTerminal(env: Environment): boolean {
	if (env.TERM === 'dumb') return false;
	const locale = [env.LC_ALL, env.LC_CTYPE, env.LANG].find(value => value !== undefined && value !== '') ?? 'C';
	return /utf-?8/i.test(locale);
}

/** The glyphs in use: Unicode until chooseGlyphs() says otherwise. */
export let glyphs: Glyphs = unicodeGlyphs;

/** Called once, before the screens load (so tables they build at load time see the choice). */
export function chooseGlyphs(env: Environment): Glyphs {
	glyphs = unicodeTerminal(env) ? unicodeGlyphs : asciiGlyphs;
	return glyphs;
}
