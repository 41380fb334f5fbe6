// Postfix's wording for the replies smtp-server words differently. smtp-server writes every
// reply through one method, SMTPConnection#send(code, data, context); server.ts wraps that
// method per connection and passes each reply through rewriteReply() first. Replies the lab
// composes itself (hook errors) carry their enhanced status code at the start of the text,
// which tells the rewriter to send them exactly as they are.

import type {LabReply, Personality} from './personality.js';
import {authRefusal} from './personality.js';

/** The arguments of SMTPConnection#send: `context` picks the enhanced code, false for none. */
export type Outgoing = {code: number; data?: string | string[] | null; context?: string | false};

export type ReplyState = {
	personality: Personality;
	secure: boolean;
	hostname: string;
	/** The refusal of a too-big message when the too-big fault words it; default Postfix's limit text. */
	tooBig?: LabReply;
	/** The size limit in force now (the too-big fault can change it live): EHLO's SIZE says it. */
	size?: number;
};

const enhancedAtStart = /^[245]\.\d{1,3}\.\d{1,3} /;

/** The text of a hook error: the enhanced code first, so the rewriter sends it verbatim. */
export function replyMessage(reply: LabReply): string {
	return `${reply.enhanced} ${reply.text}`;
}

function verbatim(reply: LabReply): Outgoing {
	return {code: reply.code, data: replyMessage(reply), context: false};
}

// Library text -> Postfix reply, for replies whose wording is all that differs.
// Each key is "<code> <library text>"; a text ending in "*" matches as a prefix.
const sameMeaning: Record<string, (state: ReplyState) => LabReply> = {
	'500 Error: command not recognized': () => ({code: 502, enhanced: '5.5.2', text: 'Error: command not recognized'}),
	'250 OK': () => ({code: 250, enhanced: '2.0.0', text: 'Ok'}), // NOOP
	'250 Flushed': () => ({code: 250, enhanced: '2.0.0', text: 'Ok'}), // RSET
	'503 Error: No identity changes permitted': () => ({code: 503, enhanced: '5.5.1', text: 'Error: already authenticated'}),
	'503 Error: need RCPT command': () => ({code: 554, enhanced: '5.5.1', text: 'Error: no valid recipients'}),
	'552 Error: message exceeds fixed maximum message size*': () => ({
		code: 552,
		enhanced: '5.3.4',
		text: 'Message size exceeds fixed limit',
	}),
	'421 Timeout - closing connection': state => ({
		code: 421,
		enhanced: '4.4.2',
		text: `${state.hostname} Error: timeout exceeded`,
	}),
	'421 Error: too many unrecognized commands': state => ({
		code: 421,
		enhanced: '4.7.0',
		text: `${state.hostname} Error: too many errors`,
	}),
};

/** The keys ending in "*", without it: looked through for every reply, so listed once. */
const prefixMeaning = Object.entries(sameMeaning)
	.filter(([key]) => key.endsWith('*'))
	.map(([key, make]) => [key.slice(0, -1), make] as const);

function lookup(code: number, text: string): ((state: ReplyState) => LabReply) | undefined {
	const line = `${code} ${text}`;
	const exact = sameMeaning[line];
	if (exact) return exact;
	return prefixMeaning.find(([prefix]) => line.startsWith(prefix))?.[1];
}

/** Postfix's EHLO keyword order (PROTOCOL.md §1); unknown keywords keep their place after these. */
const ehloOrder = ['PIPELINING', 'SIZE', 'VRFY', 'ETRN', 'STARTTLS', 'AUTH', 'ENHANCEDSTATUSCODES', '8BITMIME', 'DSN', 'SMTPUTF8', 'CHUNKING'];

function ehloRank(line: string): number {
	const rank = ehloOrder.indexOf(line.split(' ')[0]!.toUpperCase());
	return rank === -1 ? ehloOrder.length : rank;
}

/** Reorders EHLO keywords into Postfix's order; the first line (the host name) stays first. */
export function orderEhlo(lines: string[]): string[] {
	const [first, ...keywords] = lines;
	if (first === undefined) return lines;
	const ranked = keywords.map((line, index) => ({line, index, rank: ehloRank(line)}));
	ranked.sort((a, b) => a.rank - b.rank || a.index - b.index);
	return [first, ...ranked.map(entry => entry.line)];
}

/** Turns one reply smtp-server is about to send into the one the lab sends instead. */
export function rewriteReply(out: Outgoing, state: ReplyState): Outgoing {
	const {code, data, context} = out;
	if (Array.isArray(data)) {
		if (code !== 250) return out;
		const lines = state.size === undefined ? data : data.map(line => (/^SIZE(?: \d+)?$/i.test(line) ? `SIZE ${state.size}` : line));
		return {code, data: orderEhlo(lines), context};
	}

	const text = data ?? '';
	if (enhancedAtStart.test(text)) return {code, data: text, context: false};

	// AUTH is switched off (per session) wherever the lab does not offer it, so smtp-server
	// calls it unrecognized; Postfix says why instead: not enabled here, or not before TLS.
	if (code === 500 && context === 'AUTH' && text === 'Error: command not recognized') return verbatim(authRefusal(state.personality));

	switch (context) {
		case 'MAIL_FROM_OK':
		case 'RCPT_TO_OK': {
			return {code, data: 'Ok', context};
		}

		case 'DATA_OK': {
			// smtp-server would say 2.6.0; Postfix says 2.0.0 with "queued as".
			return {code, data: text, context: undefined};
		}

		default: {
			break;
		}
	}

	const make = lookup(code, text);
	if (make && state.tooBig && code === 552) return verbatim(state.tooBig);
	return make ? verbatim(make(state)) : out;
}
