// Per-connection changes to smtp-server's behaviour that its options and hooks cannot express.
// smtp-server gives the application no say over replies, command lines, the DATA parser or the
// STARTTLS upgrade, but each connection does all of these through a few methods of its own
// (send, _onCommand, _createParser/_write, upgrade); wrapping those methods on the one
// connection instance changes that connection only and leaves the library untouched. The
// wrapped members are declared in smtp-server's own type definitions (3.21). What the public
// options and hooks can do is done in server.ts (onConnect, onData, ...), not here.
// scripts/check-upstream.mjs fails the build if the smtp-server code these rely on changes;
// test/cli/lab-patches-bundle.test.ts runs each one in the bundle; the readme's "Upstream"
// section says which upstream change would make each unnecessary.

import type {SMTPServer} from 'smtp-server';
import type {AttackName} from './attacks.js';
import type {FaultName, PortFaults} from './faults.js';
import {tlsUnavailableReply, tooBigReply} from './faults.js';
import type {LabLimits} from './limits.js';
import {maxAuthLineLength} from './limits.js';
import type {LabPort, LabReply, Personality} from './personality.js';
import {replyMessage, rewriteReply} from './replies.js';

export type Connection = SMTPServer['connections'] extends Set<infer C> ? C : never;
type Parser = Exclude<Connection['_parser'], false>;

/** What the lab keeps about one open connection. */
export type ConnectionState = {
	connection: Connection;
	port: LabPort;
	ip: string;
	authFailures: number;
	/** Cleartext lines that came behind STARTTLS (kept only by the command-injection personality). */
	injected: Buffer[];
	/** Gives back the bytes of a message being received (set during DATA). */
	releaseReceiving?: () => void;
};

export type HookSettings = {
	personality: Personality;
	hostname: string;
	limits: Required<LabLimits>;
	faults: PortFaults;
	attacks: AttackName[];
	/** Records a fault that fired on this connection. */
	hit: (name: FaultName, what: string) => void;
};

const crlf = Buffer.from('\r\n');

/** Runs `action` after `ms`; the timer never keeps the process alive on its own. */
export function later(ms: number, action: () => void): void {
	setTimeout(action, ms).unref();
}

/**
 * Makes the connection greet now. smtp-server 3.21 holds every banner 100 ms to catch early
 * talkers (init(): `setTimeout(() => this.connectionReady(), 100)`), with no option to change
 * it; the lab's pause is the greet-pause fault instead (server.ts admit() holds the socket
 * before smtp-server sees it). connectionReady() is a public method of the
 * connection (smtp-connection.d.ts); it is called here at once, and the held call made a no-op.
 * Must run right after SMTPServer#connect(), before the held call fires. scripts/check-upstream.mjs
 * fails the build if smtp-server's init() changes.
 */
export function greetAtOnce(connection: Connection): void {
	const ready = connection.connectionReady.bind(connection);
	connection.connectionReady = () => undefined;
	ready();
}

export function installHooks(state: ConnectionState, settings: HookSettings): void {
	wrapSend(state, settings);
	wrapCommands(state, settings);
	guardDataParsers(state, settings);
	if (settings.attacks.includes('starttls-command-injection')) keepInjectedCommands(state);
}

function tooManyAuthFailures(hostname: string): LabReply {
	return {code: 421, enhanced: '4.7.0', text: `${hostname} Error: too many authentication failures`};
}

/** The reply to STARTTLS that the response-injection personality sends, all in one write. */
export const injectedStartTlsReply = '220 2.0.0 Ready to start TLS\r\n250-fake\r\n250 AUTH PLAIN\r\n';

/**
 * Every reply passes through rewriteReply() (Postfix's words). Also: 521 hangs up, the last
 * allowed failed login is followed by 421, and the response-injection personality appends its
 * fake replies to the 220 that answers STARTTLS.
 */
function wrapSend(state: ConnectionState, settings: HookSettings): void {
	const {connection} = state;
	const send = connection.send.bind(connection);
	const tooBig = settings.faults['too-big'] === undefined ? undefined : tooBigReply;
	const tooBigText = replyMessage(tooBigReply);
	connection.send = (code, data, context) => {
		const size = settings.faults['too-big'] ?? settings.limits.maxMessageBytes;
		const replyState = {personality: settings.personality, secure: connection.secure, hostname: settings.hostname, tooBig, size};
		const out = rewriteReply({code, data, context}, replyState);
		if (code === 220 && data === 'Ready to start TLS' && settings.attacks.includes('starttls-response-injection')) {
			const socket = connection._socket;
			if (!connection._upgrading && !socket.destroyed && socket.writable) socket.write(injectedStartTlsReply);
			return;
		}

		send(out.code, out.data, out.context);
		if (tooBig && out.code === 552 && out.data === tooBigText) settings.hit('too-big', `552 ${tooBigText}`);
		// 521 means "closing" (RFC 7504); smtp-server itself only closes after a 421.
		if (out.code === 521) connection.close();
		if (out.code === 535 && state.authFailures >= settings.limits.maxAuthFailures) {
			send(421, replyMessage(tooManyAuthFailures(settings.hostname)), false);
		}
	};
}

function isAuthLine(connection: Connection, command: Buffer): boolean {
	// A SASL continuation (a base64 answer to a 334) or the AUTH command itself.
	return connection._nextHandler !== false || /^auth(?: |$)/i.test(command.subarray(0, 5).toString('latin1'));
}

