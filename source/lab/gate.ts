// The lab's front door: a plain net.Server per port that sees every socket from accept, before
// smtp-server and before any TLS handshake. It applies the connection caps (over the lab and
// per client IP), gives a socket a deadline to reach its SMTP session (the implicit-TLS
// handshake on 465 included: the gate does that handshake itself and hands smtp-server a
// finished TLS socket, which smtp-server's public `secured` option is for), and enforces the
// per-command and per-session deadlines that an idle timeout cannot: a client trickling one
// byte every few seconds never looks idle. smtp-server takes each admitted socket through its
// public connect(), and greets at once (connection-hooks.ts greetAtOnce).
//
// Deadlines, after Postfix (smtpd_timeout "under stress", smtpd_per_request_deadline and
// smtpd_min_data_rate): a command line, or a line of a message, must be complete within
// `commandTimeoutMs` of its first byte, plus one second per `minDataRate` bytes received.

import net from 'node:net';
import tls from 'node:tls';
import type {LabLimits} from './limits.js';
import {DotLines} from './dot-lines.js';
import type {LabMonitor, MonitorPort} from './monitor.js';

/** How long a client may read a refusal before its socket is destroyed. */
const lingerMs = 1000;

/** What the gate says, in the protocol of the port (SMTP's by default; POP3 and IMAP have their own). */
export type GateTexts = {
	/** The refusal over the lab's total cap, and over one address's cap. */
	tooMany(hostname: string): string;
	tooManyFrom(hostname: string, ip: string): string;
	/** Sent before hanging up on a client that took too long. */
	timeout(hostname: string): string;
};

/** SMTP's words (Postfix's). */
export const smtpGateTexts: GateTexts = {
	tooMany: hostname => `421 4.7.0 ${hostname} Error: too many connections`,
	tooManyFrom: (hostname, ip) => `421 4.7.0 ${hostname} Error: too many connections from ${ip}`,
	timeout: hostname => `421 4.4.2 ${hostname} Error: timeout exceeded`,
};

export type GateSettings = {
	port: MonitorPort;
	hostname: string;
	limits: Required<LabLimits>;
	monitor: LabMonitor;
	/**
	 * Where admitted sockets go: the accepted socket, or on an implicit-TLS port its TLS socket
	 * once the handshake is done (smtp-server: its public connect()).
	 */
	admit(socket: net.Socket): void;
	/** Default: SMTP's. */
	texts?: GateTexts;
	/** For an implicit-TLS port: the handshake the gate does before smtp-server sees the socket. */
	tls?: tls.SecureContextOptions & {minVersion?: tls.SecureVersion; maxVersion?: tls.SecureVersion};
	/**
	 * SMTP: note how each message line that starts with a dot was sent (dot-lines.ts), so the
	 * message can be stored as RFC 5321 §4.5.2 says; `bareLf`: <LF>.<LF> ends a message too.
	 */
	dotLines?: {bareLf: boolean};
};

/** The address as smtp-server reports it (IPv4-mapped IPv6 as plain IPv4, lower case). */
export function clientIp(address: string | undefined): string {
	return (address ?? '').replace(/^::ffff:/i, '').toLowerCase();
}

/** One accepted socket, from accept to close. */
class GateConnection {
	/** The stream the client's plaintext arrives on: the socket, then its TLS socket. */
	private top: net.Socket;
	private readonly timers = new Set<NodeJS.Timeout>();
	private lineTimer: NodeJS.Timeout | undefined;
	private lineStart = 0;
	private lineBytes = 0;
	private watching = false;
	private dropping = false;
	/** The handshake deadline, until the SMTP session starts. */
	handshake: NodeJS.Timeout | undefined;
	/** An implicit-TLS port's TLS socket, from accept on. */
	secure: tls.TLSSocket | undefined;
	/** How the client sent its message lines that start with a dot (SMTP ports only). */
	readonly dots: DotLines | undefined;
	private readonly onData = (chunk: Buffer) => {
		this.dots?.feed(chunk);
		this.sawData(chunk);
	};

