// MX lookup, as a sending mail server does it (RFC 5321 §5.1): the recipient domain's MX
// records by preference; with none, the domain's own address ("implicit MX"); a null MX
// (RFC 7505) means the domain accepts no mail. With --resolver every name is resolved
// through that DNS server, the MX host's address included.
import type dns from 'node:dns';
import net from 'node:net';
import {SessionFailure} from './failure.js';

export type MxRecord = {exchange: string; priority: number};

export type MxResult = {
	domain: string;
	records: MxRecord[];
	/** The host chosen and the address to connect to. */
	host: string;
	address: string;
	via: 'mx' | 'implicit';
	resolver: string;
	/** Transcript lines describing the lookup, in order. */
	lines: string[];
};

export type MxOptions = {resolver?: string; timeoutMs: number; family?: 4 | 6};

const notFound = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN', 'ENONAME']);

export function parseResolver(value: string): string {
	const match = /^\[([^\]]+)\](?::(\d+))?$|^([^:]+)(?::(\d+))?$|^([0-9a-f:]+)$/i.exec(value);
	const ip = match?.[1] ?? match?.[3] ?? match?.[5];
	const port = match?.[2] ?? match?.[4];
	if (!ip || !net.isIP(ip) || (port && (Number(port) < 1 || Number(port) > 65_535))) {
		throw new SessionFailure('local', `--resolver takes an IP address with an optional port (127.0.0.1:5353, [::1]:53), not "${value}".`);
	}

	return net.isIPv6(ip) ? `[${ip}]:${port ?? 53}` : `${ip}:${port ?? 53}`;
}

/** node:dns loads with the first MX lookup (--mx): a direct `run` does without it. */
async function makeResolver(options: MxOptions): Promise<{resolver: dns.promises.Resolver; name: string}> {
	const {Resolver} = (await import('node:dns')).promises;
	const resolver = new Resolver({timeout: options.timeoutMs, tries: 2});
	if (options.resolver) {
		const server = parseResolver(options.resolver);
		resolver.setServers([server]);
		return {resolver, name: server};
	}

	return {resolver, name: resolver.getServers().join(', ') || 'the system resolver'};
}

function dnsFailure(error: NodeJS.ErrnoException, what: string, resolverName: string): SessionFailure {
	if (error.code === 'ETIMEOUT' || error.code === 'ECONNREFUSED') {
		return new SessionFailure('connect', `DNS did not answer the ${what} lookup (resolver ${resolverName}: ${error.code === 'ETIMEOUT' ? 'timed out' : 'refused'}).`);
	}

	return new SessionFailure('connect', `The ${what} lookup failed (${error.code ?? error.message}, resolver ${resolverName}).`);
}

async function addressOf(resolver: dns.promises.Resolver, host: string, family: 4 | 6 | undefined, resolverName: string): Promise<string | undefined> {
	if (net.isIP(host)) return host;
	const tries: Array<'4' | '6'> = family === 6 ? ['6'] : family === 4 ? ['4'] : ['4', '6'];
	for (const kind of tries) {
		try {
			const addresses = kind === '4' ? await resolver.resolve4(host) : await resolver.resolve6(host);
			if (addresses[0]) return addresses[0];
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code ?? '';
			if (!notFound.has(code)) throw dnsFailure(error as NodeJS.ErrnoException, `address (A/AAAA) of ${host}`, resolverName);
		}
	}

	return undefined;
}

export async function lookupMx(domain: string, options: MxOptions): Promise<MxResult> {
	const {resolver, name} = await makeResolver(options);
	const lines: string[] = [`DNS: looking up the MX records of ${domain} (resolver ${name})…`];
	let records: MxRecord[] = [];
	try {
		records = (await resolver.resolveMx(domain)).sort((a, b) => a.priority - b.priority || a.exchange.localeCompare(b.exchange));
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code ?? '';
		if (!notFound.has(code)) throw dnsFailure(error as NodeJS.ErrnoException, `MX of ${domain}`, name);
	}

	if (records.length === 1 && (records[0]!.exchange === '' || records[0]!.exchange === '.')) {
		throw new SessionFailure('connect', `${domain} publishes a null MX (RFC 7505): it accepts no mail.`);
	}

	if (records.length > 0) {
		lines.push(`DNS: ${domain} has ${records.length} MX record${records.length > 1 ? 's' : ''}: ${records.map(r => `${r.priority} ${r.exchange}`).join(', ')} (lowest preference first).`);
		for (const record of records) {
			const address = await addressOf(resolver, record.exchange, options.family, name);
			if (address) {
				lines.push(`DNS: ${record.exchange} is ${address}; connecting to the most preferred MX that has an address.`);
				return {domain, records, host: record.exchange, address, via: 'mx', resolver: name, lines};
			}

			lines.push(`DNS: ${record.exchange} has no address; trying the next MX.`);
		}

		throw new SessionFailure('connect', `None of the MX hosts of ${domain} (${records.map(r => r.exchange).join(', ')}) has an address.`);
	}

	lines.push(`DNS: ${domain} has no MX records; RFC 5321 §5.1 says to use the domain's own address (implicit MX).`);
	const address = await addressOf(resolver, domain, options.family, name);
	if (!address) throw new SessionFailure('connect', `${domain} has neither MX nor A/AAAA records: mail cannot be delivered there.`);
	lines.push(`DNS: ${domain} is ${address}.`);
	return {domain, records, host: domain, address, via: 'implicit', resolver: name, lines};
}
