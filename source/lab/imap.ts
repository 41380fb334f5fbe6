// The lab's IMAP server (IMAP4rev1, RFC 3501; STARTTLS RFC 2595; SASL-IR RFC 4959), reading the
// same mailboxes (mailbox.ts) as the POP3 server. Two personalities, as Dovecot is usually set up:
//   143  plaintext first; STARTTLS offered; LOGIN and AUTHENTICATE refused until TLS is on
//        (LOGINDISABLED, "NO [PRIVACYREQUIRED] ...", Dovecot's words)
//   993  TLS from the first byte (RFC 8314)
// One mailbox per user, INBOX. Unlike POP3, messages stay on the server and carry flags (\Seen,
// \Answered, \Flagged, \Deleted, \Draft) that last beyond the session.
//
// `ImapConversation` is the whole protocol as a state machine: bytes in, reply bytes and what to
// do next out (no socket, no timer). conversation-server.ts runs it on sockets. Command parsing
// is emailjs-imap-handler's (through protocol/imap.ts); framing and limits are ours: bounded
// lines and literals, a cap on failed logins and on refused commands, and nothing sent before
// STARTTLS ever runs after it. Message bytes go out as literals, byte for byte.

import {Buffer} from 'node:buffer';
import type {ImapLine, ImapNode, SequenceRange} from '../protocol/imap.js';
import {ImapFramer, imapNString, inSequenceSet, nodeText, parseImapCommand, parseSequenceSet} from '../protocol/imap.js';
import type {Answer, BaseEvent, ConversationServer, MailConversationSettings, MailLimits, MailServerOptions, ServerConversation} from './conversation-server.js';
import {answerAll, startMailServer} from './conversation-server.js';
import type {StoredMessage} from './mailbox.js';
import {systemFlags} from './mailbox.js';

export type ImapPort = 143 | 993;
export const imapPorts: ImapPort[] = [143, 993];

/** RFC 7162 §4 suggests lines of at least 8192 octets; RFC 3501 §5.4 wants at least 30 minutes of idle. */
export type ImapLimits = MailLimits & {
	/** Largest literal a client may send (there is no APPEND, so this only bounds LOGIN's). */
	maxLiteralSize: number;
};

export const defaultImapLimits: ImapLimits = {
	maxLineLength: 8192,
	maxLiteralSize: 8192,
	idleTimeoutMs: 1_800_000,
	maxClients: 200,
	maxAuthFailures: 3,
	maxBadCommands: 20,
};

export type ImapEventType = 'connect' | 'close' | 'login' | 'login-failed' | 'select' | 'fetch' | 'store' | 'expunge' | 'logout';

/** `detail` — select: the mailbox; fetch: the UIDs read; store: UIDs and flags; expunge: how many went. */
export type ImapEvent = BaseEvent<ImapPort, ImapEventType>;

export type ImapServerOptions = MailServerOptions<ImapPort, ImapLimits>;

export type ImapServer = ConversationServer<ImapPort, ImapEvent> & {limits: ImapLimits};

/** Dovecot's texts where it has one, so what is learned here reads the same on a real server. */
const texts = {
	privacy: 'NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.',
	authFailed: 'NO [AUTHENTICATIONFAILED] Authentication failed.',
	tooManyAuth: '* BYE Too many invalid authentication attempts.',
	tooManyBad: '* BYE Too many invalid IMAP commands.',
	authRate: 'NO [UNAVAILABLE] Too many failed logins from your address, try again later.',
	tooLong: '* BYE Too long argument.',
	idle: '* BYE Disconnected for inactivity.',
	tooMany: '* BYE [UNAVAILABLE] Too many connections, try again later.',
	tooManyFrom: '* BYE [UNAVAILABLE] Too many connections from your address, try again later.',
	timeout: '* BYE Disconnected: timeout exceeded.',
	shutdown: '* BYE [UNAVAILABLE] Server shutting down.',
	syntax: 'BAD Error in IMAP command received by server.',
	noSelect: 'BAD No mailbox selected.',
	loginFirst: 'BAD Please log in first.',
	readOnly: 'NO Mailbox is read-only.',
} as const;

const listAttributes = '(\\HasNoChildren)';

type State = 'not-authenticated' | 'authenticated' | 'selected' | 'logout';

type ConversationSettings = MailConversationSettings<ImapPort, ImapLimits, ImapEventType>;

/** A fetch item as asked: what to send and under which name. */
type FetchItem =
	| {kind: 'uid' | 'flags' | 'internaldate' | 'size' | 'envelope'}
	| {kind: 'body'; name: string; section: Section; peek: boolean; partial?: [number, number?]};

type Section = {part: 'all' | 'header' | 'text'} | {part: 'fields'; fields: string[]; not: boolean};

/** Thrown inside a command's handler: the tagged BAD or NO to answer with. */
class Refusal extends Error {
	constructor(readonly reply: string) {
		super(reply);
	}
}

/**
 * One IMAP conversation as a state machine: the bytes a client sent in, the reply bytes and what
 * to do next out. Everything about the protocol is here; sockets and timers are elsewhere.
 */