	constructor(
		readonly socket: net.Socket,
		readonly ip: string,
		private readonly gate: Gate,
	) {
		this.top = socket;
		this.key = connectionKey(ip, socket.remotePort);
		const {dotLines} = gate.settings;
		this.dots = dotLines ? new DotLines(dotLines.bareLf) : undefined;
	}

	/** Client address and port, read at accept (a closed socket no longer knows them). */
	readonly key: string;

	/** Starts a deadline; `what` is why the client is dropped when it passes. */
	deadline(ms: number, what: () => void): NodeJS.Timeout {
		const timer = setTimeout(() => {
			this.timers.delete(timer);
			what();
		}, ms);
		timer.unref();
		this.timers.add(timer);
		return timer;
	}

	clear(timer: NodeJS.Timeout | undefined): void {
		if (!timer) return;
		clearTimeout(timer);
		this.timers.delete(timer);
	}

	/**
	 * From now on the client's plaintext is read from `stream` (the socket in plaintext, its TLS
	 * socket once TLS is up). Called once smtp-server reads the stream itself, so that observing
	 * it cannot take bytes from smtp-server's parser.
	 */
	watch(stream: net.Socket): void {
		if (this.dropping || (stream === this.top && this.watching)) return;
		this.watching = true;
		this.top.off('data', this.onData);
		this.clear(this.lineTimer);
		this.lineTimer = undefined;
		this.top = stream;
		stream.on('data', this.onData);
		if (stream !== this.socket) stream.once('close', this.close);
	}

	/** Tells the client it took too long (421 4.4.2, as Postfix) and drops it. */
	timedOut(detail: string): void {
		// Once: bytes still trickling in after the 421 start no new deadline.
		if (this.dropping) return;
		this.dropping = true;
		this.top.off('data', this.onData);
		for (const timer of this.timers) clearTimeout(timer);
		this.timers.clear();
		this.gate.settings.monitor.limitHit('timeout', this.gate.settings.port, this.ip, detail);
		const top = this.top;
		if (top.writable && !top.destroyed) top.end(`${this.gate.texts.timeout(this.gate.settings.hostname)}\r\n`);
		const linger = setTimeout(() => {
			(this.secure ?? this.top).destroy();
		}, 200);
		linger.unref();
	}

	/** What the gate does once the connection is gone. */
	onClose: (() => void) | undefined;
	private isClosed = false;

	/** The connection is gone (its socket or its TLS socket closed): once only. */
	readonly close = () => {
		if (this.isClosed) return;
		this.isClosed = true;
		for (const timer of this.timers) clearTimeout(timer);
		this.timers.clear();
		this.top.off('data', this.onData);
		this.onClose?.();
	};

	/**
	 * The per-command deadline: each line must end in time, growing with the bytes it has.
	 * No timer per chunk: most chunks end their line (a command, a whole small message), and a
	 * timer already set for an earlier due time checks again when it fires (the due time only
	 * moves later while a line grows); it is set anew only when the due time moves earlier.
	 */
	private sawData(chunk: Buffer): void {
		const now = Date.now();
		const lastLf = chunk.lastIndexOf(0x0a);
		if (lastLf === -1) {
			if (this.lineBytes === 0) this.lineStart = now;
			this.lineBytes += chunk.length;
		} else {
			// Whatever follows the last LF starts the next line.
			this.lineBytes = chunk.length - lastLf - 1;
			this.lineStart = now;
		}

		if (this.lineBytes === 0) return;
		const due = this.lineDue();
		if (this.lineTimer && due >= this.lineTimerDue) return;
		this.armLineDeadline(due, now);
	}

	/** When the line being received must be complete. */
	private lineDue(): number {
		const {commandTimeoutMs, minDataRate} = this.gate.settings.limits;
		return this.lineStart + commandTimeoutMs + Math.floor((this.lineBytes * 1000) / minDataRate);
	}

