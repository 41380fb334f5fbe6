// The SMTP client conversation, sans I/O (python-hyper/h11 is the model): bytes in through
// receiveData(), events out through nextEvent(): transcript entries (already through the secret
// gate), the bytes to send, "need data", "open the connection", "start TLS now", "close", and the
// end of a step with its outcome. No network, timer or promise lives here: a driver in engine/
// does what the events ask and reports back (connected(), tlsStarted(), failed(),
// connectionLost()). Every state change of a session (the plan, SASL, the message typed by hand
// after 354, STARTTLS and what it discards) happens in this file, so all of it can be tested
// byte by byte without a network.
//
// Inside, each step is a generator that yields what it needs from the driver (a reply, a write,
// the TLS upgrade) and is resumed with the answer: the step reads top to bottom like the protocol
// does, while the outside sees only the event API.

import {Buffer} from 'node:buffer';
import * as commands from './commands.js';
import {describeDiff, diffCapabilities, hasExtension, parseEhlo, type Capabilities} from './ehlo.js';
import {LocalInputError} from './errors.js';
import {ehloFirstLine, explainExtension, explainMessageLine, explainReplyLines, explainStep} from './explain.js';
import {SessionFailure, type FailureKind} from './failure.js';
import {buildMessage, encodeDataBytes, headerFieldAddresses, isAscii, isAsciiBytes, makeMessageId} from './message.js';
import {SecretGate, type GatedLine, type PlannedLine} from './redact.js';
import {ReplyParseError, ReplyParser, type Reply} from './reply-parser.js';
import {createSasl, decodeChallenge, type SaslCredentials, type SaslExchange, type SaslLine} from './sasl.js';
import {initialPlanState, nextStep, plannedStepCount, reachedQuitAfter, type NextStep, type PlanConfig, type PlanState, type PlanTls, type QuitAfter, type Remedies} from './smtp-plan.js';
import type {Direction, StepKind, TlsFacts, TranscriptEntry} from './transcript.js';

export type Timeouts = {
	connect: number;
	greeting: number;
	command: number;
	mail: number;
	rcpt: number;
	data: number;
	body: number;
};

/** RFC 5321 §4.5.3.2 client timeouts; connect is ours. Milliseconds. */
export const rfcTimeouts: Timeouts = {
	connect: 30_000,
	greeting: 300_000,
	command: 300_000,
	mail: 300_000,
	rcpt: 300_000,
	data: 120_000,
	body: 600_000,
};

/** What the conversation needs to know: the session's choices, none of its connections. */
export type SmtpClientOptions = {
	/** "host:port", as messages name the server. */
	target: string;
	/** TLS as resolved for the port (`--tls auto` already decided). */
	tls: PlanTls;
	/** --insecure: go on when the certificate does not verify. */
	insecureTls: boolean;
	ehlo: string;
	from: string;
	to: string[];
	credentials?: SaslCredentials;
	/** Secrets this session never sends but must still mask wherever they show. */
	maskSecrets?: readonly string[];
	/** SASL mechanism; default: the best the server offers. */
	mechanism?: string;
	insecureAuth?: boolean;
	/** How a refusal's advice names the remedies: as flags (default) or as the remote wizard's fields. */
	remedies?: Remedies;
	quitAfter?: QuitAfter;
	timeouts?: Partial<Timeouts>;
	headers?: string[];
	subject?: string;
	body?: string | Uint8Array;
	bodyName?: string;
	/** The exact message to send, byte for byte (CRLF-normalised and dot-stuffed, nothing else). */
	rawMessage?: string | Uint8Array;
	/** Lines shown before connecting, e.g. the MX lookup that chose the host. */
	preamble?: string[];
	/** The Date of the message built from subject/headers/body (default: now). */
	date?: Date;
	/** Its Message-ID (default: a fresh one). */
	messageId?: string;
};

export type Preview = {
	kind: NextStep['kind'];
	/** What will be sent, as it may be shown (secrets masked), one entry per line. */
	lines: string[];
	/** Human reading of a SASL line, masked. */
	decoded?: string;
	/** What the step does, in plain words. */
	description: string;
	/** The user may edit the line before it goes out. */
	editable: boolean;
	/** Nothing planned can go now: what the server waits for, in words (a SASL answer). */
	waiting?: string;
};

export type StepOutcome = {ok: boolean; failure?: SessionFailure};

/** A transcript entry as the conversation makes it; the session adds its place (seq) and time (at). */
export type EntryDraft = Omit<TranscriptEntry, 'seq' | 'at'>;

/** What the driver is asked to do, or told, by nextEvent(). */
export type SmtpClientEvent =
	/** A transcript entry, already through the secret gate. */
	| {type: 'entry'; entry: EntryDraft}
	/** A whole reply was read (its entries follow). */
	| {type: 'reply'; reply: Reply; step: StepKind}
	/** Open the connection (TLS from the first byte when `implicitTls`), then call connected(). */
	| {type: 'connect'; implicitTls: boolean; timeoutMs: number}
	/**
	 * Write these bytes within `timeoutMs` (per piece taken); on failure call failed(). `startsTls`:
	 * the line is STARTTLS, so the driver parses no further than its reply (after a 220, TLS).
	 */
	| {type: 'send'; data: Buffer; timeoutMs: number; what: string; startsTls?: boolean}
	/** Feed received bytes to receiveData() until nextEvent() moves on; on no answer within `timeoutMs`, call failed(). `banner`: the first read on a plaintext connection. */
	| {type: 'need-data'; timeoutMs: number; waitingFor: string; banner: boolean}
	/** The server said 220 to STARTTLS: stop reading cleartext, handshake, then call tlsStarted(). */
	| {type: 'start-tls'; insecure: boolean; timeoutMs: number}
	/** Close the connection. */
	| {type: 'close'}
	/** The step (or command typed by hand) is over. */
	| {type: 'step-done'; outcome: StepOutcome}
	/** Nothing to do until the next step(), manual() or skip(). */
	| {type: 'idle'};

/** The first failure, with what the engine needs to pick its exit code (`step`: the step whose code applies). */
export type FirstFailure = {message: string; step: StepKind; kind: FailureKind | 'usage'; afterTls: boolean};

/** What a step yields to the driver and waits on. */
type Request =
	| {type: 'connect'; implicitTls: boolean; timeoutMs: number}
	| {type: 'send'; data: Buffer; timeoutMs: number; what: string; startsTls?: boolean}
	| {type: 'read'; timeoutMs: number; waitingFor: string; banner: boolean}
	| {type: 'start-tls'; insecure: boolean; timeoutMs: number};

type Task = Generator<Request, StepOutcome, unknown>;
type Job<T> = Generator<Request, T, unknown>;

