// The terminal gate as the screens use it: protocol/safe-text's gate (control and bidi
// characters shown as escapes), and on a terminal that shows no Unicode (see glyphs.ts) the
// result made ASCII too, so text the UI did not write itself (explanations, lessons, peer
// replies, message headers) cannot put a byte on screen that such a terminal would garble.
import {safeText as gate, type SafeText} from '../protocol/safe-text.js';
import {asciiGlyphs, glyphs, unicodeGlyphs, type Glyphs} from './glyphs.js';

export type {SafeText} from '../protocol/safe-text.js';

/** The table's own glyphs become what the table says; "§4.1" reads "section 4.1". */
const own = new Map<string, string>();
for (const name of Object.keys(unicodeGlyphs) as Array<keyof Glyphs>) {
	const unicode = unicodeGlyphs[name];
	if (typeof unicode === 'string' && unicode !== asciiGlyphs[name] && /^[^\x00-\x7F]+$/u.test(unicode)) own.set(unicode, String(asciiGlyphs[name]));
}

const ownPattern = new RegExp([...own.keys()].sort((a, b) => b.length - a.length).map(glyph => glyph.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gu');

/** Until loadTransliteration() has run: every character past ASCII shows as "?". */
let transliterate = (text: string) => text.replace(/[^\x00-\x7F]/gu, '?');

/**
 * Loads any-ascii's tables (about 550 KB of code: a tenth of a second of the first frame,
 * see the readme's benchmarks), which only a terminal without Unicode needs: call it before
 * the screens draw on such a terminal.
 */
export async function loadTransliteration(): Promise<void> {
	const {default: anyAscii} = await import('any-ascii');
	transliterate = anyAscii;
}

/** Text as a terminal without Unicode can show it (transliterated by any-ascii past the table). */
export function toAscii(text: string): string {
	// eslint-disable-next-line no-control-regex
	if (/^[\x00-\x7F]*$/.test(text)) return text;
	return transliterate(text.replace(/\u00A7\s*/g, 'section ').replace(ownPattern, glyph => own.get(glyph) ?? glyph));
}

/** Text as this terminal will show it (measure this, not the text before, to fit a width). */
export function asShown(text: string): string {
	return glyphs.unicode ? text : toAscii(text);
}

function shown(text: string): SafeText {
	return asShown(text) as SafeText;
}

/** protocol/safe-text's safeText(), ASCII on an ASCII terminal. */
export function safeText(s: string): SafeText {
	return shown(gate(s));
}

/** The same for a block of lines: line feeds (and tabs) are kept. */
export function safeOutput(s: string): SafeText {
	return shown(s.split('\n').map(line => gate(line)).join('\n'));
}

/** A line followed by its visible CR LF, for previews of what goes on the wire. */
export function showCrlf(line: string): string {
	return `${line}${glyphs.crlf}`;
}
