// "Test before real users": checks of one message, as a receiving provider would judge it.
// mailparser parses (headers, MIME tree, attachments); what is written here is the rules
// table: each rule has an id, a severity, one sentence and the RFC or provider rule it comes
// from. Byte-level rules (line length, bare CR/LF, 8-bit data) read the raw bytes, because a
// parser repairs exactly what they look for. No network: authentication results are read from
// the message (Authentication-Results: written by the MX that received it, DKIM-Signature:).

import type {ParsedMail} from 'mailparser';

export type Severity = 'error' | 'warning' | 'info';

export type Finding = {
	/** The rule's id, e.g. "one-from". */
	rule: string;
	severity: Severity;
	/** One sentence for people. */
	message: string;
	/** The RFC section or provider rule the finding comes from. */
	reference: string;
	/** Which group the rule belongs to. */
	group: 'structure' | 'mime' | 'bulk' | 'authentication';
};

export type CheckOptions = {
	/** The receiving server's SIZE limit in bytes (attachments are checked against it); default 25 MB, Gmail's. */
	maxSize?: number;
};

export type CheckReport = {
	findings: Finding[];
	counts: Record<Severity, number>;
	/**
	 * The Authentication-Results: methods found, e.g. {spf: 'pass', dkim: 'pass', dmarc: 'pass'}:
	 * what the field's writer claims (authenticationClaim says who), not checked here.
	 */
	authentication: Record<string, string>;
	/** Who claims those results, and that they are not verified (RFC 8601 §7.1: trust only your own MX's). */
	authenticationClaim?: {authservId: string; verified: false; note: string};
};

export const defaultMaxSize = 25 * 1024 * 1024;

type Rule = {rule: string; severity: Severity; group: Finding['group']; reference: string};

/** The rules table: every finding's id, severity, group and source. */
export const rules = {
	oneFrom: {rule: 'one-from', severity: 'error', group: 'structure', reference: 'RFC 5322 §3.6'},
	oneDate: {rule: 'one-date', severity: 'error', group: 'structure', reference: 'RFC 5322 §3.6'},
	dateSyntax: {rule: 'date-syntax', severity: 'error', group: 'structure', reference: 'RFC 5322 §3.3'},
	messageId: {rule: 'one-message-id', severity: 'warning', group: 'structure', reference: 'RFC 5322 §3.6.4; Gmail sender guidelines'},
	singleField: {rule: 'single-field', severity: 'error', group: 'structure', reference: 'RFC 5322 §3.6'},
	headerSyntax: {rule: 'header-syntax', severity: 'error', group: 'structure', reference: 'RFC 5322 §2.2, §3.6.8'},
	lineLength: {rule: 'line-length', severity: 'error', group: 'structure', reference: 'RFC 5322 §2.1.1; RFC 5321 §4.5.3.1.6'},
	bareCrLf: {rule: 'bare-cr-lf', severity: 'error', group: 'structure', reference: 'RFC 5322 §2.3; RFC 5321 §2.3.8'},
	eightBitHeader: {rule: '8bit-header', severity: 'warning', group: 'structure', reference: 'RFC 5322 §2.2; RFC 6532 (needs SMTPUTF8)'},
	eightBitBody: {rule: '8bit-undeclared', severity: 'error', group: 'mime', reference: 'RFC 2045 §6.2; RFC 6152'},
	mimeVersion: {rule: 'mime-version', severity: 'warning', group: 'mime', reference: 'RFC 2045 §4'},
	textAlternative: {rule: 'text-alternative', severity: 'warning', group: 'mime', reference: 'RFC 2046 §5.1.4; spam filters score HTML-only mail'},
	charset: {rule: 'charset', severity: 'warning', group: 'mime', reference: 'RFC 2046 §4.1.2'},
	attachmentSize: {rule: 'attachment-size', severity: 'error', group: 'mime', reference: 'RFC 1870 (SIZE); Gmail: 25 MB'},
	listUnsubscribe: {rule: 'list-unsubscribe', severity: 'warning', group: 'bulk', reference: 'RFC 2369 §3.2; Gmail and Yahoo bulk-sender rules (2024)'},
	oneClick: {rule: 'one-click', severity: 'warning', group: 'bulk', reference: 'RFC 8058 §3.1; Gmail and Yahoo bulk-sender rules (2024)'},
	oneClickSigned: {rule: 'one-click-signed', severity: 'warning', group: 'bulk', reference: 'RFC 8058 §4'},
	dkimPresent: {rule: 'dkim-signature', severity: 'warning', group: 'authentication', reference: 'RFC 6376; Gmail and Yahoo sender rules (2024)'},
	dkimAligned: {rule: 'dkim-aligned', severity: 'warning', group: 'bulk', reference: 'RFC 7489 §3.1.1; Gmail and Yahoo bulk-sender rules (2024)'},
	authResult: {rule: 'auth-result', severity: 'error', group: 'authentication', reference: 'RFC 8601'},
	authMissing: {rule: 'auth-results', severity: 'info', group: 'authentication', reference: 'RFC 8601 §2.2'},
	mimeParse: {rule: 'mime-parse', severity: 'error', group: 'mime', reference: 'RFC 2045 §3; RFC 2046 §5.1'},
	authSyntax: {rule: 'auth-results-syntax', severity: 'warning', group: 'authentication', reference: 'RFC 8601 §2.2'},
} as const satisfies Record<string, Rule>;