/** SASL challenges answered at most before giving up (a server looping on 334). */
const maxChallenges = 10;
/** The planned step a typed command stands for, so its reply is explained in context. */
const manualSteps: Readonly<Record<string, StepKind>> = {EHLO: 'ehlo', HELO: 'helo', STARTTLS: 'starttls', AUTH: 'auth', MAIL: 'mail', RCPT: 'rcpt', DATA: 'data', RSET: 'rset', NOOP: 'noop', QUIT: 'quit'};
/** Order of preference when the user does not name a mechanism. */
const mechanismPreference = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'];
/** Caps on replies held before any command asked for them (a server that talks out of turn). */
const maxUnsolicitedReplies = 100;
const maxUnsolicitedBytes = 1024 * 1024;
/** Bytes of discarded STARTTLS injection kept to quote. */
const injectionQuoted = 120;

/** Body lines for the transcript: the bytes stay bytes on the wire, this is only what is shown. */
const display = new TextDecoder('utf-8', {ignoreBOM: true});

function replyBytes(reply: Reply): number {
	return reply.raw.reduce((n, line) => n + line.length + 2, 0);
}

function withEnhanced(reply: Reply): string {
	return `${reply.code}${reply.enhanced ? ' ' + reply.enhanced : ''}`;
}

/**
 * The lines of an encoded DATA payload as shown (CRLF-separated, the part after the last CRLF
 * dropped). The payload is decoded once and each line is a slice of that text, not a string
 * of its own (100,000 body lines are 100,000 entries). Decoding per line and whole agree
 * (CR and LF are ASCII: a broken sequence before them is U+FFFD either way), except that a
 * line decoded alone loses a leading byte order mark: so does each line here (and only one).
 */
function shownLines(encoded: Buffer): string[] {
	const lines = display.decode(encoded).split('\r\n');
	lines.pop();
	return lines.map(line => (line.startsWith('\uFEFF') ? line.slice(1) : line));
}

export class SmtpClientConversation {
	readonly options: SmtpClientOptions;
	readonly timeouts: Timeouts;
	private planState: PlanState = {...initialPlanState};
	private readonly config: PlanConfig;
	/** The secret gate: every entry's text passes it (the password, the token, SASL typed by hand). */
	private readonly gate: SecretGate;
	private parser = new ReplyParser();
	/** Whole replies received and not yet read by a step (out of turn when a command goes out). */
	private replies: Reply[] = [];
	/** The peer broke the stream, or the connection is gone: reads after the queued replies fail with it. */
	private broken?: SessionFailure;
	/** Between STARTTLS's 220 and the handshake: bytes received are discarded, never parsed. */
	private injected?: {bytes: number; head: Buffer[]; headLength: number};
	private task?: Task;
	private waiting?: Request;
	private answer?: {value: unknown} | {error: unknown};
	/** Events not handed out yet, from `eventsAt` on (a 20 MB body is 260,000 entries: no shift()). */
	private events: SmtpClientEvent[] = [];
	private eventsAt = 0;
	private wireTls = false;
	/** Server lines recorded so far. */
	private serverLines = 0;
	private stepIndex = 0;
	/**
	 * Planned steps performed (the status line's "step n/m"): by enter, or by a command typed by
	 * hand that did the plan's next step (countPlanStep); other manual commands do not count.
	 */
	private plannedDone = 0;
	/** Of those, the steps of the mail transaction (MAIL, RCPT, DATA, the message): a RSET takes them back. */
	private transactionDone = 0;
	/** Between DATA's 354 and the lone dot: lines typed by hand are message lines. */
	private messageOpen = false;
	/** No blank line typed yet in the message typed by hand: its lines are header fields. */
	private messageHeader = true;
	/** Some of the message was typed by hand: the body step then only sends the lone dot. */
	private typedBody = false;
	private first?: FirstFailure;
	private capsBeforeTls?: Capabilities;
	private lastTlsFacts?: TlsFacts;
	/**
	 * The message as it goes out and what is derived from it (dot-stuffed, whether it is
	 * ASCII, its lines as shown): worked out once, not for every preview of MAIL and of the
	 * body. The shown lines are gated, so they are kept only with the number of secrets known
	 * when they were made (the gate only ever learns more).
	 */
	private cachedMessage?: {eightBit: boolean; bytes: Buffer; encoded?: Buffer; ascii?: boolean; shown?: {secrets: number; lines: string[]}};
	private readonly messageDate: Date;
	private messageId?: string;

	constructor(options: SmtpClientOptions) {
		this.options = options;
		this.timeouts = {...rfcTimeouts, ...options.timeouts};
		this.messageDate = options.date ?? new Date();
		this.messageId = options.messageId;
		this.config = {
			tls: options.tls,
			wantAuth: Boolean(options.credentials),
			insecureAuth: options.insecureAuth ?? false,
			recipients: options.to,
			quitAfter: options.quitAfter,
			remedies: options.remedies,
			// A UTF-8 address in a --header From:/To:/... needs SMTPUTF8 just as one in the envelope.
			utf8Addresses: [options.from, ...options.to, ...(options.rawMessage === undefined ? headerFieldAddresses(options.headers ?? []) : [])].some(address => !isAscii(address)),
		};
		this.gate = new SecretGate([options.credentials?.password, options.credentials?.token, ...(options.maskSecrets ?? [])], 'smtp');
	}

	// ——— what the session shows ———

	get state(): Readonly<PlanState> {
		return this.planState;
	}

	get tlsFacts(): TlsFacts | undefined {
		return this.lastTlsFacts;
	}

	get capabilitiesBeforeTls(): Capabilities | undefined {
		return this.capsBeforeTls;
	}

	get firstFailure(): FirstFailure | undefined {
		return this.first;
	}

	get done(): boolean {
		return nextStep(this.planState, this.config).kind === 'done';
	}

	get stepNumber(): number {
		return this.plannedDone;
	}

	get plannedSteps(): number {
		return Math.max(plannedStepCount(this.config, this.planState), this.plannedDone);
	}

	get inMessage(): boolean {
		return this.messageOpen && !this.planState.ended;
	}

	get awaitingSaslAnswer(): boolean {
		return this.gate.awaitingResponse && !this.planState.ended;
	}

	/** A step is in flight: a second one is refused until it ends. */
	get busy(): boolean {
		return this.task !== undefined;
	}

	/** Whether transcript entries made now travelled inside TLS. */
	get tls(): boolean {
		return this.wireTls;
	}

	/** The peer broke the stream (or the connection is gone): the driver stops reading. */
	get peerFailure(): SessionFailure | undefined {
		return this.broken;
	}

	next(): NextStep {
		return nextStep(this.planState, this.config);
	}

