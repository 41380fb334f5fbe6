// One lab listener: an smtp-server instance configured for one port personality. Policy
// (who may do what) comes from personality.ts and port-policy.ts (limits, faults, magic
// recipients), Postfix's wording from replies.ts, and what smtp-server's hooks cannot reach
// from connection-hooks.ts; this file wires them into smtp-server and keeps the accepted
// messages.

import type {AddressInfo, Socket} from 'node:net';
import {SMTPServer} from 'smtp-server';
import type {
	SMTPServerAddress,
	SMTPServerAuthentication,
	SMTPServerAuthenticationResponse,
	SMTPServerDataStream,
	SMTPServerOptions,
	SMTPServerSession,
} from 'smtp-server';
import type {AttackName} from './attacks.js';
import type {Connection, ConnectionState} from './connection-hooks.js';
import type {DotNotes} from './dot-lines.js';
import {undotMessage} from './dot-lines.js';
import {bareLfToCrlf, greetAtOnce, installHooks, later, runInjectedCommands} from './connection-hooks.js';
import type {PortFaults} from './faults.js';
import {authTempfailReply, pregreetReply, tooBigReply} from './faults.js';
import type {LabLimits} from './limits.js';
import {defaultLimits, insufficientStorageReply, parserLineCap} from './limits.js';
import {ReceiveBudget} from './inbox.js';
import {randomHex} from './random-hex.js';
import {LabMonitor} from './monitor.js';
import {Gate, GateCounter, clientIp} from './gate.js';
import {AuthPenalty} from './auth-penalty.js';
import type {LabReply, Personality, SessionView} from './personality.js';
import {authAvailable} from './personality.js';
import {PortPolicy, replyLine} from './port-policy.js';
import {replyMessage} from './replies.js';
import type {CapturedMessage, LabUser, MessagePolicy} from './types.js';

/** SIZE advertised and enforced by default, as Postfix's default message_size_limit. */
export const maxMessageBytes = defaultLimits.maxMessageBytes;

/** How long close() lets a client read the 421 before its socket is cut. */
const closeGraceMs = 200;

export type LabTls = {
	key: string;
	cert: string;
	/** Speak only TLS 1.0 and 1.1 (the 'old-tls' certificate variant); default TLS 1.2 and newer. */
	legacyOnly?: boolean;
};

/**
 * TLS versions (and ciphers) per setting. OpenSSL 3's default security level refuses TLS 1.0
 * and 1.1 even on a server configured for them (it then answers every client with an internal
 * error), so the legacy-only server lowers it to 0: it must really speak TLS 1.1 for a modern
 * client to see a genuine version mismatch.
 */
