// Markdown: a transcript table for handouts, each line with its meaning, read as the Explain pane
// reads it (protocol/explain-client.ts and the notes the engine attached). The line column is
// exactly what went over the wire (secrets masked); a base64 line's reading is in the meaning.
// Cells are terminal-safe and pipe-escaped.
import {decodedNote, explainClientLine, MessageHeaderTracker, secretNote} from '../protocol/explain-client.js';
import {safeText} from '../protocol/safe-text.js';
import type {TranscriptEntry} from '../protocol/transcript.js';
import type {RecordingHeader} from './recording.js';

const who: Record<TranscriptEntry['direction'], string> = {client: 'C', server: 'S', info: '·', tls: '🔒', error: '!'};

const cell = (text: string) => safeText(text).replace(/\|/g, '\\|').replace(/`/g, 'ˋ');

export function renderMarkdown(entries: readonly TranscriptEntry[], header?: RecordingHeader): string {
	const lines: string[] = [];
	if (header) lines.push(`## SMTP session with ${cell(header.label)}`, '', `Recorded ${cell(header.createdAt)}; EHLO ${cell(header.ehlo)}; from ${cell(header.from)} to ${cell(header.to.join(', '))}.`, '');
	lines.push('| ms | | TLS | line | meaning |', '|---:|---|---|---|---|');
	const message = new MessageHeaderTracker();
	for (const entry of entries) {
		const meaning = [
			...(entry.secret ? [secretNote] : []),
			...(entry.decoded === undefined ? [] : [decodedNote(entry.decoded)]),
			...(entry.deviation ? [`⚠ ${entry.deviation}`] : []),
			...explainClientLine(entry, message.see(entry)),
			...(entry.explain ?? []),
		].join('<br>');
		lines.push(`| ${entry.at.toFixed(1)} | ${who[entry.direction]} | ${entry.tls ? '🔒' : ''} | \`${cell(entry.text)}\` | ${cell(meaning)} |`);
	}

	return lines.join('\n') + '\n';
}