	/** What the next step will send, before anything goes out. */
	peek(): Preview {
		const next = this.next();
		// A login typed by hand waits for its answer: that is what goes next, not the plan.
		if (this.awaitingSaslAnswer) return this.saslWait(next);
		try {
			return this.preview(next);
		} catch (error) {
			// The step's line cannot be built from the user's input: say why instead of throwing
			// (step() then reports the same sentence and stops).
			if (!(error instanceof LocalInputError)) throw error;
			return {kind: next.kind, lines: [], description: this.gate.text(error.message), editable: false};
		}
	}

	// ——— what the session asks ———

	/** Starts the next planned step; `override` replaces its command line (edited by the user). */
	step(override?: string): void {
		this.begin(this.planned(override));
	}

	/** Starts a command typed by the user (or a message line after 354). */
	manual(input: string): void {
		this.begin(this.typed(input));
	}

	/** Marks the next step as done without sending it (its entry and any close are queued as events). */
	skip(): void {
		const next = this.next();
		const s = this.planState;
		switch (next.kind) {
			case 'done':
			case 'blocked':
			case 'connect':
				return;
			case 'ehlo':
			case 'helo':
				s.ehloDone = true;
				break;
			case 'starttls':
				s.starttlsDone = true;
				break;
			case 'auth':
				s.authDone = true;
				break;
			case 'mail':
				s.mailDone = true;
				break;
			case 'rcpt':
				s.rcptIndex++;
				s.rcptAccepted++; // assume it would have been taken, so DATA stays reachable
				break;
			case 'data':
				s.dataDone = true;
				break;
			case 'body':
				s.bodyDone = true;
				break;
			case 'quit':
				s.quitDone = true;
				this.events.push({type: 'close'});
				s.ended = true;
				break;
			default:
				break;
		}

		this.add('info', `(skipped ${next.kind.toUpperCase()})`, next.kind);
	}

	/** An info line the driver adds while it waits (gated like every entry), to show at once. */
	note(text: string, step: StepKind): EntryDraft {
		return {direction: 'info', text: this.gate.text(text), step, stepIndex: this.stepIndex, tls: this.wireTls, secret: false};
	}

	/** The session was closed from outside (the user left): nothing more goes out. */
	closed(): void {
		this.planState.ended = true;
	}

	// ——— what the driver reports ———

	/**
	 * A whole reply, framed by a driver that parses replies itself (engine's driver holds what
	 * arrives out of turn and hands it over here before the next step moves on).
	 */
	receiveReply(reply: Reply): void {
		if (this.injected) {
			this.receiveData(Buffer.from(reply.raw.join('\r\n') + '\r\n'));
			return;
		}

		this.queue(reply);
	}

	/** Bytes received from the server, in any split. */
	receiveData(data: Uint8Array): void {
		if (this.injected) {
			// After STARTTLS's 220 and before the handshake: never parsed (response injection).
			const held = this.injected;
			held.bytes += data.length;
			if (held.headLength < injectionQuoted) {
				held.head.push(Buffer.from(data.subarray(0, injectionQuoted - held.headLength)));
				held.headLength = Math.min(injectionQuoted, held.headLength + data.length);
			}

			return;
		}

		if (this.broken) return;
		let replies: Reply[];
		try {
			replies = this.parser.feed(data);
		} catch (error) {
			if (!(error instanceof ReplyParseError)) throw error;
			// Whole replies that came in the same bytes before the fault are still shown.
			for (const reply of error.completed) this.queue(reply);
			this.broken ??= new SessionFailure('protocol', error.message, undefined, error.received);
			return;
		}

		for (const reply of replies) this.queue(reply);
	}

	/** The connection ended or failed (`failure` says how); reads after the queued replies fail with it. */
	connectionLost(failure: SessionFailure): void {
		this.broken ??= failure;
	}

	/**
	 * The connection the `connect` event asked for is open (`facts`: its implicit TLS;
	 * `certificateProblem`: why its certificate did not verify, in words, when it did not).
	 */
	connected(facts?: TlsFacts, certificateProblem?: string): void {
		this.resolve('connect', {facts, certificateProblem});
	}

	/**
	 * The TLS handshake the `start-tls` event asked for is done. `certificateProblem`: why the
	 * certificate did not verify, in words (the driver knows Node's codes), when it did not;
	 * `injected`: bytes the driver discarded between the 220 and the handshake.
	 */
	tlsStarted(facts: TlsFacts, certificateProblem?: string, injected?: Uint8Array): void {
		this.resolve('start-tls', {facts, certificateProblem});
		if (injected && injected.length > 0) this.receiveData(injected);
	}

	/** What the driver was asked to do failed (connect, write, read deadline, handshake). */
	failed(error: unknown): void {
		if (!this.waiting) return;
		this.answer = {error};
	}

	/** The next thing to do, or to show. Call it again after doing what it asked. */
	nextEvent(): SmtpClientEvent {
		for (;;) {
			if (this.eventsAt < this.events.length) return this.events[this.eventsAt++]!;
			this.events = [];
			this.eventsAt = 0;
			if (!this.task) return {type: 'idle'};
			const input = this.inputFor(this.waiting);
			if (input === undefined) {
				const w = this.waiting as Extract<Request, {type: 'read'}>;
				return {type: 'need-data', timeoutMs: w.timeoutMs, waitingFor: w.waitingFor, banner: w.banner};
			}

			this.advance(input);
		}
	}

	// ——— the step machinery ———

	private begin(task: Task): void {
		if (this.task) throw new LocalInputError('A step is already in progress; wait for its reply.');
		this.task = task;
		this.waiting = undefined;
		this.answer = undefined;
	}

	private resolve(type: 'connect' | 'start-tls', value: unknown): void {
		if (this.waiting?.type !== type) throw new Error(`The driver answered ${type}, but the conversation did not ask for it.`);
		this.answer = {value};
	}

	/** What resumes the waiting step, or undefined when it needs data first. */
	private inputFor(waiting: Request | undefined): {value: unknown} | {error: unknown} | undefined {
		if (waiting === undefined) return {value: undefined};
		if (this.answer) {
			const answer = this.answer;
			this.answer = undefined;
			return answer;
		}

		switch (waiting.type) {
			case 'read': {
				const reply = this.replies.shift();
				if (reply) return {value: reply};
				if (this.broken) return {error: this.broken};
				return undefined;
			}

			case 'send':
				return {value: undefined};
			default:
				throw new Error(`nextEvent() was called before the driver answered ${waiting.type}.`);
		}
	}

	private advance(input: {value: unknown} | {error: unknown}): void {
		const task = this.task!;
		let result: IteratorResult<Request, StepOutcome>;
		try {
			result = 'error' in input ? task.throw(input.error) : task.next(input.value);
		} catch (error) {
			this.task = undefined;
			this.waiting = undefined;
			throw error;
		}

		if (result.done) {
			this.task = undefined;
			this.waiting = undefined;
			this.events.push({type: 'step-done', outcome: result.value});
			return;
		}

		const request = result.value;
		this.waiting = request;
		if (request.type !== 'read') this.events.push(request);
	}

