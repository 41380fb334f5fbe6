// swaks-style text rendering of transcript entries: `->` client, `<-` server, `~>`/`<~`
// inside TLS, `===` information, `***` errors. Every untrusted byte goes through safeText.
import {safeText} from '../protocol/safe-text.js';
import type {TranscriptEntry} from '../protocol/transcript.js';

export type TextOptions = {
	/** Print the plain-words explanation under each reply. */
	explain?: boolean;
	/** Prefix each line with its time since the session started. */
	timings?: boolean;
};

export function marker(entry: TranscriptEntry): string {
	switch (entry.direction) {
		case 'client':
			return entry.tls ? ' ~>' : ' ->';
		case 'server':
			return entry.tls ? '<~ ' : '<- ';
		case 'tls':
			return '===';
		case 'info':
			return '===';
		case 'error':
			return '***';
	}
}

export function renderTextEntry(entry: TranscriptEntry, options: TextOptions = {}): string[] {
	const time = options.timings ? `[${entry.at.toFixed(1).padStart(8)} ms] ` : '';
	let line = `${time}${marker(entry)} ${safeText(entry.text)}`;
	if (entry.decoded !== undefined) line += `    = "${safeText(entry.decoded)}"`;
	const out = [line];
	const pad = ' '.repeat(time.length + 4);
	// An error entry's text already says what went wrong; its deviation is only a tag.
	if (entry.deviation && entry.direction !== 'error') out.push(`${pad}! ${safeText(entry.deviation)}`);
	if (options.explain && entry.explain) {
		for (const note of entry.explain) out.push(`${pad}  ↳ ${safeText(note)}`);
	}

	if (entry.tlsFacts && options.explain) {
		const f = entry.tlsFacts;
		if (f.subject) out.push(`${pad}  ↳ subject ${safeText(f.subject)}; issuer ${safeText(f.issuer ?? '?')}`);
		if (f.subjectAltNames.length > 0) out.push(`${pad}  ↳ names ${safeText(f.subjectAltNames.join(', '))}`);
		if (f.validFrom) out.push(`${pad}  ↳ valid ${safeText(f.validFrom)} to ${safeText(f.validTo ?? '?')}`);
		if (f.fingerprint256) out.push(`${pad}  ↳ SHA-256 fingerprint ${safeText(f.fingerprint256)}`);
	}

	return out;
}

export function renderText(entries: TranscriptEntry[], options: TextOptions = {}): string {
	return entries.flatMap(entry => renderTextEntry(entry, options)).join('\n') + '\n';
}
