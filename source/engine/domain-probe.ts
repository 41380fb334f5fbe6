// `probe --domain`: what a domain publishes in DNS for mail, and what each record means for
// delivery — MX (RFC 5321 §5.1, RFC 7505), SPF (RFC 7208), DKIM when a selector is given
// (RFC 6376 §3.6.1), DMARC (RFC 7489), MTA-STS (RFC 8461 §3.1) and TLS-RPT (RFC 8460 §3).
// When an MTA-STS record exists, its policy file is fetched over HTTPS (RFC 8461 §3.2, mta-sts.ts).

import {createPublicKey} from 'node:crypto';
import dns from 'node:dns';
import {parseResolver} from './mx.js';
import {SessionFailure} from './failure.js';
import type {MtaStsResult} from './mta-sts.js';
import {explainPolicy, lookupMtaSts} from './mta-sts.js';

export type RecordStatus = 'ok' | 'warning' | 'error' | 'missing';

export type DomainRecord = {
	/** What was looked up: MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT. */
	kind: 'MX' | 'SPF' | 'DKIM' | 'DMARC' | 'MTA-STS' | 'TLS-RPT';
	/** The DNS name and type asked. */
	name: string;
	type: 'MX' | 'TXT';
	status: RecordStatus;
	/** What came back, as published (TXT strings joined). */
	values: string[];
	/** What it means for delivery, one sentence each. */
	meaning: string[];
	/** The RFC it comes from. */
	reference: string;
};

export type DomainReport = {domain: string; resolver: string; records: DomainRecord[]};

export type DomainProbeOptions = {
	resolver?: string;
	selector?: string;
	timeoutMs: number;
	/** Test-only (engine API): where the MTA-STS policy is fetched, for a loopback HTTPS server. */
	mtaSts?: {port?: number; ca?: string};
};

const absent = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN', 'ENONAME']);

type Lookup<T> = {found: T[]} | {missing: true};

async function ask<T>(resolver: dns.promises.Resolver, name: string, type: 'MX' | 'TXT', server: string): Promise<Lookup<T>> {
	try {
		return {found: (type === 'MX' ? await resolver.resolveMx(name) : await resolver.resolveTxt(name)) as T[]};
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code ?? '';
		if (absent.has(code)) return {missing: true};
		if (code === 'ETIMEOUT' || code === 'ECONNREFUSED') throw new SessionFailure('connect', `DNS did not answer the ${type} lookup of ${name} (resolver ${server}: ${code === 'ETIMEOUT' ? 'timed out' : 'refused'}).`);
		throw new SessionFailure('connect', `The ${type} lookup of ${name} failed (${code || (error as Error).message}, resolver ${server}).`);
	}
}

/** TXT records of `name` that start with `prefix` (case-insensitive), chunks joined. */
async function txt(resolver: dns.promises.Resolver, name: string, prefix: RegExp, server: string): Promise<string[] | undefined> {
	const result = await ask<string[]>(resolver, name, 'TXT', server);
	if ('missing' in result) return undefined;
	const matching = result.found.map(chunks => chunks.join('')).filter(text => prefix.test(text));
	return matching.length > 0 ? matching : undefined;
}

function tagsOf(record: string): Map<string, string> {
	return new Map(record.split(';').map(part => part.trim()).filter(Boolean).map(part => {
		const equals = part.indexOf('=');
		return [part.slice(0, equals).trim().toLowerCase(), part.slice(equals + 1).trim()];
	}));
}

function mxRecord(name: string, lookup: Lookup<dns.MxRecord>): DomainRecord {
	const base = {kind: 'MX' as const, name, type: 'MX' as const, reference: 'RFC 5321 §5.1; RFC 7505'};
	if ('missing' in lookup || lookup.found.length === 0) {
		return {...base, status: 'warning', values: [], meaning: ['No MX record: senders fall back to the domain\'s own address (implicit MX); a domain that takes mail should publish one.']};
	}

	const sorted = [...lookup.found].sort((a, b) => a.priority - b.priority);
	const values = sorted.map(record => `${record.priority} ${record.exchange || '.'}`);
	if (sorted.length === 1 && (sorted[0]!.exchange === '' || sorted[0]!.exchange === '.')) {
		return {...base, status: 'ok', values, meaning: ['A null MX: the domain says it accepts no mail at all; senders bounce at once instead of retrying.']};
	}

	return {...base, status: 'ok', values, meaning: [`Mail for ${name} goes to ${sorted[0]!.exchange} first${sorted.length > 1 ? `, then ${sorted.slice(1).map(record => record.exchange).join(', ')} (backups, by preference)` : ''}.`]};
}