	private queue(reply: Reply): void {
		this.replies.push(reply);
		// Replies nobody asked for pile up while the user reads the screen: a server that floods
		// them must not grow our memory without end. The ones held so far stay, to be shown.
		const unasked = this.waiting?.type === 'read' ? this.replies.slice(1) : this.replies;
		const bytes = unasked.reduce((sum, queued) => sum + replyBytes(queued), 0);
		if (unasked.length > maxUnsolicitedReplies || bytes > maxUnsolicitedBytes) {
			this.broken ??= new SessionFailure('protocol', `${this.options.target} sent more than ${unasked.length > maxUnsolicitedReplies ? `${maxUnsolicitedReplies} replies` : `${maxUnsolicitedBytes / 1024} KB of replies`} that no command asked for; smtp-tui stopped listening.`);
		}
	}

	// ——— steps ———

	private *planned(override?: string): Task {
		const next = this.next();
		if (next.kind === 'done') return {ok: true};
		// The planned line would go out as the answer to the server's 334 (AUTH PLAIN taken for a
		// user name): refused, nothing sent, and the session goes on once the exchange is over.
		if (this.awaitingSaslAnswer) return {ok: false, failure: new SessionFailure('local', this.saslWait(next).waiting!)};
		if (next.kind === 'blocked') {
			this.fail(next.block.step, new SessionFailure('local', next.block.message));
			this.planState.stopping = true;
			return {ok: false};
		}

		const kind = next.kind;
		if (override !== undefined && kind !== 'connect' && kind !== 'auth' && kind !== 'body') {
			// Edited into another command altogether (STARTTLS into NOOP, a typo in the verb):
			// sent as if typed by hand, and the planned step stays next.
			const planned = commands.verbOf(this.commandFor(next));
			const edited = commands.verbOf(override.trim());
			if (edited !== planned) {
				this.add('info', `The edited line is not ${planned}, so it goes out as a manual command and ${planned} is still next.`, kind);
				return yield* this.typed(override);
			}
		}

		this.stepIndex++;
		this.countStep(kind);
		try {
			if (override !== undefined) override = commands.validateCommandLine(override);
			const ok = yield* this.perform(next, override);
			// A refused RCPT is still the RCPT step done: --quit-after rcpt stops after the last
			// one whatever its answer (as swaks does), or DATA would go to the accepted ones.
			if ((ok || kind === 'rcpt') && reachedQuitAfter(kind, this.planState, this.config)) this.planState.stopping = true;
			if (!ok && kind !== 'rcpt' && kind !== 'quit') this.planState.stopping = true;
			return {ok};
		} catch (error) {
			const failure = this.handleError(kind, error);
			// A planned step whose own line cannot be built (a CR in --subject, a password with
			// a line break) fails the same way every time: stop, or runToEnd() would spin forever.
			if (failure.kind === 'local' && override === undefined) this.stopOnLocalError(failure);
			return {ok: false, failure};
		}
	}

	private *typed(input: string): Task {
		if (!this.planState.connected || this.planState.ended) {
			return {ok: false, failure: new SessionFailure('local', 'Not connected: press r to start a new session.')};
		}

		const message = this.inMessage;
		let line: string;
		try {
			line = (message ? commands.validateMessageLine : commands.validateCommandLine)(input);
		} catch (error) {
			if (error instanceof LocalInputError) return {ok: false, failure: new SessionFailure('local', error.message)};
			throw error;
		}

		if (message) return yield* this.messageLine(line);
		const verb = commands.verbOf(line);
		// Credentials never go out without TLS (SecretGate.carriesCredentials says which lines
		// carry them). A bare "AUTH PLAIN" carries none, so it goes (and shows the server's 530).
		if (this.gate.carriesCredentials(line) && !this.planState.tls && !this.config.insecureAuth) {
			return {ok: false, failure: new SessionFailure('local', 'Not sent: this line carries credentials, and without TLS they would travel readable by anyone on the path; run STARTTLS first, or start smtp-tui with --insecure-auth.')};
		}

		this.stepIndex++;
		const before = nextStep(this.planState, this.config);
		try {
			const sent = yield* this.send(line, 'manual');
			const did = sent.secret ? 'auth' : manualSteps[verb];
			const reply = yield* this.read('manual', this.timeouts.command, sent.secret ? 'the SASL response' : `the command ${verb || 'line'}`, did);
			yield* this.applyManual(verb, reply);
			this.countPlanStep(before, did);
			return {ok: reply.code < 400};
		} catch (error) {
			return {ok: false, failure: this.handleError('manual', error, manualSteps[verb])};
		}
	}

	/**
	 * A command typed by hand that did the plan's next step (DATA, QUIT, EHLO, an AUTH exchange,
	 * the lone dot of a message typed by hand) counts as that step in "step n/m", once the plan
	 * has moved past it; other manual lines (NOOP, VRFY, a RCPT the plan still sends, the lines
	 * of a message) do not count.
	 */
	private countPlanStep(before: NextStep, did: StepKind | undefined): void {
		if (did === undefined || before.kind !== did) return;
		if (nextStep(this.planState, this.config).kind !== before.kind) this.countStep(did);
	}

	private countStep(kind: StepKind): void {
		this.plannedDone++;
		if (kind === 'mail' || kind === 'rcpt' || kind === 'data' || kind === 'body') this.transactionDone++;
	}

	/** One line of a message typed by hand after 354: sent as typed; only the lone dot gets a reply. */
	private *messageLine(line: string): Task {
		const explain = explainMessageLine(line, this.messageHeader);
		if (line === '') this.messageHeader = false;
		this.stepIndex++;
		this.typedBody = true;
		try {
			yield* this.send(line, 'body', undefined, explain);
			if (line !== '.') return {ok: true};
			this.messageOpen = false;
			// The message typed by hand is the plan's message step, done once its lone dot goes.
			const before = nextStep(this.planState, this.config);
			this.planState.bodyDone = true;
			this.countPlanStep(before, 'body');
			const reply = yield* this.read('body', this.timeouts.body, 'the end of the message');
			return {ok: reply.code === 250};
		} catch (error) {
			return {ok: false, failure: this.handleError('body', error)};
		}
	}

	private *perform(next: Exclude<NextStep, {kind: 'done' | 'blocked'}>, override?: string): Job<boolean> {
		const kind = next.kind;
		switch (kind) {
			case 'connect':
				return yield* this.connect();
			case 'ehlo':
			case 'helo':
				return yield* this.greet(kind, override);
			case 'starttls':
				return yield* this.starttls(override);
			case 'auth':
				return yield* this.authenticate();
			case 'body':
				return yield* this.sendBody();
			default:
				return yield* this.simple(next, override);
		}
	}

