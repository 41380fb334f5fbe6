// What a line the client sent means, in plain words, from the explain tables: one reading for
// the Explain pane and the Markdown handout alike.
import {explainCommand, explainMessageLine, explainStep, isNullSender, nullSenderNote} from './explain.js';
import {verbOf} from './commands.js';
import type {TranscriptEntry} from './transcript.js';

const saslAnswerText = 'The client\'s answer to the server\'s 334 challenge, in base64 (RFC 4954 §4)';

/** Said of an entry whose text is masked (the Explain pane, the Markdown handout). */
export const secretNote = 'Secret: masked here, in every export and in saved transcripts.';

/** The reading of a base64 SASL line, as the secret gate left it (the password masked). */
export function decodedNote(decoded: string): string {
	return `base64 decoded: "${decoded}"`;
}

type ExplainedEntry = Pick<TranscriptEntry, 'direction' | 'step' | 'text' | 'secret' | 'explain'>;

/** A line of the message (after DATA's 354): sent by the client in the body step. */
const isMessageLine = (entry: Pick<TranscriptEntry, 'direction' | 'step'>) => entry.direction === 'client' && entry.step === 'body';

/**
 * Whether the message line at `index` is in the header section: no empty message line before it
 * since the last client command. Scans back only to that command or that empty line; a renderer
 * going through a transcript in order keeps the same state with `MessageHeaderTracker`.
 */
export function inMessageHeader(entries: readonly Pick<TranscriptEntry, 'direction' | 'step' | 'text'>[], index: number): boolean {
	for (let at = index - 1; at >= 0; at--) {
		const entry = entries[at]!;
		if (entry.direction !== 'client') continue;
		if (!isMessageLine(entry)) return true;
		if (entry.text === '') return false;
	}

	return true;
}

/** `inMessageHeader` for entries seen in order, one at a time (no scan back: a body may be 100,000 lines). */
export class MessageHeaderTracker {
	private header = true;

	/** Whether `entry` (the next in order) is in the header section, if it is a message line. */
	see(entry: Pick<TranscriptEntry, 'direction' | 'step' | 'text'>): boolean {
		if (entry.direction !== 'client') return this.header;
		if (!isMessageLine(entry)) {
			this.header = true;
			return true;
		}

		const header = this.header;
		if (entry.text === '') this.header = false;
		return header;
	}
}

/**
 * The explanation lines for a client line (none for other directions), before the engine's own
 * notes. `inHeader`: for a message line, whether it is in the header section (inMessageHeader).
 */
export function explainClientLine(entry: ExplainedEntry, inHeader = true): string[] {
	// POP3 and IMAP lines carry their own reading (pop3-explain.ts, imap-explain.ts) in `explain`.
	if (entry.direction !== 'client' || /^(pop|imap)-/.test(entry.step)) return [];
	// A message line: header or body, the blank line between them, a dot-stuffed line, the lone
	// dot. A line typed by hand carries this reading already (the engine attached it).
	if (entry.step === 'body') return entry.explain?.length ? [] : explainMessageLine(entry.text, inHeader);
	const out: string[] = [];
	// SASL answers (base64 lines after AUTH) are not commands; an AUTH line's verb is readable
	// even when its initial response is masked.
	const saslAnswer = entry.step === 'auth' && !/^AUTH /i.test(entry.text);
	if (saslAnswer) out.push(saslAnswerText);
	else if (!entry.secret || entry.step === 'auth') {
		const command = explainCommand(verbOf(entry.text));
		out.push(`${command.summary} (${command.rfc})`);
	}

	if (entry.step === 'starttls') out.push(explainStep(entry.step).summary);
	if (isNullSender(entry.text)) out.push(nullSenderNote);
	return out;
}
