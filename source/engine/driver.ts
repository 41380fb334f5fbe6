// The driver: the one part of the SMTP, POP3 and IMAP clients that touches sockets. It owns
// the socket (TCP, TLS from the first byte, or TLS started in band by STARTTLS / STLS / IMAP
// STARTTLS), puts a deadline on every read and write, writes big payloads piece by piece (a
// peer that stops reading cannot make us buffer it all), and tears everything down on close().
// It knows no protocol: the bytes it receives go to a conversation (protocol/, sans-I/O), and
// what it hands back are the conversation's events.
//
// How a session uses it:
//
//   const driver = new Driver(conversation, {host, port, implicitTls, connectTimeoutMs, tls});
//   const facts = await driver.connect();            // facts: the TLS handshake, when implicit
//   await driver.write(bytes, timeoutMs, 'the command');
//   const event = await driver.read(timeoutMs, 'EHLO'); // the conversation's next event
//   const {facts, injected} = await driver.upgrade(host, tls, timeoutMs); // after "220" / "+OK" / "OK";
//                                                   // injected: plaintext before the first TLS record
//   driver.close();                                   // at any time, even while connect() runs
//
// Events that arrive while nobody reads are held (bounded) and handed out in order; one read at
// a time: a second read while one waits is refused, never queued behind the first. A session
// wraps each of its steps in a StepGate, so a second step while one is in flight is refused
// (with one clear sentence) and never runs. Errors are SessionFailures: one sentence each.
import {Buffer} from 'node:buffer';
import net from 'node:net';
import {Duplex} from 'node:stream';
import type tls from 'node:tls';
import {RemoteProtocolError} from '../protocol/errors.js';
import type {TlsFacts} from '../protocol/transcript.js';
import {describeSocketError, SessionFailure} from './failure.js';
import {describeHandshakeError, refusedCertificateMessage, tlsFacts, type CertRemedies} from './tls.js';

export type TlsOptions = {
	/** Name sent as SNI and checked against the certificate. */
	servername?: string;
	/** Extra trusted CA (PEM). */
	ca?: string;
	/** Go on when the certificate does not verify. */
	insecure: boolean;
	/** How a refused certificate's advice names the remedies: as flags (default) or as the remote wizard's fields. */
	remedies?: CertRemedies;
};

export type ConnectOptions = {
	host: string;
	port: number;
	implicitTls: boolean;
	connectTimeoutMs: number;
	tls: TlsOptions;
	family?: 4 | 6;
	localAddress?: string;
};

/**
 * What the driver needs of a conversation: bytes in, events out. Both methods may throw a
 * RemoteProtocolError (the peer broke the protocol); events completed before it stay readable.
 */
export type DriverConversation<E> = {
	receiveData(data: Buffer): void;
	/** The next whole event, or undefined until more bytes arrive. */
	nextEvent(): E | undefined;
	/** Bytes held that are not yet a whole event. */
	readonly buffered: number;
	/** Returns and forgets what is held: at a TLS upgrade, nothing sent in clear is read as protected. */
	takeRemainder(): Buffer;
};

export type DriverOptions<E> = {
	/** What one event is called in sentences, and more than one: "reply"/"replies" (SMTP), "response"/"responses". */
	unit: string;
	units: string;
	/** An event's bytes as received (held events are returned as injected bytes at an upgrade, and counted). */
	bytesOf(event: E): Buffer;
	/** Caps on events held before anyone asked for them (a peer that talks out of turn). */
	maxHeldEvents?: number;
	maxHeldBytes?: number;
	/** Said after "no answer within N s" when connecting fails (e.g. "many ISPs block port 25"). */
	connectHint?: string;
};

export type UpgradeResult = {facts: TlsFacts; injected: Buffer};

type Waiter<E> = {waitingFor: string; resolve: (event: E) => void; reject: (error: Error) => void};

/** Bytes handed to the socket at a time when writing a payload. */
const writeChunk = 64 * 1024;

