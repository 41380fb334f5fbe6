// The lab's POP3 server (RFC 1939, CAPA RFC 2449, STLS RFC 2595), reading the mailboxes of
// mailbox.ts, on loopback. Two personalities, as Dovecot is usually set up:
//   110  plaintext first; STLS offered; USER and PASS refused until TLS is on
//        ("-ERR [AUTH] Plaintext authentication disallowed ...", Dovecot's words)
//   995  TLS from the first byte (RFC 8314)
// Hand-written on node:net / node:tls: npm has no maintained POP3 server library (only clients,
// and WildDuck, a whole MongoDB-backed mail system). Hardened like the SMTP lab: bounded input
// lines, bounded connections, idle timeout, a cap on failed logins and on unknown commands,
// and nothing sent before STLS ever runs after it.

import type {AddressInfo} from 'node:net';
import net from 'node:net';
import tls from 'node:tls';
import type {Mailboxes, StoredMessage} from './mailbox.js';

export type Pop3Port = 110 | 995;
export const pop3Ports: Pop3Port[] = [110, 995];

export type Pop3Limits = {
	/** Longest command line in octets, CRLF included (RFC 2449 §4: 255). */
	maxLineLength: number;
	/** Silence after which the server says goodbye (RFC 1939 §3 wants at least 10 minutes). */
	idleTimeoutMs: number;
	/** Connections open at once, over both ports. */
	maxClients: number;
	/** Failed logins per connection before it is closed. */
	maxAuthFailures: number;
	/** Unknown or refused commands per connection before it is closed. */
	maxBadCommands: number;
};

export const defaultPop3Limits: Pop3Limits = {
	maxLineLength: 255,
	idleTimeoutMs: 600_000,
	maxClients: 200,
	maxAuthFailures: 3,
	maxBadCommands: 20,
};

export type Pop3EventType = 'connect' | 'close' | 'login' | 'login-failed' | 'retr' | 'dele' | 'quit';

export type Pop3Event = {
	type: Pop3EventType;
	port: Pop3Port;
	ip: string;
	user?: string;
	/** retr / dele: the message's UID; quit: how many messages were deleted. */
	detail?: string;
};

export type Pop3ServerOptions = {
	/** Address to listen on; default '127.0.0.1'. */
	host?: string;
	/** Listen port per personality; 0 or absent = ephemeral. */
	ports?: Partial<Record<Pop3Port, number>>;
	/** Start just these personalities; default both. */
	only?: Pop3Port[];
	/** Named in the greeting; the certificate should name it too. */
	hostname: string;
	mailboxes: Mailboxes;
	/** PEM key and certificate served on 995 and after STLS. */
	tls: {key: string; cert: string};
	limits?: Partial<Pop3Limits>;
};

export type Pop3Server = {
	host: string;
	/** The ports actually listening, per personality. */
	ports: Partial<Record<Pop3Port, number>>;
	hostname: string;
	limits: Pop3Limits;
	/** Calls `listener` for each connection, login, RETR, DELE and QUIT from now on; returns the unsubscribe function. */
	onEvent(listener: (event: Pop3Event) => void): () => void;
	/** Stops listening and ends every open session; resolves once all sockets are closed. */
	close(): Promise<void>;
};

/** Dovecot's texts, so what is learned here reads the same on a real server. */
const texts = {
	plaintextRefused: '-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.',
	authFailed: '-ERR [AUTH] Authentication failed.',
	noUser: '-ERR No username given.',
	loggedIn: '+OK Logged in.',
	inUse: '-ERR [IN-USE] Mailbox is locked by another POP3 session.',
	beginTls: '+OK Begin TLS negotiation now.',
	tlsActive: '-ERR TLS is already active.',
	unknown: '-ERR Unknown command.',
	tooManyBad: '-ERR Too many invalid commands.',
	tooLong: '-ERR Input line too long.',
	idle: '-ERR Disconnected for inactivity.',
	tooMany: '-ERR [SYS/TEMP] Too many connections, try again later.',
	shutdown: '-ERR [SYS/TEMP] Server shutting down.',
	noMechanism: '-ERR Unsupported authentication mechanism.',
	deleted: '-ERR Message is deleted.',
	marked: '+OK Marked to be deleted.',
	bye: '+OK Logging out.',
	byeDeleted: '+OK Logging out, messages deleted.',
} as const;

