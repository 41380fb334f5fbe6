// IMAP4rev1 (RFC 3501) without I/O, in the style of python-hyper/h11: bytes in, events out, and
// the bytes to send next. No socket, timer or promise here; a driver feeds `receiveData()` with
// what the peer sent, takes events from `nextEvent()` until it says 'need-data', and writes what
// `send()` and continuation events hand it.
//
// What both sides share lives here too: the framing (a line, and when it ends in a literal
// `{N}`, N raw bytes and then the rest of the line, RFC 3501 §4.3), the parse into a tree
// (emailjs-imap-handler's parser), and the string encoding (quoted when it may be, a literal
// otherwise). Message bytes stay bytes: literals are Buffers end to end, never decoded text.

import handler from 'emailjs-imap-handler';
import type {RawImapNode} from 'emailjs-imap-handler';

// ---------------------------------------------------------------------------------------------
// Parsed lines

/** One element of a parsed IMAP line. Strings and literals keep their bytes. */
export type ImapNode =
	| {type: 'atom'; value: string; section?: ImapNode[]; partial?: [number, number?]}
	| {type: 'string'; value: Buffer}
	| {type: 'literal'; value: Buffer}
	| {type: 'sequence'; value: string}
	| {type: 'text'; value: string}
	| ImapNode[]
	| null;

/** A command (from a client) or a response (from a server): `tag` is '*' for untagged, '+' never (see framing). */
export type ImapLine = {tag: string; command: string; attributes: ImapNode[]};

/** The peer sent bytes that are not IMAP: the remote side's fault (h11's RemoteProtocolError). */
export class ImapSyntaxError extends Error {}

function convert(node: RawImapNode): ImapNode {
	if (node === null || node === undefined) return null;
	if (Array.isArray(node)) return node.map(convert);
	const bytes = typeof node.value === 'string' ? Buffer.from(node.value, 'latin1') : Buffer.from(node.value);
	switch (node.type) {
		case 'STRING':
			return {type: 'string', value: bytes};
		case 'LITERAL':
			return {type: 'literal', value: bytes};
		case 'SEQUENCE':
			return {type: 'sequence', value: bytes.toString('latin1')};
		case 'TEXT':
			return {type: 'text', value: bytes.toString('utf8')};
		default: {
			const atom: ImapNode = {type: 'atom', value: bytes.toString('latin1')};
			if (node.section) atom.section = node.section.map(convert);
			if (node.partial) atom.partial = [node.partial[0]!, node.partial[1]];
			return atom;
		}
	}
}

/** Parses one whole command or response (literals inline, no final CRLF). */
export function parseImapLine(bytes: Buffer): ImapLine {
	let raw;
	try {
		raw = handler.parser(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), {valueAsString: false});
	} catch (error) {
		throw new ImapSyntaxError((error as Error).message);
	}

	return {tag: raw.tag, command: raw.command.toUpperCase(), attributes: (raw.attributes ?? []).map(convert)};
}

/**
 * Parses one whole command from a client. emailjs-imap-handler 3.0.6 refuses a sequence set
 * holding a lone `*` (`FETCH * FLAGS`, `STORE 2,* ...`), which clients send: such a `*` is
 * rewritten as the range `*:*`, which means the same (RFC 3501 §9: seq-range), before parsing.
 */
export function parseImapCommand(bytes: Buffer): ImapLine {
	const head = /^(\S+ (?:UID )?(?:FETCH|STORE|COPY|SEARCH) )([\d:*,]{1,1000})(?= |$)/i.exec(bytes.subarray(0, 1100).toString('latin1'));
	if (!head || !head[2]!.includes('*')) return parseImapLine(bytes);
	const set = head[2]!.split(',').map(part => (part === '*' ? '*:*' : part)).join(',');
	return parseImapLine(Buffer.concat([Buffer.from(head[1] + set, 'latin1'), bytes.subarray(head[0].length)]));
}

/** The text of an atom, string or literal node; undefined for lists, NIL and the rest. */
export function nodeText(node: ImapNode | undefined): string | undefined {
	if (!node || Array.isArray(node)) return undefined;
	if (node.type === 'string' || node.type === 'literal') return node.value.toString('utf8');
	if (node.type === 'atom' || node.type === 'sequence') return node.value;
	return undefined;
}

