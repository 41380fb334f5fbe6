// A step-through POP3 client (RFC 1939, CAPA RFC 2449, STLS RFC 2595), in the shape of the SMTP
// Session: `step()` performs exactly one step and appends transcript entries, `peek()` says
// what the next step will send before it goes out. Three parts, as in the SMTP engine:
// - Pop3ResponseParser: sans-I/O, fed whatever bytes arrive; knows single-line and
//   multi-line (dot-terminated, byte-stuffed) responses; bounded memory.
// - the plan (nextPop3Step): pure, from the state so far to the next step.
// - Pop3Connection: the thin driver over node:net / node:tls (implicit TLS on 995, STLS on 110).
// The password is only ever written to the socket: the transcript holds `PASS ********`.

import {Buffer} from 'node:buffer';
import net from 'node:net';
import tls from 'node:tls';
import {LocalInputError, RemoteProtocolError, type RemoteProtocolErrorKind} from '../protocol/errors.js';
import {describeCapaChange, explainPop3Capability, explainPop3Command, explainPop3Response, explainPop3Step, type Pop3Status} from '../protocol/pop3-explain.js';
import {MASK, SecretGate, type PlannedLine} from '../protocol/redact.js';
import {safeText} from '../protocol/safe-text.js';
import type {Direction, Pop3StepKind, TlsFacts, TranscriptEntry, TranscriptStep} from '../protocol/transcript.js';
import {connectTcp, describeCertError, formatTarget, handshake, writeWithDeadline, type TlsOptions} from './connection.js';
import {exitCodes} from './exit-codes.js';
import {describeSocketError, SessionFailure} from './failure.js';
import type {StepOutcome} from './session.js';

// ——— responses: sans-I/O parsing ———

export type Pop3Response = {
	ok: boolean;
	status: Pop3Status;
	/** Text after the status word; may start with a response code such as "[AUTH]". */
	text: string;
	/** The RFC 2449 response code without its brackets ("AUTH", "SYS/TEMP"), when present. */
	code?: string;
	/** The status line as received, without its line ending. Untrusted: render through safeText(). */
	raw: string;
	/** A multi-line response's lines as received (still byte-stuffed), without the final ".". */
	rawLines: string[];
	/** A multi-line response's content, byte-stuffing undone, every line ended by CRLF: for RETR, the message's exact bytes. */
	data?: Buffer;
	/** Some line ended with a bare LF instead of CRLF (a deviation worth showing). */
	bareLf: boolean;
};

export type Pop3ParserLimits = {
	/** Longest status line, in bytes without its line ending (RFC 2449 §4: 512 with CRLF; some slack). */
	maxStatusLength: number;
	/** Longest line inside a multi-line response (a message line). */
	maxLineLength: number;
	/** Most bytes held for responses not yet taken (a whole message while RETR arrives). */
	maxBuffered: number;
};

export const defaultPop3ParserLimits: Pop3ParserLimits = {
	maxStatusLength: 1024,
	maxLineLength: 1024 * 1024,
	// The lab takes messages up to 10,240,000 bytes; byte-stuffing adds a little.
	maxBuffered: 32 * 1024 * 1024,
};

/** The server broke POP3's format, or sent more than the parser will hold. */
export class Pop3ParseError extends RemoteProtocolError {}

type Line = {bytes: Buffer; bareLf: boolean};

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const statusShape = /^(\+OK|-ERR)(?:[ \t](.*))?$/s;
const codeShape = /^\[([^\]\s]+)\]/;

/**
 * Splits bytes into lines and lines into responses. Whether a response is multi-line depends on
 * the command it answers, so the caller says so when it takes one: take(true) after RETR, CAPA,
 * LIST and UIDL without argument, TOP. Any split of the same bytes gives the same responses.
 */
export class Pop3ResponseParser {
	private readonly limits: Pop3ParserLimits;
	private lines: Line[] = [];
	private linesBytes = 0;
	private partial: Buffer[] = [];
	private partialLength = 0;
	/** Where the search for a multi-line terminator goes on (lines before it hold no "."). */
	private scanFrom = 1;

	constructor(limits?: Partial<Pop3ParserLimits>) {
		this.limits = {...defaultPop3ParserLimits, ...limits};
	}

	/** Bytes held that no response has taken yet. */
	get buffered(): number {
		return this.linesBytes + this.partialLength;
	}

	/** Adds received bytes; throws a Pop3ParseError when a cap would be broken. */
	feed(chunk: Uint8Array): void {
		const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
		let pos = 0;
		while (pos < bytes.length) {
			const lf = bytes.indexOf(LF, pos);
			const piece = bytes.subarray(pos, lf === -1 ? bytes.length : lf);
			this.hold(piece);
			if (lf === -1) break;
			this.endLine();
			pos = lf + 1;
		}
	}

	/**
	 * The next whole response, or undefined while it is incomplete. `multiLine`: the command
	 * answered expects a dot-terminated body after +OK (a -ERR is always one line).
	 */
	take(multiLine: boolean): Pop3Response | undefined {
		const first = this.lines[0];
		if (!first) return undefined;
		const status = parseStatus(first);
		if (!multiLine || !status.ok) {
			this.consume(1);
			return status;
		}

		for (let index = this.scanFrom; index < this.lines.length; index++) {
			const line = this.lines[index]!;
			if (line.bytes.length === 1 && line.bytes[0] === DOT) {
				const body = this.lines.slice(1, index);
				this.consume(index + 1);
				return withBody(status, body, first.bareLf || line.bareLf);
			}
		}

		this.scanFrom = this.lines.length;
		return undefined;
	}

