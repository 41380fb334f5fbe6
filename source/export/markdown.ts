// Markdown: a transcript table for handouts, each line with its meaning (client lines from the
// explain tables, as the Explain pane reads them). Cells are terminal-safe and pipe-escaped.
import {explainClientLine} from '../protocol/explain-client.js';
import {safeText} from '../protocol/safe-text.js';
import type {TranscriptEntry} from '../protocol/transcript.js';
import type {RecordingHeader} from './recording.js';

const who: Record<TranscriptEntry['direction'], string> = {client: 'C', server: 'S', info: '·', tls: '🔒', error: '!'};

const cell = (text: string) => safeText(text).replace(/\|/g, '\\|').replace(/`/g, 'ˋ');

export function renderMarkdown(entries: readonly TranscriptEntry[], header?: RecordingHeader): string {
	const lines: string[] = [];
	if (header) lines.push(`## SMTP session with ${cell(header.label)}`, '', `Recorded ${cell(header.createdAt)}; EHLO ${cell(header.ehlo)}; from ${cell(header.from)} to ${cell(header.to.join(', '))}.`, '');
	lines.push('| ms | | TLS | line | meaning |', '|---:|---|---|---|---|');
	for (const entry of entries) {
		const line = entry.decoded === undefined ? entry.text : `${entry.text} = "${entry.decoded}"`;
		const meaning = [...(entry.deviation ? [`⚠ ${entry.deviation}`] : []), ...explainClientLine(entry), ...(entry.explain ?? [])].join('<br>');
		lines.push(`| ${entry.at.toFixed(1)} | ${who[entry.direction]} | ${entry.tls ? '🔒' : ''} | \`${cell(line)}\` | ${cell(meaning)} |`);
	}

	return lines.join('\n') + '\n';
}
