// Dot-stuffing as RFC 5321 §4.5.2 says the receiver undoes it: "If the first character is a
// period and there are other characters on the line, the first character is deleted." Postfix's
// smtpd does exactly that. smtp-server only deletes the first dot of a line that starts with
// two ("..x" → ".x") and keeps the dot of ".x", so both ".x" and "..x" reach onData as ".x":
// the stream alone cannot say which line lost a dot. The gate sees the client's plaintext as
// it arrives (gate.ts); a DotLines per connection notes, for each message line that starts
// with a dot, whether the client sent it with one dot or more. onData claims those notes for
// its message and undoes smtp-server's half of the rule with undotMessage().
//
// Which lines are a message's: those after the last DATA command line, up to the lone dot.
// A refused DATA leaves notes nobody claims; the next DATA line starts them afresh. A client
// that waits for 354, as RFC 2920 §3.1 requires even with PIPELINING, sends no message line
// before onData has claimed them. One that sends the message in the same packet as DATA is
// read correctly too, unless a line of that message is itself "DATA".

const LF = 0x0a;
const DOT = 0x2e;

/** At most this many single-dot lines are noted per message; past it the message is kept as smtp-server gave it. */
export const maxSingleDotLines = 100_000;

/** The notes about one message (or what follows a DATA line that may turn out refused). */
export type DotNotes = {
	/** Lines seen that start with a dot, the lone dot excluded. */
	dotLines: number;
	/** Indexes (among those) of lines the client sent with a single leading dot. */
	single: number[];
	/** Too many single-dot lines to note: the notes are not used. */
	overflow: boolean;
	/** The lone dot has been seen: no more lines belong here. */
	ended: boolean;
	/** onData took these notes for its message. */
	claimed: boolean;
};

function freshNotes(): DotNotes {
	return {dotLines: 0, single: [], overflow: false, ended: false, claimed: false};
}

/** How much of a line is kept to tell what it is: a DATA command fits (smtp-server reads "DATA" and "DATA anything"). */
const headBytes = 16;
const dataCommand = /^data(?: [^\r\n]*)?\r?\n$/i;

function isDataCommand(head: string, length: number): boolean {
	return length <= headBytes && dataCommand.test(head);
}

/** Watches one connection's plaintext, line by line (LF ends a line, as for smtp-server's dot handling). */
export class DotLines {
	/** `bareLfEndsData`: "<LF>.<LF>" ends a message too (the smuggling personality's parser). */
	constructor(private readonly bareLfEndsData = false) {}

	private notes: DotNotes | undefined;
	/** The first bytes of the current line (up to headBytes). */
	private head = '';
	private lineLength = 0;

	/** Feeds the next bytes the client sent. */
	feed(chunk: Buffer): void {
		let start = 0;
		while (start < chunk.length) {
			const lf = chunk.indexOf(LF, start);
			const end = lf === -1 ? chunk.length : lf + 1;
			if (this.head.length < headBytes) this.head += chunk.toString('latin1', start, Math.min(end, start + headBytes - this.head.length));
			this.lineLength += end - start;
			if (lf === -1) return;
			this.line();
			start = end;
		}
	}

	/** onData: the notes of the message now being received, if a DATA line was seen. */
	claim(): DotNotes | undefined {
		const notes = this.notes;
		if (!notes || notes.claimed) return undefined;
		notes.claimed = true;
		return notes;
	}

	private line(): void {
		const head = this.head;
		const length = this.lineLength;
		this.head = '';
		this.lineLength = 0;
		const notes = this.notes;
		const data = isDataCommand(head, length);
		if (notes && !notes.ended) {
			if (head.charCodeAt(0) === DOT) {
				this.dotLine(notes, head, length);
				return;
			}

			// A message line, or a command after a refused DATA: only a claimed message goes on past "DATA".
			if (notes.claimed || !data) return;
		}

		if (data) this.notes = freshNotes();
	}

	private dotLine(notes: DotNotes, head: string, length: number): void {
		if ((length === 3 && head === '.\r\n') || (this.bareLfEndsData && length === 2 && head === '.\n')) {
			notes.ended = true;
			return;
		}

		if (head.charCodeAt(1) !== DOT) {
			if (notes.single.length >= maxSingleDotLines) notes.overflow = true;
			else notes.single.push(notes.dotLines);
		}

		notes.dotLines++;
	}
}

/**
 * The message as RFC 5321 §4.5.2 has it, from the bytes smtp-server passed to onData: every
 * line the client sent with a single leading dot loses it (smtp-server already took one dot off
 * lines that started with two). Without usable notes the bytes are returned as they are.
 */
export function undotMessage(received: Buffer, notes: DotNotes | undefined): Buffer {
	if (!notes || notes.overflow || notes.single.length === 0) return received;
	const single = new Set(notes.single);
	const parts: Buffer[] = [];
	let dotLine = 0;
	let copied = 0;
	let lineStart = 0;
	while (lineStart < received.length) {
		if (received[lineStart] === DOT) {
			if (single.has(dotLine)) {
				parts.push(received.subarray(copied, lineStart));
				copied = lineStart + 1;
			}

			dotLine++;
		}

		const lf = received.indexOf(LF, lineStart);
		if (lf === -1) break;
		lineStart = lf + 1;
	}

	// Counts that disagree mean the notes are not this message's: keep what smtp-server gave.
	if (dotLine !== notes.dotLines) return received;
	parts.push(received.subarray(copied));
	return Buffer.concat(parts);
}
