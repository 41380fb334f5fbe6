// Opt-in attack personalities: the lab made deliberately vulnerable to one published attack,
// so a class can watch it work (and watch smtp-tui notice it). Off by default; the default
// lab refuses each of these inputs (PROTOCOL.md §5).

import {LabConfigError} from './errors.js';

export type AttackName = 'starttls-command-injection' | 'starttls-response-injection' | 'smuggling';

export const attackNames: AttackName[] = ['starttls-command-injection', 'starttls-response-injection', 'smuggling'];

export const attackText: Record<AttackName, string> = {
	'starttls-command-injection':
		'DELIBERATELY VULNERABLE, for teaching: commands pipelined in cleartext right after STARTTLS run inside the TLS session, as if the client had sent them encrypted (CVE-2011-0411)',
	'starttls-response-injection':
		'DELIBERATELY VULNERABLE, for teaching: after "220 2.0.0 Ready to start TLS" the server sends "250-fake" and "250 AUTH PLAIN" in the same packet, before the handshake (the "NO STARTTLS" response injection); a careful client discards and flags them',
	smuggling:
		'DELIBERATELY VULNERABLE, for teaching: bare LF line ends are taken as CRLF inside DATA, so <LF>.<LF> ends the message and whatever follows runs as new commands, e.g. a second, smuggled message (SMTP smuggling, CVE-2023-51764)',
};

/** Checks a list of attack personalities; returns it without repeats. */
export function resolveAttacks(attacks: readonly string[]): AttackName[] {
	for (const attack of attacks) {
		if (!(attackNames as string[]).includes(attack)) {
			throw new LabConfigError(`The lab has no attack personality "${attack}"; it has ${attackNames.join(', ')}.`);
		}
	}

	return attackNames.filter(name => attacks.includes(name));
}