function tlsVersions(tls: LabTls): Pick<SMTPServerOptions, 'minVersion' | 'maxVersion' | 'ciphers'> {
	if (tls.legacyOnly) return {minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0'};
	return {minVersion: 'TLSv1.2'};
}

export type LabServerSettings = {
	personality: Personality;
	hostname: string;
	domain: string;
	users: LabUser[];
	tls: LabTls;
	capture: (message: CapturedMessage) => void;
	/** Decides about each message at the end of DATA, before it is accepted; default: accept. */
	messagePolicy?: MessagePolicy;
	/** Faults in force on this port; default none. */
	faults?: PortFaults;
	/** Attack personalities; default none (the safe lab). */
	attacks?: AttackName[];
	/** Hardening limits; default `defaultLimits`. */
	limits?: Required<LabLimits>;
	/** Shared by all the lab's ports: stats, events, connection and message counts. */
	monitor?: LabMonitor;
	/** Shared by all the lab's ports: bytes of messages being received; default one of this port's own. */
	budget?: ReceiveBudget;
	/** Shared by all the lab's ports: open connections, in all and per client IP; default one of this port's own. */
	counter?: GateCounter;
	/** Shared by all the lab's ports: failed logins per client IP; default one of this port's own. */
	penalty?: AuthPenalty;
};

/** One lab port: the gate that accepts its sockets (gate.ts) and the smtp-server that serves them. */
export type LabListener = {smtp: SMTPServer; gate: Gate};

/** The settings with every default filled in, and this port's policy. */
type Wiring = {
	settings: LabServerSettings;
	limits: Required<LabLimits>;
	faults: PortFaults;
	attacks: AttackName[];
	monitor: LabMonitor;
	budget: ReceiveBudget;
	penalty: AuthPenalty;
	policy: PortPolicy;
	/** Open connections by session ID. */
	states: Map<string, ConnectionState>;
	/** Connections handed to smtp-server whose session has not started yet, by session ID. */
	starting: Map<string, Connection>;
	/** Set once the gate exists (createLabServer). */
	gate?: Gate;
};

type LabError = Error & {responseCode: number};

function labError(reply: LabReply): LabError {
	return Object.assign(new Error(replyMessage(reply)), {responseCode: reply.code});
}

function sessionUser(session: SMTPServerSession): string | undefined {
	return typeof session.user === 'string' ? session.user : undefined;
}

/** Postfix-style queue ID: 10 upper-case hex digits. */
function queueId(): string {
	return randomHex(5).toUpperCase();
}

function findUser(users: LabUser[], name: string | undefined): LabUser | undefined {
	if (!name) return undefined;
	const wanted = name.toLowerCase();
	// Log in as "alice" or as "alice@lab.test", as real providers allow.
	return users.find(user => user.user.toLowerCase() === wanted || user.address.toLowerCase() === wanted);
}

/** True if some LF in `chunk` has no CR right before it (looking back into the last chunk). */
function hasBareLf(chunk: Buffer, previousByte: number): boolean {
	for (let index = chunk.indexOf(0x0a); index !== -1; index = chunk.indexOf(0x0a, index + 1)) {
		const before = index === 0 ? previousByte : chunk[index - 1];
		if (before !== 0x0d) return true;
	}

	return false;
}

/** The refusal of a message over the size limit: the too-big fault's words, or Postfix's for its limit. */
function sizeRefusal(wiring: Wiring): LabReply {
	return wiring.faults['too-big'] !== undefined ? tooBigReply : {code: 552, enhanced: '5.3.4', text: 'Message size exceeds fixed limit'};
}

function receiveMessage(
	wiring: Wiring,
	stream: SMTPServerDataStream,
	session: SMTPServerSession,
	callback: (error?: Error | null, message?: string) => void,
): void {
	const {settings, policy} = wiring;
	const limit = policy.maxMessageBytes;
	const ip = session.remoteAddress;
	const chunks: Buffer[] = [];
	let kept = 0;
	let previousByte = -1;
	let bareLf = false;
	// Over the lab's budget for messages being received: refused at the end, nothing kept.
	let noRoom = false;
	const release = () => {
		wiring.budget.release(ip, kept);
		kept = 0;
		chunks.length = 0;
	};

	// A client that drops mid-message never reaches 'end': the session's close gives the bytes back.
	// Bytes smtp-server still passes on after the close are not held either.
	let gone = false;
	const state = wiring.states.get(session.id);
	if (state) {
		state.releaseReceiving = () => {
			gone = true;
			release();
		};
	}

	// The disconnect-in-data fault: the connection is cut once the first line of the message is
	// in, and nothing of the message is answered or kept.
	const cut = wiring.faults['disconnect-in-data'] !== undefined;
	let dropped = false;
	// How the client dot-stuffed this message's lines (dot-lines.ts). The gate reads the DATA line
	// just after smtp-server's parser does, in the same tick: the notes are taken on the next.
	let notes: DotNotes | undefined;
	let claimed = false;
	const claim = () => {
		if (claimed) return;
		claimed = true;
		notes = wiring.gate?.find(ip, session.remotePort)?.dots?.claim();
	};

	process.nextTick(claim);
	stream.on('data', (chunk: Buffer) => {
		if (dropped) return;
		if (cut && chunk.includes(0x0a)) {
			dropped = true;
			policy.hit('disconnect-in-data', ip, 'connection dropped after the first line of the message');
			release();
			wiring.gate?.drop(ip, session.remotePort);
			return;
		}

		bareLf ||= hasBareLf(chunk, previousByte);
		previousByte = chunk.at(-1) ?? previousByte;
		// Past the limit the message is refused anyway: stop holding it in memory.
		if (kept > limit || noRoom || gone) return;
		if (!wiring.budget.reserve(ip, chunk.length)) {
			noRoom = true;
			release();
			return;
		}

		chunks.push(chunk);
		kept += chunk.length;
	});
	stream.on('end', () => {
		if (dropped) return;
		claim();
		// smtp-server took one dot off lines sent with two; RFC 5321 §4.5.2 takes one off every
		// line sent with a leading dot, as Postfix does.
		const received = undotMessage(Buffer.concat(chunks), notes);
		const raw = bareLf ? bareLfToCrlf(received, -1) : received;
		const tooBig = stream.sizeExceeded || kept > limit;
		release();
		if (state) state.releaseReceiving = undefined;
		const rcptTo = session.envelope.rcptTo.map(recipient => recipient.address);
		const answer = (error: Error | null, message?: string) => {
			const delay = wiring.faults.tarpit;
			if (delay === undefined) {
				callback(error, message);
				return;
			}

			policy.hit('tarpit', ip, `reply delayed ${delay} ms`);
			later(delay, () => {
				callback(error, message);
			});
		};

		// SMTP smuggling (PROTOCOL.md §5 item 4): only CRLF.CRLF ends the message (smtp-server
		// never ends it at <LF>.<LF>). By default a bare LF is taken as a line end and stored as
		// CRLF, as Postfix 3.9+ does with smtpd_forbid_bare_newline = normalize (so a file saved
		// with LF endings, sent by curl -T, arrives); the bare-lf-reject fault refuses it with
		// Postfix's strict reply and hangs up.
		if (bareLf && wiring.faults['bare-lf-reject'] !== undefined) {
			policy.hit('bare-lf-reject', ip, 'bare <LF> in the message');
			answer(labError({code: 521, enhanced: '5.5.2', text: `${settings.hostname} Error: bare <LF> received`}));
			return;
		}

		if (tooBig) {
			answer(labError(sizeRefusal(wiring)));
			return;
		}

		if (noRoom) {
			answer(labError(insufficientStorageReply));
			return;
		}

		const refusal = policy.dataEnd(ip, rcptTo);
		if (refusal) {
			answer(labError(refusal));
			return;
		}

		const id = queueId();
		const {envelope} = session;
		const message: CapturedMessage = {
			id,
			port: settings.personality.port,
			listenPort: session.localPort,
			mailFrom: envelope.mailFrom ? envelope.mailFrom.address : '',
			rcptTo,
			tls: session.secure,
			user: sessionUser(session),
			receivedAt: new Date(),
			helo: session.hostNameAppearsAs || undefined,
			remoteAddress: ip,
			transmission: session.transmissionType,
			raw,
		};
		const accept = (prepend?: string) => {
			if (prepend) message.raw = Buffer.concat([Buffer.from(prepend, 'utf8'), message.raw]);
			settings.capture(message);
			wiring.monitor.messageAccepted(settings.personality.port, ip, id);
			answer(null, `Ok: queued as ${id}`);
		};

		if (!settings.messagePolicy) {
			accept();
			return;
		}

		// A policy that fails is the policy's bug: the message is refused for now (451), as an
		// MTA whose milter breaks tempfails, and the client may retry.
		settings.messagePolicy(message).then(
			verdict => {
				if (verdict?.refusal) answer(labError(verdict.refusal));
				else accept(verdict?.prepend);
			},
			() => {
				answer(labError({code: 451, enhanced: '4.3.0', text: 'Error: queue file write error'}));
			},
		);
	});
}

function checkLogin(
	wiring: Wiring,
	auth: SMTPServerAuthentication,
	session: SMTPServerSession,
	callback: (error: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void,
): void {
	const {settings, policy} = wiring;
	const failure = {code: 535, enhanced: '5.7.8', text: 'Error: authentication failed: authentication failure'};
	// Not reachable while AUTH is switched off before TLS; kept so a password never counts in clear.
	if (!authAvailable(settings.personality, session.secure)) {
		callback(labError(failure));
		return;
	}

	// As when the password database is down: nothing is checked, nothing counts as a failure.
	if (wiring.faults['auth-tempfail'] !== undefined) {
		policy.hit('auth-tempfail', session.remoteAddress, replyLine(authTempfailReply));
		callback(labError(authTempfailReply));
		return;
	}

	const ip = session.remoteAddress;
	const port = settings.personality.port;
	const {penalty, monitor} = wiring;
	// Past the address's failed logins for this minute: refused unchecked, after the same hold
	// (an attacker looping on a refusal would otherwise spin as fast as the lab can answer).
	const refuse = () => {
		const reply = {code: 450, enhanced: '4.7.1', text: `Error: too many AUTH commands from ${ip}`};
		monitor.limitHit('auth-rate', port, ip, `AUTH refused: ${wiring.limits.maxAuthFailuresPerMinute} failed logins from ${ip} in the last minute`);
		callback(labError(reply));
	};

	const verdict = () => {
		// Checked again after the hold: AUTHs held side by side must not overrun the cap.
		if (penalty.overRate(ip)) {
			refuse();
			return;
		}

		const user = findUser(settings.users, auth.username);
		const passwordOk =
			user !== undefined &&
			(auth.method === 'CRAM-MD5' ? auth.validatePassword(user.password) : auth.password === user.password);
		if (!user || !passwordOk) {
			penalty.failed(ip);
			// Counted before the 535 goes out: the send hook adds the 421 after the last one allowed.
			const state = wiring.states.get(session.id);
			if (state) state.authFailures++;
			callback(null, {message: replyMessage(failure), responseCode: failure.code});
			return;
		}

		penalty.succeeded(ip);
		callback(null, {user: user.user});
	};

	// Held before the check, right password or wrong, so an early answer tells nothing.
	const delay = penalty.delayFor(ip);
	if (delay === 0) {
		verdict();
		return;
	}

	if (penalty.overRate(ip)) {
		later(delay, refuse);
		return;
	}

	monitor.limitHit('auth-delay', port, ip, `AUTH held ${delay} ms: ${penalty.failuresOf(ip)} failed logins from ${ip}`);
	later(delay, verdict);
}

function wire(settings: LabServerSettings): Wiring {
	const limits = settings.limits ?? defaultLimits;
	const faults = settings.faults ?? {};
	const monitor = settings.monitor ?? new LabMonitor();
	const policy = new PortPolicy({
		personality: settings.personality,
		domain: settings.domain,
		hostname: settings.hostname,
		faults,
		limits,
		monitor,
	});
	const budget = settings.budget ?? new ReceiveBudget(limits.maxReceivingBytes);
	const penalty = settings.penalty ?? new AuthPenalty(limits);
	return {settings, limits, faults, attacks: settings.attacks ?? [], monitor, budget, penalty, policy, states: new Map(), starting: new Map()};
}

function view(session: SMTPServerSession): SessionView {
	return {secure: session.secure, user: sessionUser(session)};
}

/** The connection SMTPServer#connect() just made: the last one added to its set. */
function newest(connections: Set<Connection>): Connection | undefined {
	let last: Connection | undefined;
	for (const connection of connections) last = connection;
	return last;
}

/** Hands a socket to smtp-server (its public connect()) and greets at once (connection-hooks.ts). */
function connectNow(server: SMTPServer, wiring: Wiring, socket: Socket): void {
	server.connect(socket);
	const connection = newest(server.connections);
	if (!connection) return;
	wiring.starting.set(connection.id, connection);
	greetAtOnce(connection);
}

/** How long a client refused before the banner may read why before its socket is destroyed. */
const pregreetLingerMs = 1000;

/**
 * Hands a socket the gate admitted to smtp-server. The greet-pause and tarpit faults hold the
 * banner by holding the socket itself, before smtp-server sees it: nothing of the client's is
 * read meanwhile (under the tarpit alone, a command sent early is answered after the banner,
 * as Postfix's smtpd does); under greet-pause a client that talks first is refused and
 * dropped, as postscreen does (postscreen_greet_action = drop).
 */
function admit(server: SMTPServer, wiring: Wiring, socket: Socket): void {
	const pause = wiring.faults['greet-pause'];
	const tarpit = wiring.faults.tarpit;
	if (pause === undefined && tarpit === undefined) {
		connectNow(server, wiring, socket);
		return;
	}

	const {policy} = wiring;
	const ip = clientIp(socket.remoteAddress);
	// The socket has reached its session: the hold is not a handshake that takes too long.
	wiring.gate?.handshakeDone(ip, socket.remotePort);
	if (pause !== undefined) policy.hit('greet-pause', ip, `banner held ${pause} ms`);
	if (tarpit !== undefined) policy.hit('tarpit', ip, `banner delayed ${tarpit} ms`);
	const stopHolding = () => {
		clearTimeout(timer);
		socket.off('close', stopHolding);
		socket.off('data', talkedFirst);
	};

	const talkedFirst = () => {
		stopHolding();
		policy.hit('greet-pause', ip, `a client talked before the banner: ${replyLine(pregreetReply)}`);
		socket.end(`${replyLine(pregreetReply)}\r\n`);
		later(pregreetLingerMs, () => {
			socket.destroy();
		});
	};

	const timer = setTimeout(() => {
		stopHolding();
		if (socket.destroyed) return;
		// Reading stops again until smtp-server pipes the socket; nothing was read (or the client was refused).
		socket.pause();
		connectNow(server, wiring, socket);
	}, (pause ?? 0) + (tarpit ?? 0));
	socket.once('close', stopHolding);
	if (pause !== undefined) socket.on('data', talkedFirst);
}

/**
 * A new session (the gate has counted it and applied the connection limits, admit() has held
 * its banner if a fault says so): its connection hooked (connection-hooks.ts).
 */
function openSession(wiring: Wiring, session: SMTPServerSession, callback: (error?: Error | null) => void): void {
	const {settings, policy} = wiring;
	wiring.gate?.sessionStarted(session.remoteAddress, session.remotePort);
	const connection = wiring.starting.get(session.id);
	wiring.starting.delete(session.id);
	if (!connection) {
		// Gone before it was greeted: nothing to hook.
		callback();
		return;
	}

	const port = settings.personality.port;
	const ip = session.remoteAddress;
	const state: ConnectionState = {connection, port, ip, authFailures: 0, injected: []};
	wiring.states.set(session.id, state);
	installHooks(state, {
		personality: settings.personality,
		hostname: settings.hostname,
		limits: wiring.limits,
		faults: wiring.faults,
		attacks: wiring.attacks,
		hit(name, what) {
			policy.hit(name, ip, what);
		},
	});
	callback();
}

function closeSession(wiring: Wiring, session: SMTPServerSession): void {
	// The gate may not see a socket close that smtp-server wrapped in TLS for STARTTLS.
	wiring.gate?.sessionClosed(session.remoteAddress, session.remotePort);
	wiring.starting.delete(session.id);
	const state = wiring.states.get(session.id);
	if (!state) return;
	state.releaseReceiving?.();
	wiring.states.delete(session.id);
}

function checkRecipient(
	wiring: Wiring,
	address: SMTPServerAddress,
	session: SMTPServerSession,
	callback: (error?: Error | null) => void,
): void {
	const {envelope} = session;
	const decision = wiring.policy.rcpt({
		ip: session.remoteAddress,
		sender: envelope.mailFrom ? envelope.mailFrom.address : '',
		recipient: address.address,
		accepted: envelope.rcptTo.map(recipient => recipient.address),
		session: view(session),
	});
	const answer = () => {
		callback(decision.refusal ? labError(decision.refusal) : null);
	};

	if (decision.delayMs > 0) later(decision.delayMs, answer);
	else answer();
}

export function createLabServer(settings: LabServerSettings): LabListener {
	const {personality} = settings;
	const wiring = wire(settings);
	// AUTH is offered per session: smtp-server would list it in EHLO before TLS too.
	const setAuthAvailability = (session: SMTPServerSession) => {
		session.disabledCommands = authAvailable(personality, session.secure) ? [] : ['AUTH'];
	};

	const options: SMTPServerOptions = {
		secure: personality.implicitTls,
		// On 465 the gate does the TLS handshake (within its deadline) and hands over a TLS socket.
		secured: personality.implicitTls,
		name: settings.hostname,
		banner: 'smtp-tui lab',
		heloResponse: '%s',
		key: settings.tls.key,
		cert: settings.tls.cert,
		...tlsVersions(settings.tls),
		logger: false,
		disableReverseLookup: true,
		hideENHANCEDSTATUSCODES: false,
		size: wiring.policy.maxMessageBytes,
		socketTimeout: wiring.limits.idleTimeoutMs,
		// The lab answers over-long lines itself (500, connection-hooks.ts); smtp-server's parser
		// only has to bound what it buffers.
		maxCommandLength: Math.max(parserLineCap, wiring.limits.maxLineLength),
		authMethods: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
		// MAIL without AUTH is refused by onMailFrom below, with Postfix's words; smtp-server's
		// own check would answer "530 Error: authentication Required" even before TLS.
		authOptional: true,
		onConnect(session, callback) {
			setAuthAvailability(session);
			openSession(wiring, session, callback);
		},
		onClose(session) {
			closeSession(wiring, session);
		},
		onSecure(socket, session, callback) {
			setAuthAvailability(session);
			gate.secured(session.remoteAddress, session.remotePort, socket);
			// The command-injection personality only: what came behind STARTTLS now runs in TLS.
			const state = wiring.states.get(session.id);
			if (state) runInjectedCommands(state);
			callback();
		},
		onAuth(auth, session, callback) {
			checkLogin(wiring, auth, session, callback);
		},
		onMailFrom(address: SMTPServerAddress, session, callback) {
			// SIZE= over the limit in force now (the too-big fault may have been switched on since
			// the server started; smtp-server only knows the limit it started with).
			const declared = Number((address.args as Record<string, string> | false | undefined || {}).SIZE ?? 0);
			if (declared > wiring.policy.maxMessageBytes) {
				callback(labError(sizeRefusal(wiring)));
				return;
			}

			const refusal = wiring.policy.mail(session.remoteAddress, view(session));
			callback(refusal ? labError(refusal) : null);
		},
		onRcptTo(address: SMTPServerAddress, session, callback) {
			checkRecipient(wiring, address, session, callback);
		},
		onData(stream, session, callback) {
			receiveMessage(wiring, stream, session, callback);
		},
	};
	const server = new SMTPServer(options);
	// A client that drops mid-transaction or fails its handshake surfaces here; the lab keeps
	// serving and, being embedded in a TUI, must never print. Without a listener it would throw.
	server.on('error', () => undefined);
	const gate = new Gate(
		{
			port: personality.port,
			hostname: settings.hostname,
			limits: wiring.limits,
			monitor: wiring.monitor,
			admit(socket) {
				admit(server, wiring, socket);
			},
			tls: personality.implicitTls ? {key: settings.tls.key, cert: settings.tls.cert, ...tlsVersions(settings.tls)} : undefined,
			dotLines: {bareLf: wiring.attacks.includes('smuggling')},
		},
		settings.counter ?? new GateCounter(),
	);
	wiring.gate = gate;
	return {smtp: server, gate};
}

/** Listens, and resolves with the port actually bound (useful when asking for port 0). */
export async function listen(listener: LabListener, port: number, host: string): Promise<number> {
	const {server} = listener.gate;
	return new Promise((resolve, reject) => {
		const fail = (error: Error) => {
			reject(error);
		};

		server.once('error', fail);
		server.listen(port, host, () => {
			server.off('error', fail);
			resolve((server.address() as AddressInfo).port);
		});
	});
}

/**
 * Stops listening and ends every session: each client gets a 421 and its socket is ended;
 * whatever is still open after a short grace is destroyed, so close() never waits on a
 * client (smtp-server's own close() waits up to 30 s for sessions to finish). Sockets still
 * short of a session (a TLS handshake on 465) are destroyed at once by the gate.
 */
export async function closeLabServer(listener: LabListener, hostname: string): Promise<void> {
	const {smtp, gate} = listener;
	const closed = gate.close();
	for (const connection of smtp.connections) {
		connection.send(421, replyMessage({code: 421, enhanced: '4.3.2', text: `${hostname} Service shutting down`}), false);
	}

	const timer = setTimeout(() => {
		gate.destroyAll();
	}, closeGraceMs);
	await closed;
	clearTimeout(timer);
}
