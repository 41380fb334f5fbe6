// A step-through IMAP4rev1 client (RFC 3501; STARTTLS RFC 2595, implicit TLS RFC 8314), in the
// shape of the POP3 and SMTP sessions: `step()` performs exactly one step and appends transcript
// entries, `peek()` says what the next step will send before it goes out. Thin: the conversation
// (protocol/imap.ts, sans-I/O: tags, untagged lines, literals, continuations), a pure plan (below),
// the driver (driver.ts: socket, TLS on 993 or after STARTTLS on 143, deadlines) and the transcript.
//
// Steps: connect (the greeting), CAPABILITY, STARTTLS and CAPABILITY again (143), LOGIN or
// AUTHENTICATE PLAIN, [LIST], SELECT, FETCH n (FLAGS BODY.PEEK[]), [STORE n +FLAGS (\Seen)],
// LOGOUT. The password is only ever written to the socket: the transcript shows it masked.

import {Buffer} from 'node:buffer';
import {LocalInputError, RemoteProtocolError} from '../protocol/errors.js';
import {
	capabilityList,
	fetchData,
	flagList,
	ImapClientConversation,
	ImapUsageError,
	needData,
	nodeBytes,
	nodeText,
	type ImapClientLimits,
	type ImapCommand,
	type ImapEvent,
	type ImapLine,
} from '../protocol/imap.js';
import {continuationExplanation, explainImapCapability, explainImapCommand, explainImapLiteral, explainImapStatus, explainImapStep, explainImapUntagged} from '../protocol/imap-explain.js';
import type {Explanation} from '../protocol/explain.js';
import {MASK, SecretGate} from '../protocol/redact.js';
import type {ImapStepKind, TranscriptStep} from '../protocol/transcript.js';
import {Driver, type ConnectOptions, type DriverConversation, type TlsOptions} from './driver.js';
import {exitCodes} from './exit-codes.js';
import {SessionFailure} from './failure.js';
import {asSessionFailure, ClientSession, type StepOutcome} from './client-session.js';

// ——— the plan: pure ———

export type ImapTlsMode = 'auto' | 'implicit' | 'starttls' | 'none';

export type ImapPlanState = {
	connected: boolean;
	ended: boolean;
	tls: boolean;
	/** CAPABILITY asked since the last change of TLS state. */
	capabilityDone: boolean;
	capabilities?: string[];
	starttlsDone: boolean;
	authenticated: boolean;
	listDone: boolean;
	selectDone: boolean;
	/** Messages in the selected folder (`* n EXISTS`). */
	exists?: number;
	fetchDone: boolean;
	storeDone: boolean;
	logoutDone: boolean;
	/** A step failed: only LOGOUT is left. */
	stopping: boolean;
};

export const initialImapPlanState: ImapPlanState = {
	connected: false,
	ended: false,
	tls: false,
	capabilityDone: false,
	starttlsDone: false,
	authenticated: false,
	listDone: false,
	selectDone: false,
	fetchDone: false,
	storeDone: false,
	logoutDone: false,
	stopping: false,
};

export type ImapPlanConfig = {
	/** Resolved: `opportunistic` upgrades when STARTTLS is offered. */
	tls: 'implicit' | 'starttls' | 'opportunistic' | 'none';
	insecureAuth: boolean;
	/** 'auto': AUTHENTICATE PLAIN when AUTH=PLAIN is offered, else LOGIN. */
	auth: 'auto' | 'login' | 'plain';
	list: boolean;
	/** Message number FETCH asks for; 0: no FETCH. */
	fetch: number;
	/** STORE +FLAGS (\Seen) after the FETCH. */
	markSeen: boolean;
};

export type ImapNextStep =
	| {kind: 'done'}
	| {kind: 'blocked'; block: {step: ImapStepKind; message: string}}
	| {kind: 'connect' | ImapStepKind};

export function hasImapCapability(capabilities: readonly string[] | undefined, name: string): boolean {
	return (capabilities ?? []).includes(name.toUpperCase());
}