export class ImapConversation implements ServerConversation {
	private state: State = 'not-authenticated';
	private user?: string;
	private readOnly = false;
	/** The selected mailbox's messages as this session numbers them (sequence number = index + 1). */
	private view: StoredMessage[] = [];
	private authenticating?: string;
	private authFailures = 0;
	private badCommands = 0;
	private readonly framer: ImapFramer;

	constructor(private readonly settings: ConversationSettings, public secure: boolean) {
		// A whole command: its lines plus one literal, bounded.
		this.framer = new ImapFramer({maxLineLength: settings.limits.maxLineLength, maxLiteralSize: settings.limits.maxLiteralSize, maxMessageSize: settings.limits.maxLineLength + settings.limits.maxLiteralSize});
	}

	greeting(): Buffer {
		return line(`* OK [CAPABILITY ${this.capabilities()}] ${this.settings.hostname} IMAP smtp-tui lab ready.`);
	}

	idle(): Buffer {
		return line(texts.idle);
	}

	/** Whoever is logged in (for events). */
	get loggedIn(): string | undefined {
		return this.user;
	}

	abandon(): void {
		this.state = 'logout';
	}

	/** What the client sent: every whole command in it is answered, in order. */
	receive(data: Buffer): Answer {
		return answerAll(this, data);
	}

	push(data: Buffer): void {
		this.framer.push(data);
	}

	/** The answer to the next whole command (or literal announcement), if one has come. */
	next(): Answer | undefined {
		for (let frame = this.framer.next(); frame; frame = this.framer.next()) {
			if (frame.type === 'literal') {
				if (frame.synchronizing) return {reply: line('+ OK'), then: 'none'};
				continue;
			}

			if (frame.type === 'error') {
				if (frame.reason === 'line-too-long' || !frame.synchronizing) return {reply: line(texts.tooLong), then: 'close'};
				// A synchronizing literal that is too large is refused before the client sends it.
				return {reply: this.refuse(tagOf(frame.prefix), 'BAD Literal too large.'), then: this.tooManyRefused()};
			}

			const answer = this.authenticating === undefined ? this.command(frame.bytes) : this.saslResponse(frame.bytes);
			// Whatever followed STARTTLS was sent in cleartext: it is dropped, never run inside TLS
			// (the CVE-2011-0411 pattern).
			if (answer.then === 'starttls') this.framer.clear();
			return answer;
		}

		return undefined;
	}

	private capabilities(): string {
		const list = ['IMAP4rev1', 'SASL-IR', 'LITERAL+'];
		if (this.state === 'not-authenticated') {
			if (this.secure) list.push('AUTH=PLAIN');
			else list.push('STARTTLS', 'LOGINDISABLED');
		}

		return list.join(' ');
	}

	private command(bytes: Buffer): Answer {
		let parsed: ImapLine;
		try {
			parsed = parseImapCommand(bytes);
		} catch {
			// The parser knows no mechanism name with a '-' in it (CRAM-MD5, SCRAM-SHA-1).
			if (/^\S+ AUTHENTICATE \S+$/i.test(bytes.subarray(0, 200).toString('latin1'))) return {reply: tagged(tagOf(bytes), 'NO Unsupported authentication mechanism.'), then: 'none'};
			return {reply: this.refuse(tagOf(bytes), texts.syntax), then: this.tooManyRefused()};
		}

		const {tag} = parsed;
		if (tag === '*' || tag === '+') return {reply: this.refuse('*', texts.syntax), then: this.tooManyRefused()};
		try {
			return this.dispatch(parsed);
		} catch (error) {
			if (!(error instanceof Refusal)) throw error;
			if (error.reply.startsWith('BAD')) return {reply: this.refuse(tag, error.reply), then: this.tooManyRefused()};
			return {reply: tagged(tag, error.reply), then: 'none'};
		}
	}

	private tooManyRefused(): 'none' | 'close' {
		return this.badCommands >= this.settings.limits.maxBadCommands ? 'close' : 'none';
	}

	/** A tagged BAD; too many of them end the connection, as Dovecot does. */
	private refuse(tag: string, reply: string): Buffer {
		this.badCommands++;
		const answer = tagged(tag, reply);
		return this.badCommands >= this.settings.limits.maxBadCommands ? Buffer.concat([answer, line(texts.tooManyBad)]) : answer;
	}

