// A step-through POP3 client (RFC 1939, CAPA RFC 2449, STLS RFC 2595), in the shape of the SMTP
// Session: `step()` performs exactly one step and appends transcript entries, `peek()` says
// what the next step will send before it goes out. Thin: the conversation (protocol/pop3-client.ts,
// sans-I/O: what a command sends, whole responses from bytes), the plan (pop3-plan.ts, pure), the
// driver (driver.ts: socket, TLS on 995 or after STLS on 110, deadlines) and the transcript.
// The password is only ever written to the socket: the transcript holds `PASS ********`.

import {Buffer} from 'node:buffer';
import {LocalInputError} from '../protocol/errors.js';
import {describeCapaChange, explainPop3Capability, explainPop3Command, explainPop3Response, explainPop3Step} from '../protocol/pop3-explain.js';
import {checkPop3Line, Pop3ClientConversation, pop3Verb, type Pop3ClientEvent, type Pop3ParserLimits, type Pop3Response} from '../protocol/pop3-client.js';
import {MASK, SecretGate, type PlannedLine} from '../protocol/redact.js';
import type {Pop3StepKind, TlsFacts, TranscriptStep} from '../protocol/transcript.js';
import {Driver, type TlsOptions} from './driver.js';
import {exitCodes} from './exit-codes.js';
import {SessionFailure} from './failure.js';
import {exitCodeForPop3Step, initialPop3PlanState, nextPop3Step, plannedPop3StepCount, resolvePop3TlsMode, type Pop3NextStep, type Pop3PlanConfig, type Pop3PlanState, type Pop3TlsMode} from './pop3-plan.js';
import {asSessionFailure, ClientSession, type StepOutcome} from './client-session.js';

export {checkPop3Line, expectsMultiLine, Pop3ParseError, Pop3ResponseParser, type Pop3ParserLimits, type Pop3Response} from '../protocol/pop3-client.js';
export {hasCapability, initialPop3PlanState, nextPop3Step, pop3ExitCodes, type Pop3PlanConfig, type Pop3PlanState, type Pop3TlsMode} from './pop3-plan.js';

/** The planned step a typed command stands for, so a lost connection exits with that step's code. */
const manualSteps: Readonly<Record<string, Pop3StepKind>> = {CAPA: 'pop-capa', STLS: 'pop-stls', USER: 'pop-user', PASS: 'pop-pass', STAT: 'pop-stat', LIST: 'pop-list', RETR: 'pop-retr', QUIT: 'pop-quit'};

