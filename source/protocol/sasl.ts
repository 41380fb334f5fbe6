// SASL mechanisms for SMTP AUTH (RFC 4954): PLAIN, LOGIN, CRAM-MD5, XOAUTH2. Each line comes
// back twice: `wire`, the exact bytes to send, and `display`/`decoded`, what may be shown or
// stored. Base64 is not protection, so secrets are masked in both their clear and base64 forms.

import {Buffer} from 'node:buffer';
import {createHmac} from 'node:crypto';
import {auth, checkField, maxAuthLine} from './commands.js';
import {LocalInputError} from './errors.js';
import {MASK} from './redact.js';

export type SaslCredentials = {user: string; password?: string; token?: string; authzid?: string};

export type SaslLine = {
	/** The exact line to send, without CRLF. */
	wire: string;
	/** What may be shown or stored: secrets masked. */
	display: string;
	/** Human reading of the base64 in `wire`, masked; NULs shown as \0, ^A as \x01. */
	decoded?: string;
	/** The line carries a secret (or something derived from one). */
	secret: boolean;
	/** A short explanation of a line whose purpose is not obvious (e.g. an empty reply). */
	note?: string;
};

export interface SaslExchange {
	readonly mechanism: string;
	/** The AUTH command, with an initial response where the mechanism has one. */
	start(): SaslLine;
	/** The answer to a 334 challenge (its base64 text). */
	respond(challengeBase64: string): SaslLine;
	/** "*": abandon the exchange; the server answers 501. */
	cancel(): SaslLine;
}

export type SaslOptions = {
	/** PLAIN only: send the credentials with the AUTH command (default) or after an empty 334. */
	initialResponse?: boolean;
};

export const supportedMechanisms = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'] as const;
export type SupportedMechanism = (typeof supportedMechanisms)[number];

const hiddenBase64 = '<base64 hidden>';

function b64(text: string): string {
	return Buffer.from(text, 'utf8').toString('base64');
}

/**
 * Base64 of `prefix + secret + suffix`, shown only as far as it encodes bytes of `prefix` alone
 * (whole 3-byte groups), then the mask. Nothing derived from the secret survives.
 */
function maskedBase64(prefix: string, encoded: string): string {
	const prefixBytes = Buffer.byteLength(prefix, 'utf8');
	return encoded.slice(0, Math.floor(prefixBytes / 3) * 4) + MASK;
}

function responseLine(wire: string, line: Omit<SaslLine, 'wire'>): SaslLine {
	if (Buffer.byteLength(wire, 'utf8') + 2 > maxAuthLine) {
		throw new LocalInputError(
			`The SASL response would be longer than ${maxAuthLine} octets with its CRLF (RFC 4954 section 4).`,
		);
	}

	return {wire, ...line};
}

function cancelLine(): SaslLine {
	return {wire: '*', display: '*', secret: false, note: 'Cancels the authentication exchange.'};
}

function plainLine(wire: string): SaslLine {
	return {wire, display: wire, secret: false};
}

/** Base64 → text (UTF-8, invalid bytes as U+FFFD). Untrusted: render through safeText(). */
export function decodeChallenge(b64text: string): string {
	const compact = b64text.trim();
	if (compact.length % 4 !== 0 || !/^[A-Za-z\d+/]*={0,2}$/.test(compact)) {
		return '(not valid base64)';
	}

	return Buffer.from(compact, 'base64').toString('utf8');
}

function need(value: string | undefined, mechanism: string, what: string): string {
	if (value === undefined || value === '') {
		throw new LocalInputError(`The ${mechanism} mechanism needs ${what}, and none was given.`);
	}

	return value;
}

function refuse(value: string, pattern: RegExp, message: string): void {
	if (pattern.test(value)) {
		throw new LocalInputError(message);
	}
}

function createPlain(creds: SaslCredentials, options: SaslOptions): SaslExchange {
	const password = need(creds.password, 'PLAIN', 'a password');
	const authzid = creds.authzid ?? '';
	// NUL separates the three fields of PLAIN (RFC 4616 §2), so none may contain one.
	for (const [value, what] of [
		[authzid, 'authorization identity'],
		[creds.user, 'user name'],
		[password, 'password'],
	] as const) {
		refuse(value, /\0/, `The PLAIN ${what} contains a NUL character, which PLAIN uses as its separator.`);
	}

	const prefix = `${authzid}\0${creds.user}\0`;
	const encoded = b64(prefix + password);
	const decoded = `${authzid}\\0${creds.user}\\0${MASK}`;
	const masked = maskedBase64(prefix, encoded);
	const withInitial = options.initialResponse ?? true;
	let sent = false;
	return {
		mechanism: 'PLAIN',
		start() {
			if (!withInitial) {
				return plainLine(auth('PLAIN'));
			}

			sent = true;
			return {wire: auth('PLAIN', encoded), display: `AUTH PLAIN ${masked}`, decoded, secret: true};
		},
		respond() {
			// PLAIN has one message; a second challenge means something is wrong, so back out.
			if (sent) {
				return cancelLine();
			}

			sent = true;
			return responseLine(encoded, {display: masked, decoded, secret: true});
		},
		cancel: cancelLine,
	};
}

