// The socket side of the lab's hand-written servers (POP3, IMAP): listeners on loopback, one
// sans-I/O conversation per connection, bytes from the socket into the conversation and its
// answer back out, STARTTLS / STLS upgrades, the idle timeout, the connection cap and shutdown.
// Everything the protocol decides (what to answer, when to upgrade or hang up) is the
// conversation's; this file only carries bytes and keeps time.

import type {AddressInfo} from 'node:net';
import net from 'node:net';
import tls from 'node:tls';
import type {Mailboxes} from './mailbox.js';

/** What the server does after writing a reply. */
export type Action = 'none' | 'starttls' | 'close';
/** The reply as bytes (a message goes out byte for byte, whatever its encoding), and what then. */
export type Answer = {reply: Buffer; then: Action};

/** One connection's protocol, with no socket inside. */
export type ServerConversation = {
	/** True once TLS is on (from the start on an implicit-TLS port; set here after an upgrade). */
	secure: boolean;
	greeting(): Buffer;
	/** What the client sent; the conversation frames and bounds it itself. */
	receive(data: Buffer): Answer;
	/** The goodbye when the client has been silent too long. */
	idle(): Buffer;
	/** The connection ended, however (releases locks and the like). */
	abandon(): void;
};

/** Every server's events carry these; the conversation adds its own fields. */
export type BaseEvent<Port extends number, Type extends string> = {type: Type; port: Port; ip: string; user?: string; detail?: string};

export type ConversationServerOptions<Port extends number, Event extends BaseEvent<Port, string>> = {
	/** Address to listen on; default '127.0.0.1'. */
	host?: string;
	hostname: string;
	/** PEM key and certificate served on implicit-TLS ports and after an upgrade. */
	tls: {key: string; cert: string};
	listeners: Array<{port: Port; listen: number; implicitTls: boolean}>;
	limits: {idleTimeoutMs: number; maxClients: number};
	/** Sent (then the connection closed) to a client over the cap, and to each client at shutdown. */
	texts: {tooMany: string; shutdown: string};
	makeConversation(port: Port, secure: boolean, emit: (event: Omit<Event, 'port' | 'ip'>) => void): ServerConversation;
};

export type ConversationServer<Port extends number, Event> = {
	host: string;
	/** The ports actually listening, per personality. */
	ports: Partial<Record<Port, number>>;
	hostname: string;
	/** Calls `listener` for each event from now on; returns the unsubscribe function. */
	onEvent(listener: (event: Event) => void): () => void;
	/** Stops listening and ends every open session; resolves once all listeners are closed. */
	close(): Promise<void>;
};

const tlsOptions = (material: {key: string; cert: string}) => ({key: material.key, cert: material.cert, minVersion: 'TLSv1.2' as const});