/** The bytes of a string or literal node (NIL: undefined). */
export function nodeBytes(node: ImapNode | undefined): Buffer | undefined {
	if (!node || Array.isArray(node)) return undefined;
	if (node.type === 'string' || node.type === 'literal') return node.value;
	if (node.type === 'atom') return Buffer.from(node.value, 'latin1');
	return undefined;
}

// ---------------------------------------------------------------------------------------------
// Encoding

/**
 * A string as IMAP wants it (RFC 3501 §4.3): quoted when every byte is 7-bit text with no CR,
 * LF or NUL, a literal `{N}\r\n` + bytes otherwise. Quoted strings escape `"` and `\`.
 */
export function imapString(value: Buffer | string): Buffer {
	const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
	if (bytes.length <= 1024 && bytes.every(byte => byte > 0 && byte < 0x80 && byte !== 0x0a && byte !== 0x0d)) {
		return Buffer.from(`"${bytes.toString('latin1').replace(/["\\]/g, '\\$&')}"`, 'latin1');
	}

	return Buffer.concat([Buffer.from(`{${bytes.length}}\r\n`, 'latin1'), bytes]);
}

/** NIL for an absent value, else imapString. */
export function imapNString(value: Buffer | string | undefined): Buffer {
	return value === undefined ? Buffer.from('NIL') : imapString(value);
}

// ---------------------------------------------------------------------------------------------
// Framing

export type FrameLimits = {
	/** Longest line piece (the text between literals), CRLF included. */
	maxLineLength: number;
	/** Largest literal accepted. */
	maxLiteralSize: number;
	/** Largest whole command or response, literals included. */
	maxMessageSize: number;
};

export type FrameEvent =
	/** One whole command or response: its lines and literals, without the final CRLF. */
	| {type: 'message'; bytes: Buffer}
	/** A literal was announced; its bytes come next. The server answers a synchronizing one with `+`. */
	| {type: 'literal'; size: number; synchronizing: boolean; prefix: Buffer}
	/**
	 * A limit was crossed: what was buffered of this message is dropped. `prefix` holds its first
	 * line so far (to find a tag). After 'line-too-long' the rest of the stream cannot be trusted.
	 */
	| {type: 'error'; reason: 'line-too-long' | 'literal-too-large' | 'message-too-large'; prefix: Buffer; synchronizing?: boolean};

const literalAtEnd = /\{(\d{1,10})(\+?)\}$/;

/** Cuts a byte stream into IMAP commands or responses. Bounded: never holds more than the limits. */
export class ImapFramer {
	private input: Buffer = Buffer.alloc(0);
	private parts: Buffer[] = [];
	private size = 0;
	private literalLeft = 0;

	constructor(private readonly limits: FrameLimits) {}

	push(data: Buffer): void {
		this.input = this.input.length === 0 ? Buffer.from(data) : Buffer.concat([this.input, data]);
	}

	/** Drops everything buffered (after STARTTLS: nothing sent in clear runs inside TLS). */
	clear(): Buffer {
		const dropped = Buffer.concat([...this.parts, this.input]);
		this.input = Buffer.alloc(0);
		this.reset();
		return dropped;
	}

	/** Bytes held that are not yet part of a whole message. */
	get buffered(): number {
		return this.input.length + this.size;
	}