function finding(rule: Rule, message: string, severity: Severity = rule.severity): Finding {
	return {rule: rule.rule, severity, message, reference: rule.reference, group: rule.group};
}

/** The header block as raw lines (each field with its continuation lines), and the body. */
function split(raw: Buffer): {head: string; body: Buffer} {
	const text = raw.toString('latin1');
	const match = /\r?\n\r?\n/.exec(text);
	if (!match) return {head: text, body: Buffer.alloc(0)};
	return {head: text.slice(0, match.index), body: raw.subarray(match.index + match[0].length)};
}

/** Header fields as [name, unfolded value], in order, from the raw bytes. */
function fields(head: string): {list: Array<[string, string]>; bad: string[]} {
	const list: Array<[string, string]> = [];
	const bad: string[] = [];
	for (const line of head.split(/\r?\n/)) {
		if (line === '') continue;
		if (/^[ \t]/.test(line)) {
			const last = list.at(-1);
			if (last) last[1] += ` ${line.trim()}`;
			else bad.push(line);
			continue;
		}

		// field-name = 1*ftext, printable US-ASCII except ":" (RFC 5322 §3.6.8).
		const match = /^([\x21-\x39\x3b-\x7e]+):(.*)$/.exec(line);
		if (match) list.push([match[1]!.toLowerCase(), match[2]!.trim()]);
		else bad.push(line);
	}

	return {list, bad};
}

