// The mail journey: submission → relay → mailbox → retrieval, all on loopback, all real.
//
//   alice's client ──587/465/2525──► smtp.sender.test ──25──► mx.receiver.test ──► bob's mailbox
//                                    (sender lab)              (receiver lab)        │
//                                                                  bob's client ◄─110/995 (POP3)
//                                                                               ◄─143/993 (IMAP)
//
// Two labs, each a startLab() with its own domain, host name, users and CA. A message the
// sender's provider accepts for a receiver.test address is handed on the way a real MTA does
// it: the project's own SMTP engine (Session) connects to the receiver's port-25 listener as
// smtp.sender.test, upgrades with STARTTLS when offered, sends no credentials, and transfers the
// message with the sender's Received: header in front. That second conversation is kept as a
// transcript of its own (`relays`). The receiver delivers what its port 25 accepts into
// mailbox.ts, adding its own Received: header, and serves the mailbox over POP3 (pop3.ts).
//
// Layering: this file is the journey layer (ARCHITECTURE.md): it may import engine/ and lab/;
// the lab itself imports only protocol/. The relay hop is, on purpose, the
// engine's Session, so the transcript of the server-to-server hop is the same kind of thing the
// user sees for their own session.

import {randomBytes} from 'node:crypto';
import type {Preview, SessionOptions, StepOutcome, Timeouts} from '../engine/session.js';
import {Session} from '../engine/session.js';
import type {Pop3SessionOptions} from '../engine/pop3.js';
import type {ImapSessionOptions} from '../engine/imap.js';
import type {TranscriptEntry} from '../protocol/transcript.js';
import type {MxResult} from '../engine/mx.js';
import {lookupMx} from '../engine/mx.js';
import type {LabDns} from '../lab/dns.js';
import {startLabDns} from '../lab/dns.js';
import {makeLabCertificates} from '../lab/ca.js';
import type {Lab, LabPort} from '../lab/index.js';
import {LabConfigError, startLab} from '../lab/index.js';
import type {MailPort, MessagePolicy} from '../lab/index.js';
import type {StoredMessage} from '../lab/mailbox.js';
import {Mailboxes, formatReceived, receivedFieldsOf} from '../lab/mailbox.js';
import {isLocal} from '../lab/personality.js';
import type {Pop3Event, Pop3Limits, Pop3Port, Pop3Server} from '../lab/pop3.js';
import {startPop3Server} from '../lab/pop3.js';
import type {ImapEvent, ImapLimits, ImapPort, ImapServer} from '../lab/imap.js';
import {startImapServer} from '../lab/imap.js';
import type {CapturedMessage, LabUser} from '../lab/types.js';
import type {AuthReport, DkimKey} from './auth.js';
import {dkimSignature, makeDkimKey, verifyMessage} from './auth.js';
import type {AuthFaultName} from './auth-faults.js';
import type {Bounce} from './dsn.js';
import {buildBounce} from './dsn.js';
import {authFaultNames, isAuthFaultName, labFooter, rewriteFromDomain} from './auth-faults.js';
import type {ZoneFacts} from './zone.js';
import {journeyRecords, journeyZones} from './zone.js';

export const journeySenderUsers: LabUser[] = [{user: 'alice', password: 'wonderland', address: 'alice@sender.test'}];
export const journeyReceiverUsers: LabUser[] = [{user: 'bob', password: 'builder', address: 'bob@receiver.test'}];

/** The sender's submission ports: where a journey starts. */
export type SubmissionPort = 465 | 587 | 2525;
export const submissionPorts: SubmissionPort[] = [587, 465, 2525];

export type JourneySide = {
	/** Mail domain; default 'sender.test' / 'receiver.test'. */
	domain?: string;
	/** Server name in banner, EHLO and certificate; default 'smtp.sender.test' / 'mx.receiver.test'. */
	hostname?: string;
	users?: LabUser[];
	/** Listen ports (0 or absent: ephemeral). */
	ports?: Partial<Record<LabPort, number>>;
};