	/** The next frame event, or undefined when more bytes are needed. */
	next(): FrameEvent | undefined {
		while (true) {
			if (this.literalLeft > 0) {
				if (this.input.length === 0) return undefined;
				const take = Math.min(this.literalLeft, this.input.length);
				this.parts.push(this.input.subarray(0, take));
				this.input = this.input.subarray(take);
				this.literalLeft -= take;
				continue;
			}

			const lf = this.input.indexOf(0x0a);
			const pieceLength = lf === -1 ? this.input.length : lf + 1;
			if (pieceLength > this.limits.maxLineLength) {
				const prefix = this.firstLine(this.input.subarray(0, Math.min(pieceLength, 200)));
				this.input = lf === -1 ? Buffer.alloc(0) : this.input.subarray(lf + 1);
				this.reset();
				return {type: 'error', reason: 'line-too-long', prefix};
			}

			if (lf === -1) return undefined;
			const end = lf > 0 && this.input[lf - 1] === 0x0d ? lf - 1 : lf;
			const line = this.input.subarray(0, end);
			this.input = this.input.subarray(lf + 1);
			if (this.size + line.length > this.limits.maxMessageSize) {
				const prefix = this.firstLine(line);
				this.reset();
				return {type: 'error', reason: 'message-too-large', prefix};
			}

			const literal = literalAtEnd.exec(line.subarray(Math.max(0, line.length - 14)).toString('latin1'));
			if (!literal) {
				this.parts.push(line);
				const bytes = Buffer.concat(this.parts);
				this.reset();
				return {type: 'message', bytes};
			}

			const size = Number(literal[1]);
			const synchronizing = literal[2] !== '+';
			const prefix = this.firstLine(line);
			if (size > this.limits.maxLiteralSize || this.size + line.length + 2 + size > this.limits.maxMessageSize) {
				this.reset();
				return {type: 'error', reason: size > this.limits.maxLiteralSize ? 'literal-too-large' : 'message-too-large', prefix, synchronizing};
			}

			this.parts.push(line, Buffer.from('\r\n'));
			this.size += line.length + 2 + size;
			this.literalLeft = size;
			return {type: 'literal', size, synchronizing, prefix};
		}
	}

	private firstLine(line: Buffer): Buffer {
		return Buffer.from(this.parts.length > 0 ? this.parts[0]! : line);
	}

	private reset(): void {
		this.parts = [];
		this.size = 0;
		this.literalLeft = 0;
	}
}

// ---------------------------------------------------------------------------------------------
// Sequence sets (RFC 3501 §9: sequence-set)

/** One range of a sequence set; `*` is Infinity until resolved against the mailbox. */
export type SequenceRange = [number, number];

/** Parses `1:3,5,7:*`; undefined if it is not a sequence set. Numbers are 1 to 2^32-1. */
export function parseSequenceSet(text: string): SequenceRange[] | undefined {
	if (text.length === 0 || text.length > 1000) return undefined;
	const ranges: SequenceRange[] = [];
	for (const part of text.split(',')) {
		const match = /^(\d{1,10}|\*)(?::(\d{1,10}|\*))?$/.exec(part);
		if (!match) return undefined;
		const first = match[1] === '*' ? Infinity : Number(match[1]);
		const last = match[2] === undefined ? first : match[2] === '*' ? Infinity : Number(match[2]);
		for (const value of [first, last]) if (value === 0 || (value !== Infinity && value > 4_294_967_295)) return undefined;
		ranges.push(first <= last ? [first, last] : [last, first]);
	}

	return ranges;
}

/** Whether `value` is in the set, `*` standing for `largest` (RFC 3501 §6.4.8: `n:*` always includes the largest). */
export function inSequenceSet(ranges: SequenceRange[], value: number, largest: number): boolean {
	return ranges.some(([first, last]) => {
		const low = first === Infinity ? largest : first;
		const high = last === Infinity ? largest : last;
		return value >= Math.min(low, high) && value <= Math.max(low, high);
	});
}

// ---------------------------------------------------------------------------------------------
// The client conversation

/** An argument of a command: an atom as written, a string (quoted or literal as needed), or raw text (a fetch list). */
export type ImapArgument = {atom: string} | {string: string | Buffer} | {raw: string};

export type ImapCommand = {
	/** The command name, e.g. 'LOGIN', 'UID FETCH'. */
	name: string;
	args?: ImapArgument[];
	/**
	 * Lines the server asks for with `+` (an AUTHENTICATE exchange), each sent without its CRLF
	 * here; the conversation adds it. Literals inside `args` are handled on their own.
	 */
	continuations?: Buffer[];
};

export type ImapResponseStatus = 'OK' | 'NO' | 'BAD' | 'PREAUTH' | 'BYE';

/** A status response's `[CODE args]` and the human text after it. */
export type ImapStatusText = {code?: string; codeArgs?: ImapNode[]; text: string};

