// The secret gate. Every transcript entry is made through a SecretGate that knows the session's
// secrets (password, token, and whatever the user types into a SASL exchange by hand) and the
// SASL state, so nothing downstream of an entry ever holds a secret.
//
// The masking rule (readme, Security):
// - clear text: a secret of 8 or more characters is masked wherever it occurs; a shorter one only
//   where it stands as a word of its own, i.e. no letter or digit touches it, directly or across
//   a run of `. - _ @` (so the password `test` leaves `mx.exim.test` readable but not `pw: test`);
// - base64: a run of base64 characters is masked whole when it decodes, from any of its four
//   possible starting alignments, to bytes that contain a secret of 3 or more bytes; for shorter
//   secrets only when the run is the secret's own encoding or a SASL message (fields split by NUL
//   or ^A) with the secret as one whole field;
// - the lines of one reply are checked as one text, so an echo split across two lines is found.

import {Buffer} from 'node:buffer';

export const MASK = '********';

/** Secrets at least this long are masked wherever they occur in clear. */
const anywhereLength = 8;
/** Secrets of at least this many bytes are found inside any base64 run, at any alignment. */
const base64AnywhereBytes = 3;

const wordChar = /[\p{L}\p{N}]/u;
const joiner = /[._@-]/;

/** A letter or digit touches position `i` from `direction`, directly or across joiners (`xn--`). */
function touches(text: string, i: number, direction: -1 | 1): boolean {
	let at = i;
	while (text[at] !== undefined && joiner.test(text[at]!)) at += direction;
	const next = text[at];
	return next !== undefined && wordChar.test(next);
}

function markClear(text: string, secret: string, hide: Uint8Array): void {
	for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) {
		const end = at + secret.length;
		const standalone = !touches(text, at - 1, -1) && !touches(text, end, 1);
		if (secret.length >= anywhereLength || standalone) hide.fill(1, at, end);
	}
}

const base64Run = /[A-Za-z\d+/]{2,}={0,2}/g;

function isField(decoded: Buffer, secret: Buffer): boolean {
	const separator = (byte: number | undefined) => byte === undefined || byte === 0 || byte === 1;
	for (let at = decoded.indexOf(secret); at !== -1; at = decoded.indexOf(secret, at + 1)) {
		if (separator(decoded[at - 1]) && separator(decoded[at + secret.length])) return true;
	}

	return false;
}

/** The most bytes a base64 run of `length` characters decodes to, at any alignment. */
function decodedBytes(length: number): number {
	return Math.floor((length * 3) / 4);
}

function markBase64(text: string, secrets: readonly Buffer[], shortest: number, hide: Uint8Array): void {
	// No run of base64 characters can hold a secret's bytes when even the whole text decodes to
	// fewer (most words of a message body): nothing to decode, nothing to mark.
	if (decodedBytes(text.length) < shortest) return;
	for (const match of text.matchAll(base64Run)) {
		const run = match[0];
		const start = match.index;
		if (decodedBytes(run.length) < shortest) continue;
		const hit = secrets.some(secret => {
			if (decodedBytes(run.length) < secret.length) return false;
			if (secret.length >= base64AnywhereBytes) {
				for (let offset = 0; offset < 4; offset++) {
					if (Buffer.from(run.slice(offset), 'base64').includes(secret)) return true;
				}

				return false;
			}

			const whole = secret.toString('base64');
			if (run === whole || run === whole.replace(/=+$/, '')) return true;
			return run.length % 4 === 0 && isField(Buffer.from(run, 'base64'), secret);
		});
		if (hit) hide.fill(1, start, start + run.length);
	}
}

/**
 * The text with each hidden run replaced by one MASK. A text with nothing hidden is returned as
 * it is: building it again a character at a time made every line a chain of one-character
 * strings (~2 KB for a 70-character line, 300 MB more at 100,000 body lines).
 */
function applyMask(text: string, hide: Uint8Array): string {
	let from = hide.indexOf(1);
	if (from === -1) return text;
	const parts: string[] = [];
	let kept = 0;
	while (from !== -1) {
		parts.push(text.slice(kept, from), MASK);
		let to = from;
		while (hide[to] === 1) to++;
		kept = to;
		from = hide.indexOf(1, to);
	}

	parts.push(text.slice(kept));
	return parts.join('');
}

