// The driver: the thin part that touches sockets. It writes lines, hands received bytes
// to the reply parser and waits for whole replies, upgrades to TLS in place (STARTTLS)
// or starts in TLS (implicit). Protocol decisions live in session.ts and plan.ts.
import net from 'node:net';
import tls from 'node:tls';
import {ReplyParseError, ReplyParser, type Reply} from '../protocol/reply-parser.js';
import {RemoteProtocolError} from '../protocol/errors.js';
import type {TlsFacts} from '../protocol/transcript.js';
import {alertName, describeSocketError, opensslReason, SessionFailure} from './failure.js';

export type ConnectOptions = {
	host: string;
	port: number;
	implicitTls: boolean;
	connectTimeoutMs: number;
	tls: TlsOptions;
	family?: 4 | 6;
	localAddress?: string;
};

export type TlsOptions = {
	/** Name sent as SNI and checked against the certificate. */
	servername?: string;
	/** Extra trusted CA (PEM). */
	ca?: string;
	/** Go on when the certificate does not verify. */
	insecure: boolean;
};

export type UpgradeResult = {facts: TlsFacts; injected: Buffer};

type Waiter = {resolve: (reply: Reply) => void; reject: (error: Error) => void};

/** Caps on replies held before any command asked for them (a server that talks out of turn). */
const maxUnsolicitedReplies = 100;
const maxUnsolicitedBytes = 1024 * 1024;

export class Connection {
	readonly target: string;
	private socket: net.Socket | tls.TLSSocket;
	private parser = new ReplyParser();
	private replies: Reply[] = [];
	private waiter?: Waiter;
	private failure?: SessionFailure;
	private tlsActive = false;

	private constructor(socket: net.Socket | tls.TLSSocket, target: string, tlsActive: boolean) {
		this.socket = socket;
		this.target = target;
		this.tlsActive = tlsActive;
		this.attach(socket);
	}

	static async open(options: ConnectOptions): Promise<{connection: Connection; facts?: TlsFacts}> {
		const target = formatTarget(options.host, options.port);
		const socket = await connectTcp(options, target, ' (a firewall may be dropping the connection; many ISPs block outbound port 25)');
		if (!options.implicitTls) return {connection: new Connection(socket, target, false)};

		const {socket: secure, facts} = await handshake(socket, options.host, options.tls, options.connectTimeoutMs, target);
		return {connection: new Connection(secure, target, true), facts};
	}

	get isTls(): boolean {
		return this.tlsActive;
	}

	get closed(): boolean {
		return this.socket.destroyed;
	}

	/** Whole replies that arrived before any command asked for them. */
	takeUnsolicited(): Reply[] {
		return this.replies.splice(0);
	}

	/** Writes one command line; CRLF is added here and nowhere else. */
	async sendLine(line: string, timeoutMs: number): Promise<void> {
		await this.write(line + '\r\n', timeoutMs, 'the command');
	}

	/**
	 * Writes raw text or bytes (a message body already encoded with CRLF and the final dot) in pieces,
	 * each of which must be taken by the server within `timeoutMs`: a server that stops reading
	 * cannot hold the session past its timeout, nor make us buffer the whole body at once.
	 */
	async write(text: string | Buffer, timeoutMs: number, what = 'the message'): Promise<void> {
		const data = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
		for (let at = 0; at < data.length || at === 0; at += writeChunk) {
			await writeWithDeadline(this.socket, data.subarray(at, at + writeChunk), timeoutMs, () => this.failure, {target: this.target, what, tls: this.tlsActive});
			if (data.length === 0) break;
		}
	}

	/** Waits for the next whole reply. */
	async readReply(timeoutMs: number, waitingFor: string): Promise<Reply> {
		const queued = this.replies.shift();
		if (queued) return queued;
		if (this.failure) throw this.failure;
		return new Promise<Reply>((resolve, reject) => {
			const timer = setTimeout(() => {
				this.waiter = undefined;
				reject(new SessionFailure('timeout', `${this.target} did not answer ${waitingFor} within ${seconds(timeoutMs)}.`));
			}, timeoutMs);
			this.waiter = {
				resolve: reply => {
					clearTimeout(timer);
					resolve(reply);
				},
				reject: error => {
					clearTimeout(timer);
					reject(error);
				},
			};
		});
	}