export type ImapEvent =
	/** The server's first line: OK (log in next), PREAUTH (already logged in) or BYE (go away). */
	| ({type: 'greeting'; status: 'OK' | 'PREAUTH' | 'BYE'; raw: Buffer} & ImapStatusText)
	/** An untagged `*` response: data (CAPABILITY, LIST, FLAGS, n EXISTS, n FETCH, ...) or status (OK, NO, BAD, BYE). */
	| {type: 'untagged'; line: ImapLine; raw: Buffer}
	/** `+`: the server waits for more of the current command; `send` is what to write now (may be empty). */
	| {type: 'continuation'; text: string; send: Buffer; raw: Buffer}
	/** The tagged end of a command. `startTls`: the driver must upgrade to TLS now, then call tlsStarted(). */
	| ({type: 'tagged'; tag: string; command: string; status: 'OK' | 'NO' | 'BAD'; raw: Buffer; startTls: boolean} & ImapStatusText)
	/**
	 * Bytes the server sent after its STARTTLS OK and before the handshake: whoever sent them is
	 * not the server we will talk to inside TLS, so they are dropped, never read as replies.
	 */
	| {type: 'discarded'; bytes: Buffer}
	/** The server broke the protocol; the conversation is over. */
	| {type: 'protocol-error'; message: string}
	/** The server closed the connection (after `receiveData` of an empty buffer). */
	| {type: 'closed'};

/** nextEvent()'s answer when it has nothing more until more bytes arrive. */
export const needData = 'need-data';

/** Misuse of the conversation by its caller (h11's LocalProtocolError). */
export class ImapUsageError extends Error {}

export type ImapClientLimits = FrameLimits & {
	/** Untagged responses taken before the conversation gives up (an endless stream). */
	maxUntagged: number;
};

export const defaultImapClientLimits: ImapClientLimits = {
	maxLineLength: 65_536,
	maxLiteralSize: 64 * 1024 * 1024,
	maxMessageSize: 65 * 1024 * 1024,
	maxUntagged: 1_000_000,
};

type Pending = {tag: string; command: string; chunks: Buffer[]};

/** The client side of one IMAP connection. */
export class ImapClientConversation {
	/** 'greeting': waiting for the first line; 'open'; 'tls': waiting for the driver's handshake; 'closed'. */
	state: 'greeting' | 'open' | 'tls' | 'closed' = 'greeting';
	private readonly framer: ImapFramer;
	private readonly limits: ImapClientLimits;
	private readonly queue: ImapEvent[] = [];
	private readonly inFlight: Pending[] = [];
	private counter = 0;
	private untagged = 0;
	private eof = false;

	constructor(limits: Partial<ImapClientLimits> = {}, private readonly tagPrefix = 'A') {
		this.limits = {...defaultImapClientLimits, ...limits};
		this.framer = new ImapFramer(this.limits);
	}

	/** Feeds what the server sent; an empty buffer means the server closed the connection. */
	receiveData(data: Buffer): void {
		if (this.state === 'closed') return;
		if (data.length === 0) {
			this.eof = true;
			return;
		}

		if (this.state === 'tls') {
			this.queue.push({type: 'discarded', bytes: Buffer.from(data)});
			return;
		}

		this.framer.push(data);
	}

	/** The next event, or 'need-data'. */
	nextEvent(): ImapEvent | typeof needData {
		const queued = this.queue.shift();
		if (queued) return queued;
		if (this.state === 'closed') return needData;
		if (this.state !== 'tls') {
			const frame = this.framer.next();
			if (frame) return this.onFrame(frame);
		}

		if (this.eof) {
			this.state = 'closed';
			return {type: 'closed'};
		}

		return needData;
	}