export class Driver<E> {
	readonly target: string;
	private socket?: net.Socket;
	private tlsActive = false;
	private held: E[] = [];
	private waiter?: Waiter<E>;
	private failure?: SessionFailure;
	private closedByUs = false;
	/** Set while connect() or upgrade() waits on the network: close() calls it off. */
	private abortPending?: AbortController;

	constructor(
		private conversation: DriverConversation<E>,
		private readonly connectOptions: ConnectOptions,
		private readonly options: DriverOptions<E>,
	) {
		this.target = formatTarget(connectOptions.host, connectOptions.port);
	}

	get isTls(): boolean {
		return this.tlsActive;
	}

	/** Whether a connection was opened (it may have closed since). */
	get opened(): boolean {
		return this.socket !== undefined;
	}

	get closed(): boolean {
		return this.closedByUs || (this.socket?.destroyed ?? false);
	}

	/** Connects (and does the TLS handshake when implicitTls); returns its facts. Once per driver. */
	async connect(): Promise<TlsFacts | undefined> {
		if (this.socket || this.abortPending) throw new SessionFailure('local', 'This connection was already opened.');
		if (this.closedByUs) throw this.failure ?? closedFailure();
		const options = this.connectOptions;
		const abort = new AbortController();
		this.abortPending = abort;
		try {
			let socket = await connectTcp(options, this.target, this.options.connectHint, abort.signal);
			let facts: TlsFacts | undefined;
			if (options.implicitTls) {
				const plain = socket;
				({socket, facts} = await handshake(plain, options.host, options.tls, options.connectTimeoutMs, this.target, abort.signal).catch((error: unknown) => {
					plain.destroy();
					throw error;
				}));
				this.tlsActive = true;
			}

			this.socket = socket;
			this.attach(socket);
			return facts;
		} finally {
			this.abortPending = undefined;
		}
	}

	/** Bytes to the peer, `writeChunk` at a time, each taken within `timeoutMs` (back-pressure). */
	async write(data: Buffer | string, timeoutMs: number, what = 'the message'): Promise<void> {
		const socket = this.requireSocket();
		const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
		for (let at = 0; at < bytes.length || at === 0; at += writeChunk) {
			await writeWithDeadline(socket, bytes.subarray(at, at + writeChunk), timeoutMs, () => this.failure, {target: this.target, what, tls: this.tlsActive});
			if (bytes.length === 0) break;
		}
	}

	/** One line; CRLF is added here. */
	async sendLine(line: string, timeoutMs: number, what = 'the command'): Promise<void> {
		await this.write(line + '\r\n', timeoutMs, what);
	}

	/** Events that arrived before anyone asked for them, oldest first; they are forgotten here. */
	takeHeld(): E[] {
		return this.held.splice(0);
	}

	/** The next event: a held one at once, else the next to arrive within `timeoutMs`. */
	async read(timeoutMs: number, waitingFor: string): Promise<E> {
		if (this.waiter) throw new SessionFailure('local', `A read is already waiting for ${this.waiter.waitingFor}; one connection does one thing at a time.`);
		const held = this.held.shift();
		if (held !== undefined) return held;
		if (this.failure) throw this.failure;
		this.requireSocket();
		return new Promise<E>((resolve, reject) => {
			const waiter: Waiter<E> = {
				waitingFor,
				resolve: event => {
					clearTimeout(timer);
					resolve(event);
				},
				reject: error => {
					clearTimeout(timer);
					reject(error);
				},
			};
			const timer = setTimeout(() => {
				// Only this read's own slot: a later read is never cleared by an earlier timer.
				if (this.waiter === waiter) this.waiter = undefined;
				reject(new SessionFailure('timeout', `${this.target} did not answer ${waitingFor} within ${seconds(timeoutMs)}.`));
			}, timeoutMs);
			this.waiter = waiter;
		});
	}

