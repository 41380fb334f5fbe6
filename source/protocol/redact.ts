// Last line of defence for error messages and logs: whatever path a secret took, its clear form
// and its base64 forms are masked. (SASL lines are masked where they are built, in sasl.ts.)

import {Buffer} from 'node:buffer';

export const MASK = '********';

// Alignment cores shorter than this are skipped: masking every 4-character match would mangle
// unrelated text, and so short a fragment gives little away.
const minCoreLength = 8;

/**
 * Base64 forms of a secret: its own encoding (with and without padding), and, for each of the
 * three byte alignments it can have inside a longer encoded string (e.g. the password inside a
 * PLAIN response), the run of base64 characters that encode only bytes of the secret.
 */
function base64Forms(secret: string): string[] {
	const bytes = Buffer.from(secret, 'utf8');
	const whole = bytes.toString('base64');
	const forms = [whole, whole.replace(/=+$/, '')];
	for (let offset = 1; offset <= 2; offset++) {
		const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
		// The first group mixes in foreign bytes; so does a final partial group.
		const core = encoded.slice(4, Math.floor((offset + bytes.length) / 3) * 4);
		if (core.length >= minCoreLength) {
			forms.push(core);
		}
	}

	const zeroCore = whole.slice(0, Math.floor(bytes.length / 3) * 4);
	if (zeroCore.length >= minCoreLength) {
		forms.push(zeroCore);
	}

	return forms;
}

/** Replace every non-empty secret, in clear and in base64, with MASK. */
export function redactSecrets(text: string, secrets: string[]): string {
	const forms = new Set<string>();
	for (const secret of secrets) {
		if (secret === '') {
			continue;
		}

		forms.add(secret);
		for (const form of base64Forms(secret)) {
			if (form !== '') {
				forms.add(form);
			}
		}
	}

	// Longest first, so a shorter form never splits a longer one and leaves part of it visible.
	let result = text;
	for (const form of [...forms].sort((a, b) => b.length - a.length)) {
		result = result.split(form).join(MASK);
	}

	return result;
}