function structure(raw: Buffer, list: Array<[string, string]>, bad: string[]): Finding[] {
	const out: Finding[] = [];
	const count = (name: string) => list.filter(([key]) => key === name).length;
	const from = count('from');
	if (from !== 1) out.push(finding(rules.oneFrom, from === 0 ? 'The message has no From: field; it must have exactly one.' : `The message has ${from} From: fields; it must have exactly one.`));
	const date = count('date');
	if (date !== 1) out.push(finding(rules.oneDate, date === 0 ? 'The message has no Date: field; it must have exactly one.' : `The message has ${date} Date: fields; it must have exactly one.`));
	const dateValue = list.find(([key]) => key === 'date')?.[1];
	if (dateValue !== undefined && Number.isNaN(Date.parse(dateValue.replace(/\([^)]*\)/g, '')))) out.push(finding(rules.dateSyntax, `The Date: field "${dateValue.slice(0, 60)}" is not a date in RFC 5322 form (e.g. "Tue, 1 Dec 2026 09:00:00 +0000").`));
	const ids = count('message-id');
	if (ids !== 1) out.push(finding(rules.messageId, ids === 0 ? 'The message has no Message-ID: field; Gmail refuses or spam-folders bulk mail without one.' : `The message has ${ids} Message-ID: fields; it should have exactly one.`));
	const idValue = list.find(([key]) => key === 'message-id')?.[1];
	if (idValue !== undefined && !/^<[^<>@\s]+@[^<>@\s]+>$/.test(idValue)) out.push(finding(rules.messageId, `The Message-ID: "${idValue.slice(0, 60)}" is not of the form <left@right>.`));
	for (const name of ['sender', 'reply-to', 'to', 'cc', 'bcc', 'subject', 'in-reply-to', 'references']) {
		const n = count(name);
		if (n > 1) out.push(finding(rules.singleField, `The message has ${n} ${name.replace(/(^|-)[a-z]/g, letter => letter.toUpperCase())}: fields; at most one is allowed.`));
	}

	for (const line of bad.slice(0, 3)) out.push(finding(rules.headerSyntax, `The header line "${line.slice(0, 50)}" is neither "Name: value" nor a continuation.`));
	// Byte rules, on the whole message.
	let longest = 0;
	let longLines = 0;
	let bareCr = 0;
	let bareLf = 0;
	let start = 0;
	for (let index = 0; index < raw.length; index++) {
		const byte = raw[index];
		if (byte === 0x0d && raw[index + 1] !== 0x0a) bareCr++;
		if (byte === 0x0a) {
			if (raw[index - 1] !== 0x0d) bareLf++;
			const length = index - start - (raw[index - 1] === 0x0d ? 1 : 0);
			if (length > 998) longLines++;
			longest = Math.max(longest, length);
			start = index + 1;
		}
	}

	if (raw.length - start > 998) longLines++;
	longest = Math.max(longest, raw.length - start);
	if (longLines > 0) out.push(finding(rules.lineLength, `${longLines} line${longLines > 1 ? 's are' : ' is'} longer than 998 octets (the longest: ${longest}); servers may refuse or break ${longLines > 1 ? 'them' : 'it'}.`));
	if (bareCr + bareLf > 0) out.push(finding(rules.bareCrLf, `The message has ${bareLf} bare LF and ${bareCr} bare CR; every line must end in CRLF (bare LF is what SMTP smuggling abuses).`));
	return out;
}

function isEightBit(data: Buffer | string): boolean {
	const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
	return bytes.some(byte => byte >= 0x80);
}

function mime(parsed: ParsedMail | undefined, list: Array<[string, string]>, head: string, body: Buffer, options: CheckOptions): Finding[] {
	const out: Finding[] = [];
	const has = (name: string) => list.some(([key]) => key === name);
	if (isEightBit(head)) out.push(finding(rules.eightBitHeader, 'The header has raw 8-bit bytes; use RFC 2047 encoded words (=?UTF-8?B?…?=) unless the server offers SMTPUTF8.'));
	// 8-bit bytes need a declaration: Content-Transfer-Encoding 8bit/binary, on the message or a part.
	if (isEightBit(body) && !/^content-transfer-encoding:[ \t]*(8bit|binary)/im.test(body.toString('latin1')) && !list.some(([key, value]) => key === 'content-transfer-encoding' && /^(8bit|binary)$/i.test(value))) {
		out.push(finding(rules.eightBitBody, 'The body has 8-bit bytes but declares no Content-Transfer-Encoding: 8bit (or encodes them as quoted-printable/base64).'));
	}

	if ((has('content-type') || has('content-transfer-encoding')) && !has('mime-version')) out.push(finding(rules.mimeVersion, 'The message uses MIME (Content-Type:) but has no MIME-Version: 1.0 field.'));
	if (parsed?.html && !parsed.text) out.push(finding(rules.textAlternative, 'The message has HTML but no text/plain alternative (multipart/alternative); some readers show nothing and filters score it as spam.'));
	const type = list.find(([key]) => key === 'content-type')?.[1];
	if (type && /^text\//i.test(type) && !/charset=/i.test(type) && isEightBit(body)) out.push(finding(rules.charset, `The text part is 8-bit but its Content-Type: "${type.slice(0, 50)}" names no charset.`));
	const limit = options.maxSize ?? defaultMaxSize;
	for (const attachment of parsed?.attachments ?? []) {
		// Base64 grows data by a third on the wire: that is what SIZE counts.
		const wire = Math.ceil(attachment.size / 3) * 4;
		if (wire > limit) out.push(finding(rules.attachmentSize, `The attachment ${attachment.filename ?? attachment.contentType} is ${attachment.size} bytes (${wire} encoded), more than the server's SIZE of ${limit}.`));
	}

	return out;
}

/** Domain of the first address in a header value. */
function domainOf(value: string | undefined): string | undefined {
	const match = /@([A-Za-z0-9.-]+)>?\s*$/.exec((value ?? '').replace(/\([^)]*\)/g, '').trim()) ?? /@([A-Za-z0-9.-]+)/.exec(value ?? '');
	return match?.[1]?.toLowerCase();
}

