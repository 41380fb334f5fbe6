// A step-through SMTP session: `step()` performs exactly one protocol step and appends
// its transcript entries; `peek()` says what the next step will send before it goes out.
import * as commands from '../protocol/commands.js';
import {parseEhlo, diffCapabilities, describeDiff, hasExtension, type Capabilities} from '../protocol/ehlo.js';
import {LocalInputError} from '../protocol/errors.js';
import {explainExtension, explainMessageLine, explainReplyLines, explainStep} from '../protocol/explain.js';
import {buildMessage, encodeData, headerFieldAddresses, isAscii, makeMessageId} from '../protocol/message.js';
import {SecretGate, type GatedLine, type PlannedLine} from '../protocol/redact.js';
import type {Reply} from '../protocol/reply-parser.js';
import {createSasl, decodeChallenge, type SaslCredentials, type SaslExchange, type SaslLine} from '../protocol/sasl.js';
import type {Direction, StepKind, TlsFacts, TranscriptEntry} from '../protocol/transcript.js';
import {Connection, describeCertError, formatTarget, speaksTls, type TlsOptions} from './connection.js';
import {StepGate} from './driver.js';
import {exitCodeForStep, exitCodes} from './exit-codes.js';
import {SessionFailure} from './failure.js';
import {initialPlanState, nextStep, plannedStepCount, reachedQuitAfter, type NextStep, type PlanConfig, type PlanState, type QuitAfter} from './plan.js';
import {resolveTlsMode, type TlsMode} from './profiles.js';
import type {SessionLike} from './replay.js';

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

export type SessionOptions = {
	host: string;
	port: number;
	tls: TlsMode;
	tlsOptions: TlsOptions;
	ehlo: string;
	from: string;
	to: string[];
	credentials?: SaslCredentials;
	/**
	 * Secrets this session never sends but must still mask wherever they show: compare gives
	 * every column the password of the others, since one server may echo on port 25 what it
	 * learned from AUTH on 587.
	 */
	maskSecrets?: readonly string[];
	/** SASL mechanism; default: the best the server offers. */
	mechanism?: string;
	insecureAuth?: boolean;
	quitAfter?: QuitAfter;
	timeouts?: Partial<Timeouts>;
	headers?: string[];
	subject?: string;
	/** Text, or the bytes of a --body-file that is not UTF-8 (attached, byte for byte). */
	body?: string | Uint8Array;
	/** The name a byte body is attached under (the --body-file's name). */
	bodyName?: string;
	/**
	 * The exact message to send (as a relaying server hands on what it received), instead of
	 * one built from subject/headers/body. Sent CRLF-normalised and dot-stuffed, nothing else.
	 * Bytes (a relay handing on what it received) go out byte for byte, 8-bit and non-UTF-8 included.
	 */
	rawMessage?: string | Uint8Array;
	family?: 4 | 6;
	localAddress?: string;
	/** Shown in the status line: "lab:587" or the host. */
	label?: string;
	/** The well-known port whose behaviour applies (the lab listens elsewhere). */
	profilePort?: number;
	/** Lines shown before connecting, e.g. the MX lookup that chose the host. */
	preamble?: string[];
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
};

export type StepOutcome = {ok: boolean; failure?: SessionFailure};

/** SASL challenges answered at most before giving up (a server looping on 334). */
const maxChallenges = 10;
/** The planned step a typed command stands for, so its reply is explained in context. */
const manualSteps: Readonly<Record<string, StepKind>> = {EHLO: 'ehlo', HELO: 'helo', STARTTLS: 'starttls', AUTH: 'auth', MAIL: 'mail', RCPT: 'rcpt', DATA: 'data', RSET: 'rset', NOOP: 'noop', QUIT: 'quit'};
/** Silence after connect before smtp-tui asks whether the port speaks TLS instead. */
const silentPortMs = 2000;
/** How long that TLS question may take. */
const tlsProbeMs = 5000;
/** Order of preference when the user does not name a mechanism. */
const mechanismPreference = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'];

/** The answer to a step started while another is in flight: refused, with the reason. */
function refusedStep(failure: SessionFailure): StepOutcome {
	return {ok: false, failure};
}

