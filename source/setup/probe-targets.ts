// The probe's ports and targets: `--ports` read, one session option set per port (the lab
// started once); shared by `smtp-tui probe`, `smtp-tui lab` and the probe screen.
import type {ProbeTarget} from '../engine/probe.js';
import type {Lab} from '../lab/index.js';
import {labConfig, labPortList, parsePort, resolveTarget, UsageError, type PortMapping, type TargetEnvironment, type TargetFlags} from './target.js';

/** probe's default --timeout (connect, banner and every reply), in seconds. */
export const probeTimeoutSeconds = 10;

/** "25,465" or "25=10025,587=10587": the port as named, and where to connect. */
export function parsePortList(value: string | undefined, fallback: number[], what: '--ports' | 'compare' = '--ports'): PortMapping[] {
	if (value === undefined || value.trim() === '') return fallback.map(port => ({port, connect: port}));
	const flag = what === 'compare' ? 'A port' : '--ports';
	const mappings = value.split(',').map(part => part.trim()).filter(Boolean).map(part => {
		const [name, connect, extra] = part.split('=');
		const port = parsePort(name, flag);
		if (port === undefined || extra !== undefined || connect === '') {
			throw new UsageError(`${what === 'compare' ? 'compare takes ports' : '--ports takes a list'} like 25,465,587,2525 or 25=20025 (NAME=PORT: the profile of NAME, reached on PORT), not "${part}".`);
		}

		return {port, connect: connect === undefined ? port : parsePort(connect, flag)!};
	});
	if (new Set(mappings.map(m => m.port)).size !== mappings.length) throw new UsageError(what === 'compare' ? 'Name each port once.' : '--ports names a port twice.');
	return mappings;
}

export async function buildProbeTargets(flags: TargetFlags, mappings: PortMapping[], environment: TargetEnvironment): Promise<{targets: ProbeTarget[]; lab?: Lab}> {
	let lab: Lab | undefined;
	const shared: TargetEnvironment = {
		...environment,
		startLab: async () => {
			lab ??= await environment.startLab(labPortList, labConfig(flags));
			return lab;
		},
	};
	const targets: ProbeTarget[] = [];
	for (const mapping of mappings) {
		if (!flags.host && mapping.connect !== mapping.port) throw new UsageError('--ports with = mappings needs --host.');
		// No recipient, no login: a probe never sends mail.
		// A probe waits seconds, not RFC 5321's minutes, unless told otherwise.
		const timeout = flags.timeout ?? String(probeTimeoutSeconds);
		const target = await resolveTarget({...flags, timeout, lab: !flags.host, port: String(mapping.connect), quitAfter: 'ehlo', user: undefined, password: undefined, passwordEnv: undefined, passwordFile: undefined, tokenEnv: undefined, to: undefined}, shared);
		targets.push({port: mapping.port, options: target.options});
	}

	return {targets, lab};
}
