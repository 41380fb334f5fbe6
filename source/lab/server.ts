// One lab listener: an smtp-server instance configured for one port personality. Policy
// (who may do what) comes from personality.ts, Postfix's wording from replies.ts; this file
// only wires them into smtp-server's hooks and keeps the accepted messages.

import {randomBytes} from 'node:crypto';
import type {AddressInfo} from 'node:net';
import {SMTPServer} from 'smtp-server';
import type {
	SMTPServerAddress,
	SMTPServerAuthentication,
	SMTPServerAuthenticationResponse,
	SMTPServerDataStream,
	SMTPServerOptions,
	SMTPServerSession,
} from 'smtp-server';
import type {LabReply, Personality} from './personality.js';
import {authAvailable, mailVerdict, rcptVerdict} from './personality.js';
import {replyMessage, rewriteReply} from './replies.js';
import type {CapturedMessage, LabUser} from './types.js';

/** SIZE advertised and enforced, as Postfix's default message_size_limit. */
export const maxMessageBytes = 10_240_000;

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
	return randomBytes(5).toString('hex').toUpperCase();
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

/**
 * Routes every reply of one connection through rewriteReply(). smtp-server has no option for
 * reply texts, but each connection writes all its replies through its public send() method,
 * so wrapping that method on the instance changes the wording without touching the library.
 */
function rewriteRepliesOf(server: SMTPServer, session: SMTPServerSession, settings: LabServerSettings): void {
	const open = [...server.connections].find(connection => connection.id === session.id);
	if (!open) return;
	const send = open.send.bind(open);
	open.send = (code, data, context) => {
		const state = {personality: settings.personality, secure: open.secure, hostname: settings.hostname};
		const out = rewriteReply({code, data, context}, state);
		send(out.code, out.data, out.context);
		// 521 means "closing" (RFC 7504); smtp-server itself only closes after a 421.
		if (out.code === 521) open.close();
	};
}

function receiveMessage(
	settings: LabServerSettings,
	stream: SMTPServerDataStream,
	session: SMTPServerSession,
	callback: (error?: Error | null, message?: string) => void,
): void {
	const chunks: Buffer[] = [];
	let kept = 0;
	let previousByte = -1;
	let bareLf = false;
	stream.on('data', (chunk: Buffer) => {
		bareLf ||= hasBareLf(chunk, previousByte);
		previousByte = chunk.at(-1) ?? previousByte;
		// Past the limit the message is refused anyway: stop holding it in memory.
		if (kept <= maxMessageBytes) {
			chunks.push(chunk);
			kept += chunk.length;
		}
	});
	stream.on('end', () => {
		// SMTP smuggling (PROTOCOL.md §5 item 4): only CRLF ends a line. Postfix 3.9 refuses a
		// bare LF in the message with this reply and hangs up; so does the lab.
		if (bareLf) {
			callback(labError({code: 521, enhanced: '5.5.2', text: `${settings.hostname} Error: bare <LF> received`}));
			return;
		}

		if (stream.sizeExceeded || kept > maxMessageBytes) {
			callback(labError({code: 552, enhanced: '5.3.4', text: 'Message size exceeds fixed limit'}));
			return;
		}

		const id = queueId();
		const {envelope} = session;
		settings.capture({
			id,
			port: settings.personality.port,
			listenPort: session.localPort,
			mailFrom: envelope.mailFrom ? envelope.mailFrom.address : '',
			rcptTo: envelope.rcptTo.map(recipient => recipient.address),
			tls: session.secure,
			user: sessionUser(session),
			receivedAt: new Date(),
			raw: Buffer.concat(chunks),
		});
		callback(null, `Ok: queued as ${id}`);
	});
}