/** Runs one client connection. */
function serve<Port extends number, Event extends BaseEvent<Port, string>>(
	socket: net.Socket,
	port: Port,
	secure: boolean,
	options: ConversationServerOptions<Port, Event>,
	emit: (event: Event) => void,
	open: Set<{socket: net.Socket}>,
): void {
	const ip = socket.remoteAddress ?? '';
	const entry = {socket};
	open.add(entry);
	emit({type: 'connect', port, ip} as Event);
	let conversation: ServerConversation | undefined;
	let closed = false;
	const finish = () => {
		if (closed) return;
		closed = true;
		conversation?.abandon();
		open.delete(entry);
		emit({type: 'close', port, ip} as Event);
	};

	socket.on('close', finish);
	socket.on('error', () => undefined);
	if (open.size > options.limits.maxClients) {
		socket.end(options.texts.tooMany);
		return;
	}

	const live = options.makeConversation(port, secure, event => {
		emit({...event, port, ip} as Event);
	});
	conversation = live;
	let current: net.Socket = socket;

	const onData = (chunk: Buffer) => {
		const answer = live.receive(chunk);
		if (answer.reply.length > 0) current.write(answer.reply);
		if (answer.then === 'close') {
			current.off('data', onData);
			current.end();
		} else if (answer.then === 'starttls') {
			startTls();
		}
	};

	const startTls = () => {
		const plain = current;
		plain.removeAllListeners('data');
		plain.removeAllListeners('timeout');
		plain.setTimeout(0);
		const secureSocket = new tls.TLSSocket(plain, {isServer: true, ...tlsOptions(options.tls)});
		current = secureSocket;
		entry.socket = secureSocket;
		secureSocket.on('error', () => {
			plain.destroy();
		});
		secureSocket.on('close', finish);
		// A client that never starts its handshake is idle like any other.
		secureSocket.setTimeout(options.limits.idleTimeoutMs);
		secureSocket.once('timeout', () => {
			secureSocket.destroy();
		});
		secureSocket.once('secure', () => {
			live.secure = true;
			secureSocket.removeAllListeners('timeout');
			arm(secureSocket);
		});
	};

	const arm = (target: net.Socket) => {
		target.setTimeout(options.limits.idleTimeoutMs);
		target.on('timeout', () => {
			current.off('data', onData);
			current.end(live.idle());
		});
		target.on('data', onData);
	};

	current.write(live.greeting());
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

/** Starts one listener per personality; each connection gets its own conversation. */
export async function startConversationServer<Port extends number, Event extends BaseEvent<Port, string>>(options: ConversationServerOptions<Port, Event>): Promise<ConversationServer<Port, Event>> {
	const host = options.host ?? '127.0.0.1';
	const listeners = new Set<(event: Event) => void>();
	const emit = (event: Event) => {
		for (const listener of [...listeners]) {
			try {
				listener(event);
			} catch {}
		}
	};

	const open = new Set<{socket: net.Socket}>();
	const servers: net.Server[] = [];
	const bound: Partial<Record<Port, number>> = {};
	try {
		for (const {port, listen, implicitTls} of options.listeners) {
			const server = implicitTls
				? // A handshake that does not finish in 10 s is dropped (Node's default is 120 s).
					tls.createServer({...tlsOptions(options.tls), handshakeTimeout: 10_000}, socket => {
						serve(socket, port, true, options, emit, open);
					})
				: net.createServer(socket => {
					serve(socket, port, false, options, emit, open);
				});
			// Sockets counted from accept, TLS handshakes included: past twice the session limit
			// (where the conversation refuses in words) Node closes them at once.
			server.maxConnections = 2 * options.limits.maxClients;
			// A failed handshake or a reset is the client's business; the lab never prints.
			server.on('tlsClientError', () => undefined);
			server.on('error', () => undefined);
			bound[port] = await listenOn(server, listen, host);
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
			socket.end(options.texts.shutdown);
			// Whoever does not go within a moment is cut off; close() never waits on a client.
			setTimeout(() => socket.destroy(), 200).unref();
		}

		await stopped;
	};

	return {
		host,
		ports: bound,
		hostname: options.hostname,
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

/** What a mail-reading server (POP3, IMAP) is started with. */
export type MailServerOptions<Port extends number, Limits> = {
	/** Address to listen on; default '127.0.0.1'. */
	host?: string;
	/** Listen port per personality; 0 or absent = ephemeral. */
	ports?: Partial<Record<Port, number>>;
	/** Start just these personalities; default all. */
	only?: Port[];
	/** Named in the greeting; the certificate should name it too. */
	hostname: string;
	mailboxes: Mailboxes;
	/** PEM key and certificate served on the implicit-TLS port and after an upgrade. */
	tls: {key: string; cert: string};
	limits?: Partial<Limits>;
};

/** What each mail-reading conversation is made with. */
export type MailConversationSettings<Port extends number, Limits, Type extends string> = {
	port: Port;
	hostname: string;
	mailboxes: Mailboxes;
	limits: Limits;
	event: (type: Type, user?: string, detail?: string) => void;
};

/** Starts a POP3 or IMAP server: its personalities (one with implicit TLS) over the shared mailboxes. */
export async function startMailServer<Port extends number, Type extends string, Limits extends {idleTimeoutMs: number; maxClients: number}>(
	options: MailServerOptions<Port, Limits>,
	spec: {
		ports: Port[];
		implicitTls: Port;
		defaults: Limits;
		texts: {tooMany: string; shutdown: string};
		conversation: new (settings: MailConversationSettings<Port, Limits, Type>, secure: boolean) => ServerConversation;
	},
): Promise<ConversationServer<Port, BaseEvent<Port, Type>> & {limits: Limits}> {
	const limits: Limits = {...spec.defaults, ...options.limits};
	const server = await startConversationServer<Port, BaseEvent<Port, Type>>({
		host: options.host,
		hostname: options.hostname,
		tls: options.tls,
		listeners: spec.ports.filter(port => (options.only ?? spec.ports).includes(port)).map(port => ({port, listen: options.ports?.[port] ?? 0, implicitTls: port === spec.implicitTls})),
		limits,
		texts: {tooMany: `${spec.texts.tooMany}\r\n`, shutdown: `${spec.texts.shutdown}\r\n`},
		makeConversation(port, secure, emit) {
			const settings = {port, hostname: options.hostname, mailboxes: options.mailboxes, limits, event: (type: Type, user?: string, detail?: string) => emit({type, user, detail})};
			return new spec.conversation(settings, secure);
		},
	});
	return {...server, limits};
}
