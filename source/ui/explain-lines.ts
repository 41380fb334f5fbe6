// What the Explain pane says about the selected transcript line. Reads what the engine
// attached to the entry; adds the command explanation for client lines.
import {decodedNote, explainClientLine, inMessageHeader, secretNote} from '../protocol/explain-client.js';
import {safeText} from './terminal-text.js';
import type {TranscriptEntry} from '../protocol/transcript.js';
import {glyphs} from './glyphs.js';

export type ExplainLine = {text: string; tone?: 'heading' | 'warning' | 'dim'};

export function explainEntry(entry: TranscriptEntry | undefined, entries: readonly TranscriptEntry[]): ExplainLine[] {
	if (!entry) return [{text: 'Nothing yet. Press enter to connect.', tone: 'dim'}];
	const out: ExplainLine[] = [{text: safeText(entry.text), tone: 'heading'}];
	if (entry.secret) out.push({text: secretNote, tone: 'dim'});
	if (entry.decoded !== undefined) out.push({text: decodedNote(safeText(entry.decoded))});
	if (entry.deviation) out.push({text: `${glyphs.warning} ${safeText(entry.deviation)}`, tone: 'warning'});

	// A message line's reading depends on whether the blank line that ends the header came before it.
	const header = entry.direction === 'client' && entry.step === 'body' && inMessageHeader(entries, entries[entry.seq] === entry ? entry.seq : entries.indexOf(entry));
	for (const text of explainClientLine(entry, header)) out.push({text});

	for (const note of entry.explain ?? []) out.push({text: safeText(note)});

	if (entry.direction === 'server' && entry.step === 'ehlo' && entry.tls) {
		// The newest such note, found without copying a transcript of any length.
		const change = entries.findLast(e => e.direction === 'info' && e.text.startsWith('Capabilities changed after TLS'));
		if (change) out.push({text: safeText(change.text), tone: 'heading'});
	}

	if (entry.tlsFacts) {
		const f = entry.tlsFacts;
		out.push(
			{text: `${f.protocol} ${glyphs.dot} ${f.cipher}`},
			{text: `subject ${safeText(f.subject ?? '?')}`},
			{text: `issuer ${safeText(f.issuer ?? '?')}`},
			{text: `names ${safeText(f.subjectAltNames.join(', ') || 'none')}`},
			{text: `valid ${safeText(f.validFrom ?? '?')} ${glyphs.arrow} ${safeText(f.validTo ?? '?')}`},
			{text: f.authorized ? `verified ${glyphs.check}` : `NOT verified: ${safeText(f.authorizationError ?? 'unknown reason')}`, tone: f.authorized ? undefined : 'warning'},
		);
	}

	return out;
}
