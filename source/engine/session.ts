// A step-through SMTP session: `step()` performs exactly one protocol step and appends
// its transcript entries; `peek()` says what the next step will send before it goes out.
// Thin by design: the conversation (protocol/smtp-client.ts, sans-I/O) decides everything
// (the plan, SASL, STARTTLS, what each line is); this file does what its events ask over the
// connection, stamps each entry with its place and time, and maps failures to exit codes.
import type {Capabilities} from '../protocol/ehlo.js';
import type {Reply} from '../protocol/reply-parser.js';
import {SmtpClientConversation, type EntryDraft, type Preview, type SmtpClientEvent, type SmtpClientOptions, type StepOutcome} from '../protocol/smtp-client.js';
import type {NextStep, PlanState} from '../protocol/smtp-plan.js';
import type {TlsFacts} from '../protocol/transcript.js';
import {TranscriptSession} from './client-session.js';
import {Connection, describeCertError, speaksTls, type TlsOptions} from './connection.js';
import {exitCodeForStep, exitCodes} from './exit-codes.js';
import {SessionFailure} from './failure.js';
import {resolveTlsMode, type TlsMode} from './profiles.js';
import type {SessionLike} from './replay.js';

export {rfcTimeouts, type Preview, type StepOutcome, type Timeouts} from '../protocol/smtp-client.js';

/** The conversation's options, with where to connect and how TLS is set up in place of its resolved TLS. */
export type SessionOptions = Omit<SmtpClientOptions, 'target' | 'tls' | 'insecureTls' | 'remedies' | 'date' | 'messageId'> & {
	host: string;
	port: number;
	tls: TlsMode;
	tlsOptions: TlsOptions;
	family?: 4 | 6;
	localAddress?: string;
	/** Shown in the status line: "lab:587" or the host. */
	label?: string;
	/** The well-known port whose behaviour applies (the lab listens elsewhere). */
	profilePort?: number;
};

/** Silence after connect before smtp-tui asks whether the port speaks TLS instead. */
const silentPortMs = 2000;
/** How long that TLS question may take. */
const tlsProbeMs = 5000;

function certificateProblem(facts: TlsFacts | undefined): string | undefined {
	return facts && !facts.authorized ? describeCertError(facts.authorizationError, facts) : undefined;
}

export class Session extends TranscriptSession implements SessionLike {
	readonly options: SessionOptions;
	private readonly conversation: SmtpClientConversation;
	private connection?: Connection;
	private closedByUser = false;
	private closeReason?: string;

	constructor(options: SessionOptions) {
		super(options.host, options.port);
		this.options = options;
		const {host: _host, port: _port, tlsOptions, family: _family, localAddress: _local, label: _label, profilePort, ...rest} = options;
		this.conversation = new SmtpClientConversation({
			...rest,
			target: this.target,
			tls: resolveTlsMode(options.tls, profilePort ?? options.port),
			insecureTls: tlsOptions.insecure,
			remedies: tlsOptions.remedies,
		});
	}

	get state(): Readonly<PlanState> {
		return this.conversation.state;
	}

	get tlsFacts(): TlsFacts | undefined {
		return this.conversation.tlsFacts;
	}

	get capabilitiesBeforeTls(): Capabilities | undefined {
		return this.conversation.capabilitiesBeforeTls;
	}

	/** 0 when everything went as planned, else the exit code of the first failure. */
	get exitCode(): number {
		const first = this.conversation.firstFailure;
		if (!first) return exitCodes.ok;
		switch (first.kind) {
			case 'usage':
				return exitCodes.usage;
			case 'timeout':
				return exitCodes.timeout;
			case 'connect':
				return exitCodes.connect;
			case 'tls':
				return exitCodes.tls;
			default:
				return exitCodeForStep(first.step, first.afterTls);
		}
	}

	get failureMessage(): string | undefined {
		return this.conversation.firstFailure?.message;
	}

	get done(): boolean {
		return this.conversation.done;
	}

	/** Planned steps performed so far (commands typed by hand are not counted). */
	get stepNumber(): number {
		return this.conversation.stepNumber;
	}

	get plannedSteps(): number {
		return this.conversation.plannedSteps;
	}

	/** After DATA's 354, before the lone dot: what is typed by hand goes into the message. */
	get inMessage(): boolean {
		return this.conversation.inMessage;
	}

	/** A SASL exchange typed by hand waits for the answer to the server's 334. */
	get awaitingSaslAnswer(): boolean {
		return this.conversation.awaitingSaslAnswer;
	}

	next(): NextStep {
		return this.conversation.next();
	}

	/** What the next step will send, before anything goes out. */
	peek(): Preview {
		return this.conversation.peek();
	}

	/** Performs the next planned step; `override` replaces its command line (edited by the user). */
	async step(override?: string): Promise<StepOutcome> {
		return this.steps.run(async () => {
			this.conversation.step(override);
			return this.drive();
		}, refusedStep);
	}

	/** Sends a command typed by the user (or a message line after 354) and reads its reply. */
	async manual(input: string): Promise<StepOutcome> {
		return this.steps.run(async () => {
			this.conversation.manual(input);
			return this.drive();
		}, refusedStep);
	}

	/** Marks the next step as done without sending it. */
	skip(): void {
		if (this.conversation.busy) return;
		this.conversation.skip();
		for (let event = this.conversation.nextEvent(); event.type !== 'idle'; event = this.conversation.nextEvent()) {
			if (event.type === 'entry') this.add(event.entry);
			else if (event.type === 'close') this.connection?.close();
		}
	}