	/**
	 * Starts a command: returns its tag and the bytes to write now (up to its first synchronizing
	 * literal; the rest comes with the server's `+`). Refuses CR, LF and NUL outside literals.
	 */
	send(command: ImapCommand): {tag: string; bytes: Buffer} {
		if (this.state !== 'open') throw new ImapUsageError(`A command cannot be sent while the conversation is ${this.state === 'greeting' ? 'waiting for the greeting' : this.state === 'tls' ? 'waiting for the TLS handshake' : 'closed'}.`);
		if (!/^[A-Za-z][A-Za-z0-9 .-]*$/.test(command.name)) throw new ImapUsageError(`"${command.name}" is not an IMAP command name.`);
		// Everything that can be refused is checked before a tag is spent.
		const encodedArgs = (command.args ?? []).map(encodeArgument);
		for (const line of command.continuations ?? []) {
			if (line.includes(0x0d) || line.includes(0x0a)) throw new ImapUsageError('A continuation line cannot hold CR or LF.');
		}

		this.counter++;
		const tag = `${this.tagPrefix}${this.counter}`;
		const chunks: Buffer[] = [];
		let current: Buffer[] = [Buffer.from(`${tag} ${command.name}`, 'latin1')];
		for (const encoded of encodedArgs) {
			current.push(Buffer.from(' '));
			// A literal: send up to and including "{N}\r\n", then wait for "+" before its bytes.
			const brace = /^\{(\d+)\}\r\n/.exec(encoded.subarray(0, 16).toString('latin1'));
			if (brace) {
				const head = brace[0].length;
				current.push(encoded.subarray(0, head));
				chunks.push(Buffer.concat(current));
				current = [encoded.subarray(head)];
			} else {
				current.push(encoded);
			}
		}

		current.push(Buffer.from('\r\n'));
		chunks.push(Buffer.concat(current));
		for (const line of command.continuations ?? []) chunks.push(Buffer.concat([line, Buffer.from('\r\n')]));
		this.inFlight.push({tag, command: command.name.toUpperCase(), chunks: chunks.slice(1)});
		return {tag, bytes: chunks[0]!};
	}

	/** The driver finished the TLS handshake after STARTTLS: responses are read again. */
	tlsStarted(): void {
		if (this.state !== 'tls') throw new ImapUsageError('tlsStarted() without a STARTTLS OK.');
		this.state = 'open';
	}

	/** The tag the next command will carry (to show it before it goes out). */
	get nextTag(): string {
		return `${this.tagPrefix}${this.counter + 1}`;
	}

	/** Bytes held that are not yet a whole response. */
	get buffered(): number {
		return this.framer.buffered;
	}

	/** Tags sent and not yet answered, oldest first. */
	get pending(): string[] {
		return this.inFlight.map(entry => entry.tag);
	}

	private fail(message: string): ImapEvent {
		this.state = 'closed';
		return {type: 'protocol-error', message};
	}

	private onFrame(frame: FrameEvent): ImapEvent | typeof needData {
		if (frame.type === 'literal') return this.nextEvent();
		if (frame.type === 'error') {
			const what = frame.reason === 'line-too-long' ? `a line longer than ${this.limits.maxLineLength} bytes` : `a response larger than ${frame.reason === 'literal-too-large' ? this.limits.maxLiteralSize : this.limits.maxMessageSize} bytes`;
			return this.fail(`The server sent ${what}.`);
		}

		const raw = frame.bytes;
		if (raw[0] === 0x2b /* + */) return this.onContinuation(raw);
		let line: ImapLine;
		try {
			line = parseImapLine(raw);
		} catch (error) {
			return this.fail(`The server sent a line that is not IMAP (${(error as Error).message}).`);
		}

		if (this.state === 'greeting') {
			const status = line.command;
			if (line.tag !== '*' || (status !== 'OK' && status !== 'PREAUTH' && status !== 'BYE')) return this.fail('The server\'s first line is not an IMAP greeting (* OK, * PREAUTH or * BYE).');
			this.state = status === 'BYE' ? 'closed' : 'open';
			return {type: 'greeting', status, raw, ...statusText(line)};
		}

		if (line.tag === '*') {
			this.untagged++;
			if (this.untagged > this.limits.maxUntagged) return this.fail(`The server sent more than ${this.limits.maxUntagged} untagged responses.`);
			return {type: 'untagged', line, raw};
		}

		const index = this.inFlight.findIndex(entry => entry.tag === line.tag);
		if (index === -1) return this.fail(`The server answered tag ${line.tag.slice(0, 40)}, which was never sent.`);
		const status = line.command;
		if (status !== 'OK' && status !== 'NO' && status !== 'BAD') return this.fail(`The server ended a command with "${status.slice(0, 20)}", not OK, NO or BAD.`);
		const [entry] = this.inFlight.splice(index, 1);
		const startTls = entry!.command === 'STARTTLS' && status === 'OK';
		if (startTls) {
			this.state = 'tls';
			const early = this.framer.clear();
			if (early.length > 0) this.queue.push({type: 'discarded', bytes: early});
		}

		return {type: 'tagged', tag: line.tag, command: entry!.command, status, raw, startTls, ...statusText(line)};
	}