	/**
	 * Starts TLS in band (after the peer's yes to STARTTLS or STLS). Whatever the peer sent after
	 * that yes and before the handshake is returned as `injected`, never read as events (the
	 * STARTTLS response-injection attack). `discarded`, when given, is handed those bytes before
	 * the handshake starts, so a caller can report them whatever the handshake's outcome.
	 */
	async upgrade(host: string, options: TlsOptions, timeoutMs: number, discarded?: (bytes: Buffer) => void): Promise<UpgradeResult> {
		const plain = this.requireSocket();
		if (this.failure) throw this.failure;
		if (this.tlsActive) throw new SessionFailure('local', 'TLS is already active on this connection.');
		plain.removeAllListeners('data');
		plain.removeAllListeners('error');
		plain.removeAllListeners('close');
		const early = Buffer.concat([this.conversation.takeRemainder(), ...this.held.map(event => this.options.bytesOf(event))]);
		this.held = [];
		const injected: Buffer[] = [early];
		if (discarded && early.length > 0) discarded(early);
		// Bytes that arrive after this point and before the server's first TLS record (a second
		// write after the 220, racing our hello) are discarded too, never handed to TLS or read.
		const guard = guardTlsStart(plain, bytes => {
			injected.push(bytes);
			discarded?.(bytes);
		});
		const abort = new AbortController();
		this.abortPending = abort;
		try {
			const {socket, facts} = await handshake(guard.stream, host, options, timeoutMs, this.target, abort.signal);
			this.socket = socket;
			this.tlsActive = true;
			this.attach(socket);
			return {facts, injected: Buffer.concat(injected)};
		} catch (error) {
			// Our hello was answered, but only with bytes that are not TLS: that is no stall.
			const failure = error instanceof SessionFailure && error.kind === 'timeout' && guard.answeredInPlaintext()
				? new SessionFailure('tls', `The TLS handshake with ${this.target} failed: the server did not answer in TLS (after its 220 it sent only bytes that are not TLS).`)
				: error;
			this.failure ??= failure instanceof SessionFailure ? failure : undefined;
			throw failure;
		} finally {
			this.abortPending = undefined;
		}
	}

	/**
	 * Ends the connection now; a pending read is rejected, a pending connect() or upgrade() called
	 * off, each with `failure` (why it was closed: the user's Ctrl-C, say), else "was closed".
	 */
	close(failure = closedFailure()): void {
		this.closedByUs = true;
		this.abortPending?.abort(failure);
		this.socket?.destroy();
		this.fail(failure);
	}

	private requireSocket(): net.Socket {
		if (!this.socket) throw new SessionFailure('local', 'Not connected.');
		return this.socket;
	}

	private attach(socket: net.Socket): void {
		socket.on('data', (chunk: Buffer) => {
			this.receive(chunk);
		});
		socket.on('error', (error: NodeJS.ErrnoException) => {
			this.fail(describeSocketError(error, this.target, this.tlsActive));
		});
		socket.on('close', () => {
			const partial = this.conversation.buffered > 0 ? ` in the middle of a ${this.options.unit}` : '';
			this.fail(new SessionFailure('closed', `${this.target} closed the connection${partial}.`));
		});
	}

	/** Bytes from the peer (or ones the conversation held back unparsed) to the conversation; its events to the reader. */
	protected receive(chunk: Buffer): void {
		if (this.failure) return;
		let fault: unknown;
		try {
			this.conversation.receiveData(chunk);
		} catch (error) {
			fault = error;
		}

		// Events completed before a fault (in the same packet) are still handed out.
		try {
			for (let event = this.conversation.nextEvent(); event !== undefined && !this.failure; event = this.conversation.nextEvent()) this.deliver(event);
		} catch (error) {
			fault ??= error;
		}

		if (fault === undefined) return;
		if (!(fault instanceof RemoteProtocolError)) throw fault;
		const received = (fault as {received?: readonly string[]}).received;
		this.fail(new SessionFailure('protocol', fault.message, undefined, received && received.length > 0 ? received : undefined));
		this.socket?.destroy();
	}