function eventBytes(event: Pop3ClientEvent): Buffer {
	const lines = [event.response.raw, ...event.response.rawLines, ...(event.response.data ? ['.'] : [])];
	return Buffer.from(lines.join('\r\n') + '\r\n', 'utf8');
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
export class Pop3Session extends ClientSession<Pop3StepKind> {
	readonly options: Pop3SessionOptions;
	/** The message RETR returned: byte-stuffing undone, CRLF line ends, exactly as the server stores it. */
	retrieved?: Buffer;
	/** STAT's answer. */
	stat?: {messages: number; octets: number};
	/** LIST's answer. */
	listing?: Array<{number: number; octets: number}>;
	private planState: Pop3PlanState = {...initialPop3PlanState};
	private readonly config: Pop3PlanConfig;
	private readonly timeouts: Pop3Timeouts;
	private readonly conversation: Pop3ClientConversation;
	protected readonly driver: Driver<Pop3ClientEvent>;
	private capaBeforeTls?: string[];

	constructor(options: Pop3SessionOptions) {
		// The secret gate: every entry's text passes it (the password, and PASS/APOP/AUTH typed by hand).
		super(options.host, options.port, new SecretGate([options.password], 'pop3'));
		this.options = options;
		this.timeouts = {...defaultPop3Timeouts, ...options.timeouts};
		this.config = {
			tls: resolvePop3TlsMode(options.tls, options.profilePort ?? options.port),
			insecureAuth: options.insecureAuth ?? false,
			retrieve: options.retrieve ?? 1,
		};
		this.conversation = new Pop3ClientConversation(options.parserLimits);
		this.driver = new Driver(this.conversation, {
			host: options.host,
			port: options.port,
			implicitTls: this.config.tls === 'implicit',
			connectTimeoutMs: this.timeouts.connect,
			tls: options.tlsOptions,
			family: options.family,
			localAddress: options.localAddress,
		}, {unit: 'response', units: 'responses', bytesOf: eventBytes});
	}

	get state(): Readonly<Pop3PlanState> {
		return this.planState;
	}

	/** The CAPA list heard before TLS (undefined on 995, where there is no "before"). */
	get capabilitiesBeforeTls(): string[] | undefined {
		return this.capaBeforeTls;
	}

	protected plannedCount(): number {
		return plannedPop3StepCount(this.config, this.planState);
	}

	next(): Pop3NextStep {
		return nextPop3Step(this.planState, this.config);
	}

	/** What the next step will send, before anything goes out. */
	peek(): Pop3Preview {
		const next = this.next();
		switch (next.kind) {
			case 'done':
			case 'blocked':
			case 'connect':
				return this.sharedPreview(next, this.config.tls === 'implicit', explainPop3Step('connect').summary);
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
		return this.oneStep(async () => this.stepNow(override));
	}

	private async stepNow(override?: string): Promise<StepOutcome> {
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
				this.driver.close();
				s.ended = true;
				break;
		}

		this.add('info', `(skipped ${next.kind.replace('pop-', '').toUpperCase()})`, next.kind);
	}

	/** Sends a command typed by the user and reads its response (multi-line where the verb says so). */
	async manual(input: string): Promise<StepOutcome> {
		return this.oneStep(async () => this.manualNow(input));
	}

	private async manualNow(input: string): Promise<StepOutcome> {
		if (!this.driver.opened || this.planState.ended) {
			return {ok: false, failure: new SessionFailure('local', 'Not connected: start a new session.')};
		}

		let line: string;
		try {
			line = checkPop3Line(input);
		} catch (error) {
			if (error instanceof LocalInputError) return {ok: false, failure: new SessionFailure('local', error.message)};
			throw error;
		}

		const verb = pop3Verb(line);
		if (this.gate.carriesCredentials(line) && !this.planState.tls && !this.config.insecureAuth) {
			return {ok: false, failure: new SessionFailure('local', 'Not sent: this line carries credentials, and without TLS they would travel readable by anyone on the path; run STLS first, or allow insecure logins.')};
		}

		this.stepIndex++;
		try {
			await this.send(line, 'manual');
			const response = await this.read('manual', this.timeouts.command, verb || 'the command');
			await this.applyManual(verb, response);
			return {ok: response.ok};
		} catch (error) {
			return {ok: false, failure: this.handleError('manual', error, manualSteps[verb])};
		}
	}

	close(): void {
		this.driver.close();
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
		const facts = await this.driver.connect();
		this.planState.connected = true;
		this.add('info', `Connected to ${this.target}.`, 'connect');
		if (facts) {
			this.planState.tls = true;
			this.recordTls(facts, 'connect');
		}

		const greeting = await this.read('connect', this.timeouts.greeting, 'with a greeting');
		if (!greeting.ok) {
			this.fail('connect', new SessionFailure('protocol', 'The server refused the session with -ERR instead of a +OK greeting.'));
			return false;
		}

		return true;
	}

	private async capa(override?: string): Promise<boolean> {
		const line = override ?? 'CAPA';
		await this.send(line, 'pop-capa');
		const response = await this.read('pop-capa', this.timeouts.command, 'CAPA');
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
		await this.send(override ?? 'STLS', 'pop-stls');
		const response = await this.read('pop-stls', this.timeouts.command, 'STLS');
		if (!response.ok) {
			this.fail('pop-stls', new SessionFailure('tls', 'STLS was refused with -ERR; smtp-tui will not fall back to cleartext.'));
			return false;
		}

		const {facts, injected} = await this.startTls();
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
		const response = await this.read(kind, timeout, pop3Verb(line));
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
			const response = await this.read('pop-quit', this.timeouts.command, 'QUIT');
			// In the TRANSACTION state a -ERR to QUIT means deletions could not be made (RFC 1939 §6).
			if (!response.ok) this.fail('pop-quit', new SessionFailure('protocol', 'QUIT was answered with -ERR.'));
		} finally {
			this.driver.close();
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
					const {facts, injected} = await this.startTls();
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
				this.driver.close();
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

	/** TLS after STLS's +OK: the driver's handshake, then the conversation reads again. */
	private async startTls(): Promise<{facts: TlsFacts; injected: Buffer}> {
		const upgraded = await this.driver.upgrade(this.options.host, this.options.tlsOptions, this.timeouts.command);
		this.conversation.tlsStarted();
		return upgraded;
	}

	/** Sends one line; its entry is what the secret gate makes of it (`planned`: already masked). */
	private async send(line: string, step: TranscriptStep, planned?: PlannedLine): Promise<void> {
		this.requireConnection();
		const early = this.conversation.takeUnsolicited();
		if (early.length > 0) {
			this.add('error', `The server sent ${early.length} bytes before it was asked: "${early.toString('latin1').slice(0, 120)}". A correct server waits for the command.`, step, {deviation: 'The server talked out of turn.'});
		}

		const shown = this.gate.client(line, planned);
		this.add('client', shown.text, step, {secret: shown.secret, explain: [explainPop3Command(shown.text).summary]});
		await this.driver.write(this.conversation.send(line), this.timeouts.command, 'the command');
	}

	private async read(step: TranscriptStep, timeoutMs: number, waitingFor: string): Promise<Pop3Response> {
		this.requireConnection();
		const {response, multiLine} = await this.driver.read(timeoutMs, waitingFor);
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



	private requireConnection(): void {
		if (!this.driver.opened) throw new SessionFailure('local', 'Not connected.');
	}

	/** `codeStep`: the step whose exit code applies, when not `step` (a typed RETR counts as RETR). */
	private fail(step: TranscriptStep, failure: SessionFailure, codeStep: TranscriptStep = step): void {
		this.recordFailure(step, failure, failure.kind === 'local' && step === 'manual' ? exitCodes.usage : exitCodeForPop3Step(codeStep));
	}

	private handleError(step: TranscriptStep, error: unknown, codeStep?: TranscriptStep): SessionFailure {
		const failure = asSessionFailure(error);
		if (failure.kind === 'local') {
			// Nothing was sent: the session goes on unchanged.
			this.add('error', this.gate.text(failure.message), step);
			return failure;
		}

		if (failure.tlsFacts) this.recordRefusedTls(failure.tlsFacts, step);

		const beforeGreeting = step === 'connect' && failure.kind === 'protocol' && !this.entries.some(e => e.direction === 'server');
		this.fail(step, beforeGreeting ? new SessionFailure('protocol', `${failure.message} This port does not seem to speak POP3.`) : failure, codeStep);
		this.driver.close();
		this.planState.ended = true;
		return failure;
	}
}