	private *connect(): Job<boolean> {
		this.checkInputs();
		const implicit = this.config.tls === 'implicit';
		(this.options.preamble ?? []).forEach((line, index) => {
			this.add('info', line, 'connect', index === 0 ? {explain: ['A sending server finds the receiving server through DNS: the MX records of the recipient domain, lowest preference first; with none, the domain\'s own address (RFC 5321 §5.1).']} : {});
		});
		this.add('info', `Connecting to ${this.options.target}${implicit ? ' with TLS from the first byte' : ''}…`, 'connect');
		const {facts, certificateProblem} = (yield {type: 'connect', implicitTls: implicit, timeoutMs: this.timeouts.connect}) as {facts?: TlsFacts; certificateProblem?: string};
		this.planState.connected = true;
		this.wireTls = facts !== undefined;
		this.add('info', `Connected to ${this.options.target}.`, 'connect');
		if (facts) {
			this.planState.tls = true;
			this.recordTls(facts, 'connect', certificateProblem);
		}

		const banner = yield* this.read('connect', this.timeouts.greeting, 'with a banner', undefined, !implicit);
		if (banner.code !== 220) {
			this.fail('connect', new SessionFailure('protocol', `The server refused the session with ${banner.code} instead of a 220 banner.`));
			return false;
		}

		return true;
	}

	/**
	 * Builds every line that carries the user's input (EHLO name, addresses, header fields)
	 * before connecting, so a CR, LF or NUL in any of them is refused before a byte goes out.
	 */
	private checkInputs(): void {
		commands.ehlo(this.options.ehlo);
		commands.mailFrom(this.options.from);
		for (const recipient of this.options.to) commands.rcptTo(recipient);
		this.message();
	}

	private *greet(kind: 'ehlo' | 'helo', override?: string): Job<boolean> {
		const line = override ?? this.commandFor({kind});
		yield* this.send(line, kind);
		const reply = yield* this.read(kind, this.timeouts.command, `EHLO`);
		if (reply.code === 250) {
			this.planState.ehloDone = true;
			if (kind === 'ehlo') this.learnCapabilities(reply);
			return true;
		}

		if (kind === 'ehlo' && (reply.code === 500 || reply.code === 502)) {
			this.add('info', 'The server does not know EHLO; falling back to HELO (no extensions).', kind);
			this.planState.useHelo = true;
			return true;
		}

		this.fail(kind, new SessionFailure('protocol', `${kind.toUpperCase()} was refused with ${reply.code}.`));
		return false;
	}

	private learnCapabilities(reply: Reply): void {
		const caps = parseEhlo(reply);
		this.planState.capabilities = caps;
		if (!this.planState.tls) {
			this.capsBeforeTls = caps;
		} else if (this.capsBeforeTls && this.planState.starttlsDone) {
			const diff = describeDiff(diffCapabilities(this.capsBeforeTls, caps), caps);
			this.add('info', `Capabilities changed after TLS: ${diff}.`, 'ehlo');
		}
	}

	private *starttls(override?: string): Job<boolean> {
		yield* this.send(override ?? commands.starttls(), 'starttls');
		const reply = yield* this.read('starttls', this.timeouts.command, 'STARTTLS');
		if (reply.code !== 220) {
			// Opportunistic TLS refused (454 and the like, not a 421 goodbye): go on in cleartext, as
			// Postfix (smtp_tls_security_level=may) and swaks --tls-optional do (RFC 3207 §4.1),
			// saying so; the plan still refuses AUTH without TLS unless --insecure-auth.
			if (this.config.tls === 'opportunistic' && reply.code >= 400 && reply.code !== 421) {
				Object.assign(this.planState, {starttlsDone: true, plaintextFallback: true});
				this.add('error', `STARTTLS was refused with ${reply.code}; TLS is optional here (a relay port, or --tls auto on a port without a TLS profile), so the session continues UNENCRYPTED, as mail servers do: anyone on the path can read this message. smtp-tui will not send a password over it (unless --insecure-auth); use --tls starttls to insist on TLS.`, 'starttls', {deviation: 'plaintext-fallback'});
				return true;
			}

			this.fail('starttls', new SessionFailure('tls', `STARTTLS was refused with ${reply.code}; smtp-tui will not fall back to cleartext.`));
			return false;
		}

		// Opportunistic STARTTLS (port 25, or a port where TLS is optional): encrypt whatever
		// the certificate, as MTAs and swaks do (RFC 7435); the problem is recorded, not fatal.
		const opportunistic = this.config.tls === 'opportunistic' && !this.options.insecureTls;
		const {facts, certificateProblem} = yield* this.upgrade(opportunistic || this.options.insecureTls, 'starttls');

		this.planState.tls = true;
		this.planState.starttlsDone = true;
		// RFC 3207 §4.2: after the upgrade both sides forget what they knew; EHLO again.
		this.planState.ehloDone = false;
		this.planState.useHelo = false;
		this.planState.capabilities = undefined;
		if (opportunistic && !facts.authorized) this.planState.unverifiedTls = true;
		this.recordTls(facts, 'starttls', certificateProblem, opportunistic);
		return true;
	}

	/**
	 * After a 220 to STARTTLS: whatever came after it (parsed or not) and whatever arrives until
	 * the handshake is discarded and said so, whether the handshake then succeeds or not (a
	 * failed or stalled handshake after injected bytes is part of the same attack), then the
	 * parser starts afresh inside TLS.
	 */
	private *upgrade(insecure: boolean, step: StepKind): Job<{facts: TlsFacts; certificateProblem?: string}> {
		const leftovers = Buffer.concat([this.parser.takeRemainder(), ...this.replies.map(r => Buffer.from(r.raw.join('\r\n') + '\r\n'))]);
		this.replies = [];
		this.parser = new ReplyParser();
		const held = {bytes: 0, head: [] as Buffer[], headLength: 0};
		this.injected = held;
		this.receiveData(leftovers);
		let done: {facts: TlsFacts; certificateProblem?: string};
		try {
			done = (yield {type: 'start-tls', insecure, timeoutMs: this.timeouts.command}) as typeof done;
		} finally {
			this.injected = undefined;
			if (held.bytes > 0) {
				this.add('error', `Discarded ${held.bytes} bytes the server sent after its 220 and before TLS began: "${Buffer.concat(held.head).toString('latin1').slice(0, injectionQuoted)}". A correct server sends nothing there; this is the STARTTLS response-injection pattern.`, step, {deviation: 'starttls-injection'});
			}
		}

		this.wireTls = true;
		return done;
	}

