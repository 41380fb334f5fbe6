// MTA-STS (RFC 8461): a domain's promise, in DNS (`_mta-sts.DOMAIN` TXT) and in a policy file
// served over HTTPS (https://mta-sts.DOMAIN/.well-known/mta-sts.txt), that its MX servers speak
// TLS with certificates that verify and name them. A sender that honours a policy in `enforce`
// mode delivers only over verified TLS to an MX the policy lists.
//
// mailauth (already the project's authentication library) implements the record lookup
// (resolvePolicy, with a custom resolver), the policy parser and the MX pattern match
// (validateMx); those are used as they are. Its fetchPolicy is not: it always connects to port
// 443 and trusts only the system's CAs, so it cannot be pointed at a loopback test server. The
// fetch here is the thin part RFC 8461 §3.3 describes: the A/AAAA lookup through the same
// resolver, one HTTPS GET that must verify the certificate for mta-sts.DOMAIN, no redirects,
// a 200 answer of at most 64 KiB.

import type dns from 'node:dns';
import https from 'node:https';
import type {MTASTSPolicy} from 'mailauth';
import {parsePolicy, resolvePolicy, validateMx} from 'mailauth/lib/mta-sts.js';

export type MtaStsOptions = {
	/** The resolver every lookup goes through. */
	resolver: dns.promises.Resolver;
	timeoutMs: number;
	/** Test-only (engine API): the HTTPS port of mta-sts.DOMAIN; RFC 8461 allows only 443, the default. */
	port?: number;
	/** Test-only (engine API): PEM of the CA to trust for the policy host instead of the system's. */
	ca?: string;
};

export type MtaStsPolicy = {mode: 'enforce' | 'testing' | 'none'; mx: string[]; maxAge: number};

export type MtaStsResult =
	/** No `_mta-sts` TXT record: the domain makes no promise. */
	| {status: 'none'}
	/** The record and a policy file that parses. */
	| {status: 'found'; id: string; url: string; policy: MtaStsPolicy}
	/** A record, but no usable policy (fetch failed, or the file does not parse): senders behave as if there were none. */
	| {status: 'error'; id?: string; url: string; problem: string};

const maxPolicyBytes = 64 * 1024;

export function policyUrl(domain: string): string {
	return `https://mta-sts.${domain}/.well-known/mta-sts.txt`;
}

/** A mailauth-style resolver function over a node:dns Resolver. */
function resolverFunction(resolver: dns.promises.Resolver) {
	return async (name: string, type: string): Promise<unknown> => {
		if (type === 'TXT') return resolver.resolveTxt(name);
		if (type === 'A') return resolver.resolve4(name);
		if (type === 'AAAA') return resolver.resolve6(name);
		throw new Error(`unexpected ${type} lookup`);
	};
}

async function addressOf(resolver: dns.promises.Resolver, name: string): Promise<string | undefined> {
	for (const lookup of [async () => resolver.resolve4(name), async () => resolver.resolve6(name)]) {
		try {
			const [address] = await lookup();
			if (address) return address;
		} catch {}
	}

	return undefined;
}

async function get(address: string, servername: string, options: MtaStsOptions): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const request = https.request({
			host: address,
			port: options.port ?? 443,
			path: '/.well-known/mta-sts.txt',
			method: 'GET',
			servername,
			headers: {host: servername},
			ca: options.ca,
			rejectUnauthorized: true,
			timeout: options.timeoutMs,
			agent: false,
		}, response => {
			// RFC 8461 §3.3: redirects are not followed; only a 200 is a policy.
			if (response.statusCode !== 200) {
				response.resume();
				reject(new Error(`the server answered HTTP ${response.statusCode ?? '?'}${response.statusCode && response.statusCode >= 300 && response.statusCode < 400 ? ' (a redirect, which senders must not follow)' : ''}`));
				return;
			}

			const chunks: Buffer[] = [];
			let size = 0;
			response.on('data', (chunk: Buffer) => {
				size += chunk.length;
				if (size > maxPolicyBytes) {
					request.destroy(new Error(`the policy is larger than ${maxPolicyBytes} bytes`));
					return;
				}

				chunks.push(chunk);
			});
			response.on('end', () => {
				resolve(Buffer.concat(chunks));
			});
			response.on('error', reject);
		});
		request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
		request.on('error', reject);
		request.end();
	});
}

/** Looks up `domain`'s MTA-STS record and, if there is one, fetches and parses its policy. */
export async function lookupMtaSts(domain: string, options: MtaStsOptions): Promise<MtaStsResult> {
	const url = policyUrl(domain);
	let id: string | false;
	try {
		id = await resolvePolicy(domain, {resolver: resolverFunction(options.resolver) as never});
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOTFOUND' || code === 'ENODATA' || code === 'NXDOMAIN') return {status: 'none'};
		return {status: 'error', url, problem: code === 'multi_sts_records' ? 'there is more than one v=STSv1 record, so senders ignore them all' : `the TXT lookup failed (${code ?? (error as Error).message})`};
	}

	if (!id) return {status: 'none'};
	const host = `mta-sts.${domain}`;
	const address = await addressOf(options.resolver, host);
	if (!address) return {status: 'error', id, url, problem: `${host} has no A or AAAA record, so the policy cannot be fetched`};
	let body: Buffer;
	try {
		body = await get(address, host, options);
	} catch (error) {
		return {status: 'error', id, url, problem: `fetching it failed: ${(error as Error).message}`};
	}

	let parsed: MTASTSPolicy;
	try {
		parsed = parsePolicy(body);
	} catch (error) {
		return {status: 'error', id, url, problem: `the file is not a valid policy: ${(error as Error).message}`};
	}

	return {status: 'found', id, url, policy: {mode: parsed.mode, mx: [...(parsed.mx ?? [])], maxAge: parsed.maxAge ?? 0}};
}

/** Does `mxHost` match one of the policy's mx patterns (mailauth's validateMx)? */
export function mxAllowed(mxHost: string, policy: MtaStsPolicy): boolean {
	return validateMx(mxHost.replace(/\.$/, ''), {mode: policy.mode, mx: policy.mx, maxAge: policy.maxAge} as MTASTSPolicy).valid;
}

/** What a policy means for a sender, one sentence each. */
export function explainPolicy(result: Extract<MtaStsResult, {status: 'found'}>): string[] {
	const {policy} = result;
	const days = Math.round(policy.maxAge / 86_400 * 10) / 10;
	const mode = policy.mode === 'enforce'
		? 'mode enforce: senders must deliver only over TLS with a certificate that verifies and names an MX listed here; otherwise they do not deliver at all.'
		: policy.mode === 'testing'
			? 'mode testing: senders deliver as usual but report (TLS-RPT) what would have failed under enforce.'
			: 'mode none: the domain has withdrawn its policy; senders treat it as having none.';
	return [
		`Policy ${result.url} (id ${result.id}): ${mode}`,
		policy.mx.length > 0 ? `mx patterns: ${policy.mx.join(', ')} (a pattern *.example.com covers the hosts under example.com).` : 'mx patterns: none.',
		`max_age ${policy.maxAge} s (${days} day${days === 1 ? '' : 's'}): how long senders may keep using this policy without fetching it again.`,
	];
}