function active(secrets: readonly string[]): string[] {
	return [...new Set(secrets.filter(secret => secret !== ''))];
}

/**
 * What masking needs to know about a list of secrets, worked out once: the distinct non-empty
 * secrets, their UTF-8 bytes and the shortest byte length. A SecretGate keeps one until it
 * learns a new secret, so a 100,000-line body does not rebuild it 100,000 times; it depends on
 * the list alone, so reusing it changes nothing that is masked.
 */
type Masker = {list: readonly string[]; bytes: readonly Buffer[]; shortest: number};

function maskerFor(secrets: readonly string[]): Masker {
	const list = active(secrets);
	const bytes = list.map(secret => Buffer.from(secret, 'utf8'));
	return {list, bytes, shortest: Math.min(...bytes.map(secret => secret.length))};
}

/**
 * Masks secrets in the lines of one reply, checked as one text (an echo split across two lines is
 * still found). `prefix` matches the part of each line that is protocol framing (SMTP's `535-`),
 * left out of the joined text and kept as it is.
 */
export function redactLines(lines: readonly string[], secrets: readonly string[], prefix?: RegExp): string[] {
	return maskLines(lines, maskerFor(secrets), prefix);
}

function maskLines(lines: readonly string[], masker: Masker, prefix?: RegExp): string[] {
	const {list, bytes, shortest} = masker;
	if (list.length === 0) return [...lines];
	const heads = lines.map(line => (prefix ? line.match(prefix)?.[0] ?? '' : ''));
	const bodies = lines.map((line, index) => line.slice(heads[index]!.length));
	const mark = (text: string, hide: Uint8Array) => {
		for (const secret of list) markClear(text, secret, hide);
		markBase64(text, bytes, shortest, hide);
	};

	// Each line on its own (its ends are word boundaries), then all of them as one text (an echo
	// split across lines).
	const joined = bodies.join('');
	const hide = new Uint8Array(joined.length);
	let start = 0;
	for (const body of bodies) {
		mark(body, hide.subarray(start, start + body.length));
		start += body.length;
	}

	if (bodies.length > 1) {
		const across = new Uint8Array(joined.length);
		mark(joined, across);
		for (let i = 0; i < across.length; i++) hide[i] ||= across[i]!;
		// Once more with the white space at each seam left out: "535-x Tr0ub4do " then
		// "535  r&3-horse" is the same echo, split where a line ends and the next begins.
		const kept: number[] = [];
		let at = 0;
		bodies.forEach((body, index) => {
			const from = index === 0 ? 0 : body.length - body.trimStart().length;
			const to = index === bodies.length - 1 ? body.length : body.trimEnd().length;
			for (let i = from; i < to; i++) kept.push(at + i);
			at += body.length;
		});
		if (kept.length < joined.length) {
			const seamless = kept.map(i => joined[i]!).join('');
			const marks = new Uint8Array(seamless.length);
			mark(seamless, marks);
			marks.forEach((marked, i) => {
				if (marked) hide[kept[i]!] = 1;
			});
		}
	}

	let offset = 0;
	return bodies.map((body, index) => {
		const part = hide.subarray(offset, offset + body.length);
		offset += body.length;
		return heads[index]! + applyMask(body, part);
	});
}

/** Replace every secret, in clear and in base64, with MASK (the rule at the top of this file). */
export function redactSecrets(text: string, secrets: readonly string[]): string {
	return redactLines([text], secrets)[0]!;
}

/**
 * Where the credentials begin in a line being typed by hand, for masking it on screen while it
 * is typed: after `AUTH MECH ` (SMTP and POP3), after `PASS ` / `APOP user ` (POP3); undefined
 * when the line carries none (yet).
 */
export function credentialsStart(line: string, protocol: 'smtp' | 'pop3' = 'smtp'): number | undefined {
	const auth = /^\s*AUTH\s+\S+\s+(?!=\s*$)/i.exec(line);
	if (auth) return auth[0].length;
	if (protocol !== 'pop3') return undefined;
	return (/^\s*PASS\s+/i.exec(line) ?? /^\s*APOP\s+\S+\s+/i.exec(line))?.[0].length;
}