	private recordTls(facts: TlsFacts, step: StepKind, certificateProblem?: string, opportunistic = false): void {
		this.lastTlsFacts = facts;
		const why = opportunistic
			? ' — continuing: this STARTTLS is opportunistic (a relay port, or TLS optional here), which encrypts without insisting on a verified certificate, as mail servers do (RFC 7435); a submission port, or --tls starttls, would stop here'
			: ' — continuing because of --insecure';
		const verified = facts.authorized ? 'certificate verified' : `certificate NOT verified (${certificateProblem ?? facts.authorizationError ?? 'unknown reason'})${why}`;
		const explain = opportunistic && !facts.authorized ? ['The connection is encrypted, so a passive eavesdropper reads nothing, but the server is not authenticated: someone on the path could pose as it. smtp-tui will not send a password over it.'] : undefined;
		this.add('tls', `TLS handshake: ${facts.protocol} ${facts.cipher}; ${verified}`, step, {tlsFacts: facts, ...(explain ? {explain} : {})});
	}

	/** The mechanism to use: --auth's, else the best the server offers. */
	private chosenMechanism(): string {
		const offered = this.planState.capabilities?.auth ?? [];
		return this.options.mechanism?.toUpperCase() ?? mechanismPreference.find(m => offered.includes(m) && (m !== 'XOAUTH2' || this.options.credentials?.token)) ?? offered[0] ?? 'PLAIN';
	}

	private createSasl(): SaslExchange {
		return createSasl(this.chosenMechanism(), this.options.credentials ?? {user: ''});
	}

	private *authenticate(): Job<boolean> {
		const offered = this.planState.capabilities?.auth ?? [];
		const mechanism = this.chosenMechanism();
		if (!offered.includes(mechanism)) {
			// As swaks does ("requested type not available"): a mechanism the server did not list
			// would only be refused, and with CRAM-MD5 or LOGIN the first line already carries data.
			this.fail('auth', new SessionFailure('local', `The server offers AUTH ${offered.join(' ') || '(nothing)'}, not ${mechanism} (asked for with --auth); smtp-tui did not send AUTH. Leave out --auth to use one it offers.`));
			return false;
		}

		const sasl = this.createSasl();

		if (!this.planState.tls) {
			// Only reachable with --insecure-auth (the plan blocks it otherwise): say it loudly.
			const what = sasl.mechanism === 'XOAUTH2' ? 'the token travels' : sasl.mechanism === 'CRAM-MD5' ? 'a digest of the password travels (open to offline guessing)' : 'the password travels';
			this.add('error', `Warning: logging in without TLS because of --insecure-auth; ${what} readable by anyone on the path (base64 is not encryption).`, 'auth');
		}

		let line: SaslLine = sasl.start();
		this.planState.authDone = true;
		for (let round = 0; ; round++) {
			yield* this.sendSasl(line);
			const reply = yield* this.read('auth', this.timeouts.command, 'AUTH');
			if (reply.code === 235) {
				this.planState.authenticated = true;
				return true;
			}

			if (reply.code !== 334) {
				this.fail('auth', new SessionFailure('protocol', `AUTH ${sasl.mechanism} failed with ${withEnhanced(reply)}.`));
				return false;
			}

			if (round >= maxChallenges) {
				yield* this.sendSasl(sasl.cancel());
				yield* this.read('auth', this.timeouts.command, 'the AUTH cancel');
				this.fail('auth', new SessionFailure('protocol', `The server sent more than ${maxChallenges} AUTH challenges; smtp-tui cancelled the exchange.`));
				return false;
			}

			line = sasl.respond(reply.lines.at(-1) ?? '');
		}
	}

	private *sendSasl(line: SaslLine): Job<void> {
		yield* this.send(line.wire, 'auth', line);
	}

	private *simple(next: {kind: StepKind; recipient?: string}, override?: string): Job<boolean> {
		const kind = next.kind;
		const line = override ?? this.commandFor(next);
		if (kind === 'mail') this.noteEightBit();
		yield* this.send(line, kind);
		const timeout = kind === 'mail' ? this.timeouts.mail : kind === 'rcpt' ? this.timeouts.rcpt : kind === 'data' ? this.timeouts.data : this.timeouts.command;
		const s = this.planState;
		if (kind === 'quit') {
			s.quitDone = true;
			try {
				const reply = yield* this.read('quit', timeout, 'QUIT');
				if (reply.code >= 400) this.fail('quit', new SessionFailure('protocol', `QUIT was answered with ${reply.code}.`));
			} finally {
				s.ended = true;
			}

			this.events.push({type: 'close'});
			return true;
		}

		const reply = yield* this.read(kind, timeout, kind.toUpperCase());
		switch (kind) {
			case 'mail':
				s.mailDone = true;
				return this.expect(kind, reply, 250, 'MAIL FROM');
			case 'rcpt':
				s.rcptIndex++;
				if (reply.code === 250 || reply.code === 251) {
					s.rcptAccepted++;
					return true;
				}

				if (s.rcptIndex >= this.config.recipients.length && s.rcptAccepted === 0) {
					this.fail('rcpt', new SessionFailure('protocol', `No recipient was accepted (last answer ${withEnhanced(reply)}).`));
					s.stopping = true;
				}

				return false;
			case 'data':
				s.dataDone = true;
				if (reply.code === 354) this.openMessage();
				return this.expect(kind, reply, 354, 'DATA');
			default:
				return reply.code < 400;
		}
	}

	private expect(kind: StepKind, reply: Reply, code: number, what: string): boolean {
		if (reply.code === code) return true;
		this.fail(kind, new SessionFailure('protocol', `${what} was refused with ${withEnhanced(reply)}.`));
		return false;
	}

	private openMessage(): void {
		this.messageOpen = true;
		this.messageHeader = true;
		this.typedBody = false;
	}

	private *sendBody(): Job<boolean> {
		this.requireConnected();
		this.messageOpen = false;
		const encoded = this.typedBody ? Buffer.from('.\r\n') : this.encodedMessage();
		const lines = this.typedBody ? [this.gate.text('.')] : this.shownMessage();
		for (const line of lines) this.add('client', line, 'body');
		yield {type: 'send', data: encoded, timeoutMs: this.timeouts.body, what: 'the message'};
		this.planState.bodyDone = true;
		// Not kept for the rest of the session (a 6 MB body would be held twice, as these bytes and
		// as the transcript's lines): another transaction rebuilds it, byte for byte the same (the
		// Date and Message-ID are kept). Not before the body step stops being next: a preview
		// drawn while the bytes are being written would build it all again.
		this.cachedMessage = undefined;
		const reply = yield* this.read('body', this.timeouts.body, 'the end of the message');
		if (reply.code === 250) return true;
		this.fail('body', new SessionFailure('protocol', `The message was refused with ${withEnhanced(reply)}.`));
		return false;
	}

