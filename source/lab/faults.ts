// Deterministic failures the lab produces on purpose, so an instructor can show each one
// exactly when wanted: pure data and parsing here, no sockets. server.ts asks
// `faultValue()` whether a fault is on for its port and uses the replies built below.
// The texts follow Postfix (and postgrey for greylisting).

import {LabConfigError} from './errors.js';
import type {LabPort, LabReply} from './personality.js';
import {labPorts} from './personality.js';

export type FaultName =
	| 'greylist'
	| 'tarpit'
	| 'rate-limit'
	| 'too-many-recipients'
	| 'too-big'
	| 'unknown-mailbox'
	| 'disconnect-in-data'
	| 'tls-unavailable'
	| 'auth-tempfail'
	| 'bare-lf-reject'
	| 'greet-pause';

export const faultNames: FaultName[] = [
	'greylist',
	'tarpit',
	'rate-limit',
	'too-many-recipients',
	'too-big',
	'unknown-mailbox',
	'disconnect-in-data',
	'tls-unavailable',
	'auth-tempfail',
	'bare-lf-reject',
	'greet-pause',
];

/** One fault on some ports; `value` as `faultText[name].valueMeaning` says (default `defaultValue`). */
export type Fault = {name: FaultName; ports: LabPort[] | 'all'; value?: number};

export type FaultText = {
	/** What the fault does, in one line for people. */
	summary: string;
	/** The reply it causes (as with the default host name mx.lab.test). */
	reply: string;
	/** What `value` means, for faults that take one. */
	valueMeaning?: string;
	defaultValue?: number;
	/** The largest value that makes sense (timers and counters stay in range). */
	maxValue?: number;
};

export const faultText: Record<FaultName, FaultText> = {
	greylist: {
		summary: 'the first RCPT from each (client IP, sender, recipient) is refused for a while; a retry after the wait passes',
		reply: '451 4.7.1 <rcpt>: Recipient address rejected: Greylisted, try again in N seconds',
		valueMeaning: 'seconds before a retry passes',
		defaultValue: 60,
		maxValue: 86_400,
	},
	tarpit: {
		summary: 'every reply, the banner included, comes late',
		reply: '(the usual replies, each one delayed)',
		valueMeaning: 'milliseconds of delay before each reply',
		defaultValue: 2000,
		maxValue: 600_000,
	},
	'rate-limit': {
		summary: 'after a number of accepted messages from one client IP on this port, MAIL is refused and the connection closed',
		reply: '421 4.7.0 mx.lab.test Error: too many messages, slow down',
		valueMeaning: 'messages accepted from one client IP before MAIL is refused',
		defaultValue: 3,
		maxValue: 1_000_000,
	},
	'too-many-recipients': {
		summary: 'RCPT beyond a small number of recipients per message is refused',
		reply: '452 4.5.3 Error: too many recipients',
		valueMeaning: 'recipients accepted per message',
		defaultValue: 2,
		maxValue: 1000,
	},
	'too-big': {
		summary: 'SIZE advertises a small limit; a larger message (or MAIL with a larger SIZE=) is refused',
		reply: '552 5.3.4 Error: message file too big',
		valueMeaning: 'largest message accepted, in bytes',
		defaultValue: 1000,
		maxValue: 1_000_000_000,
	},
	'unknown-mailbox': {
		summary: 'every recipient in the lab domain is unknown (postmaster excepted, as RFC 5321 requires)',
		reply: '550 5.1.1 <rcpt>: Recipient address rejected: User unknown in virtual mailbox table',
	},
	'disconnect-in-data': {
		summary: 'the connection is dropped as soon as the first line of the message arrives after DATA',
		reply: '(no reply: the connection is cut)',
	},
	'tls-unavailable': {
		summary: 'STARTTLS is advertised but refused, as when the server cannot load its certificate',
		reply: '454 4.7.0 TLS not available due to local problem',
	},
	'auth-tempfail': {
		summary: 'AUTH fails temporarily, as when the password database is down',
		reply: '454 4.7.0 Temporary authentication failure',
	},
	'bare-lf-reject': {
		summary: 'a message line ended by a bare LF is refused and the connection closed (Postfix smtpd_forbid_bare_newline = yes); without it the lab normalises bare LF to CRLF',
		reply: '521 5.5.2 mx.lab.test Error: bare <LF> received',
	},
	'greet-pause': {
		summary: 'the banner is held back, as Postfix postscreen does (postscreen_greet_wait); a client that talks before it is refused and dropped (postscreen_greet_action = drop)',
		reply: '521 5.5.1 Protocol error (to a client that talks before the banner)',
		valueMeaning: 'milliseconds the banner is held back',
		defaultValue: 6000,
		maxValue: 600_000,
	},
};

