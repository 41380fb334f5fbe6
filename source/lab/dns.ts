// The lab's DNS server: a real, authoritative DNS server on loopback (dns2, UDP and TCP on one
// port) serving the lab's zones, so `dig @127.0.0.1 -p PORT TXT _dmarc.sender.test` shows a
// student exactly what the receiving MX sees. It never forwards: a name outside its zones is
// REFUSED, a name inside them that does not exist is NXDOMAIN (RFC 1035 §4.1.1), and every
// answer is authoritative (AA). Records are plain data (zone contents are the caller's business:
// the journey builds them); they can be replaced while the server runs (the auth faults do).

import dgram from 'node:dgram';
import net from 'node:net';
import dns2 from 'dns2';
import {LabStartError} from './errors.js';

export type DnsRecordData =
	| {type: 'A'; address: string}
	| {type: 'AAAA'; address: string}
	| {type: 'MX'; exchange: string; priority: number}
	| {type: 'TXT'; text: string}
	| {type: 'PTR'; target: string};

export type DnsRecord = {name: string; ttl?: number} & DnsRecordData;
export type DnsRecordType = DnsRecord['type'];

export type DnsRcode = 'NOERROR' | 'NXDOMAIN' | 'REFUSED' | 'NOTIMP';

/** One question the server answered. */
export type DnsQuery = {name: string; type: string; rcode: DnsRcode; answers: DnsRecord[]; transport: 'udp' | 'tcp'};

export type LabDnsOptions = {
	/** Address to listen on; default '127.0.0.1'. */
	host?: string;
	/** UDP and TCP port; 0 or absent: an ephemeral port free for both. */
	port?: number;
	/** Domains the server is authoritative for (their subdomains included); others are REFUSED. */
	zones: string[];
	records: DnsRecord[];
};

export type LabDns = {
	host: string;
	port: number;
	/** `host:port` (`[::1]:port` for IPv6), the form --resolver and node:dns setServers take. */
	server: string;
	zones: string[];
	/** The records served now (a copy). */
	records(): DnsRecord[];
	/** Replaces every record, from the next question on. */
	setRecords(records: DnsRecord[]): void;
	/** Calls `listener` for every question answered from now on; returns the unsubscribe function. */
	onQuery(listener: (query: DnsQuery) => void): () => void;
	close(): Promise<void>;
};

const {Packet} = dns2;
const typeCodes: Record<DnsRecordType, number> = {A: Packet.TYPE.A, AAAA: Packet.TYPE.AAAA, MX: Packet.TYPE.MX, TXT: Packet.TYPE.TXT, PTR: Packet.TYPE.PTR};
const typeNames = new Map<number, string>(Object.entries(Packet.TYPE).map(([name, code]) => [code, name]));
const rcodes: Record<DnsRcode, number> = {NOERROR: 0, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5};

function normal(name: string): string {
	return name.toLowerCase().replace(/\.$/, '');
}

function inZone(name: string, zones: string[]): boolean {
	return zones.some(zone => name === zone || name.endsWith(`.${zone}`));
}

/** TXT strings hold at most 255 octets each (RFC 1035 §3.3.14): a long record (a DKIM key) is split. */
export function txtChunks(text: string): string[] {
	const bytes = Buffer.from(text, 'utf8');
	const chunks: string[] = [];
	for (let start = 0; start < bytes.length; start += 255) chunks.push(bytes.subarray(start, start + 255).toString('utf8'));
	return chunks.length > 0 ? chunks : [''];
}

/** The PTR name of an IP address: 127.0.0.1 → 1.0.0.127.in-addr.arpa (RFC 1035 §3.5, RFC 3596 §2.5). */
export function reverseName(address: string): string {
	if (net.isIPv4(address)) return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
	const groups = address.split('::');
	const head = groups[0] ? groups[0].split(':') : [];
	const tail = groups[1] ? groups[1].split(':') : [];
	const full = [...head, ...Array.from({length: 8 - head.length - tail.length}, () => '0'), ...tail];
	return `${[...full.map(group => group.padStart(4, '0')).join('')].reverse().join('.')}.ip6.arpa`;
}

type Answer = {rcode: DnsRcode; answers: DnsRecord[]};

function answer(records: DnsRecord[], zones: string[], name: string, type: number): Answer {
	if (!inZone(name, zones)) return {rcode: 'REFUSED', answers: []};
	const named = records.filter(record => normal(record.name) === name);
	if (named.length === 0) {
		// A name that exists only as the parent of others (e.g. _domainkey.sender.test) is an
		// empty non-terminal: NOERROR with no data, not NXDOMAIN (RFC 8020).
		const parent = records.some(record => normal(record.name).endsWith(`.${name}`));
		return {rcode: parent ? 'NOERROR' : 'NXDOMAIN', answers: []};
	}

	return {rcode: 'NOERROR', answers: type === Packet.TYPE.ANY ? named : named.filter(record => typeCodes[record.type] === type)};
}