	private deliver(event: E): void {
		const waiter = this.waiter;
		if (waiter) {
			this.waiter = undefined;
			waiter.resolve(event);
			return;
		}

		this.held.push(event);
		// Events nobody asked for pile up while the user reads the screen: a peer that floods
		// them must not grow our memory without end. The ones held so far stay, to be shown.
		const maxEvents = this.options.maxHeldEvents ?? Infinity;
		const maxBytes = this.options.maxHeldBytes ?? Infinity;
		const bytes = this.held.reduce((sum, held) => sum + this.options.bytesOf(held).length, 0);
		if (this.held.length > maxEvents || bytes > maxBytes) {
			const {units} = this.options;
			const what = this.held.length > maxEvents ? `${maxEvents} ${units}` : `${maxBytes / 1024} KB of ${units}`;
			this.fail(new SessionFailure('protocol', `${this.target} sent more than ${what} that no command asked for; smtp-tui stopped listening.`));
			this.socket?.destroy();
		}
	}

	private fail(failure: SessionFailure): void {
		this.failure ??= failure;
		const waiter = this.waiter;
		this.waiter = undefined;
		waiter?.reject(this.failure);
	}
}

/**
 * Steps one at a time. Each public step of a session runs inside `run`; a step started while
 * another is in flight (two keys pressed before a re-render) is refused: `refused` makes its
 * answer, and the work is never run.
 */
export class StepGate {
	private running = false;

	get busy(): boolean {
		return this.running;
	}

	async run<T>(work: () => Promise<T>, refused: (failure: SessionFailure) => T): Promise<T> {
		if (this.running) return refused(new SessionFailure('local', 'A step is already in flight; wait for its answer before the next one.'));
		this.running = true;
		try {
			return await work();
		} finally {
			this.running = false;
		}
	}
}

function closedFailure(): SessionFailure {
	return new SessionFailure('closed', 'The connection was closed.');
}

/** Runs `start` unless `signal` is aborted; on abort, `stop` tears down and the promise rejects as closed. */
function abortable<T>(signal: AbortSignal | undefined, start: (resolve: (value: T) => void, reject: (error: Error) => void) => () => void): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		const why = () => signal?.reason instanceof SessionFailure ? signal.reason : closedFailure();
		if (signal?.aborted) {
			reject(why());
			return;
		}

		const onAbort = () => {
			stop();
			reject(why());
		};

		const stop = start(value => {
			signal?.removeEventListener('abort', onAbort);
			resolve(value);
		}, error => {
			signal?.removeEventListener('abort', onAbort);
			reject(error);
		});
		signal?.addEventListener('abort', onAbort, {once: true});
	});
}

/** Bytes discarded before the server's first TLS record; past this, they go to TLS (which refuses them). */
const maxDiscardedBeforeTls = 64 * 1024;

/**
 * Whether a TLS record may start at `at`: a content type (20 change_cipher_spec, 21 alert,
 * 22 handshake, 23 application data) then version 3.0–3.4 (RFC 8446 §5.1); bytes not yet
 * received do not rule it out.
 */
function mayStartRecord(bytes: Buffer, at: number): boolean {
	const type = bytes[at]!;
	if (type < 0x14 || type > 0x17) return false;
	if (at + 1 < bytes.length && bytes[at + 1] !== 0x03) return false;
	return at + 2 >= bytes.length || bytes[at + 2]! <= 0x04;
}

/**
 * The plain socket as TLS should read it after STARTTLS: whatever the server sends before its
 * first TLS record (plaintext after its 220: the STARTTLS response-injection pattern, whether in
 * the 220's packet or a later one) goes to `discarded`, never to TLS; from the first record on,
 * every byte passes as it came. Writes, end and destroy go straight to the socket.
 */
