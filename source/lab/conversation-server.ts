// The socket side of the lab's hand-written servers (POP3, IMAP): listeners on loopback, one
// sans-I/O conversation per connection, bytes from the socket into the conversation and its
// answers back out, STARTTLS / STLS upgrades, the idle timeout and shutdown. Everything the
// protocol decides (what to answer, when to upgrade or hang up) is the conversation's; this file
// only carries bytes and keeps time. The lab's protections are the SMTP side's, shared:
// - every listener is behind the lab's gate (gate.ts): the total and per-address connection
//   caps counted from accept, the handshake deadline (implicit TLS and STARTTLS alike), the
//   per-line and per-session deadlines, all in the SMTP side's counters;
// - logins go through the lab's one failed-login table (auth-penalty.ts): an address's SMTP,
//   POP3 and IMAP failures add up, and its answer is held the same way;
// - back-pressure: commands are answered one at a time, and none is read or answered while the
//   client has not taken the last answer (socket.write() said false: wait for 'drain'), so a
//   client pipelining FETCHes it never reads holds at most one answer.

import type {AddressInfo} from 'node:net';
import net from 'node:net';
import tls from 'node:tls';
import {AuthPenalty} from './auth-penalty.js';
import type {GateTexts} from './gate.js';
import {Gate, GateCounter, clientIp} from './gate.js';
import type {LabLimits} from './limits.js';
import {resolveLimits} from './limits.js';
import type {Mailboxes} from './mailbox.js';
import type {MonitorPort} from './monitor.js';
import {LabMonitor} from './monitor.js';

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
	push(data: Buffer): void;
	/** The answer to the next whole command received, if there is one (each is answered once). */
	next(): Answer | undefined;
	/** The goodbye when the client has been silent too long. */
	idle(): Buffer;
	/** The connection ended, however (releases locks and the like). */
	abandon(): void;
};

/** Pushes `data` and answers every whole command in it, up to the first that upgrades or hangs up. */
export function answerAll(conversation: Pick<ServerConversation, 'push' | 'next'>, data: Buffer): Answer {
	conversation.push(data);
	const replies: Buffer[] = [];
	for (let answer = conversation.next(); answer; answer = conversation.next()) {
		replies.push(answer.reply);
		if (answer.then !== 'none') return {reply: Buffer.concat(replies), then: answer.then};
	}

	return {reply: Buffer.concat(replies), then: 'none'};
}

/** What the lab's SMTP, POP3 and IMAP listeners share: connection counts, the failed-login table, the limits and the dashboard's counters. */
export type LabGuard = {counter: GateCounter; penalty: AuthPenalty; monitor: LabMonitor; limits: Required<LabLimits>};

/** Every server's events carry these; the conversation adds its own fields. */
export type BaseEvent<Port extends number, Type extends string> = {type: Type; port: Port; ip: string; user?: string; detail?: string};

/** A protocol's words for the gate's refusals and timeouts, and for shutdown. */
export type ServerTexts = {tooMany: string; tooManyFrom: string; timeout: string; shutdown: string};

export type ConversationServerOptions<Port extends MonitorPort, Event extends BaseEvent<Port, string>> = {
	/** Address to listen on; default '127.0.0.1'. */
	host?: string;
	hostname: string;
	/** PEM key and certificate served on implicit-TLS ports and after an upgrade. */
	tls: {key: string; cert: string};
	listeners: Array<{port: Port; listen: number; implicitTls: boolean}>;
	limits: {idleTimeoutMs: number};
	guard: LabGuard;
	/** One line each, without CRLF. */
	texts: ServerTexts;
	/** `authorize` is for the conversation to call before it checks a password: false = refuse it unchecked. */
	makeConversation(port: Port, secure: boolean, emit: (event: Omit<Event, 'port' | 'ip'>) => void, authorize: () => boolean): ServerConversation;
};

export type ConversationServer<Port extends number, Event> = {
	host: string;
	/** The ports actually listening, per personality. */
	ports: Partial<Record<Port, number>>;
	hostname: string;
	/** Calls `listener` for each event from now on; returns the unsubscribe function. */
	onEvent(listener: (event: Event) => void): () => void;
	/** Bytes written to clients and not yet taken by them, over every open connection. */
	bufferedBytes(): number;
	/** Stops listening and ends every open session; resolves once all listeners are closed. */
	close(): Promise<void>;
};

const tlsOptions = (material: {key: string; cert: string}) => ({key: material.key, cert: material.cert, minVersion: 'TLSv1.2' as const});

