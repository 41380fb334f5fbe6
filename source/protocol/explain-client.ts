// What a line the client sent means, in plain words, from the explain tables: one reading for
// the Explain pane and the Markdown handout alike.
import {explainCommand, explainStep} from './explain.js';
import {verbOf} from './commands.js';
import type {TranscriptEntry} from './transcript.js';

const saslAnswerText = 'The client\'s answer to the server\'s 334 challenge, in base64 (RFC 4954 §4)';

/** The explanation lines for a client line (none for other directions), before the engine's own notes. */
export function explainClientLine(entry: Pick<TranscriptEntry, 'direction' | 'step' | 'text' | 'secret'>): string[] {
	// POP3 and IMAP lines carry their own reading (pop3-explain.ts, imap-explain.ts) in `explain`.
	if (entry.direction !== 'client' || /^(pop|imap)-/.test(entry.step)) return [];
	const out: string[] = [];
	// SASL answers (base64 lines after AUTH) are not commands; an AUTH line's verb is readable
	// even when its initial response is masked.
	const saslAnswer = entry.step === 'auth' && !/^AUTH /i.test(entry.text);
	if (saslAnswer) out.push(saslAnswerText);
	else if (entry.step !== 'body' && (!entry.secret || entry.step === 'auth')) {
		const command = explainCommand(verbOf(entry.text));
		out.push(`${command.summary} (${command.rfc})`);
	}

	if (entry.step === 'starttls' || entry.step === 'body') out.push(explainStep(entry.step).summary);
	return out;
}