export function nextImapStep(state: ImapPlanState, config: ImapPlanConfig): ImapNextStep {
	if (state.logoutDone || state.ended) return {kind: 'done'};
	if (!state.connected) return {kind: 'connect'};
	if (state.stopping) return {kind: 'imap-logout'};
	if (!state.capabilityDone) return {kind: 'imap-capability'};
	const wantsTls = config.tls === 'starttls' || config.tls === 'opportunistic';
	if (wantsTls && !state.tls && !state.starttlsDone) {
		if (hasImapCapability(state.capabilities, 'STARTTLS')) return {kind: 'imap-starttls'};
		if (config.tls === 'starttls') {
			return {kind: 'blocked', block: {step: 'imap-starttls', message: 'TLS is required (STARTTLS) but the server does not offer STARTTLS; smtp-tui will not continue in cleartext.'}};
		}
	}

	if (!state.authenticated) {
		if (!state.tls && !config.insecureAuth) {
			return {kind: 'blocked', block: {step: 'imap-login', message: 'Refusing to send the password over a connection without TLS; allow insecure logins to do it anyway.'}};
		}

		return {kind: 'imap-login'};
	}

	if (config.list && !state.listDone) return {kind: 'imap-list'};
	if (!state.selectDone) return {kind: 'imap-select'};
	if (config.fetch > 0 && !state.fetchDone && (state.exists ?? 0) >= config.fetch) return {kind: 'imap-fetch'};
	if (config.markSeen && state.fetchDone && !state.storeDone) return {kind: 'imap-store'};
	return {kind: 'imap-logout'};
}

/** Steps the plan takes when everything succeeds (for "step n of m"). */
export function plannedImapStepCount(config: ImapPlanConfig, state: ImapPlanState): number {
	const offered = state.capabilities ? hasImapCapability(state.capabilities, 'STARTTLS') : true;
	const upgrade = config.tls === 'starttls' || (config.tls === 'opportunistic' && (offered || state.starttlsDone));
	const fetch = config.fetch > 0 && (state.exists === undefined || state.exists >= config.fetch);
	// connect, CAPABILITY, [STARTTLS, CAPABILITY], login, [LIST], SELECT, [FETCH, [STORE]], LOGOUT
	return 2 + (upgrade ? 2 : 0) + 1 + (config.list ? 1 : 0) + 1 + (fetch ? 1 + (config.markSeen ? 1 : 0) : 0) + 1;
}

export function resolveImapTlsMode(mode: ImapTlsMode, port: number): ImapPlanConfig['tls'] {
	if (mode !== 'auto') return mode;
	// 993 is IMAP over implicit TLS (RFC 8314 §7); elsewhere STARTTLS when the server offers it.
	return port === 993 ? 'implicit' : 'opportunistic';
}

/** Exit codes of an IMAP session: the SMTP table's where the meaning is the same, and three of its own. */
export const imapExitCodes = {
	select: 44,
	fetch: 45,
	store: 46,
} as const;

export function exitCodeForImapStep(step: TranscriptStep): number {
	switch (step) {
		case 'connect':
			return exitCodes.banner;
		case 'imap-starttls':
			return exitCodes.tls;
		case 'imap-login':
			return exitCodes.auth;
		case 'imap-select':
			return imapExitCodes.select;
		case 'imap-fetch':
			return imapExitCodes.fetch;
		case 'imap-store':
			return imapExitCodes.store;
		case 'imap-logout':
			return exitCodes.quit;
		default:
			return exitCodes.command;
	}
}

// ——— the session ———

export type ImapTimeouts = {connect: number; greeting: number; command: number; fetch: number};

/** Generous for people stepping by hand; RFC 3501 §5.4 lets the server wait 30 minutes. */
export const defaultImapTimeouts: ImapTimeouts = {connect: 30_000, greeting: 60_000, command: 60_000, fetch: 600_000};

