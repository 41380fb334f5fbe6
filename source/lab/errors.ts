// The lab's own failures. Starting the lab can only fail for local reasons (a port in use,
// a port that needs privileges), so there is one error type, blamed on our side.

import type {LabPort} from './personality.js';

/** A personality of the lab: an SMTP port, or a POP3/IMAP one (startLab's mailboxes option). */
export type LabPersonality = LabPort | 110 | 995 | 143 | 993;

export class LabStartError extends Error {
	override readonly name = 'LabStartError';
	readonly blame = 'local' as const;
	/** The personality that could not start. */
	readonly port?: LabPersonality;
	/** Node's error code, e.g. EADDRINUSE, when there was one. */
	readonly code?: string;

	constructor(message: string, port?: LabPersonality, code?: string) {
		super(message);
		this.port = port;
		this.code = code;
	}
}

/** One sentence about why listening on host:listenPort for a personality failed. */
export function describeListenError(
	error: NodeJS.ErrnoException,
	port: LabPersonality,
	host: string,
	listenPort: number,
): LabStartError {
	const where = `${host}:${listenPort}`;
	const code = error.code;
	switch (code) {
		case 'EADDRINUSE': {
			return new LabStartError(
				`The lab cannot start its port-${port} personality: ${where} is already in use; choose another port.`,
				port,
				code,
			);
		}

		case 'EACCES': {
			return new LabStartError(
				`The lab cannot start its port-${port} personality: listening on ${where} needs privileges (ports below 1024 usually do); choose a port above 1024.`,
				port,
				code,
			);
		}

		case 'EADDRNOTAVAIL': {
			return new LabStartError(
				`The lab cannot start its port-${port} personality: the address ${host} is not on this machine.`,
				port,
				code,
			);
		}

		default: {
			return new LabStartError(
				`The lab cannot start its port-${port} personality on ${where}: ${error.message}.`,
				port,
				code,
			);
		}
	}
}

/**
 * A lab setting that makes no sense (an unknown fault, a port the lab does not have, a limit
 * that is not a positive whole number). Always our user's or our caller's mistake.
 */
export class LabConfigError extends Error {
	override readonly name = 'LabConfigError';
	readonly blame = 'local' as const;
}
