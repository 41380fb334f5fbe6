// A Mermaid sequenceDiagram of the conversation for slides: client ↔ server, one arrow per
// command and per reply (a multi-line reply is one arrow), the TLS upgrade marked.
import {safeText} from '../protocol/safe-text.js';
import type {TranscriptEntry} from '../protocol/transcript.js';

/** Mermaid message text: no line breaks, and ; # : escaped as entity codes. */
export function mermaidText(text: string): string {
	return safeText(text).replace(/[#;:]/g, c => `#${c.charCodeAt(0)};`).replace(/[\r\n]/g, ' ').slice(0, 120);
}

export function renderMermaid(entries: readonly TranscriptEntry[], serverName = 'Server'): string {
	// Participant names take no entity codes: keep letters, digits, spaces, dots and dashes.
	const lines = ['sequenceDiagram', '    participant C as Client', `    participant S as ${serverName.replace(/[^\w .-]+/g, ' ').trim() || 'Server'}`];
	let body = 0;
	let replyLines: TranscriptEntry[] = [];
	for (const entry of entries) {
		if (entry.direction === 'server') {
			replyLines.push(entry);
			if (entry.last === false) continue;
			const first = replyLines[0]!;
			const more = replyLines.length > 1 ? ` (+${replyLines.length - 1} lines)` : '';
			lines.push(`    S-->>C: ${mermaidText(first.text)}${more}`);
			replyLines = [];
			continue;
		}

		if (entry.direction === 'client') {
			if (entry.step === 'body') {
				body++;
				if (entry.text === '.') lines.push(`    C->>S: (message, ${body - 1} lines) then .`);
				continue;
			}

			body = 0;
			lines.push(`    C->>S: ${mermaidText(entry.text)}`);
		} else if (entry.direction === 'tls') {
			lines.push(`    Note over C,S: ${mermaidText(entry.text)}`);
		} else if (entry.direction === 'error') {
			lines.push(`    Note over C: ${mermaidText(entry.text)}`);
		}
	}

	return lines.join('\n') + '\n';
}