function spfRecord(name: string, records: string[] | undefined): DomainRecord {
	const base = {kind: 'SPF' as const, name, type: 'TXT' as const, reference: 'RFC 7208'};
	if (!records) return {...base, status: 'error', values: [], meaning: ['No SPF record: nothing says which servers may send for this domain; Gmail and Yahoo require SPF or DKIM of every sender, and both of bulk senders.']};
	if (records.length > 1) return {...base, status: 'error', values: records, meaning: ['More than one v=spf1 record: SPF evaluation ends in permerror (RFC 7208 §4.5), as if there were none.']};
	const record = records[0]!;
	const terms = record.split(/\s+/).slice(1);
	const lookups = terms.filter(term => /^[+?~-]?(include:|a\b|a:|a\/|mx\b|mx:|mx\/|ptr|exists:)|^redirect=/i.test(term)).length;
	const all = terms.find(term => /^[+?~-]?all$/i.test(term));
	const meaning: string[] = [];
	let status: RecordStatus = 'ok';
	if (!all && !terms.some(term => /^redirect=/i.test(term))) {
		status = 'warning';
		meaning.push('No "all" at the end: mail from any other server is neutral, neither allowed nor refused.');
	} else if (all) {
		const qualifier = all.length === 4 ? all[0] : '+';
		const said: Record<string, string> = {
			'-': 'Every other server fails SPF ("-all"): the strict and usual choice.',
			'~': 'Every other server soft-fails ("~all"): accepted but marked suspicious.',
			'?': 'Every other server is neutral ("?all"): SPF then says nothing useful.',
			'+': 'Every server on the Internet passes ("+all"): the record allows anyone to send as this domain.',
		};
		meaning.push(said[qualifier!]!);
		if (qualifier === '+') status = 'error';
		if (qualifier === '?') status = 'warning';
	}

	if (lookups > 10) {
		status = 'error';
		meaning.push(`${lookups} terms need DNS lookups; more than 10 is a permerror (RFC 7208 §4.6.4).`);
	} else {
		meaning.push(`${lookups} of the 10 DNS lookups SPF allows are used at the top level (includes may use more).`);
	}

	return {...base, status, values: records, meaning};
}

function dmarcRecord(name: string, records: string[] | undefined): DomainRecord {
	const base = {kind: 'DMARC' as const, name, type: 'TXT' as const, reference: 'RFC 7489 §6'};
	if (!records) return {...base, status: 'error', values: [], meaning: ['No DMARC record: Gmail and Yahoo require at least "v=DMARC1; p=none" of bulk senders, and receivers decide alone what to do with mail that fails.']};
	if (records.length > 1) return {...base, status: 'error', values: records, meaning: ['More than one DMARC record: receivers ignore them all (RFC 7489 §6.6.3).']};
	const tags = tagsOf(records[0]!);
	const policy = tags.get('p')?.toLowerCase();
	const meaning: string[] = [];
	let status: RecordStatus = 'ok';
	if (policy === 'reject') meaning.push('p=reject: mail that fails DMARC (no aligned SPF or DKIM pass) is refused.');
	else if (policy === 'quarantine') meaning.push('p=quarantine: mail that fails DMARC goes to spam.');
	else if (policy === 'none') meaning.push('p=none: monitoring only; mail that fails DMARC is delivered, and reported if rua= is set.');
	else {
		status = 'error';
		meaning.push(`No valid p= tag ("${policy ?? ''}"): the record is invalid.`);
	}

	if (tags.get('adkim') === 's' || tags.get('aspf') === 's') meaning.push('Strict alignment: the signing or envelope domain must equal the From: domain exactly.');
	if (!tags.has('rua')) {
		if (status === 'ok') status = 'warning';
		meaning.push('No rua=: nobody receives the aggregate reports that show who sends as this domain.');
	}

	if (tags.has('pct') && tags.get('pct') !== '100') meaning.push(`pct=${tags.get('pct')}: the policy applies to that share of failing mail only.`);
	return {...base, status, values: records, meaning};
}

