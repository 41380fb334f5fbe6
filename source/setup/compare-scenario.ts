// The comparison's scenario: session options for every compared port; shared by
// `smtp-tui compare` and the compare screen.
import type {CompareScenario} from '../engine/compare.js';
import type {LabPort} from '../lab/index.js';
import {labConfig, labPortList, resolveTarget, UsageError, type CompareFlags, type PortMapping, type Target, type TargetEnvironment} from './target.js';

export const defaultOutside = 'smtp-tui-test@example.com';

/**
 * Builds the scenario: session options for every port (the lab started once, the
 * password asked once), the outside recipient and the server's own-domain recipient.
 */
export async function buildScenario(flags: CompareFlags, given: Array<number | PortMapping>, environment: TargetEnvironment): Promise<{scenario: CompareScenario; targets: Target[]}> {
	const mappings = given.map(entry => typeof entry === 'number' ? {port: entry, connect: entry} : entry);
	const ports = mappings.map(mapping => mapping.port);
	if (!flags.host) {
		const wrong = ports.find(port => !labPortList.includes(port as LabPort));
		if (wrong !== undefined) throw new UsageError(`The embedded lab has ports ${labPortList.join(', ')}; ${wrong} is not one of them (use --host to reach another server).`);
	}

	if (flags.host && !flags.to?.length) {
		throw new UsageError('Name a recipient in the server\'s own domain with --to ADDRESS (the outside one is --outside, default smtp-tui-test@example.com).');
	}

	let labPromise: ReturnType<TargetEnvironment['startLab']> | undefined;
	let password: string | undefined;
	const shared: TargetEnvironment = {
		...environment,
		startLab: async () => {
			labPromise ??= environment.startLab(labPortList, labConfig(flags));
			return labPromise;
		},
		promptPassword: environment.promptPassword && (async question => {
			password ??= await environment.promptPassword!(question);
			return password;
		}),
	};

	const targets: Target[] = [];
	for (const {port, connect} of mappings) {
		// Port 25 is server-to-server: it never logs in, whatever the flags say.
		const portFlags = port === 25 ? {...flags, user: undefined, password: undefined, passwordEnv: undefined, passwordFile: undefined, tokenEnv: undefined} : flags;
		const target = await resolveTarget({...portFlags, lab: !flags.host, port: String(flags.host ? connect : port), quitAfter: undefined}, shared);
		// The column behaves as the port it is named after: implicit TLS on 465, no login on 25.
		if (flags.host) target.options = {...target.options, profilePort: port, label: `${flags.host}:${connect === port ? port : `${connect} (as ${port})`}`};
		targets.push(target);
	}

	// Every column masks every column's secrets: the port-25 column never logs in, but the
	// server may echo there what it learned from AUTH on another port.
	const secrets = targets.flatMap(t => [t.options.credentials?.password, t.options.credentials?.token]).filter((s): s is string => Boolean(s));
	for (const target of targets) target.options = {...target.options, maskSecrets: secrets};

	const own = targets[0]!.options.to[0]!;
	const outside = flags.outside ?? defaultOutside;
	const byPort = new Map(ports.map((port, index) => [port, targets[index]!.options]));
	return {scenario: {ports, outside, own, sessionFor: port => byPort.get(port)!}, targets};
}