	/** Ends the session now. `why`: the sentence a step under way fails with (default "The connection was closed."). */
	close(why?: string): void {
		if (!this.closedByUser && why !== undefined) this.closeReason = why;
		this.closedByUser = true;
		this.connection?.close(this.closeFailure());
		this.conversation.closed();
	}

	private closeFailure(): SessionFailure {
		return new SessionFailure('closed', this.closeReason ?? 'The connection was closed.');
	}

	// ——— the driver loop: do what the conversation asks until its step is over ———

	private async drive(): Promise<StepOutcome> {
		for (;;) {
			// Replies that arrived while nobody asked: the conversation shows them out of turn.
			if (this.connection) for (const reply of this.connection.takeUnsolicited()) this.conversation.receiveReply(reply);
			const event = this.conversation.nextEvent();
			if (event.type === 'step-done') return event.outcome;
			if (event.type === 'idle') return {ok: true};
			if (event.type === 'entry' || event.type === 'reply') {
				// Shown at once (no await between entries: close() cannot slip in between them).
				if (event.type === 'entry') this.add(event.entry);
				continue;
			}

			try {
				await this.perform(event);
			} catch (error) {
				this.conversation.failed(error);
			}
		}
	}

	private async perform(event: Exclude<SmtpClientEvent, {type: 'step-done' | 'idle' | 'entry' | 'reply'}>): Promise<void> {
		switch (event.type) {
			case 'connect': {
				// close() came first (the user left while the step started): nothing is opened.
				if (this.closedByUser) throw this.closeFailure();
				// Made before it connects, so close() can call the connect off (nothing is left open).
				const connection = new Connection({
					host: this.options.host,
					port: this.options.port,
					implicitTls: event.implicitTls,
					connectTimeoutMs: event.timeoutMs,
					tls: this.options.tlsOptions,
					family: this.options.family,
					localAddress: this.options.localAddress,
				});
				this.connection = connection;
				const facts = await connection.connect();
				this.conversation.connected(facts, certificateProblem(facts));
				return;
			}

			case 'send': {
				const connection = this.requireConnection();
				// Armed before the line goes out, so no byte after the reply to STARTTLS is parsed.
				if (event.startsTls) connection.startTlsNext();
				await connection.write(event.data, event.timeoutMs, event.what);
				return;
			}

			case 'need-data': {
				const reply = event.banner ? await this.readBanner(event.timeoutMs) : await this.requireConnection().readReply(event.timeoutMs, event.waitingFor);
				this.conversation.receiveReply(reply);
				return;
			}

			case 'start-tls': {
				const tlsOptions = event.insecure ? {...this.options.tlsOptions, insecure: true} : this.options.tlsOptions;
				// What the driver discards goes to the conversation before the handshake, so it is
				// noted even when the handshake then fails or stalls.
				const {facts} = await this.requireConnection().upgrade(this.options.host, tlsOptions, event.timeoutMs, injected => this.conversation.receiveData(injected));
				this.conversation.tlsStarted(facts, certificateProblem(facts));
				return;
			}

			case 'close':
				this.connection?.close();
		}
	}

	/**
	 * The banner on a plaintext connection. A port that stays silent for a moment is asked,
	 * on a second connection, whether it answers a TLS hello: an implicit-TLS port (465)
	 * waits for the client to speak first and would otherwise hang until the greeting timeout.
	 */
	private async readBanner(timeoutMs: number): Promise<Reply> {
		const connection = this.requireConnection();
		const settled = connection.readReply(timeoutMs, 'with a banner').then(reply => ({reply}), (error: unknown) => ({error}));
		let timer: NodeJS.Timeout | undefined;
		const silence = new Promise<'silent'>(resolve => {
			timer = setTimeout(resolve, Math.min(silentPortMs, timeoutMs / 2), 'silent');
		});
		let first = await Promise.race([settled, silence]);
		clearTimeout(timer);
		// A banner under way (its first lines came, its last not yet) is no silent port: wait for it.
		if (first === 'silent' && connection.replyUnderWay) first = await settled;
		if (first === 'silent') {
			this.add(this.conversation.note('No banner yet; asking (on a second connection) whether this port speaks TLS from the first byte…', 'connect'));
			// Whatever answers first wins; the other question is called off, so nothing lingers.
			const stop = new AbortController();
			const probe = speaksTls({host: this.options.host, port: this.options.port, family: this.options.family, localAddress: this.options.localAddress}, this.options.tlsOptions.servername, Math.min(this.conversation.timeouts.connect, tlsProbeMs), stop.signal).then(yes => yes ? 'tls' as const : 'plain' as const);
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
		return first.reply;
	}

	private add(draft: EntryDraft): void {
		const {direction, text, step, stepIndex, tls, secret, ...extra} = draft;
		this.publish({seq: this.entries.length, direction, text, step, stepIndex, at: this.now(), tls, secret, ...extra});
	}

	private requireConnection(): Connection {
		if (!this.connection) throw new SessionFailure('local', 'Not connected.');
		return this.connection;
	}
}

/** The answer to a step started while another is in flight (two keys before a re-render): refused, with the reason. */
function refusedStep(failure: SessionFailure): StepOutcome {
	return {ok: false, failure};
}