export type JourneyOptions = {
	/** Address every listener binds; default '127.0.0.1'. */
	host?: string;
	sender?: JourneySide;
	receiver?: JourneySide;
	/** POP3 listen ports (0 or absent: ephemeral). */
	pop3Ports?: Partial<Record<Pop3Port, number>>;
	pop3Limits?: Partial<Pop3Limits>;
	/** IMAP listen ports (0 or absent: ephemeral). */
	imapPorts?: Partial<Record<ImapPort, number>>;
	/**
	 * The sender's own POP3 and IMAP listen ports (alice's mailbox at smtp.sender.test, where
	 * bounces land); 0 or absent: ephemeral.
	 */
	senderMailPorts?: Partial<Record<MailPort, number>>;
	imapLimits?: Partial<ImapLimits>;
	/**
	 * 'auto' (default): each relay runs to the end on its own, as an MTA's queue would.
	 * 'manual': each relay waits for its caller to step() it (a TUI teaching the hop line by line).
	 */
	relay?: 'auto' | 'manual';
	/** Per-reply timeouts of the relay's SMTP session; default 30 s each (60 s for the message). */
	relayTimeouts?: Partial<Timeouts>;
	/** The lab DNS server's port (UDP and TCP); 0 or absent: ephemeral. */
	dnsPort?: number;
	/** Faults that break authentication on purpose (auth-faults.ts); default none. */
	authFaults?: AuthFaultName[];
};

export type RelayState = 'waiting' | 'running' | 'delivered' | 'failed';

/**
 * One server-to-server hop: the sender's MTA handing a message on to the receiver's port 25.
 * A thin wrapper over the engine's Session that knows which message it carries and how it ended.
 */
export class JourneyRelay {
	/** The sender's queue ID of the message handed on. */
	readonly queueId: string;
	/** The message as the sender's provider accepted it. */
	readonly message: CapturedMessage;
	/** The recipients handed on (those in the receiver's domain). */
	readonly recipients: string[];
	/** The exact bytes the relay sends: the sender's Received: header, then the message as received. */
	readonly sent: Buffer;
	/** The sending server's SMTP session; its `entries` are the hop's transcript. */
	readonly session: Session;
	readonly startedAt = new Date();
	/** Resolves once the session is over, delivered or not. */
	readonly finished: Promise<JourneyRelay>;
	state: RelayState = 'waiting';
	finishedAt?: Date;
	/** Why the hop failed, in one sentence. */
	failure?: string;
	/** The receiver's queue ID, from its `250 2.0.0 Ok: queued as <ID>`. */
	receiverQueueId?: string;
	/** What the receiving MX's checks found (SPF, DKIM, DMARC, ARC, iprev), once it has checked. */
	authentication?: AuthReport;
	/** The delivery status notification sent back to the envelope sender after a permanent (5xx) refusal. */
	bounce?: Bounce;
	private settle!: (relay: JourneyRelay) => void;
	private readonly onEnd: (relay: JourneyRelay) => void;

	constructor(init: {message: CapturedMessage; recipients: string[]; sent: Buffer; options: SessionOptions; onEnd: (relay: JourneyRelay) => void}) {
		this.queueId = init.message.id;
		this.message = init.message;
		this.recipients = init.recipients;
		this.sent = init.sent;
		this.session = new Session(init.options);
		this.onEnd = init.onEnd;
		this.finished = new Promise(resolve => {
			this.settle = resolve;
		});
	}

	/** The hop's transcript so far (the session's own list, appended to as it goes). */
	get entries(): TranscriptEntry[] {
		return this.session.entries;
	}

	/** What the next step will send. */
	peek(): Preview {
		return this.session.peek();
	}

	/** Performs one step of the hop. */
	async step(): Promise<StepOutcome> {
		if (this.state === 'waiting') this.state = 'running';
		const outcome = await this.session.step();
		if (this.session.done) this.end();
		return outcome;
	}

