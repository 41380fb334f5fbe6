// The mail journey as a lesson's lab ("lab": "journey" lessons): a session on 587 submits to
// sender.test's provider (which signs and relays on its own), a session on 25 delivers
// straight to the MX of receiver.test as a sending server would, after an MX lookup through
// the lab's DNS server (its lines come first in the transcript). The lesson checks what the
// receiving MX found through `context()`.

import {lookupMx} from '../engine/mx.js';
import type {SessionOptions} from '../engine/session.js';
import type {AuthFaultName} from './auth-faults.js';
import type {JourneyLab} from './journey.js';
import {startJourneyLab} from './journey.js';

export type JourneyLessonLab = {
	journey: JourneyLab;
	/** Session options for a step on 587 (alice submitting; `to` other recipients) or 25 (delivering to the MX). */
	session(port: 25 | 587, to?: string[]): Promise<SessionOptions>;
	/** The receiving MX's results for the latest message it checked; `bounce`: the Status: codes of the DSN stored in alice's mailbox. */
	context(): {authentication?: Record<string, string>; bounce?: string[]};
	/** Calls `listener` whenever the MX has checked a message; returns the unsubscribe function. */
	onContext(listener: () => void): () => void;
	/** A step begins: these authentication faults are in force from now on. */
	beginStep(authFaults: string[] | undefined): void;
	close(): Promise<void>;
};

export async function startJourneyLessonLab(): Promise<JourneyLessonLab> {
	const journey = await startJourneyLab();
	let latest: Record<string, string> | undefined;
	let bounce: string[] | undefined;
	journey.onEvent(event => {
		if (event.type === 'authenticated') latest = Object.fromEntries(event.report.checks.map(check => [check.name, check.result]));
		// The DSN as stored in alice's mailbox at her provider: what she reads over POP3 or IMAP.
		if (event.type === 'bounced') {
			const stored = journey.bounces.find(item => item.bounce === event.bounce)?.delivered;
			bounce = stored ? [...stored.raw.toString('utf8').matchAll(/^Status: (\S+)\r$/gm)].map(match => match[1]!) : undefined;
		}
	});
	return {
		journey,
		async session(port, to) {
			latest = undefined;
			bounce = undefined;
			if (port === 587) return journey.submissionOptions(587, {timeouts: {greeting: 10_000, command: 10_000}, ...(to ? {to} : {})});
			// As a sending server: find the MX of the recipient's domain, then deliver, no AUTH.
			const mx = await lookupMx(journey.receiver.domain, {resolver: journey.dns.server, timeoutMs: 3000});
			return {
				host: mx.address,
				port: journey.receiver.ports[25]!,
				profilePort: 25,
				tls: 'auto',
				tlsOptions: {ca: journey.receiver.ca, servername: mx.host, insecure: false},
				ehlo: journey.sender.hostname,
				from: `alice@${journey.sender.domain}`,
				to: [`bob@${journey.receiver.domain}`],
				label: `${mx.host}:25`,
				timeouts: {greeting: 10_000, command: 10_000},
				preamble: [`Delivering like ${journey.sender.hostname}: where does ${journey.receiver.domain} take its mail? (the lab's DNS server is ${journey.dns.server})`, ...mx.lines],
			};
		},
		context: () => ({...(latest ? {authentication: latest} : {}), ...(bounce ? {bounce} : {})}),
		onContext(listener) {
			return journey.onEvent(event => {
				if (event.type === 'authenticated' || event.type === 'bounced') listener();
			});
		},
		beginStep(authFaults) {
			latest = undefined;
			bounce = undefined;
			journey.setAuthFaults((authFaults ?? []) as AuthFaultName[]);
		},
		close: async () => journey.close(),
	};
}
