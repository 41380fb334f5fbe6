// What the lab has been doing, for a dashboard: counters and a stream of events. Also the
// counts the limits and the rate-limit fault decide on (sessions per IP, messages per IP).

import {LRUCache} from 'lru-cache';
import type {FaultName} from './faults.js';
import {faultNames} from './faults.js';
import type {LabPort} from './personality.js';
import {labPorts} from './personality.js';

/** Every port a lab event can come from: the SMTP personalities, then POP3 and IMAP (the mailboxes option). */
export type MonitorPort = LabPort | 110 | 995 | 143 | 993;
const monitorPorts: MonitorPort[] = [...labPorts, 110, 995, 143, 993];

export type LabEventType = 'connect' | 'close' | 'message' | 'fault' | 'limit';

export type LabEvent = {
	type: LabEventType;
	/** The personality the client talked to (an SMTP one, or POP3/IMAP's). */
	port: MonitorPort;
	/** The client's IP address. */
	ip: string;
	/** connect: why it was refused, if it was; message: the queue ID; fault: which and what it said; limit: which limit and what it did. */
	detail?: string;
};

export type LabPortStats = {connectionsNow: number; sessions: number; messages: number};

/** The kinds of limit the dashboard counts. */
export type LimitName = 'refused' | 'timeout' | 'auth-delay' | 'auth-rate';
export const limitNames: LimitName[] = ['refused', 'timeout', 'auth-delay', 'auth-rate'];

export type LabStats = {
	/** Connections open right now, counted from accept (TLS handshakes included). */
	connectionsNow: number;
	/** Connections since the lab started (refused ones included). */
	sessionsTotal: number;
	/** How often each limit acted: connections refused, clients dropped for taking too long, failed logins delayed, logins refused for their rate. */
	limitsHit: Record<LimitName, number>;
	/** Messages accepted since the lab started. */
	messages: number;
	/** How often each fault fired; `magic` counts the magic recipients. */
	faultsHit: Record<FaultName | 'magic', number>;
	perPort: Record<MonitorPort, LabPortStats>;
};

/** Entries kept in each per-client table. */
export const perClientEntries = 10_000;

export type LabEventListener = (event: LabEvent) => void;

export class LabMonitor {
	private connectionsNow = 0;
	private sessionsTotal = 0;
	private messages = 0;
	private readonly faultsHit = Object.fromEntries([...faultNames, 'magic'].map(name => [name, 0])) as Record<FaultName | 'magic', number>;
	private readonly perPort = Object.fromEntries(monitorPorts.map(port => [port, {connectionsNow: 0, sessions: 0, messages: 0}])) as Record<MonitorPort, LabPortStats>;
	private readonly limitsHit = Object.fromEntries(limitNames.map(name => [name, 0])) as Record<LimitName, number>;
	/**
	 * Messages accepted per "port ip" (the rate-limit fault's count): bounded, and forgotten an
	 * hour after an address last sent, so that a client inventing addresses cannot grow it.
	 */
	private readonly messagesFrom = new LRUCache<string, number>({max: perClientEntries, ttl: 60 * 60 * 1000});
	private readonly listeners = new Set<LabEventListener>();

	onEvent(listener: LabEventListener): () => void {
		this.listeners.add(listener);
		return () => {
			this.listeners.delete(listener);
		};
	}

	stats(): LabStats {
		return {
			connectionsNow: this.connectionsNow,
			sessionsTotal: this.sessionsTotal,
			messages: this.messages,
			limitsHit: {...this.limitsHit},
			faultsHit: {...this.faultsHit},
			perPort: Object.fromEntries(monitorPorts.map(port => [port, {...this.perPort[port]}])) as Record<MonitorPort, LabPortStats>,
		};
	}

	/** A connection accepted within the limits (counted until it closes). */
	connected(port: MonitorPort, ip: string): void {
		this.connectionsNow++;
		this.sessionsTotal++;
		this.perPort[port].connectionsNow++;
		this.perPort[port].sessions++;
		this.emit({type: 'connect', port, ip});
	}

	/** A connection refused at accept, over a connection limit. */
	refused(port: MonitorPort, ip: string, detail: string): void {
		this.sessionsTotal++;
		this.perPort[port].sessions++;
		this.limitsHit.refused++;
		this.emit({type: 'connect', port, ip, detail});
	}

	closed(port: MonitorPort, ip: string): void {
		this.connectionsNow--;
		this.perPort[port].connectionsNow--;
		this.emit({type: 'close', port, ip});
	}

	/** A limit acted on a client: `name` counts it, `detail` says what happened. */
	limitHit(name: Exclude<LimitName, 'refused'>, port: MonitorPort, ip: string, detail: string): void {
		this.limitsHit[name]++;
		this.emit({type: 'limit', port, ip, detail});
	}

	messageAccepted(port: LabPort, ip: string, id: string): void {
		this.messages++;
		this.perPort[port].messages++;
		const key = `${port} ${ip}`;
		this.messagesFrom.set(key, (this.messagesFrom.get(key) ?? 0) + 1);
		this.emit({type: 'message', port, ip, detail: `queued as ${id}`});
	}

	/** Messages accepted so far from `ip` on `port`. */
	acceptedFrom(port: LabPort, ip: string): number {
		return this.messagesFrom.get(`${port} ${ip}`) ?? 0;
	}

	faultHit(name: FaultName | 'magic', port: LabPort, ip: string, detail: string): void {
		this.faultsHit[name]++;
		this.emit({type: 'fault', port, ip, detail});
	}

	private emit(event: LabEvent): void {
		for (const listener of [...this.listeners]) {
			// A listener's bug must not break the SMTP session that triggered the event, and the
			// lab never prints.
			try {
				listener(event);
			} catch {}
		}
	}
}
