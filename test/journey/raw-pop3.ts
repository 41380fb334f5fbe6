// A tiny raw-socket POP3 client for tests: exact bytes out, lines in, nothing clever. It does
// no POP3 logic of its own (no dot-unstuffing), so a test sees exactly what the server sent.

import net from 'node:net';
import tls from 'node:tls';

export type RawPop3Tls = {ca: string; servername: string};

export class RawPop3Client {
	static async connect(port: number, secure?: RawPop3Tls, timeoutMs = 5000): Promise<RawPop3Client> {
		const socket = await new Promise<net.Socket>((resolve, reject) => {
			const s = secure
				? tls.connect({host: '127.0.0.1', port, ca: secure.ca, servername: secure.servername}, () => {
						resolve(s);
					})
				: net.connect({host: '127.0.0.1', port}, () => {
						resolve(s);
					});
			s.once('error', reject);
		});
		return new RawPop3Client(socket, timeoutMs);
	}

	buffered = Buffer.alloc(0);
	ended = false;
	private socket: net.Socket;
	private wake?: () => void;
	private readonly onData = (chunk: Buffer) => {
		this.buffered = Buffer.concat([this.buffered, chunk]);
		this.notify();
	};

	private readonly onEnd = () => {
		this.ended = true;
		this.notify();
	};

	private constructor(socket: net.Socket, private readonly timeoutMs: number) {
		this.socket = socket;
		this.attach();
	}

	write(data: string | Buffer): void {
		this.socket.write(data);
	}

	/** Sends one line (CRLF added) and reads one line back. */
	async command(line: string): Promise<string> {
		this.write(`${line}\r\n`);
		return this.line();
	}

	/** Reads one line, without its CRLF. */
	async line(): Promise<string> {
		const deadline = Date.now() + this.timeoutMs;
		for (;;) {
			const end = this.buffered.indexOf('\r\n');
			if (end !== -1) {
				const line = this.buffered.subarray(0, end).toString('utf8');
				this.buffered = this.buffered.subarray(end + 2);
				return line;
			}

			await this.waitForData(deadline);
		}
	}

	/** Reads the raw bytes of a multi-line body up to and including the CRLF.CRLF terminator. */
	async multiLineBytes(): Promise<Buffer> {
		const deadline = Date.now() + this.timeoutMs;
		for (;;) {
			const end = this.buffered.indexOf('\r\n.\r\n');
			if (this.buffered.subarray(0, 3).toString() === '.\r\n') {
				const body = this.buffered.subarray(0, 3);
				this.buffered = this.buffered.subarray(3);
				return body;
			}

			if (end !== -1) {
				const body = this.buffered.subarray(0, end + 5);
				this.buffered = this.buffered.subarray(end + 5);
				return body;
			}

			await this.waitForData(deadline);
		}
	}

	/** Reads a multi-line body as lines, without the final ".". */
	async multiLine(): Promise<string[]> {
		const bytes = await this.multiLineBytes();
		return bytes.toString('utf8').split('\r\n').slice(0, -2);
	}

	async startTls(secure: RawPop3Tls): Promise<void> {
		const plain = this.socket;
		this.detach();
		this.socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
			const s = tls.connect({socket: plain, ca: secure.ca, servername: secure.servername}, () => {
				resolve(s);
			});
			s.once('error', reject);
		});
		this.attach();
	}

	/** Resolves once the server has closed the connection. */
	async waitForClose(): Promise<void> {
		const deadline = Date.now() + this.timeoutMs;
		while (!this.ended) await this.waitForData(deadline);
	}

	close(): void {
		this.socket.destroy();
	}

	private attach(): void {
		this.socket.on('data', this.onData);
		this.socket.on('end', this.onEnd);
		this.socket.on('close', this.onEnd);
		this.socket.on('error', this.onEnd);
	}

	private detach(): void {
		this.socket.off('data', this.onData);
		this.socket.off('end', this.onEnd);
		this.socket.off('close', this.onEnd);
		this.socket.off('error', this.onEnd);
	}

	private notify(): void {
		const wake = this.wake;
		this.wake = undefined;
		wake?.();
	}

	private async waitForData(deadline: number): Promise<void> {
		if (this.ended) throw new Error(`Connection closed (pending ${JSON.stringify(this.buffered.toString('latin1'))})`);
		const left = deadline - Date.now();
		if (left <= 0) throw new Error(`Timed out (pending ${JSON.stringify(this.buffered.toString('latin1'))})`);
		await new Promise<void>(resolve => {
			const timer = setTimeout(resolve, left);
			this.wake = () => {
				clearTimeout(timer);
				resolve();
			};
		});
	}
}

/**
 * Removes the fields the hops add (with their folded continuation lines): Received: (each hop),
 * DKIM-Signature: (the sender's provider), Received-SPF: and Authentication-Results: (the MX).
 */
export function stripReceived(raw: Buffer): Buffer {
	const text = raw.toString('latin1');
	const split = text.indexOf('\r\n\r\n');
	const head = split === -1 ? text : text.slice(0, split + 2);
	const rest = split === -1 ? '' : text.slice(split + 2);
	const kept: string[] = [];
	let dropping = false;
	for (const line of head.split('\r\n').slice(0, -1)) {
		if (/^[ \t]/.test(line)) {
			if (!dropping) kept.push(line);
			continue;
		}

		dropping = /^(Received|Received-SPF|Authentication-Results|DKIM-Signature):/i.test(line);
		if (!dropping) kept.push(line);
	}

	return Buffer.from(kept.map(line => `${line}\r\n`).join('') + rest, 'latin1');
}

/** The Received: fields of a message, top first, each unfolded onto one line. */
export function receivedFields(raw: Buffer): string[] {
	const text = raw.toString('latin1');
	const head = text.slice(0, text.indexOf('\r\n\r\n'));
	return head.replace(/\r\n[ \t]+/g, ' ').split('\r\n').filter(line => /^Received:/i.test(line));
}