	/** Returns and forgets everything held (bytes a server sent after its +OK to STLS). */
	takeRemainder(): Buffer {
		const parts: Buffer[] = [];
		for (const line of this.lines) parts.push(line.bytes, Buffer.from(line.bareLf ? '\n' : '\r\n'));
		parts.push(...this.partial);
		this.lines = [];
		this.linesBytes = 0;
		this.partial = [];
		this.partialLength = 0;
		this.scanFrom = 1;
		return Buffer.concat(parts);
	}

	private consume(count: number): void {
		const taken = this.lines.splice(0, count);
		for (const line of taken) this.linesBytes -= line.bytes.length + 2;
		this.scanFrom = 1;
	}

	private hold(piece: Buffer): void {
		if (piece.length === 0) return;
		const length = this.partialLength + piece.length;
		// A CR at the end may be the first half of CRLF: it does not count towards the line.
		const counted = piece[piece.length - 1] === CR ? length - 1 : length;
		const cap = this.lines.length === 0 ? this.limits.maxStatusLength : this.limits.maxLineLength;
		if (counted > cap) throw parseError('line-too-long', `The server sent a line longer than ${cap} bytes.`);
		if (this.linesBytes + length > this.limits.maxBuffered) {
			throw parseError('too-much-buffered', `The server sent more than ${this.limits.maxBuffered} bytes without finishing a response.`);
		}

		// Copied: the caller may reuse its buffer after feed() returns.
		this.partial.push(Buffer.from(piece));
		this.partialLength = length;
	}

	private endLine(): void {
		const whole = Buffer.concat(this.partial, this.partialLength);
		this.partial = [];
		this.partialLength = 0;
		const crlf = whole.length > 0 && whole[whole.length - 1] === CR;
		const bytes = crlf ? whole.subarray(0, -1) : whole;
		this.lines.push({bytes, bareLf: !crlf});
		// Counted as if CRLF-ended, so the total matches what take() hands out.
		this.linesBytes += bytes.length + 2;
	}
}

function parseError(kind: RemoteProtocolErrorKind, message: string): Pop3ParseError {
	return new Pop3ParseError(kind, message);
}

function parseStatus(line: Line): Pop3Response {
	const raw = line.bytes.toString('utf8');
	const match = statusShape.exec(raw);
	if (!match) {
		const shown = raw.length > 60 ? `${raw.slice(0, 60)}…` : raw;
		throw parseError('malformed', `The server sent a line that is not a POP3 status (+OK or -ERR): "${safeText(shown)}".`);
	}

	const text = match[2] ?? '';
	const code = codeShape.exec(text)?.[1];
	return {ok: match[1] === '+OK', status: match[1] as Pop3Status, text, ...(code ? {code} : {}), raw, rawLines: [], bareLf: line.bareLf};
}

function withBody(status: Pop3Response, body: Line[], bareLf: boolean): Pop3Response {
	const crlf = Buffer.from('\r\n');
	const parts: Buffer[] = [];
	for (const line of body) {
		// RFC 1939 §3: a line that starts with "." had one more "." put in front of it.
		parts.push(line.bytes[0] === DOT ? line.bytes.subarray(1) : line.bytes, crlf);
	}

	return {
		...status,
		rawLines: body.map(line => line.bytes.toString('utf8')),
		data: Buffer.concat(parts),
		bareLf: bareLf || body.some(line => line.bareLf),
	};
}

/** True when `line`'s +OK answer is dot-terminated (RFC 1939 §5, RFC 2449 §5). */
export function expectsMultiLine(line: string): boolean {
	const [verb = '', ...args] = line.trim().split(/\s+/);
	switch (verb.toUpperCase()) {
		case 'CAPA':
		case 'RETR':
		case 'TOP':
			return true;
		case 'LIST':
		case 'UIDL':
			return args.length === 0;
		default:
			return false;
	}
}

// ——— the plan: pure ———

export type Pop3TlsMode = 'auto' | 'implicit' | 'stls' | 'none';

export type Pop3PlanState = {
	connected: boolean;
	ended: boolean;
	tls: boolean;
	/** CAPA asked since the last change of TLS state (or skipped, or refused). */
	capaDone: boolean;
	/** The last CAPA list, one capability per line; undefined before CAPA or when refused. */
	capabilities?: string[];
	stlsDone: boolean;
	userDone: boolean;
	passDone: boolean;
	authenticated: boolean;
	statDone: boolean;
	listDone: boolean;
	retrDone: boolean;
	quitDone: boolean;
	/** A step failed: only QUIT is left. */
	stopping: boolean;
	/** Messages in the mailbox, from STAT. */
	messageCount?: number;
};

export const initialPop3PlanState: Pop3PlanState = {
	connected: false,
	ended: false,
	tls: false,
	capaDone: false,
	stlsDone: false,
	userDone: false,
	passDone: false,
	authenticated: false,
	statDone: false,
	listDone: false,
	retrDone: false,
	quitDone: false,
	stopping: false,
};

export type Pop3PlanConfig = {
	/** Resolved: `opportunistic` upgrades when STLS is offered. */
	tls: 'implicit' | 'stls' | 'opportunistic' | 'none';
	insecureAuth: boolean;
	/** Message number RETR asks for; 0: no RETR. */
	retrieve: number;
};

export type Pop3PlanBlock = {step: Pop3StepKind; message: string};

export type Pop3NextStep =
	| {kind: 'done'}
	| {kind: 'blocked'; block: Pop3PlanBlock}
	| {kind: 'connect' | Pop3StepKind};

export function hasCapability(capabilities: string[] | undefined, name: string): boolean {
	return (capabilities ?? []).some(line => (line.trim().split(/\s+/)[0] ?? '').toUpperCase() === name);
}