/** A line typed by hand, checked: the line, or the outcome that says why it cannot go out. */
function typedLine(input: string, validate: (line: string) => string): string | StepOutcome {
	try {
		return validate(input);
	} catch (error) {
		if (error instanceof LocalInputError) return {ok: false, failure: new SessionFailure('local', error.message)};
		throw error;
	}
}

export class Session implements SessionLike {
	readonly options: SessionOptions;
	readonly entries: TranscriptEntry[] = [];
	readonly target: string;
	private planState: PlanState = {...initialPlanState};
	private readonly config: PlanConfig;
	private readonly timeouts: Timeouts;
	private connection?: Connection;
	private readonly started = performance.now();
	private stepIndex = 0;
	/** Planned steps performed (the status line's "step n/m"; manual commands do not count). */
	private plannedDone = 0;
	/** Between DATA's 354 and the lone dot: lines typed by hand are message lines. */
	private messageOpen = false;
	/** No blank line typed yet in the message typed by hand: its lines are header fields. */
	private messageHeader = true;
	/** Some of the message was typed by hand: the body step then only sends the lone dot. */
	private typedBody = false;
	private listeners = new Set<(entry: TranscriptEntry) => void>();
	/** One step at a time: a second one while one is in flight is refused, never run. */
	private readonly steps = new StepGate();
	private firstFailure?: {exitCode: number; message: string};
	private capsBeforeTls?: Capabilities;
	private lastTlsFacts?: TlsFacts;
	/** The secret gate: every entry's text passes it (the password, the token, SASL typed by hand). */
	private readonly gate: SecretGate;

	constructor(options: SessionOptions) {
		this.options = options;
		this.target = formatTarget(options.host, options.port);
		this.timeouts = {...rfcTimeouts, ...options.timeouts};
		this.config = {
			tls: resolveTlsMode(options.tls, options.profilePort ?? options.port),
			wantAuth: Boolean(options.credentials),
			insecureAuth: options.insecureAuth ?? false,
			recipients: options.to,
			quitAfter: options.quitAfter,
			// A UTF-8 address in a --header From:/To:/... needs SMTPUTF8 just as one in the envelope.
			utf8Addresses: [options.from, ...options.to, ...(options.rawMessage === undefined ? headerFieldAddresses(options.headers ?? []) : [])].some(address => !isAscii(address)),
		};
		this.gate = new SecretGate([options.credentials?.password, options.credentials?.token, ...(options.maskSecrets ?? [])], 'smtp');
	}

	get state(): Readonly<PlanState> {
		return this.planState;
	}

	get tlsFacts(): TlsFacts | undefined {
		return this.lastTlsFacts;
	}

	get capabilitiesBeforeTls(): Capabilities | undefined {
		return this.capsBeforeTls;
	}

	/** 0 when everything went as planned, else the exit code of the first failure. */
	get exitCode(): number {
		return this.firstFailure?.exitCode ?? exitCodes.ok;
	}

	get failureMessage(): string | undefined {
		return this.firstFailure?.message;
	}

	get done(): boolean {
		return nextStep(this.planState, this.config).kind === 'done';
	}

	/** Planned steps performed so far (commands typed by hand are not counted). */
	get stepNumber(): number {
		return this.plannedDone;
	}

	get plannedSteps(): number {
		return Math.max(plannedStepCount(this.config, this.planState), this.plannedDone);
	}

	/** After DATA's 354, before the lone dot: what is typed by hand goes into the message. */
	get inMessage(): boolean {
		return this.messageOpen && !this.planState.ended;
	}

	/** A SASL exchange typed by hand waits for the answer to the server's 334. */
	get awaitingSaslAnswer(): boolean {
		return this.gate.awaitingResponse && !this.planState.ended;
	}

	get elapsedMs(): number {
		return performance.now() - this.started;
	}