/** What the server does after writing a reply. */
type Action = 'none' | 'starttls' | 'close';
/** The reply as bytes: a message goes out byte for byte, whatever its encoding. */
type Answer = {reply: Buffer; then: Action};

type Phase = 'authorization' | 'transaction';

/**
 * One POP3 conversation as a state machine: a command line in, the reply bytes and what to do
 * next out. No sockets here, so every rule can be read (and tested) on its own.
 */
export class Pop3Conversation {
	private phase: Phase = 'authorization';
	private pendingUser?: string;
	private user?: string;
	/** The maildrop as it was at login: numbers stay fixed for the session (RFC 1939 §5). */
	private snapshot: StoredMessage[] = [];
	private readonly deleted = new Set<number>();
	private authFailures = 0;
	private badCommands = 0;

	constructor(
		private readonly settings: {port: Pop3Port; hostname: string; mailboxes: Mailboxes; limits: Pop3Limits; event: (type: Pop3EventType, user?: string, detail?: string) => void},
		public secure: boolean,
	) {}

	greeting(): Buffer {
		return Buffer.from(`+OK ${this.settings.hostname} POP3 smtp-tui lab ready.\r\n`);
	}

	/** The mailbox this session holds locked, if logged in (released when the connection ends). */
	get lockedUser(): string | undefined {
		return this.user;
	}

	handle(line: string): Answer {
		const space = line.indexOf(' ');
		const verb = (space === -1 ? line : line.slice(0, space)).toUpperCase();
		const argument = space === -1 ? '' : line.slice(space + 1);
		const args = argument.split(' ').filter(Boolean);
		if (verb === 'CAPA') return ok(this.capabilities());
		if (verb === 'QUIT') return this.quit();
		if (this.phase === 'authorization') {
			switch (verb) {
				case 'STLS':
					return this.stls();
				case 'USER':
					return this.userCommand(argument);
				case 'PASS':
					return this.pass(argument);
				case 'AUTH':
					return this.bad(texts.noMechanism);
				default:
					return this.bad(texts.unknown);
			}
		}

		switch (verb) {
			case 'STAT':
				return ok(`+OK ${this.live().length} ${this.live().reduce((sum, [, message]) => sum + message.raw.length, 0)}`);
			case 'LIST':
				return this.listing(args, message => String(message.raw.length), `${this.live().length} messages:`);
			case 'UIDL':
				return this.listing(args, message => message.uid, '');
			case 'RETR':
				return this.retr(args);
			case 'TOP':
				return this.top(args);
			case 'DELE':
				return this.dele(args);
			case 'NOOP':
				return ok('+OK');
			case 'RSET':
				this.deleted.clear();
				return ok('+OK');
			default:
				return this.bad(texts.unknown);
		}
	}

	/** Releases the maildrop lock without deleting anything (a connection lost before QUIT). */
	abandon(): void {
		if (this.user) this.settings.mailboxes.unlock(this.user);
		this.user = undefined;
	}

	private capabilities(): string {
		// As Dovecot: USER is listed only where it may be used, i.e. inside TLS.
		const lines = ['+OK', 'CAPA', 'TOP', 'UIDL', 'RESP-CODES', 'PIPELINING', 'AUTH-RESP-CODE'];
		if (!this.secure && this.phase === 'authorization') lines.push('STLS');
		if (this.secure && this.phase === 'authorization') lines.push('USER');
		lines.push('IMPLEMENTATION smtp-tui-lab', '.');
		return lines.join('\r\n');
	}