const commandTooLong: LabReply = {code: 500, enhanced: '5.5.2', text: 'Error: command too long'};

/** A refusal the lab gives to a command line before smtp-server sees it, if any. */
function commandRefusal(state: ConnectionState, settings: HookSettings, command: Buffer): LabReply | undefined {
	const {connection} = state;
	// Lines that arrive during a TLS handshake are dropped unanswered by smtp-server: keep it so.
	if (connection._upgrading) return undefined;
	const sasl = isAuthLine(connection, command);
	const limit = sasl ? Math.max(maxAuthLineLength, settings.limits.maxLineLength) : settings.limits.maxLineLength;
	// The limit counts the CRLF the parser has already removed.
	if (command.length + 2 > limit) {
		// Postfix abandons an AUTH exchange whose answer is too long.
		connection._nextHandler = false;
		return commandTooLong;
	}

	const verb = /^\S*/.exec(command.toString('latin1'))![0].toUpperCase();
	if (!sasl && verb === 'STARTTLS' && !connection.secure && settings.faults['tls-unavailable'] !== undefined) {
		settings.hit('tls-unavailable', `454 ${replyMessage(tlsUnavailableReply)}`);
		return tlsUnavailableReply;
	}

	return undefined;
}

/**
 * Command lines: the lab's own line-length limit and the tls-unavailable fault answer before
 * smtp-server does; the tarpit fault holds every command back before it is handled, which
 * delays its reply.
 */
function wrapCommands(state: ConnectionState, settings: HookSettings): void {
	const {connection} = state;
	const handle = connection._onCommand.bind(connection);
	const guarded = (command: Buffer, callback?: () => void) => {
		const refusal = commandRefusal(state, settings, command);
		if (!refusal) {
			handle(command, callback);
			return;
		}

		connection.send(refusal.code, replyMessage(refusal), false);
		// As smtp-server resumes after its own refusals: once the reply is flushed.
		setImmediate(() => {
			connection._whenWritable(callback ?? (() => undefined));
		});
	};

	const delay = settings.faults.tarpit;
	if (delay === undefined) {
		connection._onCommand = guarded;
		return;
	}

	connection._onCommand = (command, callback) => {
		settings.hit('tarpit', `reply delayed ${delay} ms`);
		// The client is waiting for us, not idle: smtp-server's idle timeout skips such sessions.
		connection._handlerPending = true;
		later(delay, () => {
			connection._handlerPending = false;
			if (connection._closed) return;
			guarded(command, callback);
		});
	};
}

/** Replaces each bare LF (one without a CR before it, looking back into the last chunk) by CRLF. */
export function bareLfToCrlf(chunk: Buffer, previousByte: number): Buffer {
	const parts: Buffer[] = [];
	let start = 0;
	for (let index = chunk.indexOf(0x0a); index !== -1; index = chunk.indexOf(0x0a, index + 1)) {
		const before = index === 0 ? previousByte : chunk[index - 1];
		if (before === 0x0d) continue;
		parts.push(chunk.subarray(start, index), crlf);
		start = index + 1;
	}

	if (start === 0) return chunk;
	parts.push(chunk.subarray(start));
	return Buffer.concat(parts);
}

/**
 * The DATA phase of the smuggling personality, seen before smtp-server's parser: bare LF
 * becomes CRLF, so that <LF>.<LF> ends the message (smtp-server's onData only sees a message
 * whose end the parser has already found). STARTTLS makes a new parser: it is guarded too.
 */
function guardDataParsers(state: ConnectionState, settings: HookSettings): void {
	if (!settings.attacks.includes('smuggling')) return;
	const {connection} = state;
	const guard = (parser: Parser) => {
		const write = parser._write.bind(parser);
		let previousByte = -1;
		parser._write = (chunk, encoding, next) => {
			if (!parser._dataMode) {
				previousByte = -1;
				write(chunk, encoding, next);
				return;
			}

			const data = bareLfToCrlf(chunk, previousByte);
			previousByte = data.at(-1) ?? previousByte;
			write(data, encoding, next);
		};
	};

	if (connection._parser) guard(connection._parser);
	const create = connection._createParser.bind(connection);
	connection._createParser = () => {
		const parser = create();
		guard(parser);
		return parser;
	};
}

/**
 * The command-injection flaw (CVE-2011-0411): at STARTTLS smtp-server retires the cleartext
 * parser, dropping whatever was pipelined behind the command. This personality keeps that
 * parser reading and saves its lines; runInjectedCommands() feeds them to the TLS session.
 */
function keepInjectedCommands(state: ConnectionState): void {
	const {connection} = state;
	const upgrade = connection.upgrade.bind(connection);
	connection.upgrade = (callback, secureCallback) => {
		const cleartext = connection._parser;
		upgrade(callback, secureCallback);
		if (!cleartext) return;
		cleartext.isClosed = false;
		cleartext.oncommand = (line, next) => {
			state.injected.push(Buffer.from(line));
			next?.();
		};
	};
}

/** Hands the saved cleartext lines to the new TLS session's parser (call once TLS is up). */
export function runInjectedCommands(state: ConnectionState): void {
	const parser = state.connection._parser;
	const lines = state.injected.splice(0);
	if (!parser) return;
	for (const line of lines) parser.write(Buffer.concat([line, crlf]));
}
