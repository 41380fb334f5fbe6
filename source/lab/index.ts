// The embedded lab: local SMTP servers on loopback, one per port personality (25, 465, 587,
// 2525), so smtp-tui can be used and taught offline. Messages are captured in `inbox`, never
// delivered. TLS uses a throwaway CA made at start; the engine trusts `lab.ca` explicitly.
// For teaching it fails on purpose where asked (faults.ts: per-port faults, and magic
// recipients that are always on), can be made deliberately vulnerable (attacks.ts), and is
// hardened by default (limits.ts). `stats()` and `onEvent()` feed a dashboard.
// With the `mailboxes` option it also keeps a mailbox per account and serves it over POP3
// (pop3.ts) and IMAP (imap.ts), so a real mail program can read what the lab accepted.

import type {AttackName} from './attacks.js';
import {resolveAttacks} from './attacks.js';
import type {CertificateVariant} from './ca.js';
import {certificateVariants, makeLabCertificates} from './ca.js';
import {LabStartError, describeListenError} from './errors.js';
import type {Fault} from './faults.js';
import {resolveFaults} from './faults.js';
import type {LabLimits} from './limits.js';
import {resolveLimits} from './limits.js';
import type {LabEvent, LabStats as MonitorStats} from './monitor.js';
import {LabMonitor} from './monitor.js';
import type {InboxStats} from './inbox.js';
import {Inbox, ReceiveBudget} from './inbox.js';
import type {LabPort} from './personality.js';
import {labPorts, personalities} from './personality.js';
import type {LabListener} from './server.js';
import {closeLabServer, createLabServer, listen} from './server.js';
import {GateCounter} from './gate.js';
import {AuthPenalty} from './auth-penalty.js';
import type {LabGuard} from './conversation-server.js';
import type {ImapPort, ImapServer} from './imap.js';
import {imapPorts, startImapServer} from './imap.js';
import {Mailboxes, type MailboxStats} from './mailbox.js';
import type {Pop3Port, Pop3Server} from './pop3.js';
import {pop3Ports, startPop3Server} from './pop3.js';
import type {CapturedMessage, LabUser, MessagePolicy} from './types.js';

export type {LabPort} from './personality.js';
export {labPorts} from './personality.js';
export type {CapturedMessage, LabUser, MessagePolicy, MessageVerdict} from './types.js';
export {LabConfigError, LabStartError} from './errors.js';
export {maxMessageBytes} from './server.js';
export type {CertificateVariant} from './ca.js';
export {certificateVariants, certificateVariantText, wrongHostName} from './ca.js';
export type {Fault, FaultName, FaultText} from './faults.js';
export {faultNames, faultText, magicRecipients, parseFault} from './faults.js';
export type {AttackName} from './attacks.js';
export {attackNames, attackText} from './attacks.js';
export type {LabLimits} from './limits.js';
export {defaultLimits} from './limits.js';
export type {LabEvent, LabEventType, LabPortStats} from './monitor.js';
export type {InboxStats} from './inbox.js';
export type {Delivery, ReceivedFields, StoredMessage} from './mailbox.js';
export {Mailboxes, formatReceived, receivedFieldsOf} from './mailbox.js';
export type {Pop3Event, Pop3EventType, Pop3Limits, Pop3Port, Pop3Server, Pop3ServerOptions} from './pop3.js';
export {Pop3Conversation, defaultPop3Limits, pop3Ports, startPop3Server} from './pop3.js';
export type {ImapEvent, ImapEventType, ImapLimits, ImapPort, ImapServer, ImapServerOptions} from './imap.js';
export {ImapConversation, defaultImapLimits, imapPorts, startImapServer} from './imap.js';

export const demoUsers: LabUser[] = [
	{user: 'alice', password: 'wonderland', address: 'alice@lab.test'},
	{user: 'bob', password: 'builder', address: 'bob@lab.test'},
];

export type LabOptions = {
	/** Address to listen on; default '127.0.0.1'. */
	host?: string;
	/** Listen port per personality; 0 or absent = an ephemeral port. */
	ports?: Partial<Record<LabPort, number>>;
	/** Start just these personalities; default all four. */
	only?: LabPort[];
	/** The lab's own mail domain (port 25 accepts mail for it only); default 'lab.test'. */
	domain?: string;
	/** Server name in the banner, EHLO and certificate; default 'mx.' + domain ('mx.lab.test'). */
	hostname?: string;
	/** Accounts for AUTH; default demoUsers. */
	users?: LabUser[];
	/**
	 * What every TLS listener serves, to demonstrate one kind of TLS failure; default 'valid'.
	 * `ca` stays the normal lab CA whatever the variant, so each fails for its own reason.
	 */
	certificate?: CertificateVariant;
	/** Failures on purpose, per port (faults.ts); default none. */
	faults?: Fault[];
	/** Deliberately vulnerable personalities, for teaching (attacks.ts); default none. */
	attacks?: AttackName[];
	/** Hardening limits (limits.ts); each one absent keeps its default. */
	limits?: LabLimits;
	/** Decides about each message at the end of DATA (refuse, or add header lines); default: accept. */
	messagePolicy?: MessagePolicy;
	/**
	 * Also keep a mailbox per user and serve it over POP3 (110, 995) and IMAP (143, 993), with
	 * the lab's certificate: mail accepted for a user's address lands in their mailbox, so a
	 * real mail program can read it. The listen port per personality (0 or absent: ephemeral).
	 */
	mailboxes?: {ports?: Partial<Record<MailPort, number>>};
};