	private dispatch(command: ImapLine): Answer {
		const {tag, attributes: args} = command;
		const name = command.command;
		switch (name) {
			case 'CAPABILITY':
				return done(tag, [line(`* CAPABILITY ${this.capabilities()}`)], 'OK Capability completed.');
			case 'NOOP':
			case 'CHECK':
				if (name === 'CHECK' && this.state !== 'selected') throw new Refusal(texts.noSelect);
				return done(tag, this.state === 'selected' ? this.sync() : [], `OK ${name === 'NOOP' ? 'NOOP' : 'Check'} completed.`);
			case 'LOGOUT':
				this.state = 'logout';
				this.settings.event('logout', this.user);
				return {reply: Buffer.concat([line('* BYE Logging out'), tagged(tag, 'OK Logout completed.')]), then: 'close'};
			default:
				break;
		}

		if (this.state === 'not-authenticated') {
			switch (name) {
				case 'STARTTLS':
					// RFC 3501 §6.2.1: STARTTLS takes no arguments (an upgrade on a malformed line is refused).
					if (args.length > 0) throw new Refusal('BAD Error in IMAP command STARTTLS: Unexpected arguments.');
					if (this.secure) throw new Refusal('BAD TLS is already active.');
					return {reply: tagged(tag, 'OK Begin TLS negotiation now.'), then: 'starttls'};
				case 'LOGIN':
					return this.login(tag, args);
				case 'AUTHENTICATE PLAIN':
					return this.authenticate(tag, args);
				default:
					if (name.startsWith('AUTHENTICATE ')) return {reply: tagged(tag, 'NO Unsupported authentication mechanism.'), then: 'none'};
					if (['SELECT', 'EXAMINE', 'LIST', 'LSUB', 'STATUS', 'FETCH', 'STORE', 'CLOSE', 'EXPUNGE', 'SEARCH'].includes(name) || name.startsWith('UID ')) throw new Refusal(texts.loginFirst);
					throw new Refusal(`BAD Error in IMAP command ${safeName(name)}: Unknown command.`);
			}
		}

		switch (name) {
			case 'STARTTLS':
			case 'LOGIN':
				throw new Refusal(`BAD Error in IMAP command ${name}: Already logged in.`);
			case 'SELECT':
			case 'EXAMINE':
				return this.select(tag, args, name === 'EXAMINE');
			case 'LIST':
			case 'LSUB':
				return this.list(tag, args, name);
			case 'STATUS':
				return this.status(tag, args);
			default:
				break;
		}

		if (name.startsWith('AUTHENTICATE ')) throw new Refusal('BAD Error in IMAP command AUTHENTICATE: Already logged in.');
		const selectedOnly = ['FETCH', 'STORE', 'CLOSE', 'EXPUNGE', 'SEARCH', 'UID FETCH', 'UID STORE', 'UID SEARCH'];
		if (!selectedOnly.includes(name)) throw new Refusal(`BAD Error in IMAP command ${safeName(name)}: Unknown command.`);
		if (this.state !== 'selected') throw new Refusal(texts.noSelect);
		switch (name) {
			case 'FETCH':
			case 'UID FETCH':
				return this.fetch(tag, args, name === 'UID FETCH');
			case 'STORE':
			case 'UID STORE':
				return this.store(tag, args, name === 'UID STORE');
			case 'SEARCH':
			case 'UID SEARCH':
				return this.search(tag, args, name === 'UID SEARCH');
			case 'EXPUNGE':
				return done(tag, this.expunge(true), 'OK Expunge completed.');
			default:
				// CLOSE: \Deleted messages go, silently (RFC 3501 §6.4.2), and nothing is selected.
				this.expunge(false);
				this.state = 'authenticated';
				this.view = [];
				return done(tag, [], 'OK Close completed.');
		}
	}

	private login(tag: string, args: ImapNode[]): Answer {
		if (!this.secure) return this.privacyRefused(tag);
		const user = nodeText(args[0]);
		const password = nodeText(args[1]);
		if (user === undefined || password === undefined || args.length !== 2) throw new Refusal('BAD Error in IMAP command LOGIN: Missing arguments.');
		return this.rateRefused(tag) ?? this.checkLogin(tag, user, password);
	}

	private privacyRefused(tag: string): Answer {
		return {reply: this.refuse(tag, texts.privacy), then: this.tooManyRefused()};
	}

	private authenticate(tag: string, args: ImapNode[]): Answer {
		if (!this.secure) return this.privacyRefused(tag);
		const initial = nodeText(args[0]);
		if (initial !== undefined) return this.plain(tag, initial === '=' ? '' : initial);
		this.authenticating = tag;
		return {reply: line('+ '), then: 'none'};
	}

	private saslResponse(bytes: Buffer): Answer {
		const tag = this.authenticating!;
		this.authenticating = undefined;
		const text = bytes.toString('latin1');
		if (text === '*') return {reply: this.refuse(tag, 'BAD Authentication aborted by client.'), then: this.tooManyRefused()};
		return this.plain(tag, text);
	}

