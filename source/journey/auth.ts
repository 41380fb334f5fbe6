// Email authentication in the journey, with the field's library (mailauth, by nodemailer's
// author) rather than a hand-written verifier: the sender's provider DKIM-signs what it relays
// (RFC 6376), and the receiving MX checks SPF (RFC 7208), DKIM, DMARC (RFC 7489), ARC
// (RFC 8617) and iprev (RFC 8601 §3) and writes Authentication-Results: (RFC 8601).
// Every DNS question the checks ask goes to the lab's DNS server and is kept, so the journey
// can show what was looked up, what came back and why the verdict is what it is.

import {generateKeyPair} from 'node:crypto';
import dns from 'node:dns';
import {promisify} from 'node:util';
import type {AuthenticateResult} from 'mailauth';
import {authenticate, dkimSign} from 'mailauth';
import {reverseName} from '../lab/dns.js';

export type DkimKey = {selector: string; privateKey: string; publicKey: string};

/** A fresh RSA-2048 DKIM key (never written anywhere: the lab's keys live as long as the lab). */
export async function makeDkimKey(selector = 'lab2026'): Promise<DkimKey> {
	const pair = await promisify(generateKeyPair)('rsa', {
		modulusLength: 2048,
		publicKeyEncoding: {type: 'spki', format: 'der'},
		privateKeyEncoding: {type: 'pkcs8', format: 'pem'},
	});
	return {selector, privateKey: pair.privateKey as unknown as string, publicKey: (pair.publicKey as unknown as Buffer).toString('base64')};
}

/** Signs `message` for `domain`; returns the DKIM-Signature: header to put in front. */
export async function dkimSignature(message: Buffer, domain: string, key: DkimKey): Promise<string> {
	const result = await dkimSign(message, {
		canonicalization: 'relaxed/relaxed',
		algorithm: 'rsa-sha256',
		// Given, not left to mailauth: without it the t= tag is taken from the clock twice (once
		// for the signed copy of the header, once for the header written out), and a message
		// signed across a half-second boundary carries a signature that cannot verify.
		signTime: new Date(),
		signatureData: [{signingDomain: domain, selector: key.selector, privateKey: key.privateKey}],
		// What real providers sign (Gmail's list, less what the lab never sets).
		headerList: ['from', 'to', 'cc', 'subject', 'date', 'message-id', 'reply-to', 'mime-version', 'content-type', 'content-transfer-encoding', 'list-unsubscribe', 'list-unsubscribe-post'],
	} as never);
	if (result.errors.length > 0) throw new Error(`DKIM signing failed: ${String((result.errors[0] as {message?: string}).message ?? result.errors[0])}`);
	return result.signatures;
}

/** One DNS question a check asked, and what came back (a sentence, for people). */
export type Lookup = {name: string; type: string; answer: string};

export type CheckName = 'spf' | 'dkim' | 'dmarc' | 'arc' | 'iprev';
export type AuthCheck = {
	name: CheckName;
	/** As Authentication-Results writes it: pass, fail, softfail, neutral, none, temperror, permerror, policy. */
	result: string;
	/** The DNS questions this check asked, in order. */
	lookups: Lookup[];
	/** Why the result is what it is, one sentence a line. */
	explanation: string[];
};

export type AuthReport = {
	/** The MX that checked (authserv-id of Authentication-Results). */
	mta: string;
	checks: AuthCheck[];
	/** The header lines the MX adds in front of the message (Received-SPF:, Authentication-Results:, …). */
	headers: string;
	/** What the DMARC policy says to do with this message: none, quarantine or reject. */
	disposition: 'none' | 'quarantine' | 'reject';
	/** When the MX refuses the message: the reply it gives (code, enhanced code, text). */
	refusal?: {code: number; enhanced: string; text: string};
};

type Resolver = (name: string, type: string) => Promise<unknown>;

/** A mailauth resolver that asks only `server` (host:port) and writes every question down. */
function recordingResolver(server: string, timeoutMs: number): {resolve: Resolver; lookups: Lookup[]} {
	const resolver = new dns.promises.Resolver({timeout: timeoutMs, tries: 2});
	resolver.setServers([server]);
	const lookups: Lookup[] = [];
	const resolve: Resolver = async (name, type) => {
		try {
			const answer = (await resolver.resolve(name, type as 'TXT')) as unknown;
			lookups.push({name, type, answer: describeAnswer(type, answer)});
			return answer;
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code ?? 'error';
			lookups.push({name, type, answer: code === 'ENOTFOUND' ? 'no such name (NXDOMAIN)' : code === 'ENODATA' ? `no ${type} record` : `failed (${code})`});
			throw error;
		}
	};

	return {resolve, lookups};
}

function describeAnswer(type: string, answer: unknown): string {
	if (!Array.isArray(answer) || answer.length === 0) return `no ${type} record`;
	if (type === 'TXT') return (answer as string[][]).map(chunks => `"${shorten(chunks.join(''))}"`).join(', ');
	if (type === 'MX') return (answer as Array<{exchange: string; priority: number}>).map(record => `${record.priority} ${record.exchange}`).join(', ');
	return (answer as unknown[]).map(String).join(', ');
}