export function nextPop3Step(state: Pop3PlanState, config: Pop3PlanConfig): Pop3NextStep {
	if (state.quitDone || state.ended) return {kind: 'done'};
	if (!state.connected) return {kind: 'connect'};
	if (state.stopping) return {kind: 'pop-quit'};
	if (!state.capaDone) return {kind: 'pop-capa'};
	const wantsTls = config.tls === 'stls' || config.tls === 'opportunistic';
	if (wantsTls && !state.tls && !state.stlsDone) {
		if (hasCapability(state.capabilities, 'STLS')) return {kind: 'pop-stls'};
		if (config.tls === 'stls') {
			return {kind: 'blocked', block: {step: 'pop-stls', message: 'TLS is required (STLS) but the server does not offer STLS; smtp-tui will not continue in cleartext.'}};
		}
	}

	if (!state.userDone) {
		if (!state.tls && !config.insecureAuth) {
			return {kind: 'blocked', block: {step: 'pop-user', message: 'Refusing to send the password over a connection without TLS; allow insecure logins to do it anyway.'}};
		}

		return {kind: 'pop-user'};
	}

	if (!state.passDone) return {kind: 'pop-pass'};
	if (!state.statDone) return {kind: 'pop-stat'};
	if (!state.listDone) return {kind: 'pop-list'};
	if (!state.retrDone && config.retrieve > 0 && (state.messageCount ?? 1) >= config.retrieve) return {kind: 'pop-retr'};
	return {kind: 'pop-quit'};
}

/** Steps the plan takes when everything succeeds (for "step n of m"). */
export function plannedPop3StepCount(config: Pop3PlanConfig, state: Pop3PlanState): number {
	const offered = state.capabilities ? hasCapability(state.capabilities, 'STLS') : true;
	const upgrade = config.tls === 'stls' || (config.tls === 'opportunistic' && (offered || state.stlsDone));
	const retrieve = config.retrieve > 0 && (state.messageCount ?? 1) >= config.retrieve;
	// connect, CAPA, [STLS, CAPA], USER, PASS, STAT, LIST, [RETR], QUIT
	return 1 + 1 + (upgrade ? 2 : 0) + 2 + 2 + (retrieve ? 1 : 0) + 1;
}

export function resolvePop3TlsMode(mode: Pop3TlsMode, port: number): Pop3PlanConfig['tls'] {
	if (mode !== 'auto') return mode;
	// 995 is POP3 over implicit TLS (RFC 8314 §7); elsewhere STLS when the server offers it.
	return port === 995 ? 'implicit' : 'opportunistic';
}

// ——— exit codes ———

/**
 * Exit codes of a POP3 session: the SMTP table's where the meaning is the same (connect 3,
 * timeout 6, greeting 21, QUIT 27, login 28, TLS 29), and three of its own.
 */
export const pop3ExitCodes = {
	stat: 41,
	list: 42,
	retr: 43,
} as const;

function exitCodeForPop3Step(step: TranscriptStep): number {
	switch (step) {
		case 'connect':
			return exitCodes.banner;
		case 'pop-stls':
			return exitCodes.tls;
		case 'pop-user':
		case 'pop-pass':
			return exitCodes.auth;
		case 'pop-stat':
			return pop3ExitCodes.stat;
		case 'pop-list':
			return pop3ExitCodes.list;
		case 'pop-retr':
			return pop3ExitCodes.retr;
		case 'pop-quit':
			return exitCodes.quit;
		default:
			return exitCodes.internal;
	}
}

// ——— the driver ———

type Waiter = {multiLine: boolean; resolve: (response: Pop3Response) => void; reject: (error: Error) => void};

export type Pop3ConnectOptions = {
	host: string;
	port: number;
	implicitTls: boolean;
	connectTimeoutMs: number;
	tls: TlsOptions;
	family?: 4 | 6;
	localAddress?: string;
	parserLimits?: Partial<Pop3ParserLimits>;
};

/** One POP3 connection: lines out, whole responses in, TLS from the start or after STLS. */
export class Pop3Connection {
	readonly target: string;
	private socket: net.Socket | tls.TLSSocket;
	private parser: Pop3ResponseParser;
	private readonly parserLimits?: Partial<Pop3ParserLimits>;
	private waiter?: Waiter;
	private failure?: SessionFailure;
	private tlsActive: boolean;

	private constructor(socket: net.Socket, target: string, tlsActive: boolean, parserLimits?: Partial<Pop3ParserLimits>) {
		this.socket = socket;
		this.target = target;
		this.tlsActive = tlsActive;
		this.parserLimits = parserLimits;
		this.parser = new Pop3ResponseParser(parserLimits);
		this.attach(socket);
	}

	static async open(options: Pop3ConnectOptions): Promise<{connection: Pop3Connection; facts?: TlsFacts}> {
		const target = formatTarget(options.host, options.port);
		const socket = await connectTcp(options, target);
		if (!options.implicitTls) return {connection: new Pop3Connection(socket, target, false, options.parserLimits)};
		const {socket: secure, facts} = await handshake(socket, options.host, options.tls, options.connectTimeoutMs, target);
		return {connection: new Pop3Connection(secure, target, true, options.parserLimits), facts};
	}

	get isTls(): boolean {
		return this.tlsActive;
	}

	/** Bytes that arrived before any command asked for them (a server talking out of turn). */
	takeUnsolicited(): Buffer {
		return this.parser.buffered > 0 ? this.parser.takeRemainder() : Buffer.alloc(0);
	}