	private *applyManual(verb: string, reply: Reply): Job<void> {
		const s = this.planState;
		switch (verb) {
			case 'EHLO':
			case 'HELO':
				if (reply.code === 250) {
					s.ehloDone = true;
					if (verb === 'EHLO') this.learnCapabilities(reply);
				}

				break;
			case 'STARTTLS':
				if (reply.code === 220) {
					const {facts, certificateProblem} = yield* this.upgrade(this.options.insecureTls, 'manual');
					Object.assign(s, {tls: true, starttlsDone: true, ehloDone: false, capabilities: undefined});
					this.recordTls(facts, 'manual', certificateProblem);
				}

				break;
			case 'AUTH':
				if (reply.code === 235) Object.assign(s, {authDone: true, authenticated: true});
				break;
			case 'MAIL':
				if (reply.code === 250) Object.assign(s, {mailDone: true, stopping: false});
				break;
			case 'RCPT':
				if (reply.code === 250 || reply.code === 251) {
					s.rcptAccepted++;
					s.stopping = false;
				}

				break;
			case 'DATA':
				if (reply.code === 354) {
					Object.assign(s, {dataDone: true, bodyDone: false, rcptIndex: this.config.recipients.length});
					this.openMessage();
				}

				break;
			case 'RSET':
				if (reply.code === 250) {
					Object.assign(s, {mailDone: false, rcptIndex: 0, rcptAccepted: 0, dataDone: false, bodyDone: false, stopping: false});
					// The plan does MAIL, RCPT, DATA and the message again: they are ahead again.
					this.plannedDone -= this.transactionDone;
					this.transactionDone = 0;
				}

				break;
			case 'QUIT':
				s.quitDone = true;
				s.ended = true;
				this.events.push({type: 'close'});
				break;
			default:
				break;
		}
	}

	// ——— lines, the message, the transcript ———

	/** The Next pane while a SASL exchange typed by hand waits for the answer to a 334. */
	private saslWait(next: NextStep): Preview {
		const challenge = this.gate.text(this.gate.openChallenge);
		return {
			kind: next.kind,
			lines: [],
			description: `The server waits for your answer to its 334${challenge ? ` ("${challenge}")` : ''}`,
			waiting: 'Press m and type the answer in base64, or * alone to cancel the login; enter sends nothing until then.',
			editable: false,
		};
	}

	private preview(next: NextStep): Preview {
		const describe = (kind: StepKind) => explainStep(kind).summary;
		switch (next.kind) {
			case 'done':
				return {kind: 'done', lines: [], description: 'The session is over. Press r to start again.', editable: false};
			case 'blocked':
				return {kind: 'blocked', lines: [], description: next.block.message, editable: false};
			case 'connect': {
				const how = this.config.tls === 'implicit' ? ', TLS from the first byte' : '';
				return {kind: 'connect', lines: [`(connect to ${this.options.target}${how})`], description: describe('connect'), editable: false};
			}

			case 'auth': {
				const first = this.createSasl().start();
				return {kind: 'auth', lines: [first.display], decoded: first.decoded, description: describe('auth'), editable: false};
			}

			case 'body':
				if (this.typedBody) return {kind: 'body', lines: ['.'], description: 'End the message you typed with a lone dot (or press m to type more lines)', editable: false};
				return {kind: 'body', lines: this.shownMessage(), description: describe('body'), editable: false};
			default:
				return {kind: next.kind, lines: [this.commandFor(next)], description: describe(next.kind), editable: true};
		}
	}

	private commandFor(next: {kind: StepKind; recipient?: string}): string {
		const caps = this.planState.capabilities;
		switch (next.kind) {
			case 'ehlo':
				return commands.ehlo(this.options.ehlo);
			case 'helo':
				return commands.helo(this.options.ehlo);
			case 'starttls':
				return commands.starttls();
			case 'mail': {
				const size = this.encodedMessage().length;
				// BODY=8BITMIME (RFC 6152) when the bytes need it; SMTPUTF8 (RFC 6531) for a UTF-8 address.
				return commands.mailFrom(this.options.from, {size, body: this.messageIsAscii() ? undefined : '8BITMIME', smtputf8: this.config.utf8Addresses}, caps);
			}

			case 'rcpt':
				return commands.rcptTo(next.recipient ?? '');
			case 'data':
				return commands.data();
			case 'rset':
				return commands.rset();
			case 'noop':
				return commands.noop();
			case 'quit':
				return commands.quit();
			default:
				return '';
		}
	}

	/** The server took EHLO and offers 8BITMIME, so a UTF-8 body may travel as it is. */
	private get eightBitOffered(): boolean {
		const caps = this.planState.capabilities;
		return caps ? hasExtension(caps, '8BITMIME') : false;
	}

	/** The message as it goes out, as bytes: the same Date and Message-ID whichever encoding the server allows. */
	private message(): Buffer {
		const eightBit = this.eightBitOffered;
		if (this.cachedMessage?.eightBit !== eightBit) {
			const raw = this.options.rawMessage;
			let bytes: Buffer;
			if (raw !== undefined) {
				bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
			} else {
				this.messageId ??= makeMessageId(this.options.from);
				bytes = Buffer.from(buildMessage({
					from: this.options.from,
					to: this.options.to,
					subject: this.options.subject,
					headers: this.options.headers,
					body: this.options.body,
					bodyName: this.options.bodyName,
					date: this.messageDate,
					messageId: this.messageId,
					eightBit,
				}), 'utf8');
			}

			this.cachedMessage = {eightBit, bytes};
		}

		return this.cachedMessage.bytes;
	}

	private messageFacts(): NonNullable<SmtpClientConversation['cachedMessage']> {
		this.message();
		return this.cachedMessage!;
	}

	/** The message dot-stuffed and ended with the lone dot, as the DATA payload. */
	private encodedMessage(): Buffer {
		const facts = this.messageFacts();
		facts.encoded ??= encodeDataBytes(facts.bytes);
		return facts.encoded;
	}

	private messageIsAscii(): boolean {
		const facts = this.messageFacts();
		facts.ascii ??= isAsciiBytes(facts.bytes);
		return facts.ascii;
	}

	/** The payload's lines as the transcript and the body preview show them: the same strings. */
	private shownMessage(): string[] {
		const facts = this.messageFacts();
		const secrets = this.gate.known.length;
		if (facts.shown?.secrets !== secrets) facts.shown = {secrets, lines: shownLines(this.encodedMessage()).map(line => this.gate.text(line))};
		return facts.shown.lines;
	}

