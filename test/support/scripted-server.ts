// A byte-exact scripted SMTP server on 127.0.0.1 for engine and CLI tests: each test says
// what the server writes and when, so hostile or broken behaviour is reproducible.
import net from 'node:net';
import tls from 'node:tls';
import type {SessionOptions} from '../../source/engine/session.js';

export type ScriptedServer = {port: number; received: string[]; close: () => Promise<void>};

/** Reads CRLF-terminated lines from a socket, one at a time. */
export class LineReader {
	private buffer = '';
	private waiters: Array<(line: string | undefined) => void> = [];
	private lines: string[] = [];
	private ended = false;

	constructor(private readonly socket: net.Socket, private readonly log: string[]) {
		this.attach(socket);
	}

	attach(socket: net.Socket): void {
		socket.on('data', (chunk: Buffer) => {
			this.buffer += chunk.toString('latin1');
			let index;
			while ((index = this.buffer.indexOf('\r\n')) >= 0) {
				const line = this.buffer.slice(0, index);
				this.buffer = this.buffer.slice(index + 2);
				this.log.push(line);
				const waiter = this.waiters.shift();
				if (waiter) waiter(line);
				else this.lines.push(line);
			}
		});
		socket.on('close', () => {
			this.ended = true;
			for (const waiter of this.waiters.splice(0)) waiter(undefined);
		});
		socket.on('error', () => undefined);
	}

	/** Stops reading from the plain socket (before a TLS upgrade takes it over). */
	detach(): void {
		this.socket.removeAllListeners('data');
	}

	async next(): Promise<string | undefined> {
		const line = this.lines.shift();
		if (line !== undefined) return line;
		if (this.ended) return undefined;
		return new Promise(resolve => this.waiters.push(resolve));
	}
}

export type Handler = (socket: net.Socket, reader: LineReader) => Promise<void> | void;

/** Starts a server whose every connection is handled by `handler`. */
export async function scriptedServer(handler: Handler, host = '127.0.0.1'): Promise<ScriptedServer> {
	const received: string[] = [];
	const sockets = new Set<net.Socket>();
	const server = net.createServer(socket => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
		socket.setNoDelay(true);
		const reader = new LineReader(socket, received);
		void Promise.resolve(handler(socket, reader)).catch(() => socket.destroy());
	});
	await new Promise<void>(resolve => server.listen(0, host, resolve));
	const {port} = server.address() as net.AddressInfo;
	return {
		port,
		received,
		close: async () => {
			for (const socket of sockets) socket.destroy();
			await new Promise<void>(resolve => server.close(() => resolve()));
		},
	};
}

/** Upgrades a scripted server's socket to TLS with the given key and certificate. */
export async function upgradeServer(socket: net.Socket, reader: LineReader, credentials: {key: string; cert: string}, log: string[]): Promise<{secure: tls.TLSSocket; reader: LineReader}> {
	reader.detach();
	const secure = new tls.TLSSocket(socket, {isServer: true, key: credentials.key, cert: credentials.cert});
	await new Promise<void>((resolve, reject) => {
		secure.once('secure', resolve);
		secure.once('error', reject);
	});
	return {secure, reader: new LineReader(secure, log)};
}

export const sleep = async (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Greets with `220 NAME ESMTP`, answers 250 to every line until QUIT (221): enough for --quit-after ehlo. */
export async function agreeableServer(name: string, host = '127.0.0.1'): Promise<ScriptedServer & {connections: () => number}> {
	let connections = 0;
	const server = await scriptedServer(async (socket, reader) => {
		connections++;
		socket.write(`220 ${name} ESMTP\r\n`);
		for (;;) {
			const line = await reader.next();
			if (line === undefined) return;
			if (line === 'QUIT') {
				socket.end('221 bye\r\n');
				return;
			}

			socket.write(`250 ${name}\r\n`);
		}
	}, host);
	return Object.assign(server, {connections: () => connections});
}

/** Session options for a scripted server on 127.0.0.1:port: no TLS, 2 s timeouts. */
export function scriptedSessionOptions(port: number, over: Partial<SessionOptions> = {}): SessionOptions {
	return {
		host: '127.0.0.1',
		port,
		tls: 'none',
		tlsOptions: {insecure: false},
		ehlo: 'client.example',
		from: 'a@client.example',
		to: ['b@mx.test'],
		timeouts: {connect: 2000, greeting: 2000, command: 2000, mail: 2000, rcpt: 2000, data: 2000, body: 2000},
		...over,
	};
}

/** Runs `run` against a scripted server, closed afterwards whatever happens. */
export async function withScriptedServer(handler: Handler, run: (port: number, received: string[]) => Promise<void>): Promise<void> {
	const server = await scriptedServer(handler);
	try {
		await run(server.port, server.received);
	} finally {
		await server.close();
	}
}
