// `smtp-tui lab`: the lab as a classroom server. Headless; a live dashboard on a terminal,
// one log line per event otherwise. Students point their smtp-tui at it with --lab-ca.
import {readFile, writeFile} from 'node:fs/promises';
import net from 'node:net';
import type {SaveDirHandle} from '../lab/save.js';
import type {ImapEvent, Lab, LabLimits, LabPort, LabUser, MailPort, Pop3Event} from '../lab/index.js';
import {defaultLimits} from '../lab/limits.js';
import {parsePortList} from '../setup/probe-targets.js';
import {classroomIntro, eventLine, mailEventLine} from '../setup/classroom-lines.js';
import {labConfig, labPortList, saveDirectory, UsageError, type LabConfig, type TargetFlags} from '../setup/target.js';

export type ClassroomFlags = TargetFlags & {
	listen?: string;
	ports?: string;
	basePort?: string;
	users?: string;
	caOut?: string;
	maxClients?: string;
	maxPerIp?: string;
	maxMessageSize?: string;
	idleTimeout?: string;
	maxLineLength?: string;
	maxRecipients?: string;
	maxAuthFailures?: string;
	authFailureDelay?: string;
	authFailureDelayMax?: string;
	maxAuthPerMinute?: string;
	handshakeTimeout?: string;
	commandTimeout?: string;
	sessionTimeout?: string;
	minDataRate?: string;
	maxInboxMessages?: string;
	maxInboxSize?: string;
	maxReceiving?: string;
};

export type ClassroomOptions = {
	host: string;
	ports: Record<LabPort, number>;
	/** Where the POP3 and IMAP personalities listen (each account's mailbox). */
	mailPorts: Record<MailPort, number>;
	users?: LabUser[];
	limits: LabLimits;
	config: LabConfig;
	caOut?: string;
	/** --save-dir: an absolute folder, already proven writable (before anything listens). */
	saveDir?: string;
};

/** Usual ports are privileged; by default the classroom lab listens on 10000 + the port. */
export const defaultBasePort = 10_000;

/** The mailbox personalities the classroom lab adds: POP3 110 (STLS) and 995, IMAP 143 (STARTTLS) and 993. */
export const mailPortList: MailPort[] = [110, 995, 143, 993];

function whole(value: string | undefined, flag: string, min: number, max: number): number | undefined {
	if (value === undefined) return undefined;
	if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new UsageError(`${flag} takes a whole number from ${min} to ${max}, not "${value}".`);
	return Number(value);
}

/** Reads "user:password" lines (# comments and blank lines skipped). */
export async function readUsers(file: string, domain = 'lab.test'): Promise<LabUser[]> {
	let text: string;
	try {
		text = await readFile(file, 'utf8');
	} catch (error) {
		throw new UsageError(`Cannot read the users file "${file}": ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message}.`);
	}

	const users: LabUser[] = [];
	text.split(/\r?\n/).forEach((raw, index) => {
		const line = raw.trim();
		if (line === '' || line.startsWith('#')) return;
		const colon = line.indexOf(':');
		if (colon <= 0 || colon === line.length - 1) throw new UsageError(`Line ${index + 1} of "${file}" is not user:password.`);
		const user = line.slice(0, colon);
		users.push({user, password: line.slice(colon + 1), address: user.includes('@') ? user : `${user}@${domain}`});
	});
	if (users.length === 0) throw new UsageError(`The users file "${file}" lists nobody.`);
	return users;
}

export async function classroomOptions(flags: ClassroomFlags): Promise<ClassroomOptions> {
	const host = flags.listen ?? '127.0.0.1';
	if (!net.isIP(host)) throw new UsageError(`--listen takes an IP address (127.0.0.1, 0.0.0.0, ::), not "${host}".`);
	if (flags.ports && flags.basePort) throw new UsageError('Choose one of --ports and --base-port, not both.');
	const base = whole(flags.basePort, '--base-port', 1, 62_000) ?? defaultBasePort;
	const mapping = flags.ports ? parsePortList(flags.ports, labPortList) : labPortList.map(port => ({port, connect: base + port}));
	const ports = {} as Record<LabPort, number>;
	// POP3 and IMAP listen at the base (10000 by default) + the port; with --ports, those it does
	// not name take a free port (printed), so two labs with --ports never collide on them.
	const mailPorts = Object.fromEntries(mailPortList.map(port => [port, flags.ports ? 0 : base + port])) as Record<MailPort, number>;
	for (const {port, connect} of mapping) {
		if (mailPortList.includes(port as MailPort)) mailPorts[port as MailPort] = connect;
		else if (labPortList.includes(port as LabPort)) ports[port as LabPort] = connect;
		else throw new UsageError(`--ports maps the lab's ports (25, 465, 587, 2525; POP3 110, 995; IMAP 143, 993), not ${port}.`);
	}

	const idle = whole(flags.idleTimeout, '--idle-timeout', 1, 3600);
	const seconds = (value: string | undefined, flag: string, max: number) => {
		const n = whole(value, flag, 1, max);
		return n === undefined ? undefined : n * 1000;
	};

	const size = whole(flags.maxMessageSize, '--max-message-size', 1000, 1_000_000_000);
	const receiving = whole(flags.maxReceiving, '--max-receiving', 1000, 100_000_000_000);
	const largest = size ?? defaultLimits.maxMessageBytes;
	if (receiving !== undefined && receiving < 2 * largest) {
		throw new UsageError(`--max-receiving must be at least twice the largest message (${2 * largest} bytes), not ${receiving}.`);
	}

	return {
		host,
		ports,
		mailPorts,
		users: flags.users ? await readUsers(flags.users) : undefined,
		limits: {
			maxClients: whole(flags.maxClients, '--max-clients', 1, 100_000),
			maxClientsPerIp: whole(flags.maxPerIp, '--max-per-ip', 1, 100_000),
			maxMessageBytes: size,
			idleTimeoutMs: idle === undefined ? undefined : idle * 1000,
			maxLineLength: whole(flags.maxLineLength, '--max-line-length', 80, 16_384),
			maxRecipients: whole(flags.maxRecipients, '--max-recipients', 1, 100_000),
			maxAuthFailures: whole(flags.maxAuthFailures, '--max-auth-failures', 1, 1000),
			authFailureDelayMs: whole(flags.authFailureDelay, '--auth-failure-delay', 1, 60_000),
			authFailureDelayMaxMs: whole(flags.authFailureDelayMax, '--auth-failure-delay-max', 1, 600_000),
			maxAuthFailuresPerMinute: whole(flags.maxAuthPerMinute, '--max-auth-per-minute', 1, 100_000),
			handshakeTimeoutMs: seconds(flags.handshakeTimeout, '--handshake-timeout', 600),
			commandTimeoutMs: seconds(flags.commandTimeout, '--command-timeout', 3600),
			sessionTimeoutMs: seconds(flags.sessionTimeout, '--session-timeout', 86_400),
			minDataRate: whole(flags.minDataRate, '--min-data-rate', 1, 1_000_000_000),
			maxInboxMessages: whole(flags.maxInboxMessages, '--max-inbox-messages', 1, 1_000_000),
			maxInboxBytes: whole(flags.maxInboxSize, '--max-inbox-size', 1000, 100_000_000_000),
			maxReceivingBytes: receiving,
		},
		config: labConfig({...flags, host: undefined}),
		caOut: flags.caOut,
		saveDir: await saveDirectory({saveDir: flags.saveDir}),
	};
}