	/** SASL PLAIN (RFC 4616): base64 of authzid NUL authcid NUL password. */
	private plain(tag: string, base64: string): Answer {
		if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) return {reply: this.refuse(tag, 'BAD Invalid base64 data in continued response.'), then: this.tooManyRefused()};
		const refused = this.rateRefused(tag);
		if (refused) return refused;
		const parts = Buffer.from(base64, 'base64').toString('utf8').split('\0');
		if (parts.length !== 3) return this.failedLogin(tag, parts[1] ?? '');
		const [authzid, user, password] = parts as [string, string, string];
		if (authzid !== '' && authzid !== user) return this.failedLogin(tag, user);
		return this.checkLogin(tag, user, password);
	}

	private checkLogin(tag: string, name: string, password: string): Answer {
		const account = this.settings.mailboxes.findUser(name);
		if (!account || account.password !== password) return this.failedLogin(tag, name);
		this.user = account.user;
		this.state = 'authenticated';
		this.settings.event('login', account.user);
		return {reply: tagged(tag, `OK [CAPABILITY ${this.capabilities()}] Logged in`), then: 'none'};
	}

	/** Past the address's failed logins for this minute: refused unchecked (counted, so a loop ends). */
	private rateRefused(tag: string): Answer | undefined {
		if (this.settings.authorize?.() !== false) return undefined;
		this.authFailures++;
		if (this.authFailures >= this.settings.limits.maxAuthFailures) return {reply: Buffer.concat([tagged(tag, texts.authRate), line(texts.tooManyAuth)]), then: 'close'};
		return {reply: tagged(tag, texts.authRate), then: 'none'};
	}

	private failedLogin(tag: string, name: string): Answer {
		this.authFailures++;
		this.settings.event('login-failed', name.slice(0, 200));
		if (this.authFailures >= this.settings.limits.maxAuthFailures) return {reply: Buffer.concat([tagged(tag, texts.authFailed), line(texts.tooManyAuth)]), then: 'close'};
		return {reply: tagged(tag, texts.authFailed), then: 'none'};
	}

	/** The one mailbox there is, INBOX (any case, RFC 3501 §5.1), or a refusal. */
	private inbox(args: ImapNode[], command: string): void {
		const name = nodeText(args[0]);
		if (name === undefined) throw new Refusal(`BAD Error in IMAP command ${command}: Missing mailbox name.`);
		if (name.toUpperCase() !== 'INBOX') throw new Refusal('NO [NONEXISTENT] Mailbox doesn\'t exist (the lab has INBOX only).');
	}

	private select(tag: string, args: ImapNode[], readOnly: boolean): Answer {
		// A failed SELECT leaves nothing selected (RFC 3501 §6.3.1).
		this.state = 'authenticated';
		this.view = [];
		this.inbox(args, readOnly ? 'EXAMINE' : 'SELECT');
		const {mailboxes} = this.settings;
		this.view = mailboxes.list(this.user!);
		this.readOnly = readOnly;
		this.state = 'selected';
		const flags = `(${systemFlags.join(' ')})`;
		const unseen = this.view.findIndex(message => !message.flags.has('\\Seen'));
		const lines = [
			line(`* FLAGS ${flags}`),
			line(`* OK [PERMANENTFLAGS ${readOnly ? '()' : flags}] Flags permitted.`),
			line(`* ${this.view.length} EXISTS`),
			line('* 0 RECENT'),
			...(unseen === -1 ? [] : [line(`* OK [UNSEEN ${unseen + 1}] First unseen.`)]),
			line(`* OK [UIDVALIDITY ${mailboxes.uidValidity}] UIDs valid`),
			line(`* OK [UIDNEXT ${mailboxes.uidNext(this.user!)}] Predicted next UID`),
		];
		this.settings.event('select', this.user, readOnly ? 'INBOX (read-only)' : 'INBOX');
		return done(tag, lines, `OK [${readOnly ? 'READ-ONLY' : 'READ-WRITE'}] ${readOnly ? 'Examine' : 'Select'} completed.`);
	}

	private list(tag: string, args: ImapNode[], command: 'LIST' | 'LSUB'): Answer {
		const pattern = nodeText(args[1]);
		if (nodeText(args[0]) === undefined || pattern === undefined) throw new Refusal(`BAD Error in IMAP command ${command}: Missing arguments.`);
		const lines: Buffer[] = [];
		// An empty pattern asks for the hierarchy delimiter (RFC 3501 §6.3.8).
		if (pattern === '' && command === 'LIST') lines.push(line('* LIST (\\Noselect) "/" ""'));
		else if (wildcard(pattern).test('INBOX')) lines.push(line(`* ${command} ${listAttributes} "/" INBOX`));
		return done(tag, lines, `OK ${command === 'LIST' ? 'List' : 'Lsub'} completed.`);
	}

	private status(tag: string, args: ImapNode[]): Answer {
		this.inbox(args, 'STATUS');
		const items = Array.isArray(args[1]) ? args[1].map(item => nodeText(item)?.toUpperCase()) : [];
		if (items.length === 0) throw new Refusal('BAD Error in IMAP command STATUS: Status items must be a list.');
		const {mailboxes} = this.settings;
		const messages = mailboxes.list(this.user!);
		const values: Record<string, number> = {
			MESSAGES: messages.length,
			RECENT: 0,
			UIDNEXT: mailboxes.uidNext(this.user!),
			UIDVALIDITY: mailboxes.uidValidity,
			UNSEEN: messages.filter(message => !message.flags.has('\\Seen')).length,
		};
		const parts = items.map(item => {
			if (item === undefined || !(item in values)) throw new Refusal('BAD Error in IMAP command STATUS: Invalid status item.');
			return `${item} ${values[item]}`;
		});
		return done(tag, [line(`* STATUS INBOX (${parts.join(' ')})`)], 'OK Status completed.');
	}

	/** The messages of the view a sequence set names, with their sequence numbers. */
	private pick(node: ImapNode | undefined, byUid: boolean, command: string): Array<[number, StoredMessage]> {
		const ranges: SequenceRange[] | undefined = parseSequenceSet(nodeText(node) ?? '');
		if (!ranges) throw new Refusal(`BAD Error in IMAP command ${command}: Invalid messageset.`);
		const largest = byUid ? (this.view.at(-1)?.imapUid ?? 0) : this.view.length;
		if (!byUid && ranges.some(([first, last]) => (last !== Infinity && last > largest) || (first === Infinity && largest === 0))) {
			throw new Refusal(`BAD Error in IMAP command ${command}: Invalid messageset.`);
		}

		const picked: Array<[number, StoredMessage]> = [];
		this.view.forEach((message, index) => {
			if (inSequenceSet(ranges, byUid ? message.imapUid : index + 1, largest)) picked.push([index + 1, message]);
		});
		return picked;
	}

	private fetch(tag: string, args: ImapNode[], byUid: boolean): Answer {
		const command = byUid ? 'UID FETCH' : 'FETCH';
		const items = fetchItems(args[1], command);
		if (byUid && !items.some(item => item.kind === 'uid')) items.unshift({kind: 'uid'});
		const picked = this.pick(args[0], byUid, command);
		const out: Buffer[] = [];
		let expunged = false;
		for (const [seq, message] of picked) {
			// Pruned from the lab's memory after this view took it: its EXPUNGE comes at the next
			// sync; until then a FETCH of it is NO (RFC 2180 §4.1.2, Dovecot's EXPUNGEISSUED).
			if (message.pruned) {
				expunged = true;
				continue;
			}

			const parts: Buffer[] = [];
			let flagsChanged = false;
			for (const item of items) {
				if (item.kind === 'body' && !item.peek && !this.readOnly && !message.flags.has('\\Seen')) {
					message.flags.add('\\Seen');
					flagsChanged = true;
				}

				parts.push(fetchValue(item, message));
			}

			// RFC 3501 §6.4.5: a FETCH that set \Seen reports the new flags.
			if (flagsChanged && !items.some(item => item.kind === 'flags')) parts.push(fetchValue({kind: 'flags'}, message));
			out.push(Buffer.from(`* ${seq} FETCH (`), join(parts, Buffer.from(' ')), Buffer.from(')\r\n'));
		}

		if (picked.length > 0) this.settings.event('fetch', this.user, picked.map(([, message]) => message.imapUid).join(','));
		if (expunged) return done(tag, out, 'NO [EXPUNGEISSUED] Some of the requested messages no longer exist.');
		return done(tag, out, `OK ${byUid ? 'UID Fetch' : 'Fetch'} completed.`);
	}

	private store(tag: string, args: ImapNode[], byUid: boolean): Answer {
		const command = byUid ? 'UID STORE' : 'STORE';
		const action = /^([+-]?)FLAGS(\.SILENT)?$/i.exec(nodeText(args[1]) ?? '');
		if (!action || args[2] === undefined) throw new Refusal(`BAD Error in IMAP command ${command}: Invalid arguments.`);
		const flags = (Array.isArray(args[2]) ? args[2] : args.slice(2)).map(flag => normalFlag(nodeText(flag), command));
		const picked = this.pick(args[0], byUid, command);
		if (this.readOnly) throw new Refusal(texts.readOnly);
		const out: Buffer[] = [];
		for (const [seq, message] of picked) {
			if (action[1] === '') message.flags.clear();
			for (const flag of flags) {
				if (action[1] === '-') message.flags.delete(flag);
				else message.flags.add(flag);
			}

			if (!action[2]) out.push(line(`* ${seq} FETCH (${byUid ? `UID ${message.imapUid} ` : ''}FLAGS (${[...message.flags].join(' ')}))`));
		}

		if (picked.length > 0) this.settings.event('store', this.user, `${picked.map(([, message]) => message.imapUid).join(',')} ${action[1] || '='}${flags.join(' ')}`);
		return done(tag, out, 'OK Store completed.');
	}

	/** SEARCH with the keys a mail client uses to find new mail: ALL, SEEN, UNSEEN, DELETED, UNDELETED, FLAGGED, UID set, a set. */
	private search(tag: string, args: ImapNode[], byUid: boolean): Answer {
		const command = byUid ? 'UID SEARCH' : 'SEARCH';
		let matches = this.view.map((message, index) => [index + 1, message] as [number, StoredMessage]);
		for (let index = 0; index < args.length; index++) {
			const key = nodeText(args[index])?.toUpperCase() ?? '';
			const flag = {SEEN: ['\\Seen', true], UNSEEN: ['\\Seen', false], DELETED: ['\\Deleted', true], UNDELETED: ['\\Deleted', false], FLAGGED: ['\\Flagged', true], UNFLAGGED: ['\\Flagged', false], ANSWERED: ['\\Answered', true], UNANSWERED: ['\\Answered', false]}[key] as [string, boolean] | undefined;
			if (key === 'ALL') continue;
			if (flag) {
				matches = matches.filter(([, message]) => message.flags.has(flag[0]) === flag[1]);
			} else if (key === 'UID' || parseSequenceSet(key)) {
				const set = key === 'UID' ? args[++index] : args[index];
				const wanted = new Set(this.pick(set, key === 'UID', command).map(([seq]) => seq));
				matches = matches.filter(([seq]) => wanted.has(seq));
			} else {
				throw new Refusal(`BAD Error in IMAP command ${command}: Unknown search key (the lab knows ALL, SEEN, UNSEEN, DELETED, UNDELETED, FLAGGED, ANSWERED, UID and sets).`);
			}
		}

		const numbers = matches.map(([seq, message]) => (byUid ? message.imapUid : seq));
		return done(tag, [line(`* SEARCH${numbers.map(number => ` ${number}`).join('')}`)], 'OK Search completed.');
	}

	/** Removes \Deleted messages; the untagged EXPUNGE lines, highest first so each number holds as sent. */
	private expunge(report: boolean): Buffer[] {
		if (this.readOnly) return [];
		const gone = this.view.map((message, index) => [index + 1, message] as [number, StoredMessage]).filter(([, message]) => message.flags.has('\\Deleted'));
		if (gone.length === 0) return [];
		const removed = this.settings.mailboxes.remove(this.user!, gone.map(([, message]) => message.uid));
		this.view = this.view.filter(message => !message.flags.has('\\Deleted'));
		this.settings.event('expunge', this.user, String(removed));
		return report ? gone.reverse().map(([seq]) => line(`* ${seq} EXPUNGE`)) : [];
	}

	/** What changed in the mailbox since the view was taken: messages POP3 deleted, new deliveries. */
	private sync(): Buffer[] {
		const current = this.settings.mailboxes.list(this.user!);
		const present = new Set(current.map(message => message.uid));
		const out: Buffer[] = [];
		for (let index = this.view.length - 1; index >= 0; index--) {
			if (present.has(this.view[index]!.uid)) continue;
			out.push(line(`* ${index + 1} EXPUNGE`));
			this.view.splice(index, 1);
		}

		const known = new Set(this.view.map(message => message.uid));
		const added = current.filter(message => !known.has(message.uid));
		if (added.length > 0) {
			this.view.push(...added);
			out.push(line(`* ${this.view.length} EXISTS`));
		}

		return out;
	}
}