	private lineTimerDue = 0;

	private armLineDeadline(due: number, now: number): void {
		this.clear(this.lineTimer);
		this.lineTimerDue = due;
		this.lineTimer = this.deadline(Math.max(0, due - now), () => {
			this.lineTimer = undefined;
			// The line ended meanwhile, or a later one (or more bytes) moved the due time on.
			if (this.lineBytes === 0) return;
			const later = this.lineDue();
			const at = Date.now();
			if (later > at) {
				this.armLineDeadline(later, at);
				return;
			}

			this.timedOut(`a line was still incomplete after ${this.lineBytes} bytes`);
		});
	}
}

function connectionKey(ip: string, remotePort: number | undefined): string {
	return `${ip} ${remotePort ?? 0}`;
}

/** The connections of every port of one lab, counted together. */
export class GateCounter {
	total = 0;
	private readonly perIp = new Map<string, number>();
	/** Refused sockets still being told why (bounded too: past it they are just closed). */
	lingering = 0;

	fromIp(ip: string): number {
		return this.perIp.get(ip) ?? 0;
	}

	add(ip: string): void {
		this.total++;
		this.perIp.set(ip, this.fromIp(ip) + 1);
	}

	remove(ip: string): void {
		this.total--;
		const left = this.fromIp(ip) - 1;
		if (left > 0) this.perIp.set(ip, left);
		else this.perIp.delete(ip);
	}
}

export class Gate {
	readonly server: net.Server;
	private readonly open = new Map<string, GateConnection>();
	private readonly secureContext: tls.SecureContext | undefined;
	readonly texts: GateTexts;

	constructor(
		readonly settings: GateSettings,
		private readonly counter: GateCounter,
	) {
		this.secureContext = settings.tls ? tls.createSecureContext(settings.tls) : undefined;
		this.texts = settings.texts ?? smtpGateTexts;
		this.server = net.createServer(socket => {
			this.accept(socket);
		});
		this.server.on('error', () => undefined);
	}

	/** The open connection `session` belongs to (by client address and port), if still open. */
	find(ip: string, remotePort: number | undefined): GateConnection | undefined {
		return this.open.get(connectionKey(ip, remotePort));
	}

	/** The session of this socket started (smtp-server's, or a POP3/IMAP greeting): its deadline to get there is met. */
	sessionStarted(ip: string, remotePort: number | undefined): void {
		const connection = this.find(ip, remotePort);
		if (!connection) return;
		this.handshakeDone(ip, remotePort);
		// smtp-server reads the socket now (implicit TLS: the TLS socket; onSecure says so).
		if (!connection.secure) connection.watch(connection.socket);
	}

	/** A handshake this gate is timing (at accept, or an upgrade's) finished in time. */
	handshakeDone(ip: string, remotePort: number | undefined): void {
		const connection = this.find(ip, remotePort);
		if (!connection) return;
		connection.clear(connection.handshake);
		connection.handshake = undefined;
	}

	/**
	 * A STARTTLS / STLS upgrade began on this connection: its plaintext now comes from `socket`,
	 * and the handshake has the same deadline as one at accept (handshakeDone stops it).
	 */
	upgrading(ip: string, remotePort: number | undefined, socket: net.Socket): void {
		const connection = this.find(ip, remotePort);
		if (!connection) return;
		connection.watch(socket);
		this.handshakeDeadline(connection, socket);
	}

	private handshakeDeadline(connection: GateConnection, socket: net.Socket): void {
		const {limits, monitor, port} = this.settings;
		connection.handshake = connection.deadline(limits.handshakeTimeoutMs, () => {
			monitor.limitHit('timeout', port, connection.ip, `no session within ${limits.handshakeTimeoutMs} ms of connecting (a TLS handshake not finished)`);
			socket.destroy();
		});
	}

	/** smtp-server closed this session: the connection is gone (a STARTTLS socket may say so nowhere else). */
	sessionClosed(ip: string, remotePort: number | undefined): void {
		this.find(ip, remotePort)?.close();
	}