/**
 * --save-dir for the classroom lab: from now on every message the lab accepts is saved into
 * `dir` exactly as `run` and the TUI save it (lab/save.ts: DIR/<time>-<id>.eml byte for byte,
 * with a .json sidecar; each save starts before the 250). A failed save goes to `report` in
 * one sentence. Call it right after the lab starts; await flush() after the lab is closed.
 */
export async function saveClassroomMessages(lab: Pick<Lab, 'onMessage'>, dir: string, report: (message: string) => void): Promise<SaveDirHandle> {
	const {attachSaveDir} = await import('../lab/save.js');
	return attachSaveDir(lab, dir, report);
}

export async function startClassroom(options: ClassroomOptions): Promise<Lab> {
	const {startLab} = await import('../lab/index.js');
	const limits = Object.fromEntries(Object.entries(options.limits).filter(([, v]) => v !== undefined)) as LabLimits;
	// Only the SMTP ports named (all four unless --ports names fewer) listen; POP3 and IMAP always do.
	const named = labPortList.filter(port => options.ports[port] !== undefined);
	const lab = await startLab({host: options.host, ports: options.ports, only: named.length > 0 ? named : undefined, users: options.users, limits, mailboxes: {ports: options.mailPorts}, ...options.config});
	if (options.caOut) {
		try {
			await writeFile(options.caOut, lab.ca);
		} catch (error) {
			await lab.close();
			throw new UsageError(`Cannot write the CA to "${options.caOut}": ${(error as Error).message}.`);
		}
	}

	return lab;
}

/**
 * Lines written together once per turn of the event loop: under load the lab logs three lines
 * per session, and one write per line was a system call each (stdout to a pipe or a file is
 * written synchronously). The same lines in the same order, only fewer writes; `flush()`
 * writes what is pending at once.
 */
export function lineBatch(write: (lines: string) => void): {add(line: string): void; flush(): void} {
	let pending: string[] = [];
	let scheduled: NodeJS.Immediate | undefined;
	const flush = () => {
		if (scheduled) clearImmediate(scheduled);
		scheduled = undefined;
		if (pending.length === 0) return;
		const lines = pending;
		pending = [];
		write(lines.join('\n'));
	};

	return {
		add(line) {
			pending.push(line);
			scheduled ??= setImmediate(flush);
		},
		flush,
	};
}

/** Without a terminal: log lines until a signal stops the lab. `write` takes one or more lines (without the last newline). */
export async function runClassroomLog(lab: Lab, caOut: string | undefined, write: (lines: string) => void, stopped: Promise<void>): Promise<number> {
	for (const line of classroomIntro(lab, caOut)) write(line);
	const batch = lineBatch(write);
	const unsubscribe = [lab.onEvent(event => batch.add(eventLine(event)))];
	if (lab.mail) {
		const mailLine = (protocol: 'pop3' | 'imap') => (event: Pop3Event | ImapEvent) => {
			const line = mailEventLine(protocol, event);
			if (line) batch.add(line);
		};

		unsubscribe.push(lab.mail.pop3.onEvent(mailLine('pop3')), lab.mail.imap.onEvent(mailLine('imap')));
	}

	await stopped;
	for (const stop of unsubscribe) stop();
	batch.flush();
	const stats = lab.stats();
	const pruned = stats.inbox.pruned > 0 ? ` (${stats.inbox.pruned} older ones pruned from memory; --save-dir keeps every one on disk)` : '';
	const mailboxPruned = (stats.mailboxes?.pruned ?? 0) > 0 ? ` (${stats.mailboxes!.pruned} older ones pruned from the mailboxes)` : '';
	write(`lab: stopped after ${stats.sessionsTotal} sessions and ${stats.messages} messages${pruned}${mailboxPruned}`);
	await lab.close();
	return 0;
}