/** Base64 → UTF-8 text, or undefined when it is not base64. */
function decodeBase64(text: string): string | undefined {
	const compact = text.trim();
	if (compact === '' || compact.length % 4 !== 0 || !/^[A-Za-z\d+/]*={0,2}$/.test(compact)) return undefined;
	return Buffer.from(compact, 'base64').toString('utf8');
}

export type GatedLine = {text: string; secret: boolean; decoded?: string};

/** A client line built by a SASL mechanism (sasl.ts): already masked for display. */
export type PlannedLine = {display: string; secret: boolean; decoded?: string};

/** SMTP framing left out of the joined text: the reply code and an enhanced status code. */
const smtpPrefix = /^\d{3}(?:[ -](?:[245]\.\d{1,3}\.\d{1,3}(?: |$))?)?/;

/**
 * One per session. `client()` gates every line the client sends, `server()` every reply, and
 * `text()` every other string an entry holds; `replied()` keeps the SASL state (a SASL exchange
 * runs from an AUTH command, planned or typed by hand, for as long as the server answers with
 * 334 in SMTP or `+` in POP3), so the lines typed into it are masked too.
 */
export class SecretGate {
	private readonly secrets: string[];
	/** Worked out from `secrets` when first needed and again after each secret learned. */
	private masker: Masker | undefined;
	/** The last client line began a SASL exchange or answered a challenge. */
	private inSasl = false;
	/** A challenge is open: the next client line is a SASL response. */
	private challenged = false;
	/** The decoded text of the open challenge ("Username:"). */
	private challenge = '';

	constructor(
		secrets: ReadonlyArray<string | undefined>,
		private readonly protocol: 'smtp' | 'pop3' | 'imap',
	) {
		this.secrets = active(secrets.filter((s): s is string => s !== undefined));
	}

	/** Secrets known so far, including those learned from lines typed by hand. */
	get known(): readonly string[] {
		return this.secrets;
	}

	/** A challenge is open: the next client line answers it (a SASL response). */
	get awaitingResponse(): boolean {
		return this.challenged;
	}

	/** The decoded text of the open challenge ("Username:"), or '' (untrusted server bytes: gate it before showing). */
	get openChallenge(): string {
		return this.challenged ? this.challenge : '';
	}

	learn(secret: string | undefined): void {
		if (secret !== undefined && secret !== '' && !this.secrets.includes(secret)) {
			this.secrets.push(secret);
			this.masker = undefined;
		}
	}

	private get current(): Masker {
		this.masker ??= maskerFor(this.secrets);
		return this.masker;
	}

	/** Any string that is neither a client line nor a server reply (notes, errors, explanations). */
	text(text: string): string {
		return maskLines([text], this.current)[0]!;
	}

	/** The lines of one server reply, masked together. */
	server(lines: readonly string[]): string[] {
		return maskLines(lines, this.current, this.protocol === 'smtp' ? smtpPrefix : undefined);
	}

	/**
	 * The server answered the last client line. `challenge` is the base64 text of an SMTP 334 or
	 * POP3 `+` continuation; any other reply ends a SASL exchange.
	 */
	replied(continuation: boolean, challenge = ''): void {
		this.challenged = continuation && this.inSasl;
		this.inSasl = this.challenged;
		this.challenge = this.challenged ? decodeBase64(challenge) ?? challenge : '';
	}

	/**
	 * Whether a line typed by hand would carry credentials if sent now: a response to an open
	 * SASL challenge (not the `*` that cancels it), an AUTH initial response (not the empty
	 * `=`), or POP3's PASS / APOP. A bare `AUTH PLAIN` carries none, so it may be sent without
	 * TLS to show what the server answers (530 on a submission port); what follows a 334 may not.
	 */
	carriesCredentials(line: string): boolean {
		if (this.awaitingResponse) return line.trim() !== '*';
		const words = line.split(' ').filter(word => word !== '');
		const verb = (words[0] ?? '').toUpperCase();
		if (verb === 'AUTH') return words.length > 2 && words[2] !== '=';
		return this.protocol === 'pop3' && ((verb === 'PASS' && words.length > 1) || verb === 'APOP');
	}