function shorten(text: string): string {
	return text.length > 90 ? `${text.slice(0, 60)}…${text.slice(-12)}` : text;
}

/** Which check a DNS question belongs to: DKIM keys live at _domainkey, DMARC policies at _dmarc; SPF asks the rest. */
function checkOf(lookup: Lookup): CheckName {
	if (lookup.name.includes('._domainkey.')) return 'dkim';
	if (lookup.name.startsWith('_dmarc.')) return 'dmarc';
	return 'spf';
}

export type VerifyOptions = {
	/** The connecting client's IP, its EHLO name and its MAIL FROM ('' for <>). */
	ip: string;
	helo?: string;
	mailFrom: string;
	/** The checking MX's name. */
	mta: string;
	/** The DNS server to ask (host:port): the lab's. */
	dnsServer: string;
	timeoutMs?: number;
};

/** Reverse DNS of the client, forward-confirmed (RFC 8601 §3 "iprev"). */
async function iprev(ip: string, server: string, timeoutMs: number): Promise<AuthCheck> {
	const {resolve, lookups} = recordingResolver(server, timeoutMs);
	const check = (result: string, explanation: string[]): AuthCheck => ({name: 'iprev', result, lookups, explanation});
	let names: string[];
	try {
		names = (await resolve(reverseName(ip), 'PTR')) as string[];
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOTFOUND' || code === 'ENODATA') {
			return check('permerror', [`${ip} has no PTR record: the sending server's address does not name it.`, 'Gmail and Yahoo refuse or spam-folder mail from an address without valid reverse DNS (bulk-sender rules, 2024).']);
		}

		return check('temperror', [`The PTR lookup of ${ip} failed (${code ?? 'error'}).`]);
	}

	for (const name of names) {
		try {
			const addresses = (await resolve(name, ip.includes(':') ? 'AAAA' : 'A')) as string[];
			if (addresses.includes(ip)) return check('pass', [`${ip} is named ${name}, and ${name} points back at ${ip}: forward-confirmed reverse DNS.`]);
		} catch {}
	}

	return check('fail', [`${ip} is named ${names.join(', ')}, but that name does not point back at ${ip}.`]);
}

function spfCheck(result: AuthenticateResult, lookups: Lookup[], mailFrom: string, ip: string): AuthCheck {
	const spf = result.spf;
	const value = spf ? spf.status.result : 'none';
	const domain = spf ? spf.domain : mailFrom.split('@').pop() ?? '';
	const explanation = [`SPF asks the domain of the envelope sender (MAIL FROM ${mailFrom || '<>'}), ${domain}, whether ${ip} may send its mail.`];
	if (spf && spf.rr) explanation.push(`${domain} publishes "${spf.rr}".`);
	const meaning: Record<string, string> = {
		pass: `${ip} is among the senders the record allows.`,
		fail: `${ip} is not among the senders the record allows, and "-all" says: refuse everything else.`,
		softfail: `${ip} is not listed; "~all" says: accept but treat as suspicious.`,
		neutral: 'The record says nothing either way ("?all").',
		none: `${domain || 'The sender'} publishes no SPF record: nothing says who may send for it.`,
		permerror: 'The SPF record is broken (syntax, or more than 10 lookups): it counts as no record.',
		temperror: 'DNS did not answer in time: a receiver would ask the sender to try again later.',
	};
	explanation.push(meaning[value] ?? `Result: ${value}.`);
	return {name: 'spf', result: value, lookups, explanation};
}

function dkimChecks(result: AuthenticateResult, lookups: Lookup[]): AuthCheck {
	const signatures = result.dkim.results;
	if (signatures.length === 0 || (signatures.length === 1 && signatures[0]!.status.result === 'none')) {
		return {name: 'dkim', result: 'none', lookups, explanation: ['The message carries no DKIM-Signature: header: nobody vouches for its content.']};
	}

	const explanation: string[] = [];
	for (const signature of signatures) {
		const where = `${signature.selector ?? '?'}._domainkey.${signature.signingDomain}`;
		const comment = signature.status.comment ? ` (${signature.status.comment})` : '';
		if (signature.status.result === 'pass') {
			explanation.push(`The signature by d=${signature.signingDomain} verifies with the public key at ${where}: the signed headers and the body are exactly what was signed.`);
		} else if (/body hash/i.test(signature.status.comment ?? '')) {
			explanation.push(`The signature by d=${signature.signingDomain} fails${comment}: the body changed after signing (a footer, a rewritten link), so its hash no longer matches bh=.`);
		} else {
			explanation.push(`The signature by d=${signature.signingDomain} is ${signature.status.result}${comment}; key looked up at ${where}.`);
		}
	}

	const best = signatures.find(signature => signature.status.result === 'pass') ?? signatures[0]!;
	return {name: 'dkim', result: best.status.result, lookups, explanation};
}

