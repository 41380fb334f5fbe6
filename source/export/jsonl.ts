// JSON Lines: one transcript entry per line. JSON.stringify escapes every control
// character, so the output is terminal-safe; secrets are already masked in the entries.
import type {TranscriptEntry} from '../protocol/transcript.js';

/** One value as one JSON line: a transcript entry, or a report. */
export function renderJsonLine(entry: TranscriptEntry | object): string {
	// Escape C1 controls and bidi overrides too, which JSON.stringify leaves raw.
	return JSON.stringify(entry).replace(/[\u0080-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function renderJsonLines(entries: TranscriptEntry[]): string {
	return entries.map(entry => renderJsonLine(entry)).join('\n') + '\n';
}