	/** Steps to the end; resolves with this relay, delivered or failed. */
	async run(): Promise<JourneyRelay> {
		while (!this.session.done) await this.step();
		this.end();
		return this;
	}

	/** Abandons the hop (the lab is closing); a hop already over is left as it ended. */
	close(): void {
		if (this.state === 'delivered' || this.state === 'failed') return;
		this.session.close();
		this.end('The journey lab closed before this relay finished.');
	}

	private end(abandoned?: string): void {
		if (this.state === 'delivered' || this.state === 'failed') return;
		const queued = this.session.entries.find(entry => entry.direction === 'server' && entry.step === 'body' && entry.code === 250);
		this.receiverQueueId = /queued as (\S+)/.exec(queued?.text ?? '')?.[1];
		const ok = this.session.exitCode === 0 && queued !== undefined;
		this.state = ok ? 'delivered' : 'failed';
		if (!ok) this.failure = abandoned ?? this.session.failureMessage ?? 'The receiving server did not accept the message.';
		this.finishedAt = new Date();
		this.onEnd(this);
		this.settle(this);
	}
}

export type JourneyEvent =
	/** The sender's provider accepted a message (any submission port). */
	| {type: 'submitted'; message: CapturedMessage}
	/** Recipients that stay where they are: the sender's own domain, or outside the lab (never sent anywhere). */
	| {type: 'not-relayed'; message: CapturedMessage; recipients: string[]; reason: string}
	| {type: 'relay-started'; relay: JourneyRelay}
	| {type: 'relay-finished'; relay: JourneyRelay}
	/** The receiving MX checked SPF, DKIM, DMARC (ARC) and iprev of a message at the end of DATA. */
	| {type: 'authenticated'; report: AuthReport; relay?: JourneyRelay}
	/** The provider bounced a message the MX refused for good: the DSN it sends the sender. */
	| {type: 'bounced'; bounce: Bounce; relay: JourneyRelay}
	/** A copy was stored in a mailbox of the receiver. */
	| {type: 'delivered'; message: StoredMessage}
	| {type: 'pop3'; event: Pop3Event}
	| {type: 'imap'; event: ImapEvent};

/** Everything known about one submitted message, by the sender's queue ID. */
export type JourneyTrace = {
	submitted?: CapturedMessage;
	relay?: JourneyRelay;
	/** What the receiving MX's checks found. */
	authentication?: AuthReport;
	/** The copies in the receiver's mailboxes (one per recipient with a mailbox). */
	delivered: StoredMessage[];
};