	onEntry(listener: (entry: TranscriptEntry) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	next(): NextStep {
		return nextStep(this.planState, this.config);
	}

	/** What the next step will send, before anything goes out. */
	peek(): Preview {
		const next = this.next();
		try {
			return this.preview(next);
		} catch (error) {
			// The step's line cannot be built from the user's input: say why instead of throwing
			// (step() then reports the same sentence and stops).
			if (!(error instanceof LocalInputError)) throw error;
			return {kind: next.kind, lines: [], description: this.gate.text(error.message), editable: false};
		}
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
				return {kind: 'connect', lines: [`(connect to ${this.target}${how})`], description: describe('connect'), editable: false};
			}

			case 'auth': {
				const first = this.createSasl().start();
				return {kind: 'auth', lines: [first.display], decoded: first.decoded, description: describe('auth'), editable: false};
			}

			case 'body':
				if (this.typedBody) return {kind: 'body', lines: ['.'], description: 'End the message you typed with a lone dot (or press m to type more lines)', editable: false};
				return {kind: 'body', lines: this.messageLines(), description: describe('body'), editable: false};
			default:
				return {kind: next.kind, lines: [this.commandFor(next)], description: describe(next.kind), editable: true};
		}
	}

	/** Performs the next planned step; `override` replaces its command line (edited by the user). */
	async step(override?: string): Promise<StepOutcome> {
		return this.steps.run(async () => this.stepNow(override), refusedStep);
	}

	private async stepNow(override?: string): Promise<StepOutcome> {
		const next = this.next();
		if (next.kind === 'done') return {ok: true};
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
				return this.manualNow(override);
			}
		}

		this.stepIndex++;
		this.plannedDone++;
		try {
			if (override !== undefined) override = commands.validateCommandLine(override);
			const ok = await this.perform(next, override);
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

	/** Marks the next step as done without sending it. */
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
				this.connection?.close();
				s.ended = true;
				break;
			default:
				break;
		}

		this.add('info', `(skipped ${next.kind.toUpperCase()})`, next.kind);
	}

	/** Sends a command typed by the user and reads its reply. */
	async manual(input: string): Promise<StepOutcome> {
		return this.steps.run(async () => this.manualNow(input), refusedStep);
	}

	private async manualNow(input: string): Promise<StepOutcome> {
		if (!this.connection || this.planState.ended) {
			return {ok: false, failure: new SessionFailure('local', 'Not connected: press r to start a new session.')};
		}

		const message = this.inMessage;
		const line = typedLine(input, message ? commands.validateMessageLine : commands.validateCommandLine);
		if (typeof line !== 'string') return line;
		if (message) return this.messageLine(line);
		const verb = commands.verbOf(line);
		// Credentials never go out without TLS (SecretGate.carriesCredentials says which lines
		// carry them). A bare "AUTH PLAIN" carries none, so it goes (and shows the server's 530).
		if (this.gate.carriesCredentials(line) && !this.planState.tls && !this.config.insecureAuth) {
			return {ok: false, failure: new SessionFailure('local', 'Not sent: this line carries credentials, and without TLS they would travel readable by anyone on the path; run STARTTLS first, or start smtp-tui with --insecure-auth.')};
		}

		this.stepIndex++;
		try {
			const sent = await this.send(line, 'manual');
			const reply = await this.read('manual', this.timeouts.command, sent.secret ? 'the SASL response' : `the command ${verb || 'line'}`, sent.secret ? 'auth' : manualSteps[verb]);
			await this.applyManual(verb, reply);
			return {ok: reply.code < 400};
		} catch (error) {
			return {ok: false, failure: this.handleError('manual', error, manualSteps[verb])};
		}
	}

	/** One line of a message typed by hand after 354: sent as typed; only the lone dot gets a reply. */
	private async messageLine(line: string): Promise<StepOutcome> {
		const explain = explainMessageLine(line, this.messageHeader);
		if (line === '') this.messageHeader = false;
		this.stepIndex++;
		this.typedBody = true;
		try {
			await this.send(line, 'body', undefined, explain);
			if (line !== '.') return {ok: true};
			this.messageOpen = false;
			this.planState.bodyDone = true;
			const reply = await this.read('body', this.timeouts.body, 'the end of the message');
			return {ok: reply.code === 250};
		} catch (error) {
			return {ok: false, failure: this.handleError('body', error)};
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

	private async perform(next: Exclude<NextStep, {kind: 'done' | 'blocked'}>, override?: string): Promise<boolean> {
		const kind = next.kind;
		switch (kind) {
			case 'connect':
				return this.connect();
			case 'ehlo':
			case 'helo':
				return this.greet(kind, override);
			case 'starttls':
				return this.starttls(override);
			case 'auth':
				return this.authenticate();
			case 'body':
				return this.sendBody();
			default:
				return this.simple(next, override);
		}
	}

	private async connect(): Promise<boolean> {
		this.checkInputs();
		const implicit = this.config.tls === 'implicit';
		(this.options.preamble ?? []).forEach((line, index) => {
			this.add('info', line, 'connect', index === 0 ? {explain: ['A sending server finds the receiving server through DNS: the MX records of the recipient domain, lowest preference first; with none, the domain\'s own address (RFC 5321 §5.1).']} : {});
		});
		this.add('info', `Connecting to ${this.target}${implicit ? ' with TLS from the first byte' : ''}…`, 'connect');
		// Made before it connects, so close() can call the connect off (nothing is left open).
		const connection = new Connection({
			host: this.options.host,
			port: this.options.port,
			implicitTls: implicit,
			connectTimeoutMs: this.timeouts.connect,
			tls: this.options.tlsOptions,
			family: this.options.family,
			localAddress: this.options.localAddress,
		});
		this.connection = connection;
		const facts = await connection.connect();
		this.planState.connected = true;
		this.add('info', `Connected to ${this.target}.`, 'connect');
		if (facts) {
			this.planState.tls = true;
			this.recordTls(facts, 'connect');
		}

		const banner = implicit ? await this.read('connect', this.timeouts.greeting, 'with a banner') : await this.readBanner();
		if (banner.code !== 220) {
			this.fail('connect', new SessionFailure('protocol', `The server refused the session with ${banner.code} instead of a 220 banner.`));
			return false;
		}

		return true;
	}

	/**
	 * The banner on a plaintext connection. A port that stays silent for a moment is asked,
	 * on a second connection, whether it answers a TLS hello: an implicit-TLS port (465)
	 * waits for the client to speak first and would otherwise hang until the greeting timeout.
	 */
	private async readBanner(): Promise<Reply> {
		const connection = this.requireConnection();
		const settled = connection.readReply(this.timeouts.greeting, 'with a banner').then(reply => ({reply}), (error: unknown) => ({error}));
		let timer: NodeJS.Timeout | undefined;
		const silence = new Promise<'silent'>(resolve => {
			timer = setTimeout(resolve, Math.min(silentPortMs, this.timeouts.greeting / 2), 'silent');
		});
		let first = await Promise.race([settled, silence]);
		clearTimeout(timer);
		if (first === 'silent') {
			this.add('info', 'No banner yet; asking (on a second connection) whether this port speaks TLS from the first byte…', 'connect');
			// Whatever answers first wins; the other question is called off, so nothing lingers.
			const stop = new AbortController();
			const probe = speaksTls({host: this.options.host, port: this.options.port, family: this.options.family, localAddress: this.options.localAddress}, this.options.tlsOptions.servername, Math.min(this.timeouts.connect, tlsProbeMs), stop.signal).then(yes => yes ? 'tls' as const : 'plain' as const);
			const answer = await Promise.race([settled, probe]);
			stop.abort();
			if (answer === 'tls') {
				connection.close();
				await settled;
				throw new SessionFailure('protocol', `${this.target} sent no SMTP banner but answered a TLS hello: this port speaks TLS from the first byte: try \`--tls implicit\`.`);
			}

			first = answer === 'plain' ? await settled : answer;
		}

		if ('error' in first) throw first.error;
		this.recordReply(first.reply, 'connect');
		return first.reply;
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

	private async greet(kind: 'ehlo' | 'helo', override?: string): Promise<boolean> {
		const line = override ?? this.commandFor({kind});
		await this.send(line, kind);
		const reply = await this.read(kind, this.timeouts.command, `EHLO`);
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

	private async starttls(override?: string): Promise<boolean> {
		const connection = this.requireConnection();
		await this.send(override ?? commands.starttls(), 'starttls');
		const reply = await this.read('starttls', this.timeouts.command, 'STARTTLS');
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

		const host = this.options.host;
		// Opportunistic STARTTLS (port 25, or a port where TLS is optional): encrypt whatever
		// the certificate, as MTAs and swaks do (RFC 7435); the problem is recorded, not fatal.
		const opportunistic = this.config.tls === 'opportunistic' && !this.options.tlsOptions.insecure;
		const tlsOptions = opportunistic ? {...this.options.tlsOptions, insecure: true} : this.options.tlsOptions;
		const {facts, injected} = await connection.upgrade(host, tlsOptions, this.timeouts.command);
		if (injected.length > 0) {
			this.add('error', `Discarded ${injected.length} bytes the server sent after its 220 and before TLS began: "${injected.toString('latin1').slice(0, 120)}". A correct server sends nothing there; this is the STARTTLS response-injection pattern.`, 'starttls', {deviation: 'starttls-injection'});
		}

		this.planState.tls = true;
		this.planState.starttlsDone = true;
		// RFC 3207 §4.2: after the upgrade both sides forget what they knew; EHLO again.
		this.planState.ehloDone = false;
		this.planState.useHelo = false;
		this.planState.capabilities = undefined;
		if (opportunistic && !facts.authorized) this.planState.unverifiedTls = true;
		this.recordTls(facts, 'starttls', opportunistic);
		return true;
	}

	private recordTls(facts: TlsFacts, step: StepKind, opportunistic = false): void {
		this.lastTlsFacts = facts;
		const why = opportunistic
			? ' — continuing: this STARTTLS is opportunistic (a relay port, or TLS optional here), which encrypts without insisting on a verified certificate, as mail servers do (RFC 7435); a submission port, or --tls starttls, would stop here'
			: ' — continuing because of --insecure';
		const verified = facts.authorized ? 'certificate verified' : `certificate NOT verified (${describeCertError(facts.authorizationError, facts)})${why}`;
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

	private async authenticate(): Promise<boolean> {
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
			// Only reachable with --insecure-auth (plan.ts blocks it otherwise): say it loudly.
			const what = sasl.mechanism === 'XOAUTH2' ? 'the token travels' : sasl.mechanism === 'CRAM-MD5' ? 'a digest of the password travels (open to offline guessing)' : 'the password travels';
			this.add('error', `Warning: logging in without TLS because of --insecure-auth; ${what} readable by anyone on the path (base64 is not encryption).`, 'auth');
		}

		let line: SaslLine = sasl.start();
		this.planState.authDone = true;
		for (let round = 0; ; round++) {
			await this.sendSasl(line);
			const reply = await this.read('auth', this.timeouts.command, 'AUTH');
			if (reply.code === 235) {
				this.planState.authenticated = true;
				return true;
			}

			if (reply.code !== 334) {
				this.fail('auth', new SessionFailure('protocol', `AUTH ${sasl.mechanism} failed with ${reply.code}${reply.enhanced ? ' ' + reply.enhanced : ''}.`));
				return false;
			}

			if (round >= maxChallenges) {
				await this.sendSasl(sasl.cancel());
				await this.read('auth', this.timeouts.command, 'the AUTH cancel');
				this.fail('auth', new SessionFailure('protocol', `The server sent more than ${maxChallenges} AUTH challenges; smtp-tui cancelled the exchange.`));
				return false;
			}

			line = sasl.respond(reply.lines.at(-1) ?? '');
		}
	}

	private async sendSasl(line: SaslLine): Promise<void> {
		await this.send(line.wire, 'auth', line);
	}

	private async simple(next: {kind: StepKind; recipient?: string}, override?: string): Promise<boolean> {
		const kind = next.kind;
		const line = override ?? this.commandFor(next);
		if (kind === 'mail') this.noteEightBit();
		await this.send(line, kind);
		const timeout = kind === 'mail' ? this.timeouts.mail : kind === 'rcpt' ? this.timeouts.rcpt : kind === 'data' ? this.timeouts.data : this.timeouts.command;
		const s = this.planState;
		if (kind === 'quit') {
			s.quitDone = true;
			try {
				const reply = await this.read('quit', timeout, 'QUIT');
				if (reply.code >= 400) this.fail('quit', new SessionFailure('protocol', `QUIT was answered with ${reply.code}.`));
			} finally {
				this.connection?.close();
				s.ended = true;
			}

			return true;
		}

		const reply = await this.read(kind, timeout, kind.toUpperCase());
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
					this.fail('rcpt', new SessionFailure('protocol', `No recipient was accepted (last answer ${reply.code}${reply.enhanced ? ' ' + reply.enhanced : ''}).`));
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
		this.fail(kind, new SessionFailure('protocol', `${what} was refused with ${reply.code}${reply.enhanced ? ' ' + reply.enhanced : ''}.`));
		return false;
	}

	private openMessage(): void {
		this.messageOpen = true;
		this.messageHeader = true;
		this.typedBody = false;
	}

	private async sendBody(): Promise<boolean> {
		const connection = this.requireConnection();
		this.messageOpen = false;
		const encoded = this.typedBody ? '.\r\n' : encodeData(this.message());
		const lines = encoded.split('\r\n').slice(0, -1);
		for (const line of lines) this.add('client', this.shown(line), 'body');
		await connection.write(this.wire(encoded), this.timeouts.body);
		this.planState.bodyDone = true;
		const reply = await this.read('body', this.timeouts.body, 'the end of the message');
		if (reply.code === 250) return true;
		this.fail('body', new SessionFailure('protocol', `The message was refused with ${reply.code}${reply.enhanced ? ' ' + reply.enhanced : ''}.`));
		return false;
	}

	private async applyManual(verb: string, reply: Reply): Promise<void> {
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
					const {facts, injected} = await this.requireConnection().upgrade(this.options.host, this.options.tlsOptions, this.timeouts.command);
					if (injected.length > 0) this.add('error', `Discarded ${injected.length} bytes sent after the 220 and before TLS began (response injection).`, 'manual', {deviation: 'starttls-injection'});
					Object.assign(s, {tls: true, starttlsDone: true, ehloDone: false, capabilities: undefined});
					this.recordTls(facts, 'manual');
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
				if (reply.code === 250) Object.assign(s, {mailDone: false, rcptIndex: 0, rcptAccepted: 0, dataDone: false, bodyDone: false, stopping: false});
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
				const message = this.message();
				const size = this.wire(encodeData(message)).length;
				// BODY=8BITMIME (RFC 6152) when the bytes need it; SMTPUTF8 (RFC 6531) for a UTF-8 address.
				return commands.mailFrom(this.options.from, {size, body: isAscii(message) ? undefined : '8BITMIME', smtputf8: this.config.utf8Addresses}, caps);
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

	private cachedMessage?: {eightBit: boolean; text: string};
	private readonly messageDate = new Date();
	private messageId?: string;

	/** The server took EHLO and offers 8BITMIME, so a UTF-8 body may travel as it is. */
	private get eightBitOffered(): boolean {
		const caps = this.planState.capabilities;
		return caps ? hasExtension(caps, '8BITMIME') : false;
	}

	/** The message as it goes out: the same Date and Message-ID whichever encoding the server allows. */
	private message(): string {
		const eightBit = this.eightBitOffered;
		if (this.cachedMessage?.eightBit !== eightBit) {
			this.messageId ??= makeMessageId(this.options.from);
			const raw = this.options.rawMessage;
			// Bytes are carried as a binary string (one char per byte) and written back as latin1.
			const text = raw instanceof Uint8Array ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1') : raw ?? buildMessage({
				from: this.options.from,
				to: this.options.to,
				subject: this.options.subject,
				headers: this.options.headers,
				body: this.options.body,
				bodyName: this.options.bodyName,
				date: this.messageDate,
				messageId: this.messageId,
				eightBit,
			});
			this.cachedMessage = {eightBit, text};
		}

		return this.cachedMessage.text;
	}

	/** Said at MAIL when the server's lack of 8BITMIME changes how the message travels. */
	private noteEightBit(): void {
		if (this.eightBitOffered || !this.planState.capabilities) return;
		const raw = this.options.rawMessage;
		if (raw !== undefined && !isAscii(this.message())) {
			this.add('info', 'The server does not offer 8BITMIME, but this message has 8-bit bytes: it goes as it is, undeclared; a strict server may refuse or alter it (RFC 6152).', 'mail');
		} else if (raw === undefined && /quoted-printable|base64/.test(this.message().split('\r\n\r\n', 1)[0] ?? '') && typeof this.options.body === 'string' && !isAscii(this.options.body)) {
			this.add('info', 'The server does not offer 8BITMIME, so the UTF-8 body goes quoted-printable (7-bit): the bytes change on the wire, the text the recipient reads does not (RFC 2045 §6.7).', 'mail');
		}
	}

	private messageLines(): string[] {
		return encodeData(this.message()).split('\r\n').slice(0, -1).map(line => this.shown(line));
	}

	/** The message is bytes (rawMessage given as a Uint8Array): its text is a binary string. */
	private get binaryMessage(): boolean {
		return this.options.rawMessage instanceof Uint8Array;
	}

	/** The bytes that go on the wire for message text. */
	private wire(text: string): Buffer {
		return Buffer.from(text, this.binaryMessage ? 'latin1' : 'utf8');
	}

	/** A message line as the transcript holds it: text (a byte message is read as UTF-8 for showing only). */
	private shown(line: string): string {
		return this.binaryMessage ? Buffer.from(line, 'latin1').toString('utf8') : line;
	}

	/** Sends one line; its entry is what the secret gate makes of it (`planned`: sasl.ts's masked form). */
	private async send(line: string, step: StepKind, planned?: PlannedLine, explain?: string[]): Promise<GatedLine> {
		const connection = this.requireConnection();
		const early = connection.takeUnsolicited();
		for (const reply of early) {
			this.recordReply(reply, step, 'The server sent this before it was asked (it talks out of turn; a correct server waits for the command).');
		}

		const shown = this.gate.client(line, planned);
		this.add('client', shown.text, step, {secret: shown.secret, decoded: shown.decoded, ...(explain ? {explain} : {})});
		await connection.sendLine(line, this.timeouts.command);
		return shown;
	}

	private async read(step: StepKind, timeoutMs: number, waitingFor: string, answers?: StepKind): Promise<Reply> {
		const reply = await this.requireConnection().readReply(timeoutMs, waitingFor);
		this.gate.replied(reply.code === 334, reply.lines.at(-1));
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

	private add(direction: Direction, text: string, step: StepKind, extra: Partial<TranscriptEntry> = {}): TranscriptEntry {
		const entry: TranscriptEntry = {
			seq: this.entries.length,
			direction,
			// Client and server lines come gated from send() and recordReply(); the rest is gated here.
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

	private requireConnection(): Connection {
		if (!this.connection) throw new SessionFailure('local', 'Not connected.');
		return this.connection;
	}

	/** `codeStep`: the step whose exit code applies, when not `step` (a typed MAIL counts as MAIL). */
	private fail(step: StepKind, failure: SessionFailure, codeStep: StepKind = step): void {
		const message = this.gate.text(failure.message);
		this.add('error', message, step);
		if (!this.firstFailure) {
			const code = failure.kind === 'timeout' ? exitCodes.timeout
				: failure.kind === 'connect' ? exitCodes.connect
					: failure.kind === 'tls' ? exitCodes.tls
						: exitCodeForStep(codeStep, this.planState.tls && codeStep !== 'connect' && this.planState.starttlsDone);
			this.firstFailure = {exitCode: code, message};
		}
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

		if (failure.tlsFacts) this.recordRefusedTls(failure.tlsFacts, step);
		// The lines of a broken reply are shown as received (gated like any reply), then the error.
		if (failure.received) for (const line of this.gate.server([...failure.received])) this.add('server', line, step, {last: false});
		// Only a line that is not an SMTP reply at all suggests another protocol (not a cap hit).
		const beforeBanner = step === 'connect' && failure.kind === 'protocol' && /not an SMTP reply|reply codes must start with/.test(failure.message) && !this.entries.some(e => e.direction === 'server');
		this.fail(step, beforeBanner ? new SessionFailure('protocol', `${failure.message} This port does not seem to speak SMTP.`) : failure, codeStep);
		this.connection?.close();
		this.planState.ended = true;
		return failure;
	}

	/** Bad input in the plan itself: nothing more can be sent but QUIT; exit code 2 (usage). */
	private stopOnLocalError(failure: SessionFailure): void {
		this.firstFailure ??= {exitCode: exitCodes.usage, message: this.gate.text(failure.message)};
		if (this.planState.connected) this.planState.stopping = true;
		else this.planState.ended = true;
	}

	private recordRefusedTls(facts: TlsFacts, step: StepKind): void {
		this.lastTlsFacts = facts;
		this.add('tls', `TLS handshake: ${facts.protocol} ${facts.cipher}; certificate refused`, step, {tlsFacts: facts});
	}
}