	private stls(): Answer {
		if (this.secure) return this.bad(texts.tlsActive);
		return {reply: line(texts.beginTls), then: 'starttls'};
	}

	private userCommand(name: string): Answer {
		if (!this.secure) return this.bad(texts.plaintextRefused);
		if (name === '') return this.bad('-ERR USER: Missing username.');
		this.pendingUser = name;
		return ok('+OK');
	}

	private pass(password: string): Answer {
		if (!this.secure) return this.bad(texts.plaintextRefused);
		const name = this.pendingUser;
		if (name === undefined) return this.bad(texts.noUser);
		this.pendingUser = undefined;
		const account = this.settings.mailboxes.findUser(name);
		if (!account || account.password !== password) {
			this.authFailures++;
			this.settings.event('login-failed', name);
			const then = this.authFailures >= this.settings.limits.maxAuthFailures ? 'close' : 'none';
			return {reply: line(texts.authFailed), then};
		}

		if (!this.settings.mailboxes.lock(account.user)) return ok(texts.inUse);
		this.user = account.user;
		this.phase = 'transaction';
		this.snapshot = this.settings.mailboxes.list(account.user);
		this.settings.event('login', account.user);
		return ok(texts.loggedIn);
	}

	private quit(): Answer {
		if (this.phase !== 'transaction' || !this.user) return {reply: line(texts.bye), then: 'close'};
		// The UPDATE state (RFC 1939 §6): only now do marked messages go.
		const uids = [...this.deleted].map(index => this.snapshot[index]!.uid);
		const removed = this.settings.mailboxes.remove(this.user, uids);
		this.settings.event('quit', this.user, String(removed));
		this.abandon();
		return {reply: line(removed > 0 ? texts.byeDeleted : texts.bye), then: 'close'};
	}

	/** [index, message] of every message not marked deleted. */
	private live(): Array<[number, StoredMessage]> {
		return this.snapshot.map((message, index) => [index, message] as [number, StoredMessage]).filter(([index]) => !this.deleted.has(index));
	}

	/** The message a "msg" argument names, or the -ERR to send. */
	private pick(argument: string | undefined): {index: number; message: StoredMessage} | {error: string} {
		if (argument === undefined || !/^\d{1,9}$/.test(argument)) return {error: `-ERR Invalid message number: ${argument ?? ''}`.trimEnd()};
		const index = Number(argument) - 1;
		const message = this.snapshot[index];
		if (!message) return {error: `-ERR There's no message ${argument}.`};
		if (this.deleted.has(index)) return {error: texts.deleted};
		return {index, message};
	}

	private listing(args: string[], value: (message: StoredMessage) => string, heading: string): Answer {
		if (args.length > 0) {
			const picked = this.pick(args[0]);
			if ('error' in picked) return this.bad(picked.error);
			return ok(`+OK ${picked.index + 1} ${value(picked.message)}`);
		}

		const lines = this.live().map(([index, message]) => `${index + 1} ${value(message)}`);
		return ok([heading ? `+OK ${heading}` : '+OK', ...lines, '.'].join('\r\n'));
	}

	private retr(args: string[]): Answer {
		const picked = this.pick(args[0]);
		if ('error' in picked) return this.bad(picked.error);
		this.settings.event('retr', this.user, picked.message.uid);
		return {reply: Buffer.concat([line(`+OK ${picked.message.raw.length} octets`), stuffed(picked.message.raw), line('.')]), then: 'none'};
	}

	private top(args: string[]): Answer {
		const picked = this.pick(args[0]);
		if ('error' in picked) return this.bad(picked.error);
		if (args[1] === undefined || !/^\d{1,9}$/.test(args[1])) return this.bad(`-ERR Invalid number of lines: ${args[1] ?? ''}`.trimEnd());
		const text = picked.message.raw.toString('latin1');
		const split = text.indexOf('\r\n\r\n');
		// The header, its blank line, then the first N lines of the body (RFC 1939 §7).
		const head = split === -1 ? text : text.slice(0, split + 4);
		const body = split === -1 ? '' : text.slice(split + 4);
		const lines = body === '' ? [] : body.replace(/\r\n$/, '').split('\r\n');
		const part = Buffer.from(head + lines.slice(0, Number(args[1])).map(line => `${line}\r\n`).join(''), 'latin1');
		return {reply: Buffer.concat([line('+OK'), stuffed(part), line('.')]), then: 'none'};
	}