function guardTlsStart(plain: net.Socket, discarded: (bytes: Buffer) => void): {stream: Duplex; answeredInPlaintext: () => boolean} {
	let passing = false;
	let pending = Buffer.alloc(0);
	let dropped = 0;
	const guard = new Duplex({
		read() {
			plain.resume();
		},
		write(chunk: Buffer, _encoding, callback) {
			plain.write(chunk, callback);
		},
		final(callback) {
			plain.end(callback);
		},
		destroy(error, callback) {
			plain.destroy();
			callback(error);
		},
	});
	const pass = (bytes: Buffer) => {
		if (bytes.length > 0 && !guard.push(bytes)) plain.pause();
	};

	const drop = (bytes: Buffer) => {
		if (bytes.length === 0) return;
		dropped += bytes.length;
		discarded(bytes);
	};

	plain.on('data', (chunk: Buffer) => {
		if (passing) {
			pass(chunk);
			return;
		}

		const bytes = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
		pending = Buffer.alloc(0);
		let start = 0;
		while (start < bytes.length && !mayStartRecord(bytes, start)) start++;
		if (start === bytes.length) {
			drop(bytes);
		} else if (start + 3 <= bytes.length) {
			drop(bytes.subarray(0, start));
			passing = true;
			pass(bytes.subarray(start));
		} else {
			// A record header cut short at the end of the chunk: wait for its next bytes.
			drop(bytes.subarray(0, start));
			pending = Buffer.from(bytes.subarray(start));
		}

		if (!passing && dropped > maxDiscardedBeforeTls) {
			passing = true;
			pass(pending);
			pending = Buffer.alloc(0);
		}
	});
	plain.on('end', () => {
		pass(pending);
		guard.push(null);
	});
	plain.on('error', error => guard.destroy(error));
	plain.on('close', () => guard.destroy());
	// Bytes came after upgrade() began (our hello went out), and none of them began a TLS record.
	return {stream: guard, answeredInPlaintext: () => !passing && dropped > 0};
}

/** A TCP connection within the connect timeout; refusals and timeouts become one sentence. */
export async function connectTcp(options: Pick<ConnectOptions, 'host' | 'port' | 'family' | 'localAddress' | 'connectTimeoutMs'>, target: string, timeoutHint = '', signal?: AbortSignal): Promise<net.Socket> {
	const socket = await abortable<net.Socket>(signal, (resolve, reject) => {
		const s = net.connect({host: options.host, port: options.port, family: options.family, localAddress: options.localAddress});
		const timer = setTimeout(() => {
			s.destroy();
			reject(new SessionFailure('timeout', `Could not connect to ${target}: no answer within ${seconds(options.connectTimeoutMs)}${timeoutHint}.`));
		}, options.connectTimeoutMs);
		s.once('connect', () => {
			clearTimeout(timer);
			s.removeAllListeners('error');
			resolve(s);
		});
		s.once('error', (error: NodeJS.ErrnoException) => {
			clearTimeout(timer);
			reject(describeSocketError(error, target));
		});
		return () => {
			clearTimeout(timer);
			s.removeAllListeners();
			s.on('error', () => undefined);
			s.destroy();
		};
	});
	socket.setNoDelay(true);
	return socket;
}

type TlsModule = typeof tls;
/**
 * node:tls loads when a session first starts TLS: a plain session (a server that offers no
 * STARTTLS, `--tls none`) does without it, and loading it is a few milliseconds of a batch
 * `run` (see the readme's benchmarks).
 */
const loadTls = async (): Promise<TlsModule> => (await import('node:tls')).default;

/**
 * One secure context per extra CA for the whole process: building one parses Node's ~140
 * root certificates as well (about 35 ms each time), and `compare` makes four handshakes
 * with the same lab CA at once.
 */
const contextsByCa = new Map<string, tls.SecureContext>();
function trustingAlso(tls: TlsModule, ca: string): tls.SecureContext {
	let context = contextsByCa.get(ca);
	if (!context) {
		context = tls.createSecureContext({ca: [...tls.rootCertificates, ca]});
		contextsByCa.set(ca, context);
	}

	return context;
}