/** Relaxed alignment (RFC 7489 §3.1): the same organizational domain, here the last two labels. */
function aligned(a: string, b: string): boolean {
	const org = (domain: string) => domain.split('.').slice(-2).join('.');
	return org(a) === org(b);
}

function tags(value: string): Map<string, string> {
	return new Map(value.split(';').map(part => part.trim().split('=')).filter(pair => pair.length >= 2).map(([key, ...rest]) => [key!.trim().toLowerCase(), rest.join('=').replace(/\s+/g, '')]));
}

function bulk(list: Array<[string, string]>): Finding[] {
	const out: Finding[] = [];
	const unsubscribe = list.find(([key]) => key === 'list-unsubscribe')?.[1];
	const post = list.find(([key]) => key === 'list-unsubscribe-post')?.[1];
	if (!unsubscribe) {
		out.push(finding(rules.listUnsubscribe, 'No List-Unsubscribe: field; bulk senders (5,000+ a day to Gmail) must offer one-click unsubscribe.'));
		return out;
	}

	if (!/<https:\/\/[^>]+>/i.test(unsubscribe)) out.push(finding(rules.oneClick, 'List-Unsubscribe: has no <https://…> URI; one-click unsubscribe needs one.'));
	if (!post) out.push(finding(rules.oneClick, 'List-Unsubscribe: is there but List-Unsubscribe-Post: is not; one-click needs "List-Unsubscribe-Post: List-Unsubscribe=One-Click".'));
	else if (post.replace(/\s+/g, '') !== 'List-Unsubscribe=One-Click') out.push(finding(rules.oneClick, `List-Unsubscribe-Post: is "${post.slice(0, 40)}"; it must be exactly "List-Unsubscribe=One-Click".`));
	const signed = list.filter(([key]) => key === 'dkim-signature').map(([, value]) => (tags(value).get('h') ?? '').toLowerCase().split(':'));
	if (signed.length > 0 && !signed.some(names => names.includes('list-unsubscribe') && (!post || names.includes('list-unsubscribe-post')))) {
		out.push(finding(rules.oneClickSigned, 'No DKIM signature covers List-Unsubscribe: and List-Unsubscribe-Post:; RFC 8058 says they must be signed.'));
	}

	return out;
}

/** RFC 8601 §2.7 result keywords (and RFC 8617's for arc); anything else is not a result. */
const resultKeywords = new Set(['none', 'pass', 'fail', 'softfail', 'neutral', 'temperror', 'permerror', 'policy', 'hardfail']);

/** An RFC 2045 token (what an authserv-id, a method and a result are, outside quotes). */
const token = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;