	private dele(args: string[]): Answer {
		const picked = this.pick(args[0]);
		if ('error' in picked) return this.bad(picked.error);
		this.deleted.add(picked.index);
		this.settings.event('dele', this.user, picked.message.uid);
		return ok(texts.marked);
	}

	/** A refusal; too many of them end the connection, as Dovecot does. */
	private bad(reply: string): Answer {
		this.badCommands++;
		if (this.badCommands >= this.settings.limits.maxBadCommands) return {reply: Buffer.concat([line(reply), line(texts.tooManyBad)]), then: 'close'};
		return {reply: line(reply), then: 'none'};
	}
}

function line(text: string): Buffer {
	return Buffer.from(`${text}\r\n`, 'utf8');
}

function ok(reply: string): Answer {
	return {reply: line(reply), then: 'none'};
}

/**
 * A message as a multi-line response body (RFC 1939 §3): every line that starts with "." gets
 * one more, and the text ends with CRLF. Byte for byte otherwise (latin1 maps bytes 1:1).
 */
export function stuffed(raw: Buffer): Buffer {
	let text = raw.toString('latin1').replace(/(^|\r\n)\./g, '$1..');
	if (text !== '' && !text.endsWith('\r\n')) text += '\r\n';
	return Buffer.from(text, 'latin1');
}

type Open = {socket: net.Socket; conversation?: Pop3Conversation};

/** Runs one client connection: lines in (bounded), replies out, STLS, idle timeout. */
function serve(socket: net.Socket, port: Pop3Port, secure: boolean, settings: Pop3ServerOptions & {limits: Pop3Limits}, emit: (event: Pop3Event) => void, open: Set<Open>): void {
	const ip = socket.remoteAddress ?? '';
	const entry: Open = {socket};
	open.add(entry);
	emit({type: 'connect', port, ip});
	let current: net.Socket = socket;
	let closed = false;
	const finish = () => {
		if (closed) return;
		closed = true;
		entry.conversation?.abandon();
		open.delete(entry);
		emit({type: 'close', port, ip});
	};

	socket.on('close', finish);
	socket.on('error', () => undefined);
	if (open.size > settings.limits.maxClients) {
		socket.end(`${texts.tooMany}\r\n`);
		return;
	}

	const conversation = new Pop3Conversation({
		port,
		hostname: settings.hostname,
		mailboxes: settings.mailboxes,
		limits: settings.limits,
		event(type, user, detail) {
			emit({type, port, ip, user, detail});
		},
	}, secure);
	entry.conversation = conversation;

	let pending: Buffer[] = [];
	let pendingLength = 0;
	const closeWith = (text: string) => {
		current.end(text);
	};

	const onData = (chunk: Buffer) => {
		let pos = 0;
		while (pos < chunk.length) {
			const lf = chunk.indexOf(0x0a, pos);
			const piece = chunk.subarray(pos, lf === -1 ? chunk.length : lf);
			// Bounded before it is kept: a line with no end costs at most one line's worth.
			if (pendingLength + piece.length > settings.limits.maxLineLength) {
				closeWith(`${texts.tooLong}\r\n`);
				current.off('data', onData);
				return;
			}

			pending.push(Buffer.from(piece));
			pendingLength += piece.length;
			if (lf === -1) return;
			const line = Buffer.concat(pending, pendingLength).toString('utf8').replace(/\r$/, '');
			pending = [];
			pendingLength = 0;
			pos = lf + 1;
			const answer = conversation.handle(line);
			current.write(answer.reply);
			if (answer.then === 'close') {
				current.off('data', onData);
				current.end();
				return;
			}

			if (answer.then === 'starttls') {
				// Whatever followed STLS in this chunk was sent in cleartext: it is dropped, never
				// run inside TLS (the CVE-2011-0411 pattern).
				startTls();
				return;
			}
		}
	};

	const startTls = () => {
		const plain = current;
		plain.removeAllListeners('data');
		plain.removeAllListeners('timeout');
		plain.setTimeout(0);
		const secureSocket = new tls.TLSSocket(plain, {isServer: true, key: settings.tls.key, cert: settings.tls.cert, minVersion: 'TLSv1.2'});
		current = secureSocket;
		entry.socket = secureSocket;
		secureSocket.on('error', () => {
			plain.destroy();
		});
		secureSocket.on('close', finish);
		// A client that never starts its handshake is idle like any other.
		secureSocket.setTimeout(settings.limits.idleTimeoutMs);
		secureSocket.once('timeout', () => {
			secureSocket.destroy();
		});
		secureSocket.once('secure', () => {
			conversation.secure = true;
			secureSocket.removeAllListeners('timeout');
			arm(secureSocket);
		});
	};

	const arm = (target: net.Socket) => {
		target.setTimeout(settings.limits.idleTimeoutMs);
		target.on('timeout', () => {
			closeWith(`${texts.idle}\r\n`);
		});
		target.on('data', onData);
	};

	current.write(conversation.greeting());
	arm(current);
}