export type JourneyLab = {
	host: string;
	/** The sender's provider: submission ports 587, 465 and 2525; domain sender.test. */
	sender: Lab;
	/** The recipient's provider: its MX on port 25; domain receiver.test. */
	receiver: Lab;
	/** The receiver's POP3 listeners (110: STLS, 995: implicit TLS). */
	pop3: Pop3Server;
	/** The receiver's IMAP listeners (143: STARTTLS, 993: implicit TLS), over the same mailboxes. */
	imap: ImapServer;
	/** PEM of the CA behind the POP3 and IMAP certificate (which names receiver.hostname). */
	pop3Ca: string;
	/** The receiver's mailboxes. */
	mailboxes: Mailboxes;
	/** The lab's DNS server (zone.ts): MX, A, PTR, SPF, DKIM and DMARC of both domains. */
	dns: LabDns;
	/** The sender's DKIM key (its public half is in DNS at `<selector>._domainkey.<sender domain>`). */
	dkim: DkimKey;
	/** Every relay hop, oldest first. */
	relays: JourneyRelay[];
	/** The authentication faults in force. */
	authFaults: AuthFaultName[];
	/** Replaces the authentication faults in force, from the next message on (DNS records included). */
	setAuthFaults(faults: AuthFaultName[]): void;
	/** What the receiving MX's checks found, by the receiver's queue ID (accepted messages). */
	authentication: Map<string, AuthReport>;
	/**
	 * The DSNs the provider sent back (RFC 3464), by the sender's queue ID of the bounced
	 * message, oldest first; `delivered` is the copy stored in the sender's mailbox.
	 */
	bounces: Array<{queueId: string; bounce: Bounce; delivered?: StoredMessage}>;
	/** alice's mailbox at her provider (where bounces land), served over POP3 and IMAP with `sender.ca`. */
	senderMail: NonNullable<Lab['mail']>;
	/** Pop3Session options for alice reading her own mailbox (bounces) at smtp.sender.test; `over` wins. */
	senderRetrievalOptions(port: Pop3Port, over?: Partial<Pop3SessionOptions>): Pop3SessionOptions;
	/** Calls `listener` when a relay hop is created (before its first step); returns the unsubscribe function. */
	onRelay(listener: (relay: JourneyRelay) => void): () => void;
	/** Calls `listener` for every stage of every journey from now on; returns the unsubscribe function. */
	onEvent(listener: (event: JourneyEvent) => void): () => void;
	/** SMTP Session options for alice submitting to bob on a sender port (default 587); `over` wins. */
	submissionOptions(port?: SubmissionPort, over?: Partial<SessionOptions>): SessionOptions;
	/** Pop3Session options for bob reading his mailbox on 110 (STLS) or 995 (implicit TLS); `over` wins. */
	retrievalOptions(port: Pop3Port, over?: Partial<Pop3SessionOptions>): Pop3SessionOptions;
	/** ImapSession options for bob reading his mailbox on 143 (STARTTLS) or 993 (implicit TLS); `over` wins. */
	imapRetrievalOptions(port: ImapPort, over?: Partial<ImapSessionOptions>): ImapSessionOptions;
	/** The relay of the message the sender accepted as `queueId`, once it has finished (rejects after `timeoutMs`, default 30 s). */
	relayFor(queueId: string, timeoutMs?: number): Promise<JourneyRelay>;
	/** Where the message the sender accepted as `queueId` has got to. */
	trace(queueId: string): JourneyTrace;
	/** Closes the sender (nothing new is accepted), lets running relays end, then the receiver and POP3. */
	close(): Promise<void>;
};

const defaultRelayTimeouts: Timeouts = {connect: 10_000, greeting: 30_000, command: 30_000, mail: 30_000, rcpt: 30_000, data: 30_000, body: 60_000};
/** How long close() lets relays in progress finish before the receiver goes away under them. */
const closeGraceMs = 2000;