/** Values per fault in force on one port (the default filled in). */
export type PortFaults = Partial<Record<FaultName, number>>;

function isFaultName(name: string): name is FaultName {
	return (faultNames as string[]).includes(name);
}

function checkValue(name: FaultName, value: number | undefined, where: string): void {
	if (value === undefined) return;
	const meaning = faultText[name].valueMeaning;
	if (!meaning) throw new LabConfigError(`The ${name} fault${where} takes no value.`);
	if (!Number.isSafeInteger(value) || value < 0 || value > maxValue(name)) {
		throw new LabConfigError(`The ${name} fault${where} has the value ${String(value)}; it must be a whole number from 0 to ${maxValue(name)} (${meaning}).`);
	}
}

function maxValue(name: FaultName): number {
	return faultText[name].maxValue ?? Number.MAX_SAFE_INTEGER;
}

/**
 * Checks a list of faults and returns what is in force per port. A fault named twice for a
 * port keeps the later value.
 */
export function resolveFaults(faults: Fault[]): Record<LabPort, PortFaults> {
	const perPort: Record<LabPort, PortFaults> = {25: {}, 465: {}, 587: {}, 2525: {}};
	for (const fault of faults) {
		const name: string = fault.name;
		if (!isFaultName(name)) {
			throw new LabConfigError(`The lab has no fault "${name}"; it has ${faultNames.join(', ')}.`);
		}

		checkValue(name, fault.value, '');
		const ports = fault.ports === 'all' ? labPorts : fault.ports;
		if (!Array.isArray(ports) || ports.length === 0) {
			throw new LabConfigError(`The ${name} fault names no port; give one or more of ${labPorts.join(', ')}, or all.`);
		}

		for (const port of ports) {
			if (!labPorts.includes(port)) {
				throw new LabConfigError(`The ${name} fault names port ${String(port)}; the lab has ${labPorts.join(', ')}.`);
			}

			perPort[port][name] = fault.value ?? faultText[name].defaultValue ?? 0;
		}
	}

	return perPort;
}

function parsePorts(text: string, spec: string): LabPort[] | 'all' {
	if (text.toLowerCase() === 'all') return 'all';
	const ports: LabPort[] = [];
	for (const part of text.split(',')) {
		const port = Number(part.trim());
		if (!/^\d+$/.test(part.trim()) || !labPorts.includes(port as LabPort)) {
			throw new LabConfigError(`The fault "${spec}" names port "${part.trim()}"; the lab has ${labPorts.join(', ')}, or all.`);
		}

		if (!ports.includes(port as LabPort)) ports.push(port as LabPort);
	}

	return ports;
}

/**
 * Reads a fault from its command-line form, `PORTS:NAME[=VALUE]`: "587:greylist=30",
 * "all:tarpit=1500", "25,587:too-big=1000". Without `PORTS:` the fault applies to every port.
 * Throws a LabConfigError with one sentence on bad input.
 */
