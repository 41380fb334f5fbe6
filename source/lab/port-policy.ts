// The decisions one lab port takes beyond its personality: limits, faults and magic
// recipients, with the memory they need (greylist, message counts). No sockets: server.ts
// asks, and sends what it is told. Every fault that fires is reported to the monitor.

import type {FaultName, PortFaults} from './faults.js';
import {
	greylistReply,
	magicGreylistSeconds,
	magicName,
	magicSlowMs,
	mailboxFullReply,
	queueWriteErrorReply,
	rateLimitReply,
	tooManyRecipientsReply,
	unknownMailboxReply,
} from './faults.js';
import {Greylist} from './greylist.js';
import type {LabLimits} from './limits.js';
import type {LabMonitor} from './monitor.js';
import type {LabPort, LabReply, Personality, SessionView} from './personality.js';
import {isLocal, mailVerdict, rcptVerdict} from './personality.js';
import {replyMessage} from './replies.js';

export type PortPolicySettings = {
	personality: Personality;
	domain: string;
	hostname: string;
	faults: PortFaults;
	limits: Required<LabLimits>;
	monitor: LabMonitor;
};

export type RcptRequest = {
	ip: string;
	/** Envelope sender; '' for <>. */
	sender: string;
	recipient: string;
	/** Recipients already accepted in this transaction. */
	accepted: string[];
	session: SessionView;
};

export type RcptDecision = {refusal?: LabReply; delayMs: number};

function isPostmaster(address: string, domain: string): boolean {
	const lower = address.toLowerCase();
	return lower === 'postmaster' || lower === `postmaster@${domain.toLowerCase()}`;
}

export class PortPolicy {
	readonly port: LabPort;
	private readonly settings: PortPolicySettings;
	private readonly greylist = new Greylist();

	constructor(settings: PortPolicySettings) {
		this.settings = settings;
		this.port = settings.personality.port;
	}

	get faults(): PortFaults {
		return this.settings.faults;
	}

	/** The message size limit this port enforces and advertises. */
	get maxMessageBytes(): number {
		return this.settings.faults['too-big'] ?? this.settings.limits.maxMessageBytes;
	}

	/** Records that a fault fired here, with the reply it caused. */
	hit(name: FaultName | 'magic', ip: string, what: string): void {
		this.settings.monitor.faultHit(name, this.port, ip, `${name}: ${what}`);
	}

	/** Verdict on MAIL FROM: the rate limit first (as Postfix checks it), then the personality. */
	mail(ip: string, session: SessionView): LabReply | undefined {
		const {faults, monitor, hostname, personality} = this.settings;
		const allowed = faults['rate-limit'];
		if (allowed !== undefined && monitor.acceptedFrom(this.port, ip) >= allowed) {
			const reply = rateLimitReply(hostname);
			this.hit('rate-limit', ip, replyLine(reply));
			return reply;
		}

		return mailVerdict(personality, session);
	}

	/**
	 * Verdict on RCPT TO, in Postfix's order: the recipient limit, the relay check, then the
	 * faults and magic recipients that only apply to a recipient this port would accept.
	 */
	rcpt(request: RcptRequest): RcptDecision {
		const {faults, limits, personality, domain} = this.settings;
		const {ip, recipient} = request;
		const again = request.accepted.some(address => address.toLowerCase() === recipient.toLowerCase());
		const faultMax = faults['too-many-recipients'];
		const max = Math.min(faultMax ?? Number.POSITIVE_INFINITY, limits.maxRecipients);
		if (!again && request.accepted.length >= max) {
			if (faultMax !== undefined && faultMax < limits.maxRecipients) this.hit('too-many-recipients', ip, replyLine(tooManyRecipientsReply));
			return {refusal: tooManyRecipientsReply, delayMs: 0};
		}

		const relay = rcptVerdict(personality, request.session, recipient, domain);
		if (relay) return {refusal: relay, delayMs: 0};
		const local = isLocal(recipient, domain);
		if (local && faults['unknown-mailbox'] !== undefined && !isPostmaster(recipient, domain)) {
			const reply = unknownMailboxReply(recipient);
			this.hit('unknown-mailbox', ip, replyLine(reply));
			return {refusal: reply, delayMs: 0};
		}

		const magic = this.magicRcpt(request);
		if (magic?.refusal) return magic;
		// slow@ only delays: the answer is still whatever the rest decides.
		const delayMs = magic?.delayMs ?? 0;
		const wait = faults.greylist;
		if (wait !== undefined && !this.greylist.check(ip, request.sender, recipient, wait)) {
			const reply = greylistReply(recipient, wait);
			this.hit('greylist', ip, replyLine(reply));
			return {refusal: reply, delayMs};
		}

		return {delayMs};
	}

	/** Verdict on a complete message: tempfail@ refuses it after the final dot. */
	dataEnd(ip: string, recipients: string[]): LabReply | undefined {
		if (!recipients.some(address => magicName(address, this.settings.domain) === 'tempfail')) return undefined;
		this.hit('magic', ip, `tempfail@: ${replyLine(queueWriteErrorReply)}`);
		return queueWriteErrorReply;
	}

	private magicRcpt(request: RcptRequest): RcptDecision | undefined {
		const {ip, recipient} = request;
		const name = magicName(recipient, this.settings.domain);
		switch (name) {
			case 'full': {
				return this.magicRefusal(ip, name, mailboxFullReply(recipient));
			}

			case 'unknown': {
				return this.magicRefusal(ip, name, unknownMailboxReply(recipient));
			}

			case 'greylist': {
				if (this.greylist.check(ip, request.sender, recipient, magicGreylistSeconds)) return {delayMs: 0};
				return this.magicRefusal(ip, name, greylistReply(recipient, magicGreylistSeconds));
			}

			case 'slow': {
				this.hit('magic', ip, `slow@: RCPT reply delayed ${magicSlowMs} ms`);
				return {delayMs: magicSlowMs};
			}

			// tempfail@ is accepted here and refused after the final dot (dataEnd).
			case 'tempfail':
			case undefined: {
				return undefined;
			}
		}
	}

	private magicRefusal(ip: string, name: string, reply: LabReply): RcptDecision {
		this.hit('magic', ip, `${name}@: ${replyLine(reply)}`);
		return {refusal: reply, delayMs: 0};
	}
}

/** The reply as it goes on the wire, without CRLF. */
export function replyLine(reply: LabReply): string {
	return `${reply.code} ${replyMessage(reply)}`;
}
