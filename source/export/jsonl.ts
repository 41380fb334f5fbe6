// JSON Lines: one transcript entry per line. JSON.stringify escapes every control
// character, so the output is terminal-safe; secrets are already masked in the entries.
import type {TranscriptEntry} from '../protocol/transcript.js';

/** One value as one JSON line: a transcript entry, or a report. */
export function renderJsonLine(entry: TranscriptEntry | object): string {
	// Escape DEL, C1 controls, bidi controls and the line separators too, which JSON.stringify leaves raw.
	return JSON.stringify(entry).replace(/[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function renderJsonLines(entries: TranscriptEntry[]): string {
	return entries.map(entry => renderJsonLine(entry)).join('\n') + '\n';
}