	/**
	 * Upgrades this connection to TLS after the server's 220 to STARTTLS. Bytes the
	 * server sent after that 220 and before the handshake are returned as `injected`
	 * and never parsed as replies (the "NO STARTTLS" response-injection attack).
	 */
	async upgrade(host: string, options: TlsOptions, timeoutMs: number): Promise<UpgradeResult> {
		const plain = this.socket as net.Socket;
		plain.removeAllListeners('data');
		plain.removeAllListeners('error');
		plain.removeAllListeners('close');
		const leftovers = [this.parser.takeRemainder(), ...this.replies.map(r => Buffer.from(r.raw.join('\r\n') + '\r\n'))];
		this.replies = [];
		this.parser = new ReplyParser();
		const {socket, facts} = await handshake(plain, host, options, timeoutMs, this.target);
		this.socket = socket;
		this.tlsActive = true;
		this.attach(socket);
		return {facts, injected: Buffer.concat(leftovers)};
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
				const replies = this.parser.feed(chunk);
				for (const reply of replies) if (!this.failure) this.deliver(reply);
			} catch (error) {
				if (!(error instanceof RemoteProtocolError)) throw error;
				// Whole replies that came in the same packet before the fault are still shown.
				if (error instanceof ReplyParseError) for (const reply of error.completed) if (!this.failure) this.deliver(reply);
				this.fail(new SessionFailure('protocol', error.message, undefined, error instanceof ReplyParseError ? error.received : undefined));
				socket.destroy();
			}
		});
		socket.on('error', (error: NodeJS.ErrnoException) => {
			this.fail(describeSocketError(error, this.target, this.tlsActive));
		});
		socket.on('close', () => {
			const partial = this.parser.buffered > 0 ? ' in the middle of a reply' : '';
			this.fail(new SessionFailure('closed', `${this.target} closed the connection${partial}.`));
		});
	}

	private deliver(reply: Reply): void {
		const waiter = this.waiter;
		if (waiter) {
			this.waiter = undefined;
			waiter.resolve(reply);
			return;
		}

		this.replies.push(reply);
		// Replies nobody asked for pile up while the user reads the screen: a server that floods
		// them must not grow our memory without end. The ones held so far stay, to be shown.
		const bytes = this.replies.reduce((sum, queued) => sum + queued.raw.reduce((n, line) => n + line.length + 2, 0), 0);
		if (this.replies.length > maxUnsolicitedReplies || bytes > maxUnsolicitedBytes) {
			this.fail(new SessionFailure('protocol', `${this.target} sent more than ${this.replies.length > maxUnsolicitedReplies ? `${maxUnsolicitedReplies} replies` : `${maxUnsolicitedBytes / 1024} KB of replies`} that no command asked for; smtp-tui stopped listening.`));
			this.socket.destroy();
		}
	}

	private fail(failure: SessionFailure): void {
		this.failure ??= failure;
		const waiter = this.waiter;
		this.waiter = undefined;
		waiter?.reject(this.failure);
	}
}

/** A TCP connection within the connect timeout; refusals and timeouts become one sentence. */
export async function connectTcp(options: Pick<ConnectOptions, 'host' | 'port' | 'family' | 'localAddress' | 'connectTimeoutMs'>, target: string, timeoutHint = ''): Promise<net.Socket> {
	const socket = await new Promise<net.Socket>((resolve, reject) => {
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
	});
	socket.setNoDelay(true);
	return socket;
}

/** The TLS handshake on an open socket (STARTTLS, STLS, or implicit TLS), verified after it completes. */
export async function handshake(
	socket: net.Socket,
	host: string,
	options: TlsOptions,
	timeoutMs: number,
	target: string,
): Promise<{socket: tls.TLSSocket; facts: TlsFacts}> {
	const servername = options.servername ?? (net.isIP(host) ? undefined : host);
	return new Promise((resolve, reject) => {
		// Verification is decided below, after the handshake, so a refused certificate
		// can still be shown to the user (subject, issuer, names, dates).
		const secure = tls.connect({
			socket,
			servername,
			host: servername ?? host,
			ca: options.ca ? [...tls.rootCertificates, options.ca] : undefined,
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
				reject(new SessionFailure('tls', refusedCertificateMessage(target, facts, servername ?? host), facts));
				return;
			}

			resolve({socket: secure, facts});
		});
		secure.once('error', (error: NodeJS.ErrnoException) => {
			clearTimeout(timer);
			reject(describeHandshakeError(error, target));
		});
	});
}

