// A tiny raw-socket SMTP client for tests: exact bytes out, whole replies in, nothing clever.
// It does no SMTP logic of its own (no EHLO parsing, no dot-stuffing), so a test can send
// exactly what it wants, including what a well-behaved client never would.

import net from 'node:net';
import tls from 'node:tls';

export type RawReply = {
	code: number;
	/** The reply's lines without CRLF, e.g. ['250-mx.lab.test', '250 SIZE 10240000']. */
	lines: string[];
	/** The text after "NNN-"/"NNN " of each line. */
	texts: string[];
};

export type RawTlsOptions = {
	/** PEM of the CA to trust; without it only the system store is used. */
	ca?: string;
	/** SNI and the name the certificate must match; default: no SNI, match the host. */
	servername?: string;
	/** Default true. */
	rejectUnauthorized?: boolean;
};

export type RawConnectOptions = {
	host?: string; // default '127.0.0.1'
	port: number;
	/** TLS from the first byte (port 465). */
	tls?: RawTlsOptions;
	/** Per-read timeout for readReply() in ms; default 5000. */
	timeoutMs?: number;
	/** The loopback source address (e.g. 127.0.0.2: a second client IP); default the system's choice. */
	localAddress?: string;
};

const replyLine = /^(\d{3})([ -])(.*)$/s;

export class RawSmtpClient {
	/** Opens the connection (and the TLS handshake when `tls` is set); reads nothing yet. */
	static async connect(options: RawConnectOptions): Promise<RawSmtpClient> {
		const host = options.host ?? '127.0.0.1';
		const socket = await new Promise<net.Socket>((resolve, reject) => {
			const onError = (error: Error) => {
				reject(error);
			};

			const socket = options.tls
				? tls.connect({host, port: options.port, socket: options.localAddress ? net.connect({host, port: options.port, localAddress: options.localAddress}) : undefined, ...tlsSettings(options.tls)}, () => {
						socket.off('error', onError);
						resolve(socket);
					})
				: net.connect({host, port: options.port, localAddress: options.localAddress}, () => {
						socket.off('error', onError);
						resolve(socket);
					});
			socket.once('error', onError);
		});
		return new RawSmtpClient(socket, options.timeoutMs ?? 5000);
	}

	/** Bytes received and not yet consumed by readReply(). */
	buffered: Buffer = Buffer.alloc(0);
	/** Set once the peer has closed (or the socket failed). */
	ended = false;
	/** Plaintext bytes that were buffered when startTls() began; they were never parsed. */
	plaintextAtStartTls: Buffer = Buffer.alloc(0);

	private socket: net.Socket;
	private readonly timeoutMs: number;
	private wake: (() => void) | undefined;
	private readonly onData = (chunk: Buffer) => {
		this.buffered = Buffer.concat([this.buffered, chunk]);
		this.notify();
	};

	private readonly onEnd = () => {
		this.ended = true;
		this.notify();
	};

	private constructor(socket: net.Socket, timeoutMs: number) {
		this.socket = socket;
		this.timeoutMs = timeoutMs;
		this.attach();
	}

	get secure(): boolean {
		return this.socket instanceof tls.TLSSocket;
	}

	/** The TLS socket, for certificate checks; undefined before TLS. */
	get tlsSocket(): tls.TLSSocket | undefined {
		return this.socket instanceof tls.TLSSocket ? this.socket : undefined;
	}

	/** Writes bytes exactly as given. */
	write(data: string | Buffer): void {
		this.socket.write(data);
	}

	/** Writes one command line, adding CRLF. */
	send(line: string): void {
		this.socket.write(`${line}\r\n`);
	}

	/** Sends a line and reads the reply to it. */
	async command(line: string): Promise<RawReply> {
		this.send(line);
		return this.readReply();
	}

