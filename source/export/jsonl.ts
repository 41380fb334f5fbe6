// JSON output, one place for every --json path (check, probe, probe --domain, compare, run,
// record, export). JSON.stringify escapes C0 controls but leaves DEL, C1 (0x85, 0x9b...), bidi
// controls and U+2028/2029 raw; the terminal gate would then rewrite them as `\x85`, which is
// not JSON. So they are escaped here as \uXXXX: such characters only ever occur inside JSON
// strings (the syntax itself is ASCII), and \uXXXX is valid there, so the output is valid JSON
// and holds no byte the terminal gate changes. Secrets are already masked in the entries.
import type {TranscriptEntry} from '../protocol/transcript.js';

const unsafeInJson = /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]/g;

/** Any value as JSON that JSON.parse reads back and that no terminal control survives in. */
export function renderJson(value: unknown, space?: number | string): string {
	return (JSON.stringify(value, null, space) ?? 'null').replace(unsafeInJson, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One value as one JSON line: a transcript entry, or a report. */
export function renderJsonLine(entry: TranscriptEntry | object): string {
	return renderJson(entry);
}

export function renderJsonLines(entries: TranscriptEntry[]): string {
	return entries.map(entry => renderJsonLine(entry)).join('\n') + '\n';
}