	/** TLS is up on this session (implicit or STARTTLS): its plaintext now comes from `socket`. */
	secured(ip: string, remotePort: number | undefined, socket: net.Socket): void {
		this.find(ip, remotePort)?.watch(socket);
	}

	/**
	 * Stops accepting; resolves once every socket this port accepted has closed. Connections
	 * still short of their SMTP session (a TLS handshake) are destroyed at once; sessions are
	 * for the caller to end.
	 */
	async close(): Promise<void> {
		const closed = new Promise<void>(resolve => {
			this.server.close(() => {
				resolve();
			});
		});
		for (const connection of this.open.values()) {
			if (connection.handshake) (connection.secure ?? connection.socket).destroy();
		}

		const drained = new Promise<void>(resolve => {
			if (this.open.size === 0) resolve();
			else this.drained = resolve;
		});
		await Promise.all([closed, drained]);
	}

	/** Cuts one connection at once, without a word (the disconnect-in-data fault). */
	drop(ip: string, remotePort: number | undefined): void {
		const connection = this.find(ip, remotePort);
		if (connection) (connection.secure ?? connection.socket).destroy();
	}

	/** Destroys every socket this port accepted. */
	destroyAll(): void {
		for (const connection of this.open.values()) (connection.secure ?? connection.socket).destroy();
	}

	private drained: (() => void) | undefined;

	private accept(socket: net.Socket): void {
		socket.on('error', () => undefined);
		const {limits, monitor, port, hostname} = this.settings;
		const ip = clientIp(socket.remoteAddress);
		const refusal =
			this.counter.total >= limits.maxClients
				? this.texts.tooMany(hostname)
				: this.counter.fromIp(ip) >= limits.maxClientsPerIp
					? this.texts.tooManyFrom(hostname, ip)
					: undefined;
		if (refusal) {
			monitor.refused(port, ip, `refused: ${refusal}`);
			this.refuse(socket, refusal);
			return;
		}

		this.counter.add(ip);
		const connection = new GateConnection(socket, ip, this);
		this.open.set(connection.key, connection);
		monitor.connected(port, ip);
		// A socket wrapped in TLS hands its handle to the TLS socket and may never emit 'close'
		// itself: whichever of the two closes first ends the connection.
		connection.onClose = () => {
			this.open.delete(connection.key);
			this.counter.remove(ip);
			monitor.closed(port, ip);
			if (this.open.size === 0) this.drained?.();
		};

		socket.once('close', connection.close);
		connection.deadline(limits.sessionTimeoutMs, () => {
			connection.timedOut(`the session lasted ${limits.sessionTimeoutMs} ms`);
		});
		if (!this.secureContext) {
			this.handshakeDeadline(connection, socket);
			this.settings.admit(socket);
			return;
		}

		// Implicit TLS: wrapped at once, while the socket is surely open (wrapping a destroyed
		// socket crashes Node 20), and handed on only once the handshake is done.
		const secure = new tls.TLSSocket(socket, {isServer: true, secureContext: this.secureContext});
		connection.secure = secure;
		this.handshakeDeadline(connection, secure);
		secure.once('close', connection.close);
		secure.on('error', () => {
			secure.destroy();
		});
		secure.once('secure', () => {
			this.settings.admit(secure);
		});
	}

	/** Tells a refused plaintext client why (if few are being told already) and closes it. */
	private refuse(socket: net.Socket, reply: string): void {
		if (this.secureContext || this.counter.lingering >= this.settings.limits.maxClients) {
			// Before a TLS handshake nothing readable can be said.
			socket.destroy();
			return;
		}

		this.counter.lingering++;
		socket.end(`${reply}\r\n`);
		socket.resume();
		const timer = setTimeout(() => {
			socket.destroy();
		}, lingerMs);
		timer.unref();
		socket.once('close', () => {
			clearTimeout(timer);
			this.counter.lingering--;
		});
	}
}
