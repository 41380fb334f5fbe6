// Server text, decoded base64 and captured messages are untrusted. Written raw to a terminal,
// ESC / CSI / OSC sequences could clear the screen, set the clipboard (OSC 52), plant links
// (OSC 8) or query the window (CSI 21t); bidi controls could make text read differently from
// what was sent. Everything dangerous is shown as a visible escape instead.

// C0 except TAB, DEL, C1 (0x9B is a one-byte CSI), bidi marks/embeddings/isolates, the
// Unicode line/paragraph separators (which some terminals and viewers treat as line breaks),
// and the invisible format characters (soft hyphen, zero-width space/joiners, word joiner and
// invisible operators, BOM, interlinear annotations): drawn raw they vanish, so a server could
// echo a password split by one and the screen would show it whole while no mask matched it.
const unsafe = /[\x00-\x08\x0A-\x1F\x7F-\x9F\xAD\u061C\u180E\u200B-\u200F\u2028\u2029\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\uFFF9-\uFFFB]/g;

function escapeChar(char: string): string {
	const code = char.codePointAt(0) ?? 0;
	if (code <= 0xff) {
		return `\\x${code.toString(16).padStart(2, '0')}`;
	}

	return `\\u${code.toString(16).padStart(4, '0')}`;
}

declare const safeBrand: unique symbol;

/** Text that has passed the terminal gate: only safeText(), safeOutput() and safe`` make it. */
export type SafeText = string & {readonly [safeBrand]: true};

/**
 * Make text safe to write to a terminal: control and bidi characters become `\x1b` / `\u202e`
 * style escapes. A literal backslash is left alone, so the output is for reading, not for
 * reversing.
 */
export function safeText(s: string): SafeText {
	return s.replace(unsafe, escapeChar) as SafeText;
}

/** The same for a block of lines: line feeds (and tabs) are kept, everything else is escaped. */
export function safeOutput(s: string): SafeText {
	return s.split('\n').map(line => safeText(line)).join('\n') as SafeText;
}

/** A template whose every interpolated value passes safeText(); the literal parts are source code. */
export function safe(strings: TemplateStringsArray, ...values: Array<string | number>): SafeText {
	return strings.reduce((out, part, index) => out + part + (index < values.length ? safeText(String(values[index])) : ''), '') as SafeText;
}

/** The text holds a character safeText() would escape (control, DEL, C1, bidi, line separators, invisible format characters). */
export function hasUnsafe(s: string): boolean {
	unsafe.lastIndex = 0;
	const found = unsafe.test(s);
	unsafe.lastIndex = 0;
	return found;
}