async function listenOn(server: net.Server, port: number, host: string): Promise<number> {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			server.off('error', reject);
			resolve((server.address() as AddressInfo).port);
		});
	});
}

/** Starts the POP3 listeners (110 and 995 personalities by default) on loopback. */
export async function startPop3Server(options: Pop3ServerOptions): Promise<Pop3Server> {
	const host = options.host ?? '127.0.0.1';
	const limits: Pop3Limits = {...defaultPop3Limits, ...options.limits};
	const settings = {...options, limits};
	const listeners = new Set<(event: Pop3Event) => void>();
	const emit = (event: Pop3Event) => {
		for (const listener of [...listeners]) {
			try {
				listener(event);
			} catch {}
		}
	};

	const open = new Set<Open>();
	const servers: net.Server[] = [];
	const bound: Partial<Record<Pop3Port, number>> = {};
	const wanted = pop3Ports.filter(port => (options.only ?? pop3Ports).includes(port));
	try {
		for (const port of wanted) {
			const server = port === 995
				? tls.createServer({key: options.tls.key, cert: options.tls.cert, minVersion: 'TLSv1.2'}, socket => {
					serve(socket, 995, true, settings, emit, open);
				})
				: net.createServer(socket => {
					serve(socket, 110, false, settings, emit, open);
				});
			// A failed handshake or a reset is the client's business; the lab never prints.
			server.on('tlsClientError', () => undefined);
			server.on('error', () => undefined);
			bound[port] = await listenOn(server, options.ports?.[port] ?? 0, host);
			servers.push(server);
		}
	} catch (error) {
		await Promise.all(servers.map(async server => new Promise(resolve => server.close(resolve))));
		throw error;
	}

	let closing: Promise<void> | undefined;
	const closeAll = async () => {
		const stopped = Promise.all(servers.map(async server => new Promise(resolve => server.close(resolve))));
		for (const {socket} of open) {
			socket.end(`${texts.shutdown}\r\n`);
			// Whoever does not go within a moment is cut off; close() never waits on a client.
			setTimeout(() => socket.destroy(), 200).unref();
		}

		await stopped;
	};

	return {
		host,
		ports: bound,
		hostname: options.hostname,
		limits,
		onEvent(listener) {
			listeners.add(listener);
			return () => {
				listeners.delete(listener);
			};
		},
		async close() {
			closing ??= closeAll();
			return closing;
		},
	};
}