export type ImapSessionOptions = {
	host: string;
	port: number;
	/** `auto`: implicit TLS on 993 (or profilePort 993), else STARTTLS when offered. */
	tls: ImapTlsMode;
	tlsOptions: TlsOptions;
	user: string;
	password: string;
	/** 'auto' (default): AUTHENTICATE PLAIN when the server offers AUTH=PLAIN, else LOGIN. */
	auth?: 'auto' | 'login' | 'plain';
	/** Allow logging in without TLS (the transcript warns). */
	insecureAuth?: boolean;
	/** The folder SELECT opens; default INBOX. */
	mailbox?: string;
	/** LIST "" "*" before SELECT; default false. */
	list?: boolean;
	/** Message number to FETCH; default 1; 0 skips FETCH. */
	fetch?: number;
	/** STORE +FLAGS (\Seen) after the FETCH; default false (BODY.PEEK[] leaves \Seen alone). */
	markSeen?: boolean;
	timeouts?: Partial<ImapTimeouts>;
	family?: 4 | 6;
	localAddress?: string;
	/** The well-known port whose behaviour applies (the lab listens elsewhere): 143 or 993. */
	profilePort?: number;
	/** Shown in a status line: "lab:993" or the host. */
	label?: string;
	limits?: Partial<ImapClientLimits>;
};

export type ImapPreview = {
	kind: ImapNextStep['kind'];
	/** What will be sent, secrets masked. */
	lines: string[];
	description: string;
	editable: false;
};

/** A folder from LIST: its attributes, delimiter and name. */
export type ImapFolder = {name: string; delimiter?: string; attributes: string[]};

/** Lines of one response kept in the transcript; the rest is summarised in a note. */
const maxShownLines = 2000;

/** The IMAP conversation as the driver's: protocol errors become RemoteProtocolErrors. */
export class ImapStream implements DriverConversation<ImapEvent> {
	constructor(private readonly imap: ImapClientConversation) {}

	get buffered(): number {
		return this.imap.buffered;
	}

	receiveData(data: Buffer): void {
		this.imap.receiveData(data);
	}

	nextEvent(): ImapEvent | undefined {
		const event = this.imap.nextEvent();
		if (event === needData || event.type === 'closed') return undefined;
		if (event.type === 'protocol-error') throw new RemoteProtocolError('malformed', event.message);
		return event;
	}

	/** Nothing: after STARTTLS's OK the conversation itself hands what follows out as 'discarded'. */
	takeRemainder(): Buffer {
		return Buffer.alloc(0);
	}
}

/** The driver for one IMAP connection, fed with `imap`: what ImapSession runs on. */
export function imapDriver(imap: ImapClientConversation, options: ConnectOptions): Driver<ImapEvent> {
	return new Driver(new ImapStream(imap), options, {unit: 'response', units: 'responses', bytesOf: eventBytes, maxHeldEvents: 1000, maxHeldBytes: 1024 * 1024});
}

function eventBytes(event: ImapEvent): Buffer {
	if (event.type === 'discarded') return event.bytes;
	if ('raw' in event) return Buffer.concat([event.raw, Buffer.from('\r\n')]);
	return Buffer.alloc(0);
}

function explained(explanations: readonly Explanation[]): string[] {
	return explanations.map(e => `${e.summary} (${e.rfc})`);
}

type Exchange = {status: 'OK' | 'NO' | 'BAD'; text: string; code?: string; untagged: ImapLine[]; capabilities?: string[]};

export class ImapSession extends ClientSession<ImapStepKind> {
	readonly options: ImapSessionOptions;
	/** The message FETCH returned (BODY[]), byte for byte. */
	fetched?: Buffer;
	/** The flags of the fetched message, as the server reported them last. */
	flags?: string[];
	/** LIST's answer. */
	folders?: ImapFolder[];
	private planState: ImapPlanState = {...initialImapPlanState};
	private readonly config: ImapPlanConfig;
	private readonly timeouts: ImapTimeouts;
	private readonly imap: ImapClientConversation;
	protected readonly driver: Driver<ImapEvent>;
	private capsBeforeTls?: string[];