	async sendLine(line: string, timeoutMs: number): Promise<void> {
		await writeWithDeadline(this.socket, `${line}\r\n`, timeoutMs, () => this.failure, {target: this.target, what: 'the command', tls: this.tlsActive});
	}

	/** Waits for the next whole response; `multiLine` as for Pop3ResponseParser.take(). */
	async read(multiLine: boolean, timeoutMs: number, waitingFor: string): Promise<Pop3Response> {
		let ready: Pop3Response | undefined;
		try {
			ready = this.parser.take(multiLine);
		} catch (error) {
			if (!(error instanceof RemoteProtocolError)) throw error;
			this.fail(new SessionFailure('protocol', error.message));
			this.socket.destroy();
		}

		if (ready) return ready;
		if (this.failure) throw this.failure;
		return new Promise<Pop3Response>((resolve, reject) => {
			const timer = setTimeout(() => {
				this.waiter = undefined;
				reject(new SessionFailure('timeout', `${this.target} did not answer ${waitingFor} within ${seconds(timeoutMs)}.`));
			}, timeoutMs);
			this.waiter = {
				multiLine,
				resolve: response => {
					clearTimeout(timer);
					resolve(response);
				},
				reject: error => {
					clearTimeout(timer);
					reject(error);
				},
			};
		});
	}

	/**
	 * Starts TLS after the server's +OK to STLS. Bytes that came after that +OK and before the
	 * handshake are returned as `injected`, never read as responses (RFC 2595 §4).
	 */
	async upgrade(host: string, options: TlsOptions, timeoutMs: number): Promise<{facts: TlsFacts; injected: Buffer}> {
		const plain = this.socket as net.Socket;
		plain.removeAllListeners('data');
		plain.removeAllListeners('error');
		plain.removeAllListeners('close');
		const injected = this.parser.takeRemainder();
		this.parser = new Pop3ResponseParser(this.parserLimits);
		const {socket, facts} = await handshake(plain, host, options, timeoutMs, this.target);
		this.socket = socket;
		this.tlsActive = true;
		this.attach(socket);
		return {facts, injected};
	}

	close(): void {
		this.socket.destroy();
		this.waiter?.reject(new SessionFailure('closed', 'The connection was closed.'));
		this.waiter = undefined;
	}

	private attach(socket: net.Socket): void {
		socket.on('data', (chunk: Buffer) => {
			if (this.failure) return;
			try {
				this.parser.feed(chunk);
			} catch (error) {
				if (!(error instanceof RemoteProtocolError)) throw error;
				this.fail(new SessionFailure('protocol', error.message));
				socket.destroy();
				return;
			}

			this.wake();
		});
		socket.on('error', (error: NodeJS.ErrnoException) => {
			this.fail(describeSocketError(error, this.target, this.tlsActive));
		});
		socket.on('close', () => {
			const partial = this.parser.buffered > 0 ? ' in the middle of a response' : '';
			this.fail(new SessionFailure('closed', `${this.target} closed the connection${partial}.`));
		});
	}

	private wake(): void {
		const waiter = this.waiter;
		if (!waiter) return;
		let response: Pop3Response | undefined;
		try {
			response = this.parser.take(waiter.multiLine);
		} catch (error) {
			if (!(error instanceof RemoteProtocolError)) throw error;
			this.fail(new SessionFailure('protocol', error.message));
			this.socket.destroy();
			return;
		}

		if (!response) return;
		this.waiter = undefined;
		waiter.resolve(response);
	}

	private fail(failure: SessionFailure): void {
		this.failure ??= failure;
		const waiter = this.waiter;
		this.waiter = undefined;
		waiter?.reject(this.failure);
	}
}