/**
 * The field split on ";" outside quoted strings, with comments (nested, RFC 5322 §3.2.2) made a
 * space: a quoted reason="…; dkim=pass" cannot add a result.
 */
function resinfoParts(value: string): string[] {
	const parts: string[] = [];
	let current = '';
	let depth = 0;
	let quoted = false;
	for (let index = 0; index < value.length; index++) {
		const char = value[index]!;
		if (char === '\\' && (quoted || depth > 0)) {
			if (!depth) current += char + (value[index + 1] ?? '');
			index++;
		} else if (quoted) {
			current += char;
			if (char === '"') quoted = false;
		} else if (char === '(') {
			depth++;
		} else if (char === ')' && depth > 0) {
			depth--;
			if (depth === 0) current += ' ';
		} else if (depth > 0) {
			// Inside a comment: dropped.
		} else if (char === '"') {
			quoted = true;
			current += char;
		} else if (char === ';') {
			parts.push(current.trim());
			current = '';
		} else {
			current += char;
		}
	}

	parts.push(current.trim());
	return parts;
}

export type AuthenticationClaim = {
	/** Who wrote the field (its authserv-id, RFC 8601 §2.5), as the field says. */
	authservId: string;
	/** Always false: check reads the field, it does not verify SPF, DKIM or DMARC itself. */
	verified: false;
	/** The methods and results, strictly parsed, e.g. {spf: 'pass', dkim: 'pass'}. */
	results: Record<string, string>;
	/** Results that are not an RFC 8601 result keyword (e.g. "dkim=pass\x1b[2J"): ignored. */
	malformed: string[];
};

/**
 * The topmost Authentication-Results: field (the last MX's claim), parsed strictly (RFC 8601
 * §2.2): authserv-id, then "method=result" with result a keyword followed by a space or the end.
 * Undefined when there is no field or its authserv-id is not a token or a quoted string.
 */
export function authenticationClaim(value: string | undefined): AuthenticationClaim | undefined {
	if (value === undefined) return undefined;
	const [head = '', ...rest] = resinfoParts(value);
	// authserv-id [CFWS authres-version]
	const id = /^("(?:[^"\\]|\\.)*"|\S+)(?:\s+\d+)?$/.exec(head)?.[1];
	if (id === undefined || (!id.startsWith('"') && !token.test(id))) return undefined;
	const results: Record<string, string> = {};
	const malformed: string[] = [];
	for (const part of rest) {
		if (part === '' || /^none$/i.test(part)) continue;
		const match = /^([^\s=/]+)(?:\s*\/\s*\d+)?\s*=\s*(\S*)(?:\s|$)/.exec(part);
		const method = match?.[1]?.toLowerCase();
		const result = match?.[2]?.toLowerCase();
		if (!method || !result || !token.test(method) || !resultKeywords.has(result)) {
			malformed.push(part.slice(0, 60));
			continue;
		}

		results[method] ??= result;
	}

	return {authservId: id.replace(/^"|"$/g, ''), verified: false, results, malformed};
}

/** Methods and results of the topmost Authentication-Results: field, strictly parsed. */
export function authenticationResults(value: string | undefined): Record<string, string> {
	return authenticationClaim(value)?.results ?? {};
}

/** How text and JSON name the claim: who made it, and that check did not verify it. */
export function claimNote(claim: AuthenticationClaim): string {
	return `claimed by ${claim.authservId} in Authentication-Results:, not verified here`;
}

