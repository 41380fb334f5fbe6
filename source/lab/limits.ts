// The lab's hardening limits: what keeps one client (or a class of forty) from exhausting it.
// Defaults follow Postfix where Postfix has one.

import {LabConfigError} from './errors.js';
import type {LabReply} from './personality.js';

export type LabLimits = {
	/** Longest command line in octets, CRLF included (RFC 5321 §4.5.3.1.4); default 512. */
	maxLineLength?: number;
	/** Largest message in bytes, advertised as SIZE; default 10240000 (Postfix's message_size_limit). */
	maxMessageBytes?: number;
	/** Recipients per message; default 100 (Postfix's smtpd_recipient_limit is 1000). */
	maxRecipients?: number;
	/** Open connections over the whole lab, counted from accept (TLS handshakes included); default 200. */
	maxClients?: number;
	/** Open connections from one client IP over the whole lab, counted from accept; default 20 (Postfix's smtpd_client_connection_count_limit is 50). */
	maxClientsPerIp?: number;
	/** A client silent this long (ms) is told 421 and dropped; default 60000. */
	idleTimeoutMs?: number;
	/** From accept to the SMTP session (the TLS handshake on 465 included), in ms; default 10000. */
	handshakeTimeoutMs?: number;
	/** A command line (or a line of a message) must be complete this long (ms) after its first byte, plus 1 s per minDataRate bytes; default 10000 (Postfix's smtpd_timeout under stress, with smtpd_per_request_deadline). */
	commandTimeoutMs?: number;
	/** Bytes per second that earn a line one more second (Postfix's smtpd_min_data_rate); default 500. */
	minDataRate?: number;
	/** Longest a connection may stay open, in ms, however busy; default 1800000 (30 minutes). */
	sessionTimeoutMs?: number;
	/** Failed logins per connection before 421 and a hang-up; default 10 (one mistyped password in Python's smtplib login() is 3: it tries CRAM-MD5, PLAIN and LOGIN in turn). */
	maxAuthFailures?: number;
	/** An AUTH from an address with recent failed logins waits this long (ms) per failure, doubling; default 1000. */
	authFailureDelayMs?: number;
	/** The longest that wait grows; default 15000 (Dovecot's anvil penalty maximum). */
	authFailureDelayMaxMs?: number;
	/** Failed logins per client IP per minute; past them AUTH gets 450 4.7.1, unchecked; default 30. */
	maxAuthFailuresPerMinute?: number;
	/** Messages the in-memory inbox keeps; older ones are pruned first; default 500 (as Mailpit). */
	maxInboxMessages?: number;
	/** Bytes the in-memory inbox keeps; older messages are pruned first; default 100000000 (100 MB). */
	maxInboxBytes?: number;
	/** Bytes of messages being received at once, over all sessions (one client IP: at most half); default 50000000. */
	maxReceivingBytes?: number;
}

export const defaultLimits: Required<LabLimits> = {
	maxLineLength: 512,
	maxMessageBytes: 10_240_000,
	maxRecipients: 100,
	maxClients: 200,
	maxClientsPerIp: 20,
	idleTimeoutMs: 60_000,
	handshakeTimeoutMs: 10_000,
	commandTimeoutMs: 10_000,
	minDataRate: 500,
	sessionTimeoutMs: 1_800_000,
	maxAuthFailures: 10,
	authFailureDelayMs: 1000,
	authFailureDelayMaxMs: 15_000,
	maxAuthFailuresPerMinute: 30,
	maxInboxMessages: 500,
	maxInboxBytes: 100_000_000,
	maxReceivingBytes: 50_000_000,
};

/** The end-of-data reply when the lab's budget for messages being received is used up (Postfix's words). */
export const insufficientStorageReply: LabReply = {code: 452, enhanced: '4.3.1', text: 'Insufficient system storage'};

/** AUTH lines may be longer than commands (RFC 4954 §4): up to 12288 octets. */
export const maxAuthLineLength = 12_288;

/**
 * smtp-server's own parser refuses longer lines with a 421 and a hang-up, holding at most
 * this much (its default); the lab's own limit answers shorter over-long lines with a 500.
 */
export const parserLineCap = 16 * 1024;

const limitNames = Object.keys(defaultLimits) as Array<keyof LabLimits>;

/** Fills in the defaults; throws a LabConfigError on a limit that is not a positive whole number. */
export function resolveLimits(limits: LabLimits = {}): Required<LabLimits> {
	const resolved = {...defaultLimits};
	for (const [name, value] of Object.entries(limits) as Array<[keyof LabLimits, number | undefined]>) {
		if (!limitNames.includes(name)) {
			throw new LabConfigError(`The lab has no limit "${name}"; it has ${limitNames.join(', ')}.`);
		}

		if (value === undefined) continue;
		if (!Number.isSafeInteger(value) || value < 1) {
			throw new LabConfigError(`The lab limit ${name} is ${String(value)}; it must be a whole number of at least 1.`);
		}

		resolved[name] = value;
	}

	// One client IP may hold half the budget for messages being received: room for two of the largest.
	const room = 2 * resolved.maxMessageBytes;
	if (limits.maxReceivingBytes === undefined) {
		resolved.maxReceivingBytes = Math.max(resolved.maxReceivingBytes, room);
	} else if (resolved.maxReceivingBytes < room) {
		throw new LabConfigError(`The lab limit maxReceivingBytes is ${resolved.maxReceivingBytes}; it must be at least twice maxMessageBytes (${room}).`);
	}

	return resolved;
}