function dmarcCheck(result: AuthenticateResult, lookups: Lookup[]): AuthCheck {
	const dmarc = result.dmarc;
	const from = result.dkim.headerFrom.join(', ');
	if (!dmarc) return {name: 'dmarc', result: 'none', lookups, explanation: ['DMARC was not evaluated (the message has no single From: address).']};
	const value = dmarc.status.result;
	const domain = dmarc.status.header?.from ?? dmarc.domain;
	const explanation = [`DMARC takes the domain of From: (${from || '?'}), ${domain}, and asks _dmarc.${dmarc.domain} what to do when neither SPF nor DKIM vouches for that domain.`];
	if (dmarc.rr) explanation.push(`${dmarc.domain} publishes "${dmarc.rr}".`);
	const spfAligned = dmarc.alignment?.spf?.result;
	const dkimAligned = dmarc.alignment?.dkim?.result;
	explanation.push(
		spfAligned ? `SPF passed for ${spfAligned}, which aligns with ${domain}.` : 'SPF did not pass for a domain aligned with From:.',
		dkimAligned ? `DKIM passed for d=${dkimAligned}, which aligns with ${domain}.` : 'DKIM did not pass for a domain aligned with From:.',
	);
	if (value === 'pass') explanation.push('One aligned pass is enough: DMARC passes.');
	else if (value === 'fail') explanation.push(`No aligned pass: DMARC fails, and the policy p=${dmarc.p ?? 'none'} says ${policyMeaning(dmarc.policy)}.`);
	else if (value === 'none') explanation.push(`${domain} publishes no DMARC record: a receiver decides on its own.`);
	return {name: 'dmarc', result: value, lookups, explanation};
}

function policyMeaning(policy: string | undefined): string {
	if (policy === 'reject') return 'refuse it';
	if (policy === 'quarantine') return 'put it in spam';
	return 'deliver it anyway, and report';
}

function arcCheck(result: AuthenticateResult, lookups: Lookup[]): AuthCheck | undefined {
	const arc = result.arc;
	if (!arc || arc.status.result === 'none') return undefined;
	return {
		name: 'arc',
		result: arc.status.result,
		lookups,
		explanation: [`The message carries an ARC chain (i=${String(arc.i)}): earlier hops sealed what they saw, ${arc.status.result === 'pass' ? 'and the seals verify' : `and the chain is ${arc.status.result}`}.`],
	};
}

/** What the receiving MX does: every check, the headers it adds, and its decision. */
export async function verifyMessage(message: Buffer, options: VerifyOptions): Promise<AuthReport> {
	const timeoutMs = options.timeoutMs ?? 3000;
	const {resolve, lookups} = recordingResolver(options.dnsServer, timeoutMs);
	const result = await authenticate(message, {
		ip: options.ip,
		helo: options.helo,
		sender: options.mailFrom,
		mta: options.mta,
		resolver: resolve as never,
		disableBimi: true,
	});
	const by = (name: CheckName) => lookups.filter(lookup => checkOf(lookup) === name);
	const reverse = await iprev(options.ip, options.dnsServer, timeoutMs);
	const checks: AuthCheck[] = [spfCheck(result, by('spf'), options.mailFrom, options.ip), dkimChecks(result, by('dkim')), dmarcCheck(result, by('dmarc'))];
	const arc = arcCheck(result, []);
	if (arc) checks.push(arc);
	checks.push(reverse);
	const dmarc = result.dmarc;
	const disposition = dmarc && dmarc.status.result === 'fail' ? ((dmarc.policy as AuthReport['disposition'] | undefined) ?? 'none') : 'none';
	const iprevLine = ` iprev=${reverse.result} policy.iprev=${options.ip}`;
	// mailauth's header block ends in a newline; iprev goes into Authentication-Results: as its last method.
	const headers = result.headers.replace(/(Authentication-Results:[^]*?)(\r?\n)(?![ \t])/, `$1;\r\n${iprevLine}$2`).replace(/\r?\n/g, '\r\n');
	const report: AuthReport = {mta: options.mta, checks, headers, disposition};
	if (disposition === 'reject') {
		const domain = dmarc ? dmarc.status.header?.from ?? dmarc.domain : '';
		// Gmail's words (support.google.com/mail/?p=DmarcRejection), on one line.
		report.refusal = {
			code: 550,
			enhanced: '5.7.26',
			text: `Unauthenticated email from ${domain} is not accepted due to domain's DMARC policy. Please contact the administrator of ${domain} domain if this was a legitimate mail. To learn about the DMARC initiative, go to https://support.google.com/mail/?p=DmarcRejection`,
		};
	}

	return report;
}

/** The result of one method as Authentication-Results would say it, e.g. "spf=pass". */
export function resultLine(report: AuthReport): string {
	return report.checks.map(check => `${check.name}=${check.result}`).join(' ');
}