	/** A line the client sends, as it may be shown; `planned` is sasl.ts's own masked form. */
	client(line: string, planned?: PlannedLine): GatedLine {
		const challenged = this.challenged;
		this.challenged = false;
		const words = line.split(' ');
		const verb = (words[0] ?? '').toUpperCase();
		// `*` cancels the exchange (RFC 4954): what follows is a command again, even if the
		// server answers the cancel with yet another 334.
		if (!challenged) this.inSasl = verb === 'AUTH';
		else if (line.trim() === '*') this.inSasl = false;
		if (planned) {
			return {text: this.text(planned.display), secret: planned.secret, decoded: planned.decoded === undefined ? undefined : this.text(planned.decoded)};
		}

		if (challenged) return this.saslResponse(line);
		if (verb === 'AUTH' && words.length > 2) return this.initialResponse(words);
		if (this.protocol === 'pop3' && verb === 'PASS' && words.length > 1) {
			this.learn(line.slice(5));
			return {text: `PASS ${MASK}`, secret: true};
		}

		if (this.protocol === 'pop3' && verb === 'APOP' && words.length > 2) {
			this.learn(words.slice(2).join(' '));
			return {text: `APOP ${this.text(words[1]!)} ${MASK}`, secret: true};
		}

		return {text: this.commandText(line, verb, words), secret: false};
	}

	/**
	 * A command line with no credentials in it. Its verb (and AUTH's mechanism name) are protocol
	 * words, never a secret: a command typed at a 334 by mistake ("AUTH LOGIN" sent as the user
	 * name) is masked and learned as what it was on the wire, an answer, and must not mask the same
	 * command typed again once the exchange has ended. The rest of the line is masked as any text.
	 */
	private commandText(line: string, verb: string, words: readonly string[]): string {
		if (!/^[A-Z]{1,12}$/.test(verb)) return this.text(line);
		const mechanism = verb === 'AUTH' && /^[A-Za-z\d_-]{1,20}$/.test(words[1] ?? '') ? ` ${words[1]!}` : '';
		const keywords = `${words[0]!}${mechanism}`;
		const rest = line.slice(keywords.length);
		return keywords + (rest === '' ? '' : this.text(rest));
	}

	/** `AUTH MECH initial-response`, typed by hand: the response is masked and learned. */
	private initialResponse(words: string[]): GatedLine {
		const mechanism = words[1]!.toUpperCase();
		const response = words.slice(2).join(' ');
		if (response === '=') return {text: this.text(words.join(' ')), secret: false};
		const decoded = decodeBase64(response);
		this.learn(response);
		let shown = MASK;
		if (decoded !== undefined && mechanism === 'PLAIN') {
			const [authzid = '', user = '', ...password] = decoded.split('\0');
			this.learn(password.join('\0'));
			shown = `${authzid}\\0${user}\\0${MASK}`;
		} else if (decoded !== undefined && mechanism === 'XOAUTH2') {
			const fields = decoded.split('\x01');
			const user = fields.find(field => field.startsWith('user=')) ?? 'user=';
			const bearer = fields.find(field => /^auth=Bearer /i.test(field));
			this.learn(bearer?.slice('auth=Bearer '.length));
			shown = `${user}\\x01auth=Bearer ${MASK}\\x01\\x01`;
		} else {
			this.learn(decoded);
		}

		return {text: `AUTH ${this.text(words[1]!)} ${MASK}`, secret: true, decoded: this.text(shown)};
	}

	/** A line answering a challenge, typed by hand. Only LOGIN's user name is shown. */
	private saslResponse(line: string): GatedLine {
		if (line.trim() === '*') return {text: '*', secret: false};
		const decoded = decodeBase64(line);
		if (decoded !== undefined && /user/i.test(this.challenge) && !/pass/i.test(this.challenge)) {
			return {text: this.text(line), secret: false, decoded: this.text(decoded)};
		}

		this.learn(line);
		this.learn(decoded);
		return {text: MASK, secret: true, decoded: MASK};
	}
}
