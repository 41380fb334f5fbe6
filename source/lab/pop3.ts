// The lab's POP3 server (RFC 1939, CAPA RFC 2449, STLS RFC 2595), reading the mailboxes of
// mailbox.ts, on loopback. Two personalities, as Dovecot is usually set up:
//   110  plaintext first; STLS offered; USER and PASS refused until TLS is on
//        ("-ERR [AUTH] Plaintext authentication disallowed ...", Dovecot's words)
//   995  TLS from the first byte (RFC 8314)
// Hand-written on node:net / node:tls: npm has no maintained POP3 server library (only clients,
// and WildDuck, a whole MongoDB-backed mail system). Hardened like the SMTP lab: bounded input
// lines, bounded connections, idle timeout, a cap on failed logins and on unknown commands,
// and nothing sent before STLS ever runs after it.

import type {Answer, BaseEvent, ConversationServer, MailConversationSettings, MailLimits, MailServerOptions, ServerConversation} from './conversation-server.js';
import {answerAll, startMailServer} from './conversation-server.js';
import type {StoredMessage} from './mailbox.js';

export type Pop3Port = 110 | 995;
export const pop3Ports: Pop3Port[] = [110, 995];

/** RFC 2449 §4 bounds a POP3 line at 255 octets; RFC 1939 §3 wants at least 10 minutes of idle. */
export type Pop3Limits = MailLimits;

export const defaultPop3Limits: Pop3Limits = {
	maxLineLength: 255,
	idleTimeoutMs: 600_000,
	maxClients: 200,
	maxAuthFailures: 3,
	maxBadCommands: 20,
};

export type Pop3EventType = 'connect' | 'close' | 'login' | 'login-failed' | 'retr' | 'dele' | 'quit';

/** `detail` — retr / dele: the message's UID; quit: how many messages were deleted. */
export type Pop3Event = BaseEvent<Pop3Port, Pop3EventType>;

export type Pop3ServerOptions = MailServerOptions<Pop3Port, Pop3Limits>;

/** onEvent: each connection, login, RETR, DELE and QUIT; close(): stops listening and ends every session. */
export type Pop3Server = ConversationServer<Pop3Port, Pop3Event> & {limits: Pop3Limits};

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
	authRate: '-ERR [SYS/TEMP] Too many failed logins from your address, try again later.',
	idle: '-ERR Disconnected for inactivity.',
	tooMany: '-ERR [SYS/TEMP] Too many connections, try again later.',
	tooManyFrom: '-ERR [SYS/TEMP] Too many connections from your address, try again later.',
	timeout: '-ERR Disconnected: timeout exceeded.',
	shutdown: '-ERR [SYS/TEMP] Server shutting down.',
	noMechanism: '-ERR Unsupported authentication mechanism.',
	deleted: '-ERR Message is deleted.',
	marked: '+OK Marked to be deleted.',
	bye: '+OK Logging out.',
	byeDeleted: '+OK Logging out, messages deleted.',
} as const;

type Phase = 'authorization' | 'transaction';

/**
 * One POP3 conversation as a state machine: a command line in, the reply bytes and what to do
 * next out. No sockets here, so every rule can be read (and tested) on its own.
 */
export class Pop3Conversation implements ServerConversation {
	private phase: Phase = 'authorization';
	/** Bytes received and not yet answered: whole lines waiting their turn, then at most one line's worth. */
	private input: Buffer = Buffer.alloc(0);
	private pendingUser?: string;
	private user?: string;
	/** The maildrop as it was at login: numbers stay fixed for the session (RFC 1939 §5). */
	private snapshot: StoredMessage[] = [];
	private readonly deleted = new Set<number>();
	private authFailures = 0;
	private badCommands = 0;

	constructor(
		private readonly settings: MailConversationSettings<Pop3Port, Pop3Limits, Pop3EventType>,
		public secure: boolean,
	) {}

	greeting(): Buffer {
		return Buffer.from(`+OK ${this.settings.hostname} POP3 smtp-tui lab ready.\r\n`);
	}

	idle(): Buffer {
		return line(texts.idle);
	}

	/** What the client sent, every whole line in it answered in order (pushed, then each answer taken). */
	receive(data: Buffer): Answer {
		return answerAll(this, data);
	}

	push(data: Buffer): void {
		this.input = this.input.length === 0 ? data : Buffer.concat([this.input, data]);
	}

	/**
	 * The answer to the next whole line, if one has come. A line is bounded before it is kept
	 * whole: a line with no end costs at most one line's worth. After STLS whatever followed
	 * was sent in cleartext: it is dropped, never run inside TLS (CVE-2011-0411).
	 */
	next(): Answer | undefined {
		const lf = this.input.indexOf(0x0a);
		if ((lf === -1 ? this.input.length : lf) > this.settings.limits.maxLineLength) {
			this.input = Buffer.alloc(0);
			return {reply: line(texts.tooLong), then: 'close'};
		}

		if (lf === -1) return undefined;
		const text = this.input.subarray(0, lf).toString('utf8').replace(/\r$/, '');
		this.input = this.input.subarray(lf + 1);
		const answer = this.handle(text);
		if (answer.then !== 'none') this.input = Buffer.alloc(0);
		return answer;
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
		// Past the address's failed logins for this minute: refused unchecked (counted, so a loop ends).
		if (this.settings.authorize?.() === false) {
			this.authFailures++;
			return {reply: line(texts.authRate), then: this.authFailures >= this.settings.limits.maxAuthFailures ? 'close' : 'none'};
		}

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
		return this.snapshot.map((message, index) => [index, message] as [number, StoredMessage]).filter(([index, message]) => !this.deleted.has(index) && !message.pruned);
	}

	/** The message a "msg" argument names, or the -ERR to send. */
	private pick(argument: string | undefined): {index: number; message: StoredMessage} | {error: string} {
		if (argument === undefined || !/^\d{1,9}$/.test(argument)) return {error: `-ERR Invalid message number: ${argument ?? ''}`.trimEnd()};
		const index = Number(argument) - 1;
		const message = this.snapshot[index];
		if (!message) return {error: `-ERR There's no message ${argument}.`};
		if (this.deleted.has(index)) return {error: texts.deleted};
		// Pruned from the lab's memory (its bound) after this session listed it: like deleted.
		if (message.pruned) return {error: `-ERR Message ${argument} was pruned from the lab's memory.`};
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

/** Starts the POP3 listeners (110 and 995 personalities by default) on loopback. */
export async function startPop3Server(options: Pop3ServerOptions): Promise<Pop3Server> {
	return startMailServer(options, {ports: pop3Ports, implicitTls: 995, defaults: defaultPop3Limits, texts, conversation: Pop3Conversation});
}