/** How long a client told goodbye may take to read it before its socket is destroyed. */
const lingerMs = 1000;

function hangUp(socket: net.Socket, goodbye: Buffer | string): void {
	socket.end(goodbye);
	// A client that reads nothing would keep an ended socket (and what it was sent) forever.
	setTimeout(() => socket.destroy(), lingerMs).unref();
}

/** Runs one client connection, admitted by the gate (on an implicit-TLS port: once TLS is up). */
function serve<Port extends MonitorPort, Event extends BaseEvent<Port, string>>(
	socket: net.Socket,
	port: Port,
	gate: Gate,
	options: ConversationServerOptions<Port, Event>,
	emit: (event: Event) => void,
	open: Set<{socket: net.Socket}>,
): void {
	const ip = clientIp(socket.remoteAddress);
	const {remotePort} = socket;
	const secure = socket instanceof tls.TLSSocket;
	gate.sessionStarted(ip, remotePort);
	if (secure) gate.secured(ip, remotePort, socket);
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
	const {penalty, monitor, limits} = options.guard;
	// The hold the last login attempt earned: its address's failed logins before it (auth-penalty.ts).
	let hold = 0;
	let holdDetail = '';
	const authorize = () => {
		hold = penalty.delayFor(ip);
		holdDetail = `login held ${hold} ms: ${penalty.failuresOf(ip)} failed logins from ${ip}`;
		if (!penalty.overRate(ip)) return true;
		monitor.limitHit('auth-rate', port, ip, `login refused: ${limits.maxAuthFailuresPerMinute} failed logins from ${ip} in the last minute`);
		return false;
	};

	const live = options.makeConversation(port, secure, event => {
		if (event.type === 'login-failed') penalty.failed(ip);
		else if (event.type === 'login') penalty.succeeded(ip);
		emit({...event, port, ip} as Event);
	}, authorize);
	conversation = live;
	let current: net.Socket = socket;
	/** Holding an answer, or waiting for the client to take the last one: nothing is read meanwhile. */
	let busy = false;
	let ended = false;

	const deliver = (answer: Answer) => {
		if (ended || current.destroyed) return;
		if (answer.reply.length > 0) current.write(answer.reply);
		if (answer.then === 'close') {
			ended = true;
			current.off('data', onData);
			hangUp(current, '');
		} else if (answer.then === 'starttls') {
			startTls();
		}
	};

	/** Answers what has come, one command at a time, while the client keeps up. */
	const pump = () => {
		while (!busy && !ended && !current.destroyed) {
			if (current.writableNeedDrain) {
				busy = true;
				current.pause();
				const waiting = current;
				waiting.once('drain', () => {
					busy = false;
					if (waiting === current) pump();
				});
				return;
			}

			hold = 0;
			const answer = live.next();
			if (!answer) {
				current.resume();
				return;
			}

			if (hold > 0) {
				// Held right password or wrong, so an early answer tells nothing; nothing else is
				// read meanwhile, so pipelined guesses wait their turn.
				monitor.limitHit('auth-delay', port, ip, holdDetail);
				busy = true;
				current.pause();
				setTimeout(() => {
					busy = false;
					deliver(answer);
					if (answer.then === 'none') pump();
				}, hold).unref();
				return;
			}

			deliver(answer);
			// After an upgrade the TLS socket is read once its handshake is done.
			if (answer.then !== 'none') return;
		}
	};

	const onData = (chunk: Buffer) => {
		live.push(chunk);
		pump();
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
		// The handshake has the gate's deadline, as one at accept.
		gate.upgrading(ip, remotePort, secureSocket);
		secureSocket.once('secure', () => {
			gate.handshakeDone(ip, remotePort);
			live.secure = true;
			arm(secureSocket);
		});
	};

	const arm = (target: net.Socket) => {
		target.setTimeout(options.limits.idleTimeoutMs);
		target.on('timeout', () => {
			if (ended) return;
			ended = true;
			current.off('data', onData);
			hangUp(current, live.idle());
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

/** Starts one listener per personality, each behind the lab's gate; each connection gets its own conversation. */
export async function startConversationServer<Port extends MonitorPort, Event extends BaseEvent<Port, string>>(options: ConversationServerOptions<Port, Event>): Promise<ConversationServer<Port, Event>> {
	const host = options.host ?? '127.0.0.1';
	const listeners = new Set<(event: Event) => void>();
	const emit = (event: Event) => {
		for (const listener of [...listeners]) {
			try {
				listener(event);
			} catch {}
		}
	};

	const {texts, guard} = options;
	const gateTexts: GateTexts = {tooMany: () => texts.tooMany, tooManyFrom: () => texts.tooManyFrom, timeout: () => texts.timeout};
	const open = new Set<{socket: net.Socket}>();
	const gates: Gate[] = [];
	const bound: Partial<Record<Port, number>> = {};
	const closeGates = async () => Promise.all(gates.map(async gate => gate.close()));
	try {
		for (const {port, listen, implicitTls} of options.listeners) {
			const gate: Gate = new Gate(
				{
					port,
					hostname: options.hostname,
					limits: guard.limits,
					monitor: guard.monitor,
					texts: gateTexts,
					tls: implicitTls ? tlsOptions(options.tls) : undefined,
					admit(socket) {
						serve(socket, port, gate, options, emit, open);
					},
				},
				guard.counter,
			);
			bound[port] = await listenOn(gate.server, listen, host);
			gates.push(gate);
		}
	} catch (error) {
		await closeGates();
		throw error;
	}

	let closing: Promise<void> | undefined;
	const closeAll = async () => {
		const stopped = closeGates();
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
		onEvent(listener) {
			listeners.add(listener);
			return () => {
				listeners.delete(listener);
			};
		},
		bufferedBytes() {
			let bytes = 0;
			for (const {socket} of open) bytes += socket.writableLength;
			return bytes;
		},
		async close() {
			closing ??= closeAll();
			return closing;
		},
	};
}

/** The limits every mail-reading server (POP3, IMAP) has; each protocol's defaults say its RFC's values. */
export type MailLimits = {
	/** Longest command line in octets, CRLF included. */
	maxLineLength: number;
	/** Silence after which the server says goodbye. */
	idleTimeoutMs: number;
	/** Connections open at once, over both ports. */
	maxClients: number;
	/** Failed logins per connection before it is closed. */
	maxAuthFailures: number;
	/** Unknown or refused commands per connection before it is closed. */
	maxBadCommands: number;
};

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
	/**
	 * The lab's shared protections (its gate counts, failed-login table, limits and monitor).
	 * Absent (a server on its own): its own, with the lab's default limits, `maxClients` as both
	 * the total and the per-address cap.
	 */
	guard?: LabGuard;
};

/** What each mail-reading conversation is made with. */
export type MailConversationSettings<Port extends number, Limits, Type extends string> = {
	port: Port;
	hostname: string;
	mailboxes: Mailboxes;
	limits: Limits;
	event: (type: Type, user?: string, detail?: string) => void;
	/** Called before a password is checked: false = the address is over its failed logins for the minute, refuse unchecked. */
	authorize?: () => boolean;
};

/** Starts a POP3 or IMAP server: its personalities (one with implicit TLS) over the shared mailboxes. */
export async function startMailServer<Port extends MonitorPort, Type extends string, Limits extends MailLimits>(
	options: MailServerOptions<Port, Limits>,
	spec: {
		ports: Port[];
		implicitTls: Port;
		defaults: Limits;
		texts: ServerTexts;
		conversation: new (settings: MailConversationSettings<Port, Limits, Type>, secure: boolean) => ServerConversation;
	},
): Promise<ConversationServer<Port, BaseEvent<Port, Type>> & {limits: Limits}> {
	const limits: Limits = {...spec.defaults, ...options.limits};
	const guard = options.guard ?? ownGuard(limits.maxClients);
	const server = await startConversationServer<Port, BaseEvent<Port, Type>>({
		host: options.host,
		hostname: options.hostname,
		tls: options.tls,
		listeners: spec.ports.filter(port => (options.only ?? spec.ports).includes(port)).map(port => ({port, listen: options.ports?.[port] ?? 0, implicitTls: port === spec.implicitTls})),
		limits,
		guard,
		texts: spec.texts,
		makeConversation(port, secure, emit, authorize) {
			const settings = {port, hostname: options.hostname, mailboxes: options.mailboxes, limits, authorize, event: (type: Type, user?: string, detail?: string) => emit({type, user, detail})};
			return new spec.conversation(settings, secure);
		},
	});
	return {...server, limits};
}

function ownGuard(maxClients: number): LabGuard {
	const limits = resolveLimits({maxClients, maxClientsPerIp: maxClients});
	return {counter: new GateCounter(), penalty: new AuthPenalty(limits), monitor: new LabMonitor(), limits};
}