/** The mail-reading personalities the `mailboxes` option adds. */
export type MailPort = Pop3Port | ImapPort;
export const mailPorts: MailPort[] = [110, 995, 143, 993];

/** The lab's counters: connections, messages, faults, per port, and the in-memory inbox. */
export type LabStats = MonitorStats & {
	inbox: InboxStats;
	/** With the `mailboxes` option: all accounts' mailboxes together, bounded by the same limits as the inbox. */
	mailboxes?: MailboxStats;
	/** Bytes held now for messages still being received (bounded by limits.maxReceivingBytes). */
	receivingBytes: number;
};

export type Lab = {
	host: string;
	/** The ports actually listening, per personality. */
	ports: Partial<Record<LabPort, number>>;
	/** PEM of the throwaway CA the engine must trust. */
	ca: string;
	domain: string;
	hostname: string;
	users: LabUser[];
	/** The certificate variant every TLS listener serves. */
	certificate: CertificateVariant;
	/**
	 * The accepted messages kept in memory, oldest first: the newest `limits.maxInboxMessages`,
	 * within `limits.maxInboxBytes` (older ones are pruned; `stats().inbox.pruned` counts them).
	 */
	inbox: CapturedMessage[];
	/** The faults in force, as given. */
	faults: Fault[];
	/** Replaces the faults in force, from the next command on (the TUI's fault menu). */
	setFaults(faults: Fault[]): void;
	/** The attack personalities switched on (none: the safe lab). */
	attacks: AttackName[];
	/** The limits in force, defaults filled in. */
	limits: Required<LabLimits>;
	/** With the `mailboxes` option: each user's mailbox, and the POP3 and IMAP servers reading it. */
	mail?: {mailboxes: Mailboxes; pop3: Pop3Server; imap: ImapServer};
	/** Calls `listener` for each message accepted from now on; returns the unsubscribe function. */
	onMessage(listener: (message: CapturedMessage) => void): () => void;
	/** Counters for a dashboard, as of now (a copy). */
	stats(): LabStats;
	/** Calls `listener` for each connect, close, accepted message and fault from now on; returns the unsubscribe function. */
	onEvent(listener: (event: LabEvent) => void): () => void;
	/** Stops every listener and ends every open session; resolves once all sockets are closed. */
	close(): Promise<void>;
};

function checkPort(port: LabPort, listenPort: number): void {
	if (!Number.isInteger(listenPort) || listenPort < 0 || listenPort > 65_535) {
		throw new LabStartError(`The listen port ${listenPort} for the port-${port} personality is not a port number (0 to 65535).`, port);
	}
}

function wantedPorts(only: LabPort[] | undefined): LabPort[] {
	const wanted = only ?? labPorts;
	for (const port of wanted) {
		if (!labPorts.includes(port)) {
			throw new LabStartError(`The lab has no port-${String(port)} personality; it has ${labPorts.join(', ')}.`);
		}
	}

	// Keep the canonical order whatever order was asked for, and drop repeats.
	return labPorts.filter(port => wanted.includes(port));
}