/** The TLS handshake on an open socket (STARTTLS, STLS, or implicit TLS), verified after it completes. */
export async function handshake(
	socket: net.Socket | Duplex,
	host: string,
	options: TlsOptions,
	timeoutMs: number,
	target: string,
	signal?: AbortSignal,
): Promise<{socket: tls.TLSSocket; facts: TlsFacts}> {
	const servername = options.servername ?? (net.isIP(host) ? undefined : host);
	const tls = await loadTls();
	return abortable(signal, (resolve, reject) => {
		// Verification is decided below, after the handshake, so a refused certificate
		// can still be shown to the user (subject, issuer, names, dates).
		const secure = tls.connect({
			socket,
			servername,
			host: servername ?? host,
			secureContext: options.ca ? trustingAlso(tls, options.ca) : undefined,
			rejectUnauthorized: false,
		});
		const timer = setTimeout(() => {
			secure.destroy();
			reject(new SessionFailure('timeout', `The TLS handshake with ${target} did not finish within ${seconds(timeoutMs)}.`));
		}, timeoutMs);
		secure.once('secureConnect', () => {
			clearTimeout(timer);
			secure.removeAllListeners('error');
			const facts = tlsFacts(secure, servername);
			if (!facts.authorized && !options.insecure) {
				secure.destroy();
				reject(new SessionFailure('tls', refusedCertificateMessage(target, facts, servername ?? host, options.remedies), facts));
				return;
			}

			resolve({socket: secure, facts});
		});
		secure.once('error', (error: NodeJS.ErrnoException) => {
			clearTimeout(timer);
			reject(describeHandshakeError(error, target));
		});
		return () => {
			clearTimeout(timer);
			secure.removeAllListeners();
			secure.on('error', () => undefined);
			secure.destroy();
			socket.destroy();
		};
	});
}

/**
 * Whether host:port answers a TLS ClientHello (a ServerHello, or a TLS alert), on a
 * connection of its own: asked when a port stays silent after connect, since an
 * implicit-TLS port waits for the client's hello and never sends a greeting.
 */
export async function speaksTls(options: Pick<ConnectOptions, 'host' | 'port' | 'family' | 'localAddress'>, servername: string | undefined, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
	const tls = await loadTls();
	if (signal?.aborted) return false;
	return new Promise(resolve => {
		const raw = net.connect({host: options.host, port: options.port, family: options.family, localAddress: options.localAddress});
		raw.on('error', () => undefined); // reported through the TLS socket below
		const secure = tls.connect({socket: raw, servername: servername ?? (net.isIP(options.host) ? undefined : options.host), rejectUnauthorized: false});
		const done = (answer: boolean) => {
			clearTimeout(timer);
			signal?.removeEventListener('abort', abort);
			secure.removeAllListeners();
			secure.on('error', () => undefined);
			secure.destroy();
			raw.destroy();
			resolve(answer);
		};

		const abort = () => done(false);
		const timer = setTimeout(abort, timeoutMs);
		signal?.addEventListener('abort', abort);
		secure.once('secureConnect', () => done(true));
		// An alert is an answer in TLS too (no cipher in common, an old version); bytes that are
		// not TLS ("wrong version number"), a refusal, a reset or a close are not.
		secure.once('error', (error: Error) => done(/alert/i.test(error.message)));
		secure.once('close', () => done(false));
	});
}

/**
 * One write with a deadline: resolves when the socket took the bytes, rejects with one sentence
 * when it fails, or when the peer has not read them within `timeoutMs` (then the socket is destroyed).
 */
export async function writeWithDeadline(socket: net.Socket, data: Buffer | string, timeoutMs: number, failure: () => SessionFailure | undefined, about: {target: string; what: string; tls: boolean}): Promise<void> {
	const earlier = failure();
	if (earlier) throw earlier;
	if (socket.destroyed) throw new SessionFailure('closed', `${about.target} closed the connection.`);
	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => {
			reject(new SessionFailure('timeout', `${about.target} stopped reading: ${about.what} was not taken within ${seconds(timeoutMs)}.`));
			socket.destroy();
		}, timeoutMs);
		socket.write(data, error => {
			clearTimeout(timer);
			if (error) reject(failure() ?? describeSocketError(error as NodeJS.ErrnoException, about.target, about.tls));
			else resolve();
		});
	});
}

export function formatTarget(host: string, port: number): string {
	// Every IPv6 address has a colon; asking first spares an IPv4 or a name Node's IPv6
	// pattern, which takes milliseconds to compile on its first use.
	return host.includes(':') && net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

export function seconds(ms: number): string {
	return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