export function parseFault(spec: string): Fault {
	const text = spec.trim();
	const match = /^(?:([^:]*):)?([^=:]*)(?:=(.*))?$/.exec(text);
	if (!text || !match) {
		throw new LabConfigError(`The fault "${spec}" is not of the form PORTS:NAME[=VALUE], e.g. 587:greylist=30.`);
	}

	const [, portText, nameText = '', valueText] = match;
	const name = nameText.trim().toLowerCase();
	if (!isFaultName(name)) {
		throw new LabConfigError(`The fault "${spec}" names no known fault; the lab has ${faultNames.join(', ')}.`);
	}

	const ports = portText === undefined ? 'all' : parsePorts(portText, spec);
	if (valueText === undefined) return {name, ports};
	const meaning = faultText[name].valueMeaning;
	if (!meaning) throw new LabConfigError(`The fault "${spec}" gives a value, but ${name} takes none.`);
	if (!/^\d+$/.test(valueText.trim()) || Number(valueText) > maxValue(name)) {
		throw new LabConfigError(`The fault "${spec}" has the value "${valueText}"; it must be a whole number from 0 to ${maxValue(name)} (${meaning}).`);
	}

	return {name, ports, value: Number(valueText)};
}

// The replies, built with the actual recipient and host name.

export function greylistReply(recipient: string, seconds: number): LabReply {
	return {code: 451, enhanced: '4.7.1', text: `<${recipient}>: Recipient address rejected: Greylisted, try again in ${seconds} ${seconds === 1 ? 'second' : 'seconds'}`};
}

export function unknownMailboxReply(recipient: string): LabReply {
	return {code: 550, enhanced: '5.1.1', text: `<${recipient}>: Recipient address rejected: User unknown in virtual mailbox table`};
}

export function rateLimitReply(hostname: string): LabReply {
	return {code: 421, enhanced: '4.7.0', text: `${hostname} Error: too many messages, slow down`};
}

export const tooManyRecipientsReply: LabReply = {code: 452, enhanced: '4.5.3', text: 'Error: too many recipients'};
export const tooBigReply: LabReply = {code: 552, enhanced: '5.3.4', text: 'Error: message file too big'};
export const tlsUnavailableReply: LabReply = {code: 454, enhanced: '4.7.0', text: 'TLS not available due to local problem'};
export const authTempfailReply: LabReply = {code: 454, enhanced: '4.7.0', text: 'Temporary authentication failure'};
/** What postscreen says to a client that talks before the banner (postscreen_greet_action = drop). */
export const pregreetReply: LabReply = {code: 521, enhanced: '5.5.1', text: 'Protocol error'};

// Magic recipients: always on, on every port that would otherwise accept the recipient.

/** Seconds greylist@ makes a client wait. */
export const magicGreylistSeconds = 30;
/** How late slow@ gets its RCPT reply, in ms. */
export const magicSlowMs = 3000;

export type MagicName = 'greylist' | 'full' | 'unknown' | 'slow' | 'tempfail';
const magicNames: MagicName[] = ['greylist', 'full', 'unknown', 'slow', 'tempfail'];

/**
 * Address -> what it does, for the readme and the UI (with the default domain lab.test; with
 * another lab domain the same local parts work in that domain).
 */
export const magicRecipients: Record<string, string> = {
	'greylist@lab.test': `greylisted: the first RCPT gets 451 4.7.1 "Greylisted, try again in ${magicGreylistSeconds} seconds"; a retry after that passes`,
	'full@lab.test': 'RCPT gets 552 5.2.2 <full@lab.test>: Mailbox full',
	'unknown@lab.test': 'RCPT gets 550 5.1.1 <unknown@lab.test>: Recipient address rejected: User unknown in virtual mailbox table',
	'slow@lab.test': `accepted, but the RCPT reply takes ${magicSlowMs / 1000} seconds`,
	'tempfail@lab.test': 'accepted at RCPT; the message then gets 451 4.3.0 Error: queue file write error after the final dot, and is not kept',
};

/** Which magic recipient `address` is in `domain`, if any. */
export function magicName(address: string, domain: string): MagicName | undefined {
	const at = address.lastIndexOf('@');
	if (at <= 0 || address.slice(at + 1).toLowerCase() !== domain.toLowerCase()) return undefined;
	const local = address.slice(0, at).toLowerCase();
	return magicNames.find(name => name === local);
}

export function mailboxFullReply(recipient: string): LabReply {
	return {code: 552, enhanced: '5.2.2', text: `<${recipient}>: Mailbox full`};
}

export const queueWriteErrorReply: LabReply = {code: 451, enhanced: '4.3.0', text: 'Error: queue file write error'};