	constructor(options: ImapSessionOptions) {
		super(options.host, options.port, new SecretGate([options.password, plainResponse(options.user, options.password).toString('latin1')], 'imap'));
		this.options = options;
		this.timeouts = {...defaultImapTimeouts, ...options.timeouts};
		this.config = {
			tls: resolveImapTlsMode(options.tls, options.profilePort ?? options.port),
			insecureAuth: options.insecureAuth ?? false,
			auth: options.auth ?? 'auto',
			list: options.list ?? false,
			fetch: options.fetch ?? 1,
			markSeen: options.markSeen ?? false,
		};
		this.imap = new ImapClientConversation(options.limits);
		this.driver = imapDriver(this.imap, {
			host: options.host,
			port: options.port,
			implicitTls: this.config.tls === 'implicit',
			connectTimeoutMs: this.timeouts.connect,
			tls: options.tlsOptions,
			family: options.family,
			localAddress: options.localAddress,
		});
	}

	get state(): Readonly<ImapPlanState> {
		return this.planState;
	}

	/** The capability list heard before TLS (undefined on 993, where there is no "before"). */
	get capabilitiesBeforeTls(): string[] | undefined {
		return this.capsBeforeTls;
	}

	protected plannedCount(): number {
		return plannedImapStepCount(this.config, this.planState);
	}

	next(): ImapNextStep {
		return nextImapStep(this.planState, this.config);
	}

	/** What the next step will send, before anything goes out. */
	peek(): ImapPreview {
		const next = this.next();
		switch (next.kind) {
			case 'done':
			case 'blocked':
			case 'connect':
				return this.sharedPreview(next, this.config.tls === 'implicit', explainImapStep('connect').summary);
			default:
				return {kind: next.kind, lines: [`${this.imap.nextTag} ${this.shownCommand(next.kind)}`], description: explainImapStep(next.kind).summary, editable: false};
		}
	}

	/** Performs the next planned step. */
	async step(): Promise<StepOutcome> {
		return this.oneStep(async () => this.stepNow());
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
			case 'imap-capability':
				s.capabilityDone = true;
				break;
			case 'imap-starttls':
				s.starttlsDone = true;
				break;
			case 'imap-login':
				s.authenticated = true;
				break;
			case 'imap-list':
				s.listDone = true;
				break;
			case 'imap-select':
				s.selectDone = true;
				break;
			case 'imap-fetch':
				s.fetchDone = true;
				break;
			case 'imap-store':
				s.storeDone = true;
				break;
			case 'imap-logout':
				s.logoutDone = true;
				this.close();
				break;
		}