function checkLogin(
	settings: LabServerSettings,
	auth: SMTPServerAuthentication,
	session: SMTPServerSession,
	callback: (error: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void,
): void {
	const failure = {code: 535, enhanced: '5.7.8', text: 'Error: authentication failed: authentication failure'};
	// Not reachable while AUTH is switched off before TLS; kept so a password never counts in clear.
	if (!authAvailable(settings.personality, session.secure)) {
		callback(labError(failure));
		return;
	}

	const user = findUser(settings.users, auth.username);
	const passwordOk =
		user !== undefined &&
		(auth.method === 'CRAM-MD5' ? auth.validatePassword(user.password) : auth.password === user.password);
	if (!user || !passwordOk) {
		callback(null, {message: replyMessage(failure), responseCode: failure.code});
		return;
	}

	callback(null, {user: user.user});
}

export function createLabServer(settings: LabServerSettings): SMTPServer {
	const {personality} = settings;
	// AUTH is offered per session: smtp-server would list it in EHLO before TLS too.
	const setAuthAvailability = (session: SMTPServerSession) => {
		session.disabledCommands = authAvailable(personality, session.secure) ? [] : ['AUTH'];
	};

	const options: SMTPServerOptions = {
		secure: personality.implicitTls,
		name: settings.hostname,
		banner: 'smtp-tui lab',
		heloResponse: '%s',
		key: settings.tls.key,
		cert: settings.tls.cert,
		...tlsVersions(settings.tls),
		logger: false,
		disableReverseLookup: true,
		hideENHANCEDSTATUSCODES: false,
		size: maxMessageBytes,
		authMethods: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
		// MAIL without AUTH is refused by onMailFrom below, with Postfix's words; smtp-server's
		// own check would answer "530 Error: authentication Required" even before TLS.
		authOptional: true,
		onConnect(session, callback) {
			rewriteRepliesOf(server, session, settings);
			setAuthAvailability(session);
			callback();
		},
		onSecure(_socket, session, callback) {
			setAuthAvailability(session);
			callback();
		},
		onAuth(auth, session, callback) {
			checkLogin(settings, auth, session, callback);
		},
		onMailFrom(_address: SMTPServerAddress, session, callback) {
			const refusal = mailVerdict(personality, {secure: session.secure, user: sessionUser(session)});
			callback(refusal ? labError(refusal) : null);
		},
		onRcptTo(address: SMTPServerAddress, session, callback) {
			const view = {secure: session.secure, user: sessionUser(session)};
			const refusal = rcptVerdict(personality, view, address.address, settings.domain);
			callback(refusal ? labError(refusal) : null);
		},
		onData(stream, session, callback) {
			receiveMessage(settings, stream, session, callback);
		},
	};
	const server = new SMTPServer(options);
	// A client that drops mid-transaction or fails its handshake surfaces here; the lab keeps
	// serving and, being embedded in a TUI, must never print. Without a listener it would throw.
	server.on('error', () => undefined);
	return server;
}

/** Listens, and resolves with the port actually bound (useful when asking for port 0). */
export async function listen(server: SMTPServer, port: number, host: string): Promise<number> {
	return new Promise((resolve, reject) => {
		const fail = (error: Error) => {
			reject(error);
		};

		server.server.once('error', fail);
		server.listen(port, host, () => {
			server.server.off('error', fail);
			resolve((server.server.address() as AddressInfo).port);
		});
	});
}

/**
 * Stops listening and ends every session: each client gets a 421 and its socket is ended;
 * whatever is still open after a short grace is destroyed, so close() never waits on a
 * client (smtp-server's own close() waits up to 30 s for sessions to finish).
 */
export async function closeLabServer(server: SMTPServer, hostname: string): Promise<void> {
	// Resolves once the listener is closed and every socket it accepted is gone.
	const closed = new Promise<void>(resolve => {
		server.server.close(() => {
			resolve();
		});
	});
	// smtp-server hands a freshly accepted socket on one setImmediate later. Destroying it
	// before then (as smtp-server's own close() does) makes the 465 listener wrap a destroyed
	// socket in TLS, which crashes Node 20 (SIGSEGV). Nothing new is accepted now, so after
	// one turn every socket is either a session or a TLS handshake in progress.
	await new Promise(resolve => {
		setImmediate(resolve);
	});
	// Implicit-TLS handshakes still in progress: destroy the TLS socket, never the one below.
	for (const top of server._pendingSockets.values()) top.destroy();
	const open = [...server.connections];
	for (const connection of open) {
		connection.send(421, replyMessage({code: 421, enhanced: '4.3.2', text: `${hostname} Service shutting down`}), false);
	}

	const timer = setTimeout(() => {
		for (const connection of open) connection._socket.destroy();
	}, closeGraceMs);
	await closed;
	clearTimeout(timer);
}