/**
 * Whether host:port answers a TLS ClientHello (a ServerHello, or a TLS alert), on a
 * connection of its own: asked when a port stays silent after connect, since an
 * implicit-TLS port waits for the client's hello and never sends an SMTP banner.
 */
export async function speaksTls(options: Pick<ConnectOptions, 'host' | 'port' | 'family' | 'localAddress'>, servername: string | undefined, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
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

function tlsFacts(socket: tls.TLSSocket, servername: string | undefined): TlsFacts {
	const cert = socket.getPeerCertificate();
	const cipher = socket.getCipher();
	const hasCert = cert && Object.keys(cert).length > 0;
	return {
		protocol: socket.getProtocol() ?? 'unknown',
		cipher: cipher?.standardName ?? cipher?.name ?? 'unknown',
		authorized: socket.authorized,
		authorizationError: socket.authorizationError ? String(socket.authorizationError) : undefined,
		subject: hasCert ? formatName(cert.subject) : undefined,
		issuer: hasCert ? formatName(cert.issuer) : undefined,
		subjectAltNames: hasCert && cert.subjectaltname ? cert.subjectaltname.split(', ') : [],
		validFrom: hasCert ? cert.valid_from : undefined,
		validTo: hasCert ? cert.valid_to : undefined,
		fingerprint256: hasCert ? cert.fingerprint256 : undefined,
		servername,
	};
}

function formatName(name: tls.PeerCertificate['subject'] | undefined): string | undefined {
	if (!name) return undefined;
	return Object.entries(name)
		.map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : String(value)}`)
		.join(', ');
}

// Node's verification codes, grouped by what a learner needs to hear.
type CertReason = 'expired' | 'not-yet-valid' | 'wrong-host' | 'self-signed' | 'untrusted-root' | 'unknown-issuer' | 'bad-signature' | 'other';

const certReasons: Record<string, CertReason> = {
	CERT_HAS_EXPIRED: 'expired',
	CERT_NOT_YET_VALID: 'not-yet-valid',
	ERR_TLS_CERT_ALTNAME_INVALID: 'wrong-host',
	DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed',
	SELF_SIGNED_CERT_IN_CHAIN: 'untrusted-root',
	UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown-issuer',
	UNABLE_TO_GET_ISSUER_CERT: 'unknown-issuer',
	UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown-issuer',
	CERT_SIGNATURE_FAILURE: 'bad-signature',
};

function reasonOf(code: string | undefined): CertReason {
	return (code ? certReasons[code] : undefined) ?? 'other';
}

/** How many certificate names a sentence lists before "and N more". */
const namesShown = 6;

/** "Oct 30 06:15:19 2026 GMT" (Node's form) as "2026-10-30 06:15 UTC"; unparsable text as is. */
function plainDate(text: string | undefined): string {
	if (!text) return 'an unknown date';
	const time = Date.parse(text);
	if (Number.isNaN(time)) return text;
	return new Date(time).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

function validity(facts: TlsFacts): string {
	return `valid ${plainDate(facts.validFrom)} to ${plainDate(facts.validTo)}`;
}

function coveredNames(facts: TlsFacts): string {
	const names = facts.subjectAltNames;
	if (names.length === 0) return facts.subject ? `only its subject ${facts.subject}` : 'no names at all';
	const more = names.length > namesShown ? ` and ${names.length - namesShown} more` : '';
	return names.slice(0, namesShown).join(', ') + more;
}

/**
 * Why a certificate did not verify, as the part of a sentence after "was refused: "
 * (no final full stop, so it also fits in brackets). `checkedName` is the name the
 * certificate was checked against (the server name, else the host or IP address).
 */
export function describeCertError(code: string | undefined, facts?: TlsFacts, checkedName?: string): string {
	switch (reasonOf(code)) {
		case 'expired':
			return facts ? `it expired on ${plainDate(facts.validTo)} (${validity(facts)})` : 'it has expired';
		case 'not-yet-valid':
			return facts ? `it is not valid until ${plainDate(facts.validFrom)} (${validity(facts)})` : 'it is not valid yet';
		case 'wrong-host': {
			const name = checkedName ?? facts?.servername;
			const subject = name ? `it does not name ${name}` : 'it does not name this host';
			return facts ? `${subject}; it covers ${coveredNames(facts)}` : subject;
		}

		case 'self-signed':
			return 'it is self-signed (nobody vouches for it)';
		case 'untrusted-root':
			return 'its chain ends in a self-signed certificate authority this machine does not trust';
		case 'unknown-issuer':
			return facts?.issuer
				? `its issuer is unknown (${facts.issuer} is not a certificate authority this machine trusts)`
				: 'its issuer is unknown (not a certificate authority this machine trusts)';
		case 'bad-signature':
			return 'its signature does not match its issuer (it may have been tampered with)';
		case 'other':
			return `it did not verify (${code ?? 'unknown reason'})`;
	}
}

/** What the user can do about a refused certificate: the --insecure / --ca / --servername hint. */
function certHint(code: string | undefined): string {
	switch (reasonOf(code)) {
		case 'expired':
			return 'The server needs a new certificate; use --insecure to continue anyway.';
		case 'not-yet-valid':
			return 'Check this machine\'s clock, or use --insecure to continue anyway.';
		case 'wrong-host':
			return 'Use --servername NAME if the server is meant to be reached by one of those names, or --insecure to continue anyway.';
		case 'self-signed':
			return 'Use --ca FILE with this very certificate to trust it, or --insecure to continue anyway.';
		default:
			return 'Use --insecure to continue anyway, or --ca FILE to trust its issuer.';
	}
}

/** The full one-sentence message (plus the hint) for a certificate refused after the handshake. */
function refusedCertificateMessage(target: string, facts: TlsFacts, checkedName: string): string {
	return `The certificate of ${target} was refused: ${describeCertError(facts.authorizationError, facts, checkedName)}. ${certHint(facts.authorizationError)}`;
}

const cannotHelp = ' --insecure cannot help: the handshake failed before any certificate was checked.';

function describeHandshakeError(error: NodeJS.ErrnoException, target: string): SessionFailure {
	const text = `${error.code ?? ''} ${error.message}`;
	const failed = `The TLS handshake with ${target} failed:`;
	if (/wrong version number|packet length too long|unknown protocol|record layer failure/i.test(text)) {
		return new SessionFailure('tls', `${failed} the server did not answer in TLS (is this port plaintext or STARTTLS rather than implicit TLS?).`);
	}

	// The server answered our TLS 1.2-1.3 hello with a "protocol version" alert, or picked a
	// version below our minimum: all it speaks is older than TLS 1.2.
	if (/alert protocol version|unsupported protocol|version too low|no protocols available/i.test(text)) {
		return new SessionFailure('tls', `${failed} no TLS version in common (the server offers only TLS 1.1 or older; smtp-tui needs TLS 1.2 or newer).${cannotHelp}`);
	}

	if (/no shared cipher|no cipher|alert handshake failure|alert insufficient security/i.test(text)) {
		return new SessionFailure('tls', `${failed} no cipher in common (the server accepts none of the ciphers smtp-tui offers).${cannotHelp}`);
	}

	if (/ECONNRESET|socket hang up|EPIPE/i.test(text)) {
		return new SessionFailure('tls', `${failed} the server closed the connection during the handshake.`);
	}

	const alert = alertName(error.message);
	if (alert) {
		return new SessionFailure('tls', `${failed} the server broke off the handshake with the TLS alert "${alert}".`);
	}

	// Anything else OpenSSL reports as "<hex>:error:<code>:SSL routines:<function>:<reason>:<file>:<line>:":
	// the server's bytes were not a TLS handshake we could follow. Keep only the reason.
	const reason = opensslReason(error.message);
	if (reason) {
		return new SessionFailure('tls', `${failed} the server's answer is not a TLS handshake smtp-tui can follow (OpenSSL: ${reason}).`);
	}

	return new SessionFailure('tls', `${failed} ${error.message.trim().replace(/\.$/, '')}.`);
}

/** Bytes handed to the socket at a time when writing a message. */
const writeChunk = 64 * 1024;

/**
 * One write with a deadline, shared by the SMTP and POP3 drivers: resolves when the socket took
 * the bytes, rejects with one sentence when it fails, or when the server has not read them
 * within `timeoutMs` (then the socket is destroyed).
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
	return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

function seconds(ms: number): string {
	return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