function resource(record: DnsRecord, question: {name: string}): Record<string, unknown> {
	const base = {name: question.name, type: typeCodes[record.type], class: Packet.CLASS.IN, ttl: record.ttl ?? 300};
	switch (record.type) {
		case 'A':
		case 'AAAA': {
			return {...base, address: record.address};
		}

		case 'MX': {
			return {...base, exchange: record.exchange, priority: record.priority};
		}

		case 'TXT': {
			return {...base, data: txtChunks(record.text)};
		}

		case 'PTR': {
			return {...base, domain: record.target};
		}
	}
}

async function bindUdp(socket: dgram.Socket, port: number, host: string): Promise<number> {
	return new Promise((resolve, reject) => {
		socket.once('error', reject);
		socket.bind(port, host, () => {
			socket.off('error', reject);
			resolve(socket.address().port);
		});
	});
}

async function listenTcp(server: net.Server, port: number, host: string): Promise<void> {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			server.off('error', reject);
			resolve();
		});
	});
}

/** Starts the DNS server; resolves once UDP and TCP both listen on the same port. */
export async function startLabDns(options: LabDnsOptions): Promise<LabDns> {
	const host = options.host ?? '127.0.0.1';
	const zones = options.zones.map(zone => normal(zone));
	let records = [...options.records];
	const listeners = new Set<(query: DnsQuery) => void>();

	const handle = (transport: 'udp' | 'tcp') => (request: InstanceType<typeof Packet>, send: (response: InstanceType<typeof Packet>) => void) => {
		const response = Packet.createResponseFromRequest(request);
		response.header.aa = 1;
		response.header.ra = 0;
		const [question] = request.questions;
		if (!question) {
			response.header.rcode = rcodes.NOTIMP;
			send(response);
			return;
		}

		const name = normal(question.name);
		const result = question.class === Packet.CLASS.IN || question.class === Packet.CLASS.ANY ? answer(records, zones, name, question.type) : {rcode: 'REFUSED' as const, answers: []};
		response.header.rcode = rcodes[result.rcode];
		for (const record of result.answers) response.answers.push(resource(record, question) as never);
		send(response);
		const query: DnsQuery = {name, type: typeNames.get(question.type) ?? String(question.type), rcode: result.rcode, answers: result.answers, transport};
		for (const listener of [...listeners]) {
			// A listener's bug must not stop the server answering.
			try {
				listener(query);
			} catch {}
		}
	};

	const family = net.isIPv6(host) ? 'udp6' : 'udp4';
	const wanted = options.port ?? 0;
	if (!Number.isInteger(wanted) || wanted < 0 || wanted > 65_535) throw new LabStartError(`The DNS port ${wanted} is not a port number (0 to 65535).`);
	// With port 0, UDP takes an ephemeral port and TCP must get the same one: retry a few
	// times if something else holds it on TCP.
	for (let attempt = 0; attempt < 20; attempt++) {
		const udp = dns2.createUDPServer({type: family});
		const tcp = dns2.createTCPServer();
		udp.on('request', handle('udp'));
		tcp.on('request', handle('tcp'));
		// Malformed questions and broken connections must neither crash nor print.
		udp.on('requestError', () => undefined);
		tcp.on('requestError', () => undefined);
		tcp.on('error', () => undefined);
		let port: number;
		try {
			port = await bindUdp(udp, wanted, host);
		} catch (error) {
			udp.close();
			const {code} = error as NodeJS.ErrnoException;
			throw new LabStartError(code === 'EADDRINUSE' ? `The DNS port ${wanted} on ${host} is already in use.` : `The DNS server cannot listen on ${host}:${wanted} (${code ?? String(error)}).`);
		}

		udp.on('error', () => undefined);
		try {
			await listenTcp(tcp, port, host);
		} catch (error) {
			udp.close();
			if (wanted === 0 && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
			throw new LabStartError(`The DNS server cannot listen on TCP ${host}:${port} (${(error as NodeJS.ErrnoException).code ?? String(error)}).`);
		}

		const sockets = new Set<net.Socket>();
		tcp.on('connection', (socket: net.Socket) => {
			sockets.add(socket);
			socket.on('error', () => undefined);
			socket.once('close', () => sockets.delete(socket));
		});
		let closing: Promise<void> | undefined;
		return {
			host,
			port,
			server: net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`,
			zones,
			records: () => [...records],
			setRecords(next) {
				records = [...next];
			},
			onQuery(listener) {
				listeners.add(listener);
				return () => {
					listeners.delete(listener);
				};
			},
			async close() {
				closing ??= Promise.all([
					new Promise<void>(resolve => {
						udp.close(() => resolve());
					}),
					new Promise<void>(resolve => {
						tcp.close(() => resolve());
						for (const socket of sockets) socket.destroy();
					}),
				]).then(() => undefined);
				return closing;
			},
		};
	}

	throw new LabStartError(`The DNS server found no port free for both UDP and TCP on ${host}.`);
}