function createLogin(creds: SaslCredentials): SaslExchange {
	const password = need(creds.password, 'LOGIN', 'a password');
	let userSent = false;
	let passwordSent = false;
	const userLine = (): SaslLine => {
		userSent = true;
		const wire = b64(creds.user);
		return responseLine(wire, {display: wire, decoded: creds.user, secret: false});
	};

	const passwordLine = (): SaslLine => {
		passwordSent = true;
		return responseLine(b64(password), {display: MASK, decoded: MASK, secret: true});
	};

	return {
		mechanism: 'LOGIN',
		start: () => plainLine(auth('LOGIN')),
		respond(challenge) {
			const prompt = decodeChallenge(challenge).toLowerCase();
			if (prompt.includes('user')) {
				return userLine();
			}

			if (prompt.includes('pass')) {
				return passwordLine();
			}

			// Unknown prompt (some servers localise or leave it empty): the order is user, then password.
			if (!userSent) {
				return userLine();
			}

			return passwordSent ? cancelLine() : passwordLine();
		},
		cancel: cancelLine,
	};
}

function createCramMd5(creds: SaslCredentials): SaslExchange {
	const password = need(creds.password, 'CRAM-MD5', 'a password');
	return {
		mechanism: 'CRAM-MD5',
		start: () => plainLine(auth('CRAM-MD5')),
		respond(challenge) {
			// The HMAC is over the challenge's bytes exactly as the server encoded them.
			const digest = createHmac('md5', Buffer.from(password, 'utf8'))
				.update(Buffer.from(challenge.trim(), 'base64'))
				.digest('hex');
			// The digest is hidden too: with the challenge it allows an offline guess at the password.
			return responseLine(b64(`${creds.user} ${digest}`), {
				display: hiddenBase64,
				decoded: `${creds.user} ${MASK}`,
				secret: true,
			});
		},
		cancel: cancelLine,
	};
}

function createXoauth2(creds: SaslCredentials): SaslExchange {
	const token = need(creds.token, 'XOAUTH2', 'an OAuth 2.0 access token');
	refuse(creds.user, /[\x01]/, 'The XOAUTH2 user name contains a ^A (0x01) character, which XOAUTH2 uses as its separator.');
	refuse(token, /[\x01]/, 'The XOAUTH2 token contains a ^A (0x01) character, which XOAUTH2 uses as its separator.');
	const prefix = `user=${creds.user}\x01auth=Bearer `;
	const encoded = b64(`${prefix}${token}\x01\x01`);
	return {
		mechanism: 'XOAUTH2',
		start: () => ({
			wire: auth('XOAUTH2', encoded),
			display: `AUTH XOAUTH2 ${maskedBase64(prefix, encoded)}`,
			decoded: `user=${creds.user}\\x01auth=Bearer ${MASK}\\x01\\x01`,
			secret: true,
		}),
		respond() {
			// The only 334 in XOAUTH2 carries a JSON error; the client must answer with an empty
			// line, after which the server sends the final 535 (or similar).
			return {
				wire: '',
				display: '(empty line, acknowledging the error the server sent)',
				secret: false,
				note: 'XOAUTH2 answers an error challenge with an empty line; the server then sends its final reply.',
			};
		},
		cancel: cancelLine,
	};
}

/** Secrets are base64-encoded, so a line break is not an injection risk, just almost surely a mistake. */
function checkSecret(value: string | undefined, what: string): void {
	if (value !== undefined && /[\r\n]/.test(value)) {
		throw new LocalInputError(
			`The ${what} contains a line break (CR or LF); if it was read from a file, remove the trailing newline.`,
		);
	}
}

export function createSasl(mechanism: string, creds: SaslCredentials, options: SaslOptions = {}): SaslExchange {
	const name = mechanism.trim().toUpperCase();
	checkField(creds.user, 'the user name');
	if (creds.user === '') {
		throw new LocalInputError('Authentication needs a user name, and none was given.');
	}

	if (creds.authzid !== undefined) {
		checkField(creds.authzid, 'the authorization identity');
	}

	checkSecret(creds.password, 'password');
	checkSecret(creds.token, 'token');
	switch (name) {
		case 'PLAIN': {
			return createPlain(creds, options);
		}

		case 'LOGIN': {
			return createLogin(creds);
		}

		case 'CRAM-MD5': {
			return createCramMd5(creds);
		}

		case 'XOAUTH2': {
			return createXoauth2(creds);
		}

		default: {
			throw new LocalInputError(
				`The SASL mechanism "${mechanism}" is not supported; choose one of ${supportedMechanisms.join(', ')}.`,
			);
		}
	}
}