function line(text: string): Buffer {
	return Buffer.from(`${text}\r\n`, 'utf8');
}

function tagged(tag: string, text: string): Buffer {
	return line(`${tag} ${text}`);
}

function done(tag: string, lines: Buffer[], status: string): Answer {
	return {reply: Buffer.concat([...lines, tagged(tag, status)]), then: 'none'};
}

function join(parts: Buffer[], separator: Buffer): Buffer {
	return Buffer.concat(parts.flatMap((part, index) => (index === 0 ? [part] : [separator, part])));
}

/** The tag of a line that did not parse, if it has a usable one (else '*'). */
function tagOf(bytes: Buffer): string {
	const tag = /^([\x21\x23-\x27\x2c-\x5b\x5d-\x7a\x7c\x7e]{1,64}) /.exec(bytes.subarray(0, 80).toString('latin1'))?.[1];
	return tag && tag !== '*' && tag !== '+' ? tag : '*';
}

/** A command name fit to echo back: atom characters only, at most 30. */
function safeName(name: string): string {
	return name.replace(/[^A-Za-z0-9 .-]/g, '').slice(0, 30);
}

/** A LIST pattern as a regular expression: * matches anything, % anything but the delimiter. */
function wildcard(pattern: string): RegExp {
	const body = [...pattern.slice(0, 200)].map(char => (char === '*' ? '.*' : char === '%' ? '[^/]*' : char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
	return new RegExp(`^${body}$`, 'i');
}

function normalFlag(text: string | undefined, command: string): string {
	const flag = systemFlags.find(candidate => candidate.toLowerCase() === text?.toLowerCase());
	if (!flag) throw new Refusal(`BAD Error in IMAP command ${command}: Invalid system flag (the lab keeps ${systemFlags.join(' ')}).`);
	return flag;
}

const macros: Record<string, string[]> = {
	ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
	FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
};

/** The items a FETCH asks for (RFC 3501 §6.4.5), in order; unknown ones are refused. */
function fetchItems(node: ImapNode | undefined, command: string): FetchItem[] {
	const nodes = Array.isArray(node) ? node : node ? [node] : [];
	if (nodes.length === 0) throw new Refusal(`BAD Error in IMAP command ${command}: Missing fetch items.`);
	const items: FetchItem[] = [];
	for (const item of nodes) {
		if (!item || Array.isArray(item) || item.type !== 'atom') throw new Refusal(`BAD Error in IMAP command ${command}: Invalid fetch item.`);
		const name = item.value.toUpperCase();
		if (!Array.isArray(node) && macros[name]) {
			for (const part of macros[name]) items.push(...fetchItems({type: 'atom', value: part}, command));
			continue;
		}

		if (item.section !== undefined && (name === 'BODY' || name === 'BODY.PEEK')) {
			// RFC 3501: a partial's origin is a number and its length an nz-number, both 32-bit.
			if (item.partial && (item.partial.some(value => value !== undefined && (!Number.isSafeInteger(value) || value < 0 || value > 0xff_ff_ff_ff)) || item.partial[1] === 0)) {
				throw new Refusal(`BAD Error in IMAP command ${command}: Invalid partial.`);
			}

			const section = parseSection(item.section, command);
			items.push({kind: 'body', name: `BODY[${sectionName(item.section)}]${item.partial ? `<${item.partial[0]}>` : ''}`, section, peek: name === 'BODY.PEEK', partial: item.partial});
			continue;
		}

		if (item.section !== undefined || item.partial !== undefined) throw new Refusal(`BAD Error in IMAP command ${command}: Invalid fetch item.`);
		switch (name) {
			case 'UID':
				items.push({kind: 'uid'});
				break;
			case 'FLAGS':
				items.push({kind: 'flags'});
				break;
			case 'INTERNALDATE':
				items.push({kind: 'internaldate'});
				break;
			case 'RFC822.SIZE':
				items.push({kind: 'size'});
				break;
			case 'ENVELOPE':
				items.push({kind: 'envelope'});
				break;
			case 'RFC822':
				items.push({kind: 'body', name: 'RFC822', section: {part: 'all'}, peek: false});
				break;
			case 'RFC822.HEADER':
				items.push({kind: 'body', name: 'RFC822.HEADER', section: {part: 'header'}, peek: true});
				break;
			case 'RFC822.TEXT':
				items.push({kind: 'body', name: 'RFC822.TEXT', section: {part: 'text'}, peek: false});
				break;
			default:
				throw new Refusal(`BAD Error in IMAP command ${command}: Unknown fetch item ${safeName(name)} (the lab serves UID, FLAGS, INTERNALDATE, RFC822.SIZE, ENVELOPE, BODY[...], BODY.PEEK[...], RFC822, RFC822.HEADER, RFC822.TEXT).`);
		}
	}

	return items;
}

function parseSection(section: ImapNode[], command: string): Section {
	const part = nodeText(section[0] ?? undefined)?.toUpperCase() ?? '';
	if (section.length === 0) return {part: 'all'};
	if (part === 'HEADER' && section.length === 1) return {part: 'header'};
	if (part === 'TEXT' && section.length === 1) return {part: 'text'};
	if ((part === 'HEADER.FIELDS' || part === 'HEADER.FIELDS.NOT') && Array.isArray(section[1]) && section[1].length > 0) {
		return {part: 'fields', not: part.endsWith('.NOT'), fields: section[1].map(field => (nodeText(field) ?? '').toLowerCase())};
	}

	throw new Refusal(`BAD Error in IMAP command ${command}: Unknown section (the lab serves [], [HEADER], [TEXT], [HEADER.FIELDS (...)] and [HEADER.FIELDS.NOT (...)]).`);
}

function sectionName(section: ImapNode[]): string {
	return section.map(node => (Array.isArray(node) ? `(${node.map(field => (nodeText(field) ?? '').toUpperCase()).join(' ')})` : (nodeText(node ?? undefined) ?? '').toUpperCase())).join(' ');
}

/** A message split at its first blank line: the header (blank line included) and the body. */
function splitMessage(raw: Buffer): {header: Buffer; body: Buffer} {
	const blank = raw.indexOf('\r\n\r\n');
	if (blank === -1) return {header: raw, body: Buffer.alloc(0)};
	return {header: raw.subarray(0, blank + 4), body: raw.subarray(blank + 4)};
}

/** The header's fields, each as its raw bytes (folded lines included, CRLF at the end). */
function headerFields(header: Buffer): Array<{name: string; bytes: Buffer}> {
	const text = header.toString('latin1');
	const fields: Array<{name: string; bytes: Buffer}> = [];
	// Only CRLF ends a field (unless folded): a bare CR or LF is part of it, never a new field.
	for (const piece of text.split(/\r\n(?![ \t])/)) {
		const name = /^([^\s:]+):/.exec(piece)?.[1];
		if (name) fields.push({name: name.toLowerCase(), bytes: Buffer.from(`${piece}\r\n`, 'latin1')});
	}

	return fields;
}

function sectionBytes(section: Section, raw: Buffer): Buffer {
	const {header, body} = splitMessage(raw);
	if (section.part !== 'fields') return section.part === 'all' ? raw : section.part === 'header' ? header : body;
	const wanted = new Set(section.fields);
	const kept = headerFields(header).filter(field => wanted.has(field.name) !== section.not);
	return Buffer.concat([...kept.map(field => field.bytes), Buffer.from('\r\n')]);
}

function literal(bytes: Buffer): Buffer {
	return Buffer.concat([Buffer.from(`{${bytes.length}}\r\n`), bytes]);
}

function fetchValue(item: FetchItem, message: StoredMessage): Buffer {
	switch (item.kind) {
		case 'uid':
			return Buffer.from(`UID ${message.imapUid}`);
		case 'flags':
			return Buffer.from(`FLAGS (${[...message.flags].join(' ')})`);
		case 'internaldate':
			return Buffer.from(`INTERNALDATE "${internalDate(message.deliveredAt)}"`);
		case 'size':
			return Buffer.from(`RFC822.SIZE ${message.raw.length}`);
		case 'envelope':
			return Buffer.concat([Buffer.from('ENVELOPE '), envelope(message.raw)]);
		default: {
			let bytes = sectionBytes(item.section, message.raw);
			if (item.partial) bytes = bytes.subarray(item.partial[0], item.partial[1] === undefined ? undefined : item.partial[0] + item.partial[1]);
			return Buffer.concat([Buffer.from(`${item.name} `), literal(bytes)]);
		}
	}
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 3501 date-time, in UTC: "29-Nov-2026 10:00:00 +0000". */
export function internalDate(date: Date): string {
	const pad = (value: number) => String(value).padStart(2, '0');
	return `${pad(date.getUTCDate())}-${months[date.getUTCMonth()]}-${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** A header field's value, unfolded, as bytes; undefined when absent. */
function fieldValue(fields: Array<{name: string; bytes: Buffer}>, name: string): Buffer | undefined {
	const field = fields.find(candidate => candidate.name === name);
	if (!field) return undefined;
	const text = field.bytes.toString('latin1');
	return Buffer.from(text.slice(text.indexOf(':') + 1).replace(/\r\n(?=[ \t])/g, '').replace(/\r\n$/, '').trim(), 'latin1');
}

/**
 * The ENVELOPE structure (RFC 3501 §7.4.2): date, subject, from, sender, reply-to, to, cc, bcc,
 * in-reply-to, message-id, as the header has them (encoded words stay encoded). Sender and
 * reply-to default to from.
 */
export function envelope(raw: Buffer): Buffer {
	const fields = headerFields(splitMessage(raw).header);
	const value = (name: string) => fieldValue(fields, name);
	const from = addresses(value('from'));
	const parts = [
		imapNString(value('date')),
		imapNString(value('subject')),
		from,
		addresses(value('sender')) ?? from,
		addresses(value('reply-to')) ?? from,
		addresses(value('to')),
		addresses(value('cc')),
		addresses(value('bcc')),
		imapNString(value('in-reply-to')),
		imapNString(value('message-id')),
	].map(part => part ?? Buffer.from('NIL'));
	return Buffer.concat([Buffer.from('('), join(parts, Buffer.from(' ')), Buffer.from(')')]);
}

/** An address list as ENVELOPE wants it: ((name adl mailbox host) ...); undefined when empty. */
function addresses(value: Buffer | undefined): Buffer | undefined {
	if (!value) return undefined;
	const list = splitAddresses(value.toString('latin1')).slice(0, 100);
	if (list.length === 0) return undefined;
	const encoded = list.map(({name, address}) => {
		const at = address.lastIndexOf('@');
		const mailbox = at === -1 ? address : address.slice(0, at);
		const host = at === -1 ? undefined : address.slice(at + 1);
		const text = (part: string | undefined) => imapNString(part === undefined || part === '' ? undefined : Buffer.from(part, 'latin1'));
		return Buffer.concat([Buffer.from('('), text(name), Buffer.from(' NIL '), text(mailbox), Buffer.from(' '), text(host), Buffer.from(')')]);
	});
	return Buffer.concat([Buffer.from('('), ...encoded, Buffer.from(')')]);
}

/**
 * Splits an RFC 5322 address list: `Name <a@b>`, `"Last, First" <a@b>`, `a@b (comment)`, commas
 * inside quotes and angle brackets kept. Group syntax gives its members.
 */
function splitAddresses(text: string): Array<{name?: string; address: string}> {
	const pieces: string[] = [];
	let current = '';
	let quoted = false;
	let angle = false;
	let depth = 0;
	for (let index = 0; index < text.length; index++) {
		const char = text[index]!;
		if (quoted) {
			current += char;
			if (char === '\\') current += text[++index] ?? '';
			else if (char === '"') quoted = false;
			continue;
		}

		if (char === '"') quoted = true;
		else if (char === '(') depth++;
		else if (char === ')') depth = Math.max(0, depth - 1);
		else if (char === '<') angle = true;
		else if (char === '>') angle = false;
		else if ((char === ',' || char === ';') && !angle && depth === 0) {
			pieces.push(current);
			current = '';
			continue;
		} else if (char === ':' && !angle && depth === 0) {
			// A group's display name: its members follow.
			current = '';
			continue;
		}

		current += char;
	}

	pieces.push(current);
	return pieces.map(piece => piece.trim()).filter(Boolean).map(piece => {
		const bracket = /^(.*)<([^>]*)>\s*(?:\(.*\))?$/.exec(piece);
		if (bracket) {
			const name = bracket[1]!.trim().replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1');
			return {name: name || undefined, address: bracket[2]!.trim()};
		}

		return {address: piece.replace(/\(.*\)/g, '').trim()};
	});
}

/** Starts the IMAP listeners (143 and 993 personalities by default) on loopback. */
export async function startImapServer(options: ImapServerOptions): Promise<ImapServer> {
	return startMailServer(options, {ports: imapPorts, implicitTls: 993, defaults: defaultImapLimits, texts, conversation: ImapConversation});
}