	private onContinuation(raw: Buffer): ImapEvent {
		const text = raw.subarray(raw[1] === 0x20 ? 2 : 1).toString('utf8');
		// The oldest command still holding bytes is the one the server is asking to go on.
		const waiting = this.inFlight.find(entry => entry.chunks.length > 0);
		if (!waiting) return this.fail('The server sent "+" but no command was waiting for it.');
		return {type: 'continuation', text, send: waiting.chunks.shift()!, raw};
	}
}

function encodeArgument(argument: ImapArgument): Buffer {
	if ('string' in argument) return imapString(argument.string);
	const text = 'atom' in argument ? argument.atom : argument.raw;
	if (/[\r\n\0]/.test(text)) throw new ImapUsageError('An IMAP argument cannot hold CR, LF or NUL.');
	if ('atom' in argument && !/^[^\s()"{}%*\\\]\x00-\x1f\x7f]+$/.test(text) && !/^\\[A-Za-z]+$/.test(text)) throw new ImapUsageError(`"${text}" is not an IMAP atom.`);
	return Buffer.from(text, 'utf8');
}

/** The `[CODE args]` and text of a status response (OK, NO, BAD, BYE, PREAUTH). */
export function statusText(line: ImapLine): ImapStatusText {
	const first = line.attributes[0];
	const textNode = line.attributes.find(node => node !== null && !Array.isArray(node) && node.type === 'text');
	const text = textNode && !Array.isArray(textNode) && textNode.type === 'text' ? textNode.value : '';
	if (first && !Array.isArray(first) && first.type === 'atom' && first.value === '' && first.section) {
		const [code, ...codeArgs] = first.section;
		return {code: nodeText(code ?? undefined)?.toUpperCase(), codeArgs, text};
	}

	return {text};
}

// ---------------------------------------------------------------------------------------------
// Reading data responses

/** The items of an untagged `* n FETCH (...)`, by name as the server wrote it (`BODY[HEADER]`, `FLAGS`, ...). */
export type FetchData = {seq: number; items: Map<string, ImapNode>};

/** `* n FETCH (...)` as a FetchData; undefined for any other line. */
export function fetchData(line: ImapLine): FetchData | undefined {
	if (line.tag !== '*' || !/^\d+$/.test(line.command)) return undefined;
	const [kind, list] = line.attributes;
	if (nodeText(kind ?? undefined)?.toUpperCase() !== 'FETCH' || !Array.isArray(list)) return undefined;
	const items = new Map<string, ImapNode>();
	for (let index = 0; index + 1 < list.length; index += 2) {
		const name = list[index];
		if (!name || Array.isArray(name) || name.type !== 'atom') return undefined;
		items.set(itemName(name), list[index + 1] ?? null);
	}

	return {seq: Number(line.command), items};
}

/** A fetch item's name as written: `BODY[HEADER.FIELDS (SUBJECT)]<0>`. */
function itemName(atom: {value: string; section?: ImapNode[]; partial?: [number, number?]}): string {
	let name = atom.value.toUpperCase();
	if (atom.section) name += `[${atom.section.map(sectionText).join(' ')}]`;
	if (atom.partial) name += `<${atom.partial[0]}>`;
	return name;
}

function sectionText(node: ImapNode): string {
	if (Array.isArray(node)) return `(${node.map(sectionText).join(' ')})`;
	return (nodeText(node ?? undefined) ?? '').toUpperCase();
}

/** The flags of a FLAGS item (a list of atoms). */
export function flagList(node: ImapNode | undefined): string[] {
	return Array.isArray(node) ? node.map(flag => nodeText(flag) ?? '').filter(Boolean) : [];
}

/** Capabilities from `* CAPABILITY ...` or a `[CAPABILITY ...]` code, upper-cased. */
export function capabilityList(nodes: ImapNode[]): string[] {
	return nodes.map(node => nodeText(node ?? undefined)?.toUpperCase() ?? '').filter(Boolean);
}