		this.add('info', `(skipped ${next.kind.replace('imap-', '').toUpperCase()})`, next.kind);
	}

	close(): void {
		this.driver.close();
		this.planState.ended = true;
	}

	// ——— steps ———

	private async stepNow(): Promise<StepOutcome> {
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
			const ok = await this.perform(kind);
			if (!ok && kind !== 'imap-logout') this.planState.stopping = true;
			return {ok};
		} catch (error) {
			return {ok: false, failure: this.handleError(kind, error)};
		}
	}

	private async perform(kind: 'connect' | ImapStepKind): Promise<boolean> {
		const s = this.planState;
		switch (kind) {
			case 'connect':
				return this.connect();
			case 'imap-capability': {
				const answer = await this.exchange(kind, {name: 'CAPABILITY'});
				s.capabilityDone = true;
				if (answer.status === 'OK') this.learnCapabilities(answer.capabilities);
				return this.expectOk(kind, answer, 'CAPABILITY');
			}

			case 'imap-starttls':
				return this.starttls();
			case 'imap-login':
				return this.login();
			case 'imap-list': {
				const answer = await this.exchange(kind, {name: 'LIST', args: [{string: ''}, {string: '*'}]});
				s.listDone = true;
				if (answer.status === 'OK') this.folders = answer.untagged.filter(line => line.command === 'LIST').map(folderOf);
				return this.expectOk(kind, answer, 'LIST');
			}

			case 'imap-select': {
				const answer = await this.exchange(kind, {name: 'SELECT', args: [{string: this.mailbox}]});
				s.selectDone = true;
				const exists = answer.untagged.find(line => nodeText(line.attributes[0] ?? undefined)?.toUpperCase() === 'EXISTS');
				if (exists) s.exists = Number(exists.command);
				if (answer.status === 'OK' && this.config.fetch > 0 && (s.exists ?? 0) < this.config.fetch) {
					this.add('info', `The folder holds ${s.exists ?? 0} message${s.exists === 1 ? '' : 's'}, so there is no message ${this.config.fetch} to fetch.`, kind);
				}

				return this.expectOk(kind, answer, 'SELECT');
			}

			case 'imap-fetch': {
				const answer = await this.exchange(kind, {name: 'FETCH', args: [{atom: String(this.config.fetch)}, {raw: '(FLAGS BODY.PEEK[])'}]}, this.timeouts.fetch);
				s.fetchDone = true;
				this.learnFetch(answer);
				return this.expectOk(kind, answer, 'FETCH');
			}

			case 'imap-store': {
				const answer = await this.exchange(kind, {name: 'STORE', args: [{atom: String(this.config.fetch)}, {atom: '+FLAGS'}, {raw: '(\\Seen)'}]});
				s.storeDone = true;
				this.learnFetch(answer);
				return this.expectOk(kind, answer, 'STORE');
			}

			case 'imap-logout':
				return this.logout();
		}
	}

	private async connect(): Promise<boolean> {
		const implicit = this.config.tls === 'implicit';
		this.add('info', `Connecting to ${this.target}${implicit ? ' with TLS from the first byte' : ''}…`, 'connect');
		const facts = await this.driver.connect();
		this.planState.connected = true;
		this.add('info', `Connected to ${this.target}.`, 'connect');
		if (facts) {
			this.planState.tls = true;
			this.recordTls(facts, 'connect');
		}

		const greeting = await this.driver.read(this.timeouts.greeting, 'with a greeting');
		if (greeting.type !== 'greeting') throw new SessionFailure('protocol', 'The server\'s first line is not an IMAP greeting.');
		this.recordServer(greeting.raw, 'connect', explained(explainImapStatus(greeting.status, '*', greeting.code)));
		if (greeting.status === 'BYE') {
			this.fail('connect', new SessionFailure('protocol', 'The server refused the session with * BYE instead of a greeting.'));
			this.close();
			return false;
		}

		if (greeting.status === 'PREAUTH') this.planState.authenticated = true;
		return true;
	}

	private async starttls(): Promise<boolean> {
		const answer = await this.exchange('imap-starttls', {name: 'STARTTLS'});
		if (answer.status !== 'OK') {
			this.fail('imap-starttls', new SessionFailure('tls', `STARTTLS was refused with ${answer.status}; smtp-tui will not fall back to cleartext.`));
			return false;
		}

		const {facts, injected} = await this.driver.upgrade(this.options.host, this.options.tlsOptions, this.timeouts.command);
		this.imap.tlsStarted();
		if (injected.length > 0) {
			this.add('error', `Discarded ${injected.length} bytes the server sent after its OK to STARTTLS and before TLS began: "${injected.toString('latin1').slice(0, 120)}". A correct server sends nothing there; this is the STARTTLS response-injection pattern.`, 'imap-starttls', {deviation: 'starttls-injection'});
		}

		// RFC 3501 §6.2.1: what was learned in cleartext is forgotten; CAPABILITY again.
		Object.assign(this.planState, {tls: true, starttlsDone: true, capabilityDone: false, capabilities: undefined});
		this.recordTls(facts, 'imap-starttls');
		return true;
	}

	private async login(): Promise<boolean> {
		if (!this.planState.tls) this.add('error', 'Warning: logging in without TLS because insecure logins were allowed; the password travels readable by anyone on the path.', 'imap-login');
		const plain = this.usesPlain;
		const command: ImapCommand = plain
			? {name: 'AUTHENTICATE', args: [{atom: 'PLAIN'}], continuations: [Buffer.from(plainResponse(this.options.user, this.options.password).toString('base64'), 'latin1')]}
			: {name: 'LOGIN', args: [{string: this.options.user}, {string: this.options.password}]};
		const answer = await this.exchange('imap-login', command);
		if (answer.status === 'OK') {
			this.planState.authenticated = true;
			if (answer.capabilities) this.planState.capabilities = answer.capabilities;
			return true;
		}

		const code = answer.code ? ` [${answer.code}]` : '';
		this.fail('imap-login', new SessionFailure('protocol', `The login (${plain ? 'AUTHENTICATE PLAIN' : 'LOGIN'}) was refused with ${answer.status}${code}.`));
		return false;
	}

	private async logout(): Promise<boolean> {
		this.planState.logoutDone = true;
		try {
			const answer = await this.exchange('imap-logout', {name: 'LOGOUT'});
			if (answer.status !== 'OK') this.fail('imap-logout', new SessionFailure('protocol', `LOGOUT was answered with ${answer.status}.`));
		} finally {
			this.close();
		}

		return true;
	}

	private expectOk(kind: ImapStepKind, answer: Exchange, what: string): boolean {
		if (answer.status === 'OK') return true;
		const code = answer.code ? ` [${answer.code}]` : '';
		this.fail(kind, new SessionFailure('protocol', `${what} was refused with ${answer.status}${code}.`));
		return false;
	}

	private get usesPlain(): boolean {
		if (this.config.auth !== 'auto') return this.config.auth === 'plain';
		return hasImapCapability(this.planState.capabilities, 'AUTH=PLAIN');
	}

	private get mailbox(): string {
		return this.options.mailbox ?? 'INBOX';
	}

	/** A step's command as it is shown: the password masked. */
	private shownCommand(kind: ImapStepKind): string {
		switch (kind) {
			case 'imap-capability':
				return 'CAPABILITY';
			case 'imap-starttls':
				return 'STARTTLS';
			case 'imap-login':
				return this.usesPlain ? 'AUTHENTICATE PLAIN' : `LOGIN ${quoted(this.options.user)} ${MASK}`;
			case 'imap-list':
				return 'LIST "" "*"';
			case 'imap-select':
				return `SELECT ${quoted(this.mailbox)}`;
			case 'imap-fetch':
				return `FETCH ${this.config.fetch} (FLAGS BODY.PEEK[])`;
			case 'imap-store':
				return `STORE ${this.config.fetch} +FLAGS (\\Seen)`;
			case 'imap-logout':
				return 'LOGOUT';
		}
	}

	private learnCapabilities(capabilities: string[] | undefined): void {
		this.planState.capabilities = capabilities ?? [];
		if (!this.planState.tls) {
			this.capsBeforeTls = capabilities;
		} else if (this.capsBeforeTls && this.planState.starttlsDone && capabilities) {
			const added = capabilities.filter(name => !this.capsBeforeTls!.includes(name));
			const removed = this.capsBeforeTls.filter(name => !capabilities.includes(name));
			const parts = [...(added.length > 0 ? [`added ${added.join(' ')}`] : []), ...(removed.length > 0 ? [`removed ${removed.join(' ')}`] : [])];
			this.add('info', `Capabilities changed after TLS: ${parts.length > 0 ? parts.join('; ') : 'none'}.`, 'imap-capability');
		}
	}

	private learnFetch(answer: Exchange): void {
		for (const line of answer.untagged) {
			const data = fetchData(line);
			if (!data || data.seq !== this.config.fetch) continue;
			const flags = data.items.get('FLAGS');
			if (flags !== undefined) this.flags = flagList(flags);
			const body = data.items.get('BODY[]');
			if (body !== undefined) this.fetched = nodeBytes(body) ?? Buffer.alloc(0);
		}
	}

	// ——— wire and transcript ———

	/**
	 * One command: its line out, then every response until its tagged end. Untagged lines are
	 * recorded and kept; a `+` is answered with what the conversation says comes next.
	 */
	private async exchange(step: ImapStepKind, command: ImapCommand, timeoutMs = this.timeouts.command): Promise<Exchange> {
		let sent: {tag: string; bytes: Buffer};
		try {
			sent = this.imap.send(command);
		} catch (error) {
			if (error instanceof ImapUsageError) throw new LocalInputError(error.message);
			throw error;
		}

		const shown = this.gate.client(`${sent.tag} ${this.shownCommand(step)}`, {display: `${sent.tag} ${this.shownCommand(step)}`, secret: command.name === 'LOGIN'});
		this.add('client', shown.text, step, {secret: shown.secret, explain: explained([explainImapCommand(shown.text)])});
		await this.driver.write(sent.bytes, this.timeouts.command, 'the command');
		const untagged: ImapLine[] = [];
		let capabilities: string[] | undefined;
		for (;;) {
			const event = await this.driver.read(timeoutMs, command.name);
			switch (event.type) {
				case 'untagged': {
					untagged.push(event.line);
					if (event.line.command === 'CAPABILITY') capabilities = capabilityList(event.line.attributes);
					const first = event.raw.subarray(0, Math.min(event.raw.length, 200)).toString('latin1').split('\r\n', 1)[0] ?? '';
					this.recordServer(event.raw, step, explained(explainImapUntagged(first)), event.line.command === 'CAPABILITY' ? capabilities : undefined);
					break;
				}

				case 'continuation': {
					this.recordServer(event.raw, step, explained([continuationExplanation]));
					if (event.send.length > 0) {
						const secret = step === 'imap-login';
						const line = secret ? MASK : event.send.toString('utf8').replace(/\r\n$/, '');
						this.add('client', this.gate.text(line), step, {secret});
						await this.driver.write(event.send, this.timeouts.command, 'the command');
					}

					break;
				}

				case 'tagged': {
					this.recordServer(event.raw, step, explained(explainImapStatus(event.status, event.tag, event.code)));
					if (event.code === 'CAPABILITY' && event.codeArgs) capabilities = capabilityList(event.codeArgs);
					if (event.tag !== sent.tag) break;
					return {status: event.status, text: event.text, code: event.code, untagged, capabilities};
				}

				case 'discarded':
					this.add('error', `Discarded ${event.bytes.length} bytes the server sent while TLS was being started.`, step, {deviation: 'starttls-injection'});
					break;
				default:
					throw new SessionFailure('protocol', 'The server sent a second greeting.');
			}
		}
	}

	/** One response as lines (a literal's bytes included), masked together; long ones summarised. */
	private recordServer(raw: Buffer, step: TranscriptStep, explain: string[], capabilities?: string[]): void {
		const lines = raw.toString('utf8').split(/\r?\n/);
		const shown = lines.slice(0, maxShownLines);
		const masked = this.gate.server(shown);
		const literal = /\{(\d+)\+?\}$/.exec(lines[0] ?? '');
		const first = [...explain, ...(literal ? explained([explainImapLiteral(Number(literal[1]))]) : []), ...(capabilities ? explained(capabilities.map(explainImapCapability)) : [])];
		masked.forEach((text, index) => {
			this.add('server', text, step, {last: index === masked.length - 1 && shown.length === lines.length, ...(index === 0 ? {explain: first} : {})});
		});
		const hidden = lines.length - shown.length;
		if (hidden > 0) this.add('info', `… ${hidden} more lines not shown (${raw.length} bytes in all).`, step);
	}



	private fail(step: TranscriptStep, failure: SessionFailure): void {
		this.recordFailure(step, failure, failure.kind === 'local' && !this.planState.connected ? exitCodes.usage : exitCodeForImapStep(step));
	}

	private handleError(step: TranscriptStep, error: unknown): SessionFailure {
		const failure = asSessionFailure(error);
		if (failure.tlsFacts) this.recordRefusedTls(failure.tlsFacts, step);

		const beforeGreeting = step === 'connect' && failure.kind === 'protocol' && !this.entries.some(e => e.direction === 'server');
		this.fail(step, beforeGreeting ? new SessionFailure('protocol', `${failure.message} This port does not seem to speak IMAP.`) : failure);
		this.close();
		return failure;
	}
}

/** SASL PLAIN's one message (RFC 4616): authzid NUL authcid NUL password, UTF-8. */
function plainResponse(user: string, password: string): Buffer {
	return Buffer.from(`\0${user}\0${password}`, 'utf8');
}

/** A string as the transcript shows it in a command: quoted, as imapString would (a literal shown quoted too). */
function quoted(value: string): string {
	return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

function folderOf(line: ImapLine): ImapFolder {
	const [attributes, delimiter, name] = line.attributes;
	return {
		name: nodeText(name ?? undefined) ?? '',
		delimiter: nodeText(delimiter ?? undefined),
		attributes: Array.isArray(attributes) ? attributes.map(node => nodeText(node ?? undefined) ?? '').filter(Boolean) : [],
	};
}