	/** Said at MAIL when the server's lack of 8BITMIME changes how the message travels. */
	private noteEightBit(): void {
		if (this.eightBitOffered || !this.planState.capabilities) return;
		const message = this.message();
		if (this.options.rawMessage !== undefined) {
			if (!this.messageIsAscii()) this.add('info', 'The server does not offer 8BITMIME, but this message has 8-bit bytes: it goes as it is, undeclared; a strict server may refuse or alter it (RFC 6152).', 'mail');
			return;
		}

		const end = message.indexOf('\r\n\r\n');
		const header = message.subarray(0, end === -1 ? message.length : end).toString('latin1');
		if (/quoted-printable|base64/.test(header) && typeof this.options.body === 'string' && !isAscii(this.options.body)) {
			this.add('info', 'The server does not offer 8BITMIME, so the UTF-8 body goes quoted-printable (7-bit): the bytes change on the wire, the text the recipient reads does not (RFC 2045 §6.7).', 'mail');
		}
	}

	/** Sends one line; its entry is what the secret gate makes of it (`planned`: sasl.ts's masked form). */
	private *send(line: string, step: StepKind, planned?: PlannedLine, explain?: string[]): Job<GatedLine> {
		this.requireConnected();
		const early = this.replies.splice(0);
		for (const reply of early) {
			this.recordReply(reply, step, 'The server sent this before it was asked (it talks out of turn; a correct server waits for the command).');
		}

		const shown = this.gate.client(line, planned);
		this.add('client', shown.text, step, {secret: shown.secret, decoded: shown.decoded, ...(explain ? {explain} : {})});
		if (this.broken) throw this.broken;
		const startsTls = step !== 'body' && commands.verbOf(line) === 'STARTTLS';
		yield {type: 'send', data: Buffer.from(line + '\r\n', 'utf8'), timeoutMs: this.timeouts.command, what: 'the command', ...(startsTls ? {startsTls} : {})};
		return shown;
	}

	private *read(step: StepKind, timeoutMs: number, waitingFor: string, answers?: StepKind, banner = false): Job<Reply> {
		const reply = (yield {type: 'read', timeoutMs, waitingFor, banner}) as Reply;
		this.gate.replied(reply.code === 334, reply.lines.at(-1));
		this.events.push({type: 'reply', reply, step});
		this.recordReply(reply, step, undefined, answers);
		return reply;
	}

	/** `answers`: the command the reply answers, when it is not the step's own (a typed command). */
	private recordReply(reply: Reply, step: StepKind, deviation?: string, answers?: StepKind): void {
		const isEhlo = (step === 'ehlo' || (step === 'manual' && reply.code === 250 && reply.raw.length > 1));
		const masked = this.gate.server(reply.raw);
		reply.raw.forEach((_raw, index) => {
			const raw = masked[index]!;
			const last = index === reply.raw.length - 1;
			const explain: string[] = [];
			if (isEhlo && index > 0) {
				const [keyword = '', ...params] = (reply.lines[index] ?? '').split(/[ =]/);
				const ext = explainExtension(keyword, params);
				explain.push(`${ext.summary} (${ext.rfc})`);
			} else if (isEhlo && !last) {
				explain.push(`${ehloFirstLine.summary} (${ehloFirstLine.rfc})`);
			}

			if (last) explain.push(...explainReplyLines(reply.code, reply.enhanced, answers ?? (step === 'manual' ? undefined : step)));
			if ((step === 'auth' || step === 'manual') && reply.code === 334) {
				const decoded = this.gate.text(decodeChallenge(reply.lines[index] ?? ''));
				this.add('server', raw, step, {code: reply.code, last, explain, decoded});
				return;
			}

			this.add('server', raw, step, {
				code: reply.code,
				enhanced: last ? reply.enhanced : undefined,
				last,
				explain,
				deviation: index === 0 ? (deviation ?? (reply.bareLf ? 'The server ended a line with a bare LF instead of CRLF (RFC 5321 §2.3.8).' : undefined)) : undefined,
			});
		});
	}

	private add(direction: Direction, text: string, step: StepKind, extra: Partial<EntryDraft> = {}): void {
		const entry: EntryDraft = {
			direction,
			// Client and server lines come gated from send() and recordReply(); the rest is gated here.
			text: direction === 'client' || direction === 'server' ? text : this.gate.text(text),
			step,
			stepIndex: this.stepIndex,
			tls: this.wireTls,
			secret: false,
			...extra,
		};
		if (entry.explain) entry.explain = entry.explain.map(line => this.gate.text(line));
		if (entry.deviation !== undefined) entry.deviation = this.gate.text(entry.deviation);
		if (direction === 'server') this.serverLines++;
		this.events.push({type: 'entry', entry});
	}

	private requireConnected(): void {
		if (!this.planState.connected) throw new SessionFailure('local', 'Not connected.');
	}

	/** `codeStep`: the step whose exit code applies, when not `step` (a typed MAIL counts as MAIL). */
	private fail(step: StepKind, failure: SessionFailure, codeStep: StepKind = step): void {
		const message = this.gate.text(failure.message);
		this.add('error', message, step);
		this.first ??= {message, step: codeStep, kind: failure.kind, afterTls: this.planState.tls && codeStep !== 'connect' && this.planState.starttlsDone};
	}

	private handleError(step: StepKind, error: unknown, codeStep?: StepKind): SessionFailure {
		const failure = error instanceof SessionFailure ? error
			: error instanceof LocalInputError ? new SessionFailure('local', error.message)
				: new SessionFailure('protocol', `Unexpected error: ${error instanceof Error ? error.message : String(error)}`);
		if (failure.kind === 'local') {
			// Bad input from the user: nothing was sent, so the session goes on unchanged.
			this.add('error', this.gate.text(failure.message), step);
			return failure;
		}

		if (failure.tlsFacts) {
			this.lastTlsFacts = failure.tlsFacts;
			this.add('tls', `TLS handshake: ${failure.tlsFacts.protocol} ${failure.tlsFacts.cipher}; certificate refused`, step, {tlsFacts: failure.tlsFacts});
		}

		// The lines of a broken reply are shown as received (gated like any reply), then the error.
		if (failure.received) for (const line of this.gate.server([...failure.received])) this.add('server', line, step, {last: false});
		// Only a line that is not an SMTP reply at all suggests another protocol (not a cap hit).
		const beforeBanner = step === 'connect' && failure.kind === 'protocol' && /not an SMTP reply|reply codes must start with/.test(failure.message) && this.serverLines === 0;
		this.fail(step, beforeBanner ? new SessionFailure('protocol', `${failure.message} This port does not seem to speak SMTP.`) : failure, codeStep);
		this.events.push({type: 'close'});
		this.planState.ended = true;
		return failure;
	}

	/** Bad input in the plan itself: nothing more can be sent but QUIT; exit code 2 (usage). */
	private stopOnLocalError(failure: SessionFailure): void {
		this.first ??= {message: this.gate.text(failure.message), step: 'connect', kind: 'usage', afterTls: false};
		if (this.planState.connected) this.planState.stopping = true;
		else this.planState.ended = true;
	}
}