function authentication(list: Array<[string, string]>): {findings: Finding[]; claim?: AuthenticationClaim} {
	const out: Finding[] = [];
	const signatures = list.filter(([key]) => key === 'dkim-signature').map(([, value]) => tags(value));
	const fromDomain = domainOf(list.find(([key]) => key === 'from')?.[1]);
	if (signatures.length === 0) out.push(finding(rules.dkimPresent, 'The message has no DKIM-Signature:; Gmail and Yahoo want every sender to sign (bulk senders must).'));
	else if (fromDomain && !signatures.some(signature => aligned(signature.get('d') ?? '', fromDomain))) {
		out.push(finding(rules.dkimAligned, `No DKIM signature is by the From: domain ${fromDomain} (d=${signatures.map(signature => signature.get('d')).join(', ')}): DMARC cannot pass through DKIM.`));
	}

	const field = list.find(([key]) => key === 'authentication-results')?.[1];
	const claim = authenticationClaim(field);
	if (field !== undefined && claim === undefined) out.push(finding(rules.authSyntax, 'The topmost Authentication-Results: field does not start with an authserv-id (a host name); its results are ignored.'));
	for (const part of claim?.malformed ?? []) out.push(finding(rules.authSyntax, `The Authentication-Results: entry "${part}" is not "method=result" with an RFC 8601 result keyword; it is ignored.`));
	if (!claim || Object.keys(claim.results).length === 0) {
		out.push(finding(rules.authMissing, field === undefined ? 'No Authentication-Results: field: the message has not been through a receiving MX that checks (send it through the journey).' : 'No usable Authentication-Results: field: nothing says what a receiving MX found.'));
		return {findings: out, claim};
	}

	for (const method of ['spf', 'dkim', 'dmarc', 'arc', 'iprev'] as const) {
		const result = claim.results[method];
		if (result === undefined || result === 'pass') continue;
		const severity: Severity = result === 'fail' || result === 'permerror' || (method === 'dkim' && result === 'neutral') ? 'error' : 'warning';
		out.push(finding(rules.authResult, `The Authentication-Results: by ${claim.authservId} claims ${method}=${result}${method === 'dmarc' ? ': neither SPF nor DKIM passed for the From: domain' : ''} (not verified here).`, severity));
	}

	return {findings: out, claim};
}

/** The parser's refusal as one finding; the MIME rules that need the parsed tree are then skipped. */
function parseFailure(out: Finding[], error: unknown): void {
	const message = error instanceof Error ? error.message : String(error);
	const sentence = /max header size/i.test(message)
		? 'A header block (of the message or of a MIME part) is over 1 MiB, more than the MIME parser reads; servers refuse such messages, and the MIME checks were skipped.'
		: /child nodes/i.test(message)
			? 'The message has more than 1,000 MIME parts (nested or side by side), more than the MIME parser reads; the MIME checks were skipped.'
			: `The MIME structure cannot be parsed (${message.slice(0, 80).replace(/[.\s]+$/, '')}); the MIME checks were skipped.`;
	out.push(finding(rules.mimeParse, sentence));
}

/** Every check of one message. Never throws on a broken message: that is what it reports. */
export async function checkMessage(raw: Buffer, options: CheckOptions = {}): Promise<CheckReport> {
	const {head, body} = split(raw);
	const {list, bad} = fields(head);
	const {simpleParser} = await import('mailparser');
	// skipHtmlToText: `text` is then only what a text/plain part says.
	let parsed: ParsedMail | undefined;
	const parseFindings: Finding[] = [];
	try {
		parsed = await simpleParser(raw, {skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true, checksumAlgo: false});
	} catch (error) {
		// mailsplit's limits (EMAXLEN): a message past them is what a receiving server refuses too.
		parseFailure(parseFindings, error);
	}

	const auth = authentication(list);
	const findings = [...structure(raw, list, bad), ...parseFindings, ...mime(parsed, list, head, body, options), ...bulk(list), ...auth.findings];
	const counts: Record<Severity, number> = {error: 0, warning: 0, info: 0};
	for (const item of findings) counts[item.severity]++;
	const claim = auth.claim && Object.keys(auth.claim.results).length > 0 ? {authservId: auth.claim.authservId, verified: false as const, note: claimNote(auth.claim)} : undefined;
	return {findings, counts, authentication: auth.claim?.results ?? {}, ...(claim ? {authenticationClaim: claim} : {})};
}