export async function startLab(options: LabOptions = {}): Promise<Lab> {
	const host = options.host ?? '127.0.0.1';
	const domain = options.domain ?? 'lab.test';
	const hostname = options.hostname ?? `mx.${domain}`;
	const users = [...(options.users ?? demoUsers)];
	const ports = wantedPorts(options.only);
	for (const port of ports) checkPort(port, options.ports?.[port] ?? 0);
	const certificate = options.certificate ?? 'valid';
	if (!certificateVariants.includes(certificate)) {
		throw new LabStartError(`The lab has no certificate variant "${String(certificate)}"; it has ${certificateVariants.join(', ')}.`);
	}

	const faults = [...(options.faults ?? [])];
	const faultsPerPort = resolveFaults(faults);
	const attacks = resolveAttacks(options.attacks ?? []);
	const limits = resolveLimits(options.limits);
	const monitor = new LabMonitor();

	const material = await makeLabCertificates(hostname, certificate);
	const tls = {key: material.key, cert: material.cert, legacyOnly: certificate === 'old-tls'};
	const inbox = new Inbox(limits.maxInboxMessages, limits.maxInboxBytes);
	const budget = new ReceiveBudget(limits.maxReceivingBytes);
	const listeners = new Set<(message: CapturedMessage) => void>();
	const capture = (message: CapturedMessage) => {
		// Listeners (--save-dir) get every message, also one pruned from memory later.
		inbox.add(message);
		for (const listener of [...listeners]) {
			// A failing listener is the listener's bug; it must not break the SMTP session
			// that is waiting for its reply, and the lab never prints.
			try {
				listener(message);
			} catch {}
		}
	};

	const running: LabListener[] = [];
	const counter = new GateCounter();
	const penalty = new AuthPenalty(limits);
	const bound: Partial<Record<LabPort, number>> = {};
	const closeAll = async () => {
		await Promise.all(running.map(async server => closeLabServer(server, hostname)));
	};

	for (const port of ports) {
		const server = createLabServer({
			personality: personalities[port],
			hostname,
			domain,
			users,
			tls,
			capture,
			messagePolicy: options.messagePolicy,
			faults: faultsPerPort[port],
			attacks,
			limits,
			monitor,
			budget,
			counter,
			penalty,
		});
		const listenPort = options.ports?.[port] ?? 0;
		try {
			// Sequential on purpose: a failure leaves a short, known list to close.
			bound[port] = await listen(server, listenPort, host);
			running.push(server);
		} catch (error) {
			await closeAll();
			throw describeListenError(error as NodeJS.ErrnoException, port, host, listenPort);
		}
	}

	let mail: Lab['mail'];
	if (options.mailboxes) {
		try {
			// POP3 and IMAP are behind the same gate, counts and failed-login table as SMTP. Their
			// idle timeouts stay their RFCs' (30 and 10 minutes) unless --idle-timeout is given.
			const given = options.limits ?? {};
			const mailLimits = {
				...(given.idleTimeoutMs === undefined ? {} : {idleTimeoutMs: limits.idleTimeoutMs}),
				...(given.maxAuthFailures === undefined ? {} : {maxAuthFailures: limits.maxAuthFailures}),
			};
			mail = await startMail(options.mailboxes.ports ?? {}, {host, hostname, users, tls: material, limits: mailLimits, guard: {counter, penalty, monitor, limits}, bounds: {maxMessages: limits.maxInboxMessages, maxBytes: limits.maxInboxBytes}});
		} catch (error) {
			await closeAll();
			const failed = error as NodeJS.ErrnoException & {port?: number};
			const port = mailPorts.find(candidate => (options.mailboxes?.ports?.[candidate] ?? 0) === failed.port) ?? 143;
			throw describeListenError(failed, port, host, failed.port ?? 0);
		}

		const {mailboxes} = mail;
		listeners.add(message => {
			mailboxes.deliver(message);
		});
	}

	let closing: Promise<void> | undefined;
	return {
		host,
		ports: bound,
		mail,
		ca: material.ca,
		domain,
		hostname,
		users,
		certificate,
		inbox: inbox.messages,
		faults,
		attacks,
		limits,
		setFaults(next) {
			// Every port's policy reads its PortFaults object live: change it in place.
			const resolved = resolveFaults(next);
			for (const port of labPorts) {
				const target = faultsPerPort[port] as Record<string, unknown>;
				for (const key of Object.keys(target)) delete target[key];
				Object.assign(target, resolved[port]);
			}

			faults.splice(0, faults.length, ...next);
		},
		stats() {
			return {...monitor.stats(), inbox: inbox.stats(), ...(mail ? {mailboxes: mail.mailboxes.stats()} : {}), receivingBytes: budget.held};
		},
		onEvent(listener) {
			return monitor.onEvent(listener);
		},
		onMessage(listener) {
			listeners.add(listener);
			return () => {
				listeners.delete(listener);
			};
		},
		async close() {
			closing ??= (async () => {
				await Promise.all([closeAll(), mail?.pop3.close(), mail?.imap.close()]);
			})();
			return closing;
		},
	};
}

/** The mailboxes and the POP3 and IMAP servers over them (the `mailboxes` option). */
type MailSettings = {host: string; hostname: string; users: LabUser[]; tls: {key: string; cert: string}; limits: {idleTimeoutMs?: number; maxAuthFailures?: number}; guard: LabGuard; bounds: {maxMessages: number; maxBytes: number}};

async function startMail(ports: Partial<Record<MailPort, number>>, settings: MailSettings): Promise<NonNullable<Lab['mail']>> {
	// The mailboxes are a second copy of what SMTP accepted: bounded like the inbox (all mailboxes together).
	const mailboxes = new Mailboxes(settings.hostname, settings.users, settings.bounds);
	const pick = <Port extends MailPort>(wanted: Port[]) => Object.fromEntries(wanted.map(port => [port, ports[port] ?? 0])) as Record<Port, number>;
	const common = {host: settings.host, hostname: settings.hostname, mailboxes, tls: settings.tls, limits: settings.limits, guard: settings.guard};
	const pop3 = await startPop3Server({...common, ports: pick(pop3Ports)});
	try {
		const imap = await startImapServer({...common, ports: pick(imapPorts)});
		return {mailboxes, pop3, imap};
	} catch (error) {
		await pop3.close();
		throw error;
	}
}