function dkimRecord(name: string, records: string[] | undefined): DomainRecord {
	const base = {kind: 'DKIM' as const, name, type: 'TXT' as const, reference: 'RFC 6376 §3.6.1'};
	if (!records) return {...base, status: 'error', values: [], meaning: ['No DKIM key at this selector: signatures naming it cannot verify.']};
	const tags = tagsOf(records[0]!);
	const key = tags.get('p') ?? '';
	if (key === '') return {...base, status: 'error', values: records, meaning: ['The key is empty (p=): it has been revoked, and signatures with this selector fail.']};
	const values = records.map(record => (record.length > 100 ? `${record.slice(0, 60)}…${record.slice(-12)}` : record));
	const declared = (tags.get('k') ?? 'rsa').toLowerCase();
	// p= is a base64 DER SubjectPublicKeyInfo for rsa (RFC 6376 §3.6.1), the raw 32-byte key for ed25519 (RFC 8463).
	let details: {type: string; bits?: number} | undefined;
	try {
		const der = Buffer.from(key.replace(/\s/g, ''), 'base64');
		if (declared === 'ed25519') details = der.length === 32 ? {type: 'ed25519'} : undefined;
		else {
			const parsed = createPublicKey({key: der, format: 'der', type: 'spki'});
			details = {type: parsed.asymmetricKeyType ?? '?', bits: parsed.asymmetricKeyDetails?.modulusLength};
		}
	} catch {
		details = undefined;
	}

	if (!details) return {...base, status: 'error', values, meaning: [`The p= key cannot be read as a ${declared} public key: signatures with this selector fail (permerror).`]};
	if (declared === 'rsa' && details.type !== 'rsa') return {...base, status: 'error', values, meaning: [`The p= key is a ${details.type} key, but k= says rsa: signatures with this selector fail.`]};
	if (details.bits !== undefined && details.bits < 1024) return {...base, status: 'error', values, meaning: [`A ${details.bits}-bit RSA key: verifiers must not accept keys under 1024 bits (RFC 8301 §3.2); use 2048.`]};
	return {...base, status: 'ok', values, meaning: [`A ${details.bits === undefined ? '' : `${details.bits}-bit `}${details.type} public key: receivers verify this selector's signatures with it${details.bits !== undefined && details.bits < 2048 ? ' (2048 bits is the usual size now, RFC 8301 §3.2)' : ''}.`]};
}

function mtaStsRecord(name: string, records: string[] | undefined, policy: MtaStsResult): DomainRecord {
	const base = {kind: 'MTA-STS' as const, name, type: 'TXT' as const, reference: 'RFC 8461 §3'};
	if (!records) return {...base, status: 'missing', values: [], meaning: ['No MTA-STS: senders use STARTTLS only if offered and accept any certificate (a network attacker can strip TLS).']};
	const tags = tagsOf(records[0]!);
	if (!tags.has('id')) return {...base, status: 'error', values: records, meaning: ['The record has no id=: senders ignore it.']};
	if (policy.status === 'found') return {...base, status: policy.policy.mode === 'enforce' ? 'ok' : 'warning', values: records, meaning: explainPolicy(policy)};
	const problem = policy.status === 'error' ? policy.problem : 'the record does not parse as v=STSv1 with an id';
	return {...base, status: 'error', values: records, meaning: [`A policy (id ${tags.get('id')}) is announced, but ${problem}: senders without a cached copy treat the domain as having no policy.`]};
}

function tlsRptRecord(name: string, records: string[] | undefined): DomainRecord {
	const base = {kind: 'TLS-RPT' as const, name, type: 'TXT' as const, reference: 'RFC 8460 §3'};
	if (!records) return {...base, status: 'missing', values: [], meaning: ['No TLS-RPT: senders cannot report TLS failures delivering to this domain.']};
	const rua = tagsOf(records[0]!).get('rua');
	if (!rua) return {...base, status: 'error', values: records, meaning: ['The record has no rua=: reports have nowhere to go.']};
	return {...base, status: 'ok', values: records, meaning: [`Senders send daily reports of TLS successes and failures to ${rua}.`]};
}

/** Every mail record of `domain`, through `resolver` (host[:port]) or the system's. */
export async function probeDomain(domain: string, options: DomainProbeOptions): Promise<DomainReport> {
	const resolver = new dns.promises.Resolver({timeout: options.timeoutMs, tries: 2});
	let server = resolver.getServers().join(', ') || 'the system resolver';
	if (options.resolver) {
		server = parseResolver(options.resolver);
		resolver.setServers([server]);
	}

	const name = domain.toLowerCase().replace(/\.$/, '');
	const records: DomainRecord[] = [
		mxRecord(name, await ask<dns.MxRecord>(resolver, name, 'MX', server)),
		spfRecord(name, await txt(resolver, name, /^v=spf1(\s|$)/i, server)),
	];
	if (options.selector) {
		const dkimName = `${options.selector}._domainkey.${name}`;
		records.push(dkimRecord(dkimName, await txt(resolver, dkimName, /^v=DKIM1|(^|;)\s*p=/i, server)));
	}

	records.push(
		dmarcRecord(`_dmarc.${name}`, await txt(resolver, `_dmarc.${name}`, /^v=DMARC1/i, server)),
		mtaStsRecord(`_mta-sts.${name}`, await txt(resolver, `_mta-sts.${name}`, /^v=STSv1/i, server), await lookupMtaSts(name, {resolver, timeoutMs: options.timeoutMs, ...options.mtaSts})),
		tlsRptRecord(`_smtp._tls.${name}`, await txt(resolver, `_smtp._tls.${name}`, /^v=TLSRPTv1/i, server)),
	);
	return {domain: name, resolver: server, records};
}