	/** Reads one complete reply (all lines of a multi-line reply); rejects on timeout or close. */
	async readReply(timeoutMs = this.timeoutMs): Promise<RawReply> {
		const deadline = Date.now() + timeoutMs;
		const lines: string[] = [];
		for (;;) {
			const line = this.takeLine();
			if (line === undefined) {
				await this.waitForData(deadline, lines);
				continue;
			}

			const match = replyLine.exec(line) ?? /^(\d{3})()$/.exec(line);
			if (!match) throw new Error(`Not an SMTP reply line: ${JSON.stringify(line)}`);
			lines.push(line);
			if (match[2] !== '-') return toReply(lines);
		}
	}

	/** Waits up to `ms` and returns whatever arrived (without consuming it). */
	async settle(ms: number): Promise<Buffer> {
		await new Promise(resolve => {
			setTimeout(resolve, ms);
		});
		return this.buffered;
	}

	/** Resolves once the peer has closed the connection; rejects after the timeout. */
	async waitForClose(timeoutMs = this.timeoutMs): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		while (!this.ended) {
			await this.waitForData(deadline, []);
		}
	}

	/**
	 * Starts TLS on the open connection (call after the server's 220 to STARTTLS). Whatever
	 * plaintext was already buffered is moved to `plaintextAtStartTls`, never read as a reply
	 * inside TLS.
	 */
	async startTls(options: RawTlsOptions): Promise<tls.TLSSocket> {
		const plain = this.socket;
		this.detach();
		this.plaintextAtStartTls = this.buffered;
		this.buffered = Buffer.alloc(0);
		const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
			const onError = (error: Error) => {
				reject(error);
			};

			const socket = tls.connect({socket: plain, ...tlsSettings(options)}, () => {
				socket.off('error', onError);
				resolve(socket);
			});
			socket.once('error', onError);
		});
		this.socket = secure;
		this.attach();
		return secure;
	}

	/** Closes our side and forgets the socket. */
	close(): void {
		this.socket.destroy();
	}

	private attach(): void {
		this.socket.on('data', this.onData);
		this.socket.on('end', this.onEnd);
		this.socket.on('close', this.onEnd);
		// Errors end the conversation; readers see `ended` and fail with a clear message.
		this.socket.on('error', this.onEnd);
	}

	private detach(): void {
		this.socket.off('data', this.onData);
		this.socket.off('end', this.onEnd);
		this.socket.off('close', this.onEnd);
		this.socket.off('error', this.onEnd);
	}

	private takeLine(): string | undefined {
		const end = this.buffered.indexOf('\r\n');
		if (end === -1) return undefined;
		const line = this.buffered.subarray(0, end).toString('utf8');
		this.buffered = this.buffered.subarray(end + 2);
		return line;
	}

	private notify(): void {
		const wake = this.wake;
		this.wake = undefined;
		wake?.();
	}

	private async waitForData(deadline: number, partial: string[]): Promise<void> {
		if (this.ended) {
			throw new Error(`Connection closed while waiting for a reply (got ${JSON.stringify(partial)}, pending ${JSON.stringify(this.buffered.toString('latin1'))})`);
		}

		const left = deadline - Date.now();
		if (left <= 0) {
			throw new Error(`No complete reply within the timeout (got ${JSON.stringify(partial)}, pending ${JSON.stringify(this.buffered.toString('latin1'))})`);
		}

		await new Promise<void>(resolve => {
			const timer = setTimeout(resolve, left);
			this.wake = () => {
				clearTimeout(timer);
				resolve();
			};
		});
	}
}

function tlsSettings(options: RawTlsOptions): tls.ConnectionOptions {
	return {
		ca: options.ca,
		servername: options.servername,
		rejectUnauthorized: options.rejectUnauthorized ?? true,
	};
}

function toReply(lines: string[]): RawReply {
	return {
		code: Number(lines[0]!.slice(0, 3)),
		lines,
		texts: lines.map(line => line.slice(4)),
	};
}

/** The last line of a reply, e.g. "250 2.1.0 Ok": what most assertions compare. */
export function lastLine(reply: RawReply): string {
	return reply.lines.at(-1)!;
}

/** base64 of a SASL PLAIN token: authzid NUL user NUL password (RFC 4616). */
export function plainToken(user: string, password: string, authzid = ''): string {
	return Buffer.from(`${authzid}\0${user}\0${password}`).toString('base64');
}