function domainOf(address: string): string {
	return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** Starts the two labs, the mailboxes and POP3, and wires the relay between them. */
export async function startJourneyLab(options: JourneyOptions = {}): Promise<JourneyLab> {
	const host = options.host ?? '127.0.0.1';
	const receiverDomain = options.receiver?.domain ?? 'receiver.test';
	const receiverHostname = options.receiver?.hostname ?? `mx.${receiverDomain}`;
	const senderDomain = options.sender?.domain ?? 'sender.test';
	const receiverUsers = options.receiver?.users ?? journeyReceiverUsers;
	const started: Array<{close(): Promise<void>}> = [];
	try {
		checkAuthFaults(options.authFaults ?? []);
		// The receiver's MX checks every message at the end of DATA; the check needs the DNS
		// server and the relays, made below, so it is bound once they exist.
		let policy: MessagePolicy | undefined;
		const receiver = await startLab({
			host,
			only: [25],
			domain: receiverDomain,
			hostname: receiverHostname,
			users: receiverUsers,
			ports: options.receiver?.ports,
			messagePolicy: async message => policy?.(message),
		});
		started.push(receiver);
		const sender = await startLab({
			host,
			only: submissionPorts,
			domain: senderDomain,
			hostname: options.sender?.hostname ?? `smtp.${senderDomain}`,
			users: options.sender?.users ?? journeySenderUsers,
			ports: options.sender?.ports,
			// alice's own mailbox at her provider: where bounces come back to.
			mailboxes: {ports: options.senderMailPorts},
		});
		started.push(sender);
		const mailboxes = new Mailboxes(receiver.hostname, receiverUsers);
		// The POP3 server gets its own throwaway CA: startLab does not share the one it made.
		const material = await makeLabCertificates(receiver.hostname, 'valid');
		const pop3 = await startPop3Server({host, hostname: receiver.hostname, mailboxes, tls: material, ports: options.pop3Ports, limits: options.pop3Limits});
		started.push(pop3);
		const imap = await startImapServer({host, hostname: receiver.hostname, mailboxes, tls: material, ports: options.imapPorts, limits: options.imapLimits});
		started.push(imap);
		const dkim = await makeDkimKey();
		const facts: ZoneFacts = {
			host,
			senderDomain: sender.domain,
			senderHostname: sender.hostname,
			receiverDomain: receiver.domain,
			receiverHostname: receiver.hostname,
			dkimSelector: dkim.selector,
			dkimPublicKey: dkim.publicKey,
			brandDomain: 'brand.test',
		};
		const dns = await startLabDns({host, port: options.dnsPort, zones: journeyZones(facts), records: journeyRecords(facts)});
		started.push(dns);
		const lab = wire({sender, receiver, pop3, imap, pop3Ca: material.ca, mailboxes, host, options, dns, dkim, facts});
		policy = lab.checkMessage;
		return lab.journey;
	} catch (error) {
		await Promise.all(started.map(async part => part.close()));
		throw error;
	}
}

type Parts = {
	sender: Lab;
	receiver: Lab;
	pop3: Pop3Server;
	imap: ImapServer;
	pop3Ca: string;
	mailboxes: Mailboxes;
	host: string;
	options: JourneyOptions;
	dns: LabDns;
	dkim: DkimKey;
	facts: ZoneFacts;
};

function checkAuthFaults(faults: string[]): void {
	for (const name of faults) {
		if (!isAuthFaultName(name)) throw new LabConfigError(`The journey has no authentication fault "${name}"; it has ${authFaultNames.join(', ')}.`);
	}
}

/** The address of a client as the checks want it (an IPv4 client on a dual-stack socket is ::ffff:a.b.c.d). */
function plainAddress(address: string | undefined): string {
	return (address ?? '').replace(/^::ffff:(?=\d+\.)/, '');
}

/** What a mail reader (POP3 or IMAP) needs to read `account`'s mailbox on one port: TLS verified against `ca`. */
function reading(host: string, listen: number, port: number, ca: string, hostname: string, account: LabUser | undefined, fallback: string) {
	return {
		host,
		port: listen,
		profilePort: port,
		tls: 'auto' as const,
		tlsOptions: {ca, servername: hostname, insecure: false},
		user: account?.user ?? fallback,
		password: account?.password ?? '',
		label: `${hostname}:${port}`,
	};
}

function wire(parts: Parts): {journey: JourneyLab; checkMessage: MessagePolicy} {
	const {sender, receiver, pop3, imap, pop3Ca, mailboxes, host, options, dns, dkim, facts} = parts;
	const authFaults: AuthFaultName[] = [...(options.authFaults ?? [])];
	const authentication = new Map<string, AuthReport>();
	const zone = () => {
		dns.setRecords(journeyRecords({
			...facts,
			spfNotListed: authFaults.includes('spf-not-listed'),
			noPtr: authFaults.includes('no-ptr'),
			brandReject: authFaults.includes('dmarc-reject'),
		}));
	};

	zone();
	const relays: JourneyRelay[] = [];
	const relayListeners = new Set<(relay: JourneyRelay) => void>();
	const eventListeners = new Set<(event: JourneyEvent) => void>();
	const emit = (event: JourneyEvent) => {
		for (const listener of [...eventListeners]) {
			// A listener's bug must not break an SMTP or POP3 session in progress.
			try {
				listener(event);
			} catch {}
		}
	};

	const relayOptions = (message: CapturedMessage, recipients: string[], raw: Buffer, mx: MxResult): SessionOptions => {
		const port = receiver.ports[25]!;
		return {
			host: mx.address,
			port,
			profilePort: 25,
			// Opportunistic, as between real MTAs: STARTTLS when offered, no credentials at all.
			tls: 'auto',
			tlsOptions: {ca: receiver.ca, servername: mx.host, insecure: false},
			ehlo: sender.hostname,
			from: message.mailFrom,
			to: recipients,
			rawMessage: raw,
			label: `${mx.host}:25`,
			timeouts: {...defaultRelayTimeouts, ...options.relayTimeouts},
			preamble: [
				`${sender.hostname} hands on queue ID ${message.id} for ${recipients.join(', ')}: first it asks DNS where ${receiver.domain} takes its mail (the lab's DNS server, ${dns.server}: try \`dig @${dns.host} -p ${dns.port} MX ${receiver.domain}\`).`,
				...mx.lines,
				`DNS names no ports: the lab's port-25 listener for ${mx.host} is ${mx.address}:${port}.`,
			],
		};
	};

	const bounces: JourneyLab['bounces'] = [];
	const senderMail = sender.mail!;
	// The provider's bounce daemon hands the DSN to its own local delivery: from <>, to the
	// envelope sender, into her mailbox (a sender outside the lab's accounts gets none stored).
	const deliverBounce = (bounce: Bounce, to: string): StoredMessage | undefined => senderMail.mailboxes.deliver({
		id: randomBytes(5).toString('hex').toUpperCase(),
		port: 25,
		listenPort: 0,
		mailFrom: '',
		rcptTo: [to],
		tls: false,
		receivedAt: new Date(),
		helo: sender.hostname,
		transmission: 'local',
		raw: bounce.raw,
	}).stored[0];
	// A 5xx to RCPT refuses that recipient; a 5xx to DATA or after the message refuses them all.
	// A 4xx is temporary: a real MTA would retry later, and sends no bounce yet.
	const bounceFor = (relay: JourneyRelay, remoteMta: string): Bounce | undefined => {
		const replies = relay.entries.filter(entry => entry.direction === 'server' && entry.last !== false && entry.code !== undefined);
		const rcpt = replies.filter(entry => entry.step === 'rcpt');
		const failures: Array<{recipient: string; code: number; enhanced: string; text: string}> = [];
		rcpt.forEach((entry, index) => {
			const recipient = relay.recipients[index];
			if (recipient && entry.code! >= 500) failures.push({recipient, code: entry.code!, enhanced: entry.enhanced ?? '5.0.0', text: entry.text.replace(/^\d{3}[ -](\d\.\d{1,3}\.\d{1,3} )?/, '')});
		});
		const final = replies.find(entry => (entry.step === 'data' || entry.step === 'body') && entry.code! >= 500);
		if (final) {
			for (const [index, recipient] of relay.recipients.entries()) {
				if (rcpt[index] && rcpt[index].code! >= 500) continue;
				failures.push({recipient, code: final.code!, enhanced: final.enhanced ?? '5.0.0', text: final.text.replace(/^\d{3}[ -](\d\.\d{1,3}\.\d{1,3} )?/, '')});
			}
		}

		if (failures.length === 0 || !relay.message.mailFrom) return undefined; // never bounce a bounce (null sender)
		return buildBounce({reportingMta: sender.hostname, remoteMta, to: relay.message.mailFrom, queueId: relay.queueId, arrival: relay.message.receivedAt, failures, original: relay.message.raw});
	};

	// Relays being prepared (MX lookup), so close() can wait for them.
	const preparing = new Set<Promise<void>>();
	const startRelay = async (message: CapturedMessage, recipients: string[]) => {
		let mx: MxResult;
		try {
			mx = await lookupMx(receiver.domain, {resolver: dns.server, timeoutMs: 3000});
		} catch (error) {
			emit({type: 'not-relayed', message, recipients, reason: `The MX lookup of ${receiver.domain} failed: ${(error as Error).message}`});
			return;
		}

		const header = formatReceived(receivedFieldsOf(message, sender.hostname));
		// The provider signs what it relays (RFC 6376), as d=its customer's domain, the one in From:.
		const unaligned = authFaults.includes('unaligned-from') || authFaults.includes('dmarc-reject');
		const body = unaligned ? rewriteFromDomain(message.raw, facts.brandDomain) : message.raw;
		let signature: string;
		try {
			signature = await dkimSignature(body, sender.domain, dkim);
		} catch (error) {
			emit({type: 'not-relayed', message, recipients, reason: (error as Error).message});
			return;
		}

		const footer = authFaults.includes('footer-after-signing') ? Buffer.from(labFooter, 'utf8') : Buffer.alloc(0);
		// Its own Received: stays on top (RFC 5321 §4.4), the signature right below it.
		const sent = Buffer.concat([Buffer.from(header, 'latin1'), Buffer.from(signature, 'utf8'), body, footer]);
		const relay = new JourneyRelay({
			message,
			recipients,
			sent,
			// Messages are bytes end to end: 8-bit mail that is not UTF-8 arrives as it was sent.
			options: relayOptions(message, recipients, sent, mx),
			onEnd(ended) {
				const bounce = ended.state === 'failed' ? bounceFor(ended, mx.host) : undefined;
				if (bounce) {
					ended.bounce = bounce;
					bounces.push({queueId: ended.queueId, bounce, delivered: deliverBounce(bounce, ended.message.mailFrom)});
					emit({type: 'bounced', bounce, relay: ended});
				}

				emit({type: 'relay-finished', relay: ended});
			},
		});
		relays.push(relay);
		for (const listener of [...relayListeners]) {
			try {
				listener(relay);
			} catch {}
		}

		emit({type: 'relay-started', relay});
		if ((options.relay ?? 'auto') === 'auto') void relay.run();
	};

	sender.onMessage(message => {
		emit({type: 'submitted', message});
		const onward = message.rcptTo.filter(recipient => isLocal(recipient, receiver.domain) && recipient.includes('@'));
		const staying = message.rcptTo.filter(recipient => !onward.includes(recipient));
		if (staying.length > 0) {
			const local = staying.every(recipient => domainOf(recipient) === sender.domain.toLowerCase());
			const reason = local
				? `Local to ${sender.domain}: kept in the sender's inbox.`
				: `Outside the lab's two domains: the lab never sends mail anywhere, so it stays in the sender's inbox.`;
			emit({type: 'not-relayed', message, recipients: staying, reason});
		}

		if (onward.length > 0) {
			// Later than the sender's 250 (the lookup is asynchronous): queued now, delivered next.
			const prepared = startRelay(message, onward).finally(() => preparing.delete(prepared));
			preparing.add(prepared);
		}
	});
	receiver.onMessage(message => {
		mailboxes.deliver(message);
	});
	mailboxes.onDelivery(message => {
		emit({type: 'delivered', message});
	});
	pop3.onEvent(event => {
		emit({type: 'pop3', event});
	});
	imap.onEvent(event => {
		emit({type: 'imap', event});
	});

	const relayFor = async (queueId: string, timeoutMs = 30_000): Promise<JourneyRelay> => {
		let listener: ((relay: JourneyRelay) => void) | undefined;
		let timer: NodeJS.Timeout | undefined;
		const started = new Promise<JourneyRelay>(resolve => {
			const existing = relays.find(relay => relay.queueId === queueId);
			if (existing) {
				resolve(existing);
				return;
			}

			listener = relay => {
				if (relay.queueId === queueId) resolve(relay);
			};

			relayListeners.add(listener);
		});
		const deadline = new Promise<never>((_resolve, reject) => {
			timer = setTimeout(() => {
				reject(new Error(`The relay of queue ID ${queueId} did not finish within ${timeoutMs} ms.`));
			}, timeoutMs);
		});
		try {
			return await Promise.race([started.then(async relay => relay.finished), deadline]);
		} finally {
			clearTimeout(timer);
			if (listener) relayListeners.delete(listener);
		}
	};

	let closing: Promise<void> | undefined;
	const closeAll = async () => {
		await sender.close();
		await Promise.all([...preparing]);
		const running = relays.filter(relay => relay.state === 'running');
		if (running.length > 0) {
			let timer: NodeJS.Timeout | undefined;
			await Promise.race([
				Promise.all(running.map(async relay => relay.finished)),
				new Promise(resolve => {
					timer = setTimeout(resolve, closeGraceMs);
				}),
			]);
			clearTimeout(timer);
		}

		for (const relay of relays) relay.close();
		await Promise.all([receiver.close(), pop3.close(), imap.close(), dns.close()]);
	};

	const checkMessage: MessagePolicy = async message => {
		const report = await verifyMessage(message.raw, {
			ip: plainAddress(message.remoteAddress),
			helo: message.helo,
			mailFrom: message.mailFrom,
			mta: receiver.hostname,
			dnsServer: dns.server,
		});
		const relay = relays.find(candidate => candidate.state !== 'delivered' && candidate.state !== 'failed' && candidate.sent.equals(message.raw));
		if (relay) relay.authentication = report;
		if (!report.refusal) authentication.set(message.id, report);
		emit({type: 'authenticated', report, relay});
		return report.refusal ? {refusal: report.refusal} : {prepend: report.headers};
	};

	const alice = sender.users[0];
	const bob = receiver.users[0];
	const journey: JourneyLab = {
		host,
		sender,
		receiver,
		pop3,
		imap,
		pop3Ca,
		dns,
		dkim,
		mailboxes,
		relays,
		authFaults,
		setAuthFaults(next) {
			checkAuthFaults(next);
			authFaults.splice(0, authFaults.length, ...next);
			zone();
		},
		authentication,
		bounces,
		senderMail,
		onRelay(listener) {
			relayListeners.add(listener);
			return () => {
				relayListeners.delete(listener);
			};
		},
		onEvent(listener) {
			eventListeners.add(listener);
			return () => {
				eventListeners.delete(listener);
			};
		},
		submissionOptions(port = 587, over = {}) {
			return {
				host: sender.host,
				port: sender.ports[port]!,
				profilePort: port,
				tls: 'auto',
				tlsOptions: {ca: sender.ca, servername: sender.hostname, insecure: false},
				ehlo: 'client.example',
				from: alice?.address ?? `alice@${sender.domain}`,
				to: [bob?.address ?? `bob@${receiver.domain}`],
				credentials: alice ? {user: alice.user, password: alice.password} : undefined,
				label: `${sender.hostname}:${port}`,
				...over,
			};
		},
		retrievalOptions(port, over = {}) {
			return {...reading(pop3.host, pop3.ports[port]!, port, pop3Ca, receiver.hostname, bob, 'bob'), ...over};
		},
		imapRetrievalOptions(port, over = {}) {
			return {...reading(imap.host, imap.ports[port]!, port, pop3Ca, receiver.hostname, bob, 'bob'), ...over};
		},
		senderRetrievalOptions(port, over = {}) {
			return {...reading(senderMail.pop3.host, senderMail.pop3.ports[port]!, port, sender.ca, sender.hostname, alice, 'alice'), ...over};
		},
		relayFor,
		trace(queueId) {
			const relay = relays.find(candidate => candidate.queueId === queueId);
			return {
				submitted: sender.inbox.find(message => message.id === queueId),
				relay,
				authentication: relay?.authentication,
				delivered: relay?.receiverQueueId ? mailboxes.all().filter(message => message.queueId === relay.receiverQueueId) : [],
			};
		},
		async close() {
			closing ??= closeAll();
			return closing;
		},
	};
	return {journey, checkMessage};
}