function seconds(ms: number): string {
	return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

// ——— the session ———

export type Pop3Timeouts = {connect: number; greeting: number; command: number; retr: number};

/** Generous for people stepping by hand; RFC 1939 §3 lets the server wait 10 minutes. */
export const defaultPop3Timeouts: Pop3Timeouts = {connect: 30_000, greeting: 60_000, command: 60_000, retr: 600_000};

export type Pop3SessionOptions = {
	host: string;
	port: number;
	/** `auto`: implicit TLS on 995 (or profilePort 995), else STLS when offered. */
	tls: Pop3TlsMode;
	tlsOptions: TlsOptions;
	user: string;
	password: string;
	/** Allow USER/PASS without TLS (the transcript warns). */
	insecureAuth?: boolean;
	/** Message number to RETR; default 1; 0 skips RETR. */
	retrieve?: number;
	timeouts?: Partial<Pop3Timeouts>;
	family?: 4 | 6;
	localAddress?: string;
	/** The well-known port whose behaviour applies (the lab listens elsewhere): 110 or 995. */
	profilePort?: number;
	/** Shown in a status line: "lab:995" or the host. */
	label?: string;
	parserLimits?: Partial<Pop3ParserLimits>;
};

export type Pop3Preview = {
	kind: Pop3NextStep['kind'];
	/** What will be sent, secrets masked. */
	lines: string[];
	description: string;
	/** The user may edit the line before it goes out (never for PASS). */
	editable: boolean;
};

/** Lines of one multi-line response kept in the transcript; the rest is summarised in a note. */
const maxShownLines = 2000;
/** RFC 2449 §4: a command is at most 255 octets with its CRLF. */
const maxCommandLength = 253;

/** Refuses a command line that could inject another (CR, LF, NUL), is empty, or too long. */
export function checkPop3Line(line: string, what = 'the command'): string {
	if (/[\r\n\0]/.test(line)) throw new LocalInputError(`${capitalise(what)} contains CR, LF or NUL, which would let it inject another command.`);
	const trimmed = line.replace(/[ \t]+$/, '');
	if (trimmed.trim() === '') throw new LocalInputError(`${capitalise(what)} is empty.`);
	if (Buffer.byteLength(trimmed) > maxCommandLength) throw new LocalInputError(`${capitalise(what)} is longer than POP3's ${maxCommandLength + 2} octets (RFC 2449 §4).`);
	return trimmed;
}

function capitalise(text: string): string {
	return text.charAt(0).toUpperCase() + text.slice(1);
}

export class Pop3Session {
	readonly options: Pop3SessionOptions;
	readonly entries: TranscriptEntry[] = [];
	readonly target: string;
	/** The message RETR returned: byte-stuffing undone, CRLF line ends, exactly as the server stores it. */
	retrieved?: Buffer;
	/** STAT's answer. */
	stat?: {messages: number; octets: number};
	/** LIST's answer. */
	listing?: Array<{number: number; octets: number}>;
	private planState: Pop3PlanState = {...initialPop3PlanState};
	private readonly config: Pop3PlanConfig;
	private readonly timeouts: Pop3Timeouts;
	private connection?: Pop3Connection;
	private readonly started = performance.now();
	private stepIndex = 0;
	private readonly listeners = new Set<(entry: TranscriptEntry) => void>();
	private firstFailure?: {exitCode: number; message: string};
	private capaBeforeTls?: string[];
	private lastTlsFacts?: TlsFacts;
	/** The secret gate: every entry's text passes it (the password, and PASS/APOP/AUTH typed by hand). */
	private readonly gate: SecretGate;

	constructor(options: Pop3SessionOptions) {
		this.options = options;
		this.target = formatTarget(options.host, options.port);
		this.timeouts = {...defaultPop3Timeouts, ...options.timeouts};
		this.config = {
			tls: resolvePop3TlsMode(options.tls, options.profilePort ?? options.port),
			insecureAuth: options.insecureAuth ?? false,
			retrieve: options.retrieve ?? 1,
		};
		this.gate = new SecretGate([options.password], 'pop3');
	}

	get state(): Readonly<Pop3PlanState> {
		return this.planState;
	}

	get tlsFacts(): TlsFacts | undefined {
		return this.lastTlsFacts;
	}

	/** The CAPA list heard before TLS (undefined on 995, where there is no "before"). */
	get capabilitiesBeforeTls(): string[] | undefined {
		return this.capaBeforeTls;
	}

	/** 0 when everything went as planned, else the exit code of the first failure. */
	get exitCode(): number {
		return this.firstFailure?.exitCode ?? exitCodes.ok;
	}

	get failureMessage(): string | undefined {
		return this.firstFailure?.message;
	}

	get done(): boolean {
		return this.next().kind === 'done';
	}

	get stepNumber(): number {
		return this.stepIndex;
	}

	get plannedSteps(): number {
		return Math.max(plannedPop3StepCount(this.config, this.planState), this.stepIndex);
	}

	get elapsedMs(): number {
		return performance.now() - this.started;
	}

	onEntry(listener: (entry: TranscriptEntry) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	next(): Pop3NextStep {
		return nextPop3Step(this.planState, this.config);
	}

	/** What the next step will send, before anything goes out. */
	peek(): Pop3Preview {
		const next = this.next();
		switch (next.kind) {
			case 'done':
				return {kind: 'done', lines: [], description: 'The session is over.', editable: false};
			case 'blocked':
				return {kind: 'blocked', lines: [], description: next.block.message, editable: false};
			case 'connect': {
				const how = this.config.tls === 'implicit' ? ', TLS from the first byte' : '';
				return {kind: 'connect', lines: [`(connect to ${this.target}${how})`], description: explainPop3Step('connect').summary, editable: false};
			}

			default: {
				let line: string;
				try {
					line = this.commandFor(next.kind, true);
				} catch (error) {
					if (!(error instanceof LocalInputError)) throw error;
					return {kind: next.kind, lines: [], description: this.gate.text(error.message), editable: false};
				}

				return {kind: next.kind, lines: [line], description: explainPop3Step(next.kind).summary, editable: next.kind !== 'pop-pass'};
			}
		}
	}

	/** Performs the next planned step; `override` replaces its command line (not for PASS). */
	async step(override?: string): Promise<StepOutcome> {
		const next = this.next();
		if (next.kind === 'done') return {ok: true};
		if (next.kind === 'blocked') {
			this.fail(next.block.step, new SessionFailure('local', next.block.message));
			this.planState.stopping = true;
			if (!this.planState.connected) this.planState.ended = true;
			return {ok: false};
		}

		const kind = next.kind;
		this.stepIndex++;
		try {
			if (override !== undefined && kind === 'pop-pass') throw new LocalInputError('The PASS line cannot be edited: it carries the password.');
			if (override !== undefined) override = checkPop3Line(override);
			const ok = await this.perform(kind, override);
			if (!ok && kind !== 'pop-quit' && kind !== 'pop-capa') this.planState.stopping = true;
			return {ok};
		} catch (error) {
			const failure = this.handleError(kind, error);
			// The planned line itself cannot be built (a CR in the user name): it never will be.
			if (failure.kind === 'local' && override === undefined) {
				this.firstFailure ??= {exitCode: exitCodes.usage, message: this.gate.text(failure.message)};
				if (this.planState.connected) this.planState.stopping = true;
				else this.planState.ended = true;
			}

			return {ok: false, failure};
		}
	}

	/** Marks the next step as done without sending it. */
	skip(): void {
		const next = this.next();
		const s = this.planState;
		switch (next.kind) {
			case 'done':
			case 'blocked':
			case 'connect':
				return;
			case 'pop-capa':
				s.capaDone = true;
				break;
			case 'pop-stls':
				s.stlsDone = true;
				break;
			case 'pop-user':
				s.userDone = true;
				break;
			case 'pop-pass':
				s.passDone = true;
				break;
			case 'pop-stat':
				s.statDone = true;
				break;
			case 'pop-list':
				s.listDone = true;
				break;
			case 'pop-retr':
				s.retrDone = true;
				break;
			case 'pop-quit':
				s.quitDone = true;
				this.connection?.close();
				s.ended = true;
				break;
		}

		this.add('info', `(skipped ${next.kind.replace('pop-', '').toUpperCase()})`, next.kind);
	}

	/** Sends a command typed by the user and reads its response (multi-line where the verb says so). */
	async manual(input: string): Promise<StepOutcome> {
		if (!this.connection || this.planState.ended) {
			return {ok: false, failure: new SessionFailure('local', 'Not connected: start a new session.')};
		}

		let line: string;
		try {
			line = checkPop3Line(input);
		} catch (error) {
			if (error instanceof LocalInputError) return {ok: false, failure: new SessionFailure('local', error.message)};
			throw error;
		}

		const verb = (line.split(/\s/, 1)[0] ?? '').toUpperCase();
		if (this.gate.carriesCredentials(line) && !this.planState.tls && !this.config.insecureAuth) {
			return {ok: false, failure: new SessionFailure('local', 'Not sent: this line carries credentials, and without TLS they would travel readable by anyone on the path; run STLS first, or allow insecure logins.')};
		}

		this.stepIndex++;
		try {
			await this.send(line, 'manual');
			const response = await this.read('manual', expectsMultiLine(line), this.timeouts.command, verb || 'the command');
			await this.applyManual(verb, response);
			return {ok: response.ok};
		} catch (error) {
			return {ok: false, failure: this.handleError('manual', error)};
		}
	}

	/** Steps until the plan is done; returns the exit code. */
	async runToEnd(): Promise<number> {
		while (!this.done) await this.step();
		return this.exitCode;
	}

	close(): void {
		this.connection?.close();
		this.planState.ended = true;
	}

	// ——— steps ———

	private async perform(kind: 'connect' | Pop3StepKind, override?: string): Promise<boolean> {
		switch (kind) {
			case 'connect':
				return this.connect();
			case 'pop-capa':
				return this.capa(override);
			case 'pop-stls':
				return this.stls(override);
			case 'pop-quit':
				return this.quit(override);
			default:
				return this.simple(kind, override);
		}
	}

	private async connect(): Promise<boolean> {
		// The user name and password go on the wire later: refuse CR/LF in them before connecting.
		this.commandFor('pop-user', false);
		this.commandFor('pop-pass', false);
		const implicit = this.config.tls === 'implicit';
		this.add('info', `Connecting to ${this.target}${implicit ? ' with TLS from the first byte' : ''}…`, 'connect');
		const {connection, facts} = await Pop3Connection.open({
			host: this.options.host,
			port: this.options.port,
			implicitTls: implicit,
			connectTimeoutMs: this.timeouts.connect,
			tls: this.options.tlsOptions,
			family: this.options.family,
			localAddress: this.options.localAddress,
			parserLimits: this.options.parserLimits,
		});
		this.connection = connection;
		this.planState.connected = true;
		this.add('info', `Connected to ${this.target}.`, 'connect');
		if (facts) {
			this.planState.tls = true;
			this.recordTls(facts, 'connect');
		}

		const greeting = await this.read('connect', false, this.timeouts.greeting, 'with a greeting');
		if (!greeting.ok) {
			this.fail('connect', new SessionFailure('protocol', 'The server refused the session with -ERR instead of a +OK greeting.'));
			return false;
		}

		return true;
	}

	private async capa(override?: string): Promise<boolean> {
		const line = override ?? 'CAPA';
		await this.send(line, 'pop-capa');
		const response = await this.read('pop-capa', expectsMultiLine(line), this.timeouts.command, 'CAPA');
		this.planState.capaDone = true;
		if (!response.ok) {
			// RFC 2449 is optional: an old server may not know CAPA. Go on without its list.
			this.add('info', 'The server does not support CAPA (RFC 2449); its extensions are unknown.', 'pop-capa');
			this.planState.capabilities = undefined;
			return false;
		}

		const capabilities = response.rawLines.map(raw => raw.trim()).filter(Boolean);
		this.planState.capabilities = capabilities;
		if (!this.planState.tls) {
			this.capaBeforeTls = capabilities;
		} else if (this.capaBeforeTls && this.planState.stlsDone) {
			this.add('info', `Capabilities changed after TLS: ${describeCapaChange(this.capaBeforeTls, capabilities)}.`, 'pop-capa');
		}

		return true;
	}

	private async stls(override?: string): Promise<boolean> {
		const connection = this.requireConnection();
		await this.send(override ?? 'STLS', 'pop-stls');
		const response = await this.read('pop-stls', false, this.timeouts.command, 'STLS');
		if (!response.ok) {
			this.fail('pop-stls', new SessionFailure('tls', 'STLS was refused with -ERR; smtp-tui will not fall back to cleartext.'));
			return false;
		}

		const {facts, injected} = await connection.upgrade(this.options.host, this.options.tlsOptions, this.timeouts.command);
		this.flagInjected(injected, 'pop-stls');
		Object.assign(this.planState, {tls: true, stlsDone: true, capaDone: false, capabilities: undefined});
		this.recordTls(facts, 'pop-stls');
		return true;
	}

	private flagInjected(injected: Buffer, step: TranscriptStep): void {
		if (injected.length === 0) return;
		this.add('error', `Discarded ${injected.length} bytes the server sent after its +OK to STLS and before TLS began: "${injected.toString('latin1').slice(0, 120)}". A correct server sends nothing there; this is the STARTTLS response-injection pattern.`, step, {deviation: 'starttls-injection'});
	}

	private async simple(kind: 'pop-user' | 'pop-pass' | 'pop-stat' | 'pop-list' | 'pop-retr', override?: string): Promise<boolean> {
		const line = override ?? this.commandFor(kind, false);
		const s = this.planState;
		if (kind === 'pop-pass') {
			if (!s.tls) this.add('error', 'Warning: sending the password without TLS because insecure logins were allowed; it travels readable by anyone on the path.', kind);
			await this.send(line, kind, {secret: true, display: `PASS ${MASK}`});
		} else {
			await this.send(line, kind);
		}

		const timeout = kind === 'pop-retr' ? this.timeouts.retr : this.timeouts.command;
		const response = await this.read(kind, expectsMultiLine(line), timeout, line.split(' ', 1)[0]!.toUpperCase());
		switch (kind) {
			case 'pop-user':
				s.userDone = true;
				return this.expectOk(kind, response, 'USER');
			case 'pop-pass':
				s.passDone = true;
				if (response.ok) s.authenticated = true;
				return this.expectOk(kind, response, 'The login (PASS)');
			case 'pop-stat':
				s.statDone = true;
				if (response.ok) this.learnStat(response);
				return this.expectOk(kind, response, 'STAT');
			case 'pop-list':
				s.listDone = true;
				if (response.ok) this.learnListing(response);
				return this.expectOk(kind, response, 'LIST');
			case 'pop-retr':
				s.retrDone = true;
				if (response.ok) this.retrieved = response.data ?? Buffer.alloc(0);
				return this.expectOk(kind, response, 'RETR');
		}
	}

	private async quit(override?: string): Promise<boolean> {
		const s = this.planState;
		await this.send(override ?? 'QUIT', 'pop-quit');
		s.quitDone = true;
		try {
			const response = await this.read('pop-quit', false, this.timeouts.command, 'QUIT');
			// In the TRANSACTION state a -ERR to QUIT means deletions could not be made (RFC 1939 §6).
			if (!response.ok) this.fail('pop-quit', new SessionFailure('protocol', 'QUIT was answered with -ERR.'));
		} finally {
			this.connection?.close();
			s.ended = true;
		}

		return true;
	}

	private expectOk(kind: Pop3StepKind, response: Pop3Response, what: string): boolean {
		if (response.ok) return true;
		const code = response.code ? ` [${response.code}]` : '';
		this.fail(kind, new SessionFailure('protocol', `${what} was refused with -ERR${code}.`));
		return false;
	}

	private learnStat(response: Pop3Response): void {
		const match = /^(\d+) (\d+)/.exec(response.text);
		if (!match) {
			this.add('info', 'The STAT answer does not start with "count octets" as RFC 1939 §5 requires.', 'pop-stat', {deviation: 'The STAT answer is not "+OK count octets".'});
			return;
		}

		this.stat = {messages: Number(match[1]), octets: Number(match[2])};
		this.planState.messageCount = this.stat.messages;
		if (this.stat.messages < this.config.retrieve && this.config.retrieve > 0) {
			this.add('info', `The mailbox holds ${this.stat.messages} message${this.stat.messages === 1 ? '' : 's'}, so there is no message ${this.config.retrieve} to fetch.`, 'pop-stat');
		}
	}

	private learnListing(response: Pop3Response): void {
		const listing: Array<{number: number; octets: number}> = [];
		for (const raw of response.rawLines) {
			const match = /^(\d+) (\d+)/.exec(raw);
			if (match) listing.push({number: Number(match[1]), octets: Number(match[2])});
		}

		this.listing = listing;
	}

	private async applyManual(verb: string, response: Pop3Response): Promise<void> {
		const s = this.planState;
		switch (verb) {
			case 'STLS':
				if (response.ok) {
					const {facts, injected} = await this.requireConnection().upgrade(this.options.host, this.options.tlsOptions, this.timeouts.command);
					this.flagInjected(injected, 'manual');
					Object.assign(s, {tls: true, stlsDone: true, capaDone: false, capabilities: undefined});
					this.recordTls(facts, 'manual');
				}

				break;
			case 'USER':
				if (response.ok) s.userDone = true;
				break;
			case 'PASS':
				if (response.ok) Object.assign(s, {passDone: true, authenticated: true, stopping: false});
				break;
			case 'QUIT':
				s.quitDone = true;
				s.ended = true;
				this.connection?.close();
				break;
			default:
				break;
		}
	}

	// ——— wire and transcript ———

	private commandFor(kind: Pop3StepKind, masked: boolean): string {
		switch (kind) {
			case 'pop-capa':
				return 'CAPA';
			case 'pop-stls':
				return 'STLS';
			case 'pop-user':
				return checkPop3Line(`USER ${this.options.user}`, 'the user name');
			case 'pop-pass':
				// Checked in full, shown masked; the error never quotes the password.
				checkPop3Line(`PASS ${this.options.password}`, 'the password');
				return masked ? `PASS ${MASK}` : `PASS ${this.options.password}`;
			case 'pop-stat':
				return 'STAT';
			case 'pop-list':
				return 'LIST';
			case 'pop-retr':
				return `RETR ${this.config.retrieve}`;
			case 'pop-quit':
				return 'QUIT';
		}
	}

	/** Sends one line; its entry is what the secret gate makes of it (`planned`: already masked). */
	private async send(line: string, step: TranscriptStep, planned?: PlannedLine): Promise<void> {
		const connection = this.requireConnection();
		const early = connection.takeUnsolicited();
		if (early.length > 0) {
			this.add('error', `The server sent ${early.length} bytes before it was asked: "${early.toString('latin1').slice(0, 120)}". A correct server waits for the command.`, step, {deviation: 'The server talked out of turn.'});
		}

		const shown = this.gate.client(line, planned);
		this.add('client', shown.text, step, {secret: shown.secret, explain: [explainPop3Command(shown.text).summary]});
		await connection.sendLine(line, this.timeouts.command);
	}

	private async read(step: TranscriptStep, multiLine: boolean, timeoutMs: number, waitingFor: string): Promise<Pop3Response> {
		const response = await this.requireConnection().read(multiLine, timeoutMs, waitingFor);
		this.gate.replied(false);
		this.recordResponse(response, step, multiLine && response.ok);
		return response;
	}

	private recordResponse(response: Pop3Response, step: TranscriptStep, multiLine: boolean): void {
		const statusExplain = explainPop3Response(response.status, response.code).map(e => `${e.summary} (${e.rfc})`);
		const deviation = response.bareLf ? 'The server ended a line with a bare LF instead of CRLF (RFC 1939 §3).' : undefined;
		const shown = multiLine ? response.rawLines.slice(0, maxShownLines) : [];
		// The status line and the lines shown are masked together: an echo split across lines is found.
		const [status = '', ...lines] = this.gate.server([response.raw, ...shown]);
		this.add('server', status, step, {last: !multiLine, explain: statusExplain, deviation});
		if (!multiLine) return;
		const isCapa = step === 'pop-capa' || (step === 'manual' && /^CAPA\b/i.test(this.lastClientLine()));
		shown.forEach((raw, index) => {
			const explain = isCapa ? [((e) => `${e.summary} (${e.rfc})`)(explainPop3Capability(raw))] : undefined;
			this.add('server', lines[index]!, step, explain ? {explain} : {});
		});

		const hidden = response.rawLines.length - shown.length;
		if (hidden > 0) this.add('info', `… ${hidden} more lines not shown (${response.data?.length ?? 0} bytes in all).`, step);
		this.add('server', '.', step, {last: true, explain: ['A line holding only a dot ends a multi-line response (RFC 1939 §3).']});
	}

	private lastClientLine(): string {
		for (let index = this.entries.length - 1; index >= 0; index--) {
			const entry = this.entries[index]!;
			if (entry.direction === 'client') return entry.text;
		}

		return '';
	}

	private recordTls(facts: TlsFacts, step: TranscriptStep): void {
		this.lastTlsFacts = facts;
		const verified = facts.authorized ? 'certificate verified' : `certificate NOT verified (${describeCertError(facts.authorizationError, facts)}) — continuing because of --insecure`;
		this.add('tls', `TLS handshake: ${facts.protocol} ${facts.cipher}; ${verified}`, step, {tlsFacts: facts});
	}

	private add(direction: Direction, text: string, step: TranscriptStep, extra: Partial<TranscriptEntry> = {}): TranscriptEntry {
		const entry: TranscriptEntry = {
			seq: this.entries.length,
			direction,
			// Client and server lines come gated from send() and recordResponse(); the rest is gated here.
			text: direction === 'client' || direction === 'server' ? text : this.gate.text(text),
			step,
			stepIndex: this.stepIndex,
			at: Math.round((performance.now() - this.started) * 1000) / 1000,
			tls: this.connection?.isTls ?? false,
			secret: false,
			...extra,
		};
		if (entry.explain) entry.explain = entry.explain.map(line => this.gate.text(line));
		if (entry.deviation !== undefined) entry.deviation = this.gate.text(entry.deviation);
		this.entries.push(entry);
		for (const listener of this.listeners) listener(entry);
		return entry;
	}

	private requireConnection(): Pop3Connection {
		if (!this.connection) throw new SessionFailure('local', 'Not connected.');
		return this.connection;
	}

	private fail(step: TranscriptStep, failure: SessionFailure): void {
		const message = this.gate.text(failure.message);
		this.add('error', message, step);
		if (this.firstFailure) return;
		const code = failure.kind === 'timeout' ? exitCodes.timeout
			: failure.kind === 'connect' ? exitCodes.connect
				: failure.kind === 'tls' ? exitCodes.tls
					: failure.kind === 'local' && step === 'manual' ? exitCodes.usage
						: exitCodeForPop3Step(step);
		this.firstFailure = {exitCode: code, message};
	}

	private handleError(step: TranscriptStep, error: unknown): SessionFailure {
		const failure = error instanceof SessionFailure ? error
			: error instanceof LocalInputError ? new SessionFailure('local', error.message)
				: new SessionFailure('protocol', `Unexpected error: ${error instanceof Error ? error.message : String(error)}`);
		if (failure.kind === 'local') {
			// Nothing was sent: the session goes on unchanged.
			this.add('error', this.gate.text(failure.message), step);
			return failure;
		}

		if (failure.tlsFacts) {
			this.lastTlsFacts = failure.tlsFacts;
			this.add('tls', `TLS handshake: ${failure.tlsFacts.protocol} ${failure.tlsFacts.cipher}; certificate refused`, step, {tlsFacts: failure.tlsFacts});
		}

		const beforeGreeting = step === 'connect' && failure.kind === 'protocol' && !this.entries.some(e => e.direction === 'server');
		this.fail(step, beforeGreeting ? new SessionFailure('protocol', `${failure.message} This port does not seem to speak POP3.`) : failure);
		this.connection?.close();
		this.planState.ended = true;
		return failure;
	}
}
