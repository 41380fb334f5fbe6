// `smtp-tui compare [PORT...]`: one scenario on several ports, side by side.
import {Comparison, type CompareScenario} from '../engine/compare.js';
import {exitCodes} from '../engine/exit-codes.js';
import {renderCompareJson, renderCompareMarkdown} from '../export/compare.js';
import type {LabPort} from '../lab/index.js';
import {parsePortList, type PortMapping} from './probe.js';
import {labConfig, labPortList, resolveTarget, UsageError, type Target, type TargetEnvironment, type TargetFlags} from './target.js';

export const defaultComparePorts = [25, 465, 587, 2525];
export const defaultOutside = 'smtp-tui-test@example.com';

/** A port argument: "587", or "587=20587" (the profile of 587, reached on 20587). */
const portArgument = /^\d+(=\d+)?$/;

/**
 * `compare [HOST] [PORT | NAME=PORT ...]`: the host may come first (as with probe), then
 * ports, each one a well-known port whose profile applies, optionally mapped to where it
 * really listens. Ports may also be given comma-separated.
 */
export function parseCompareArguments(input: string[], hostFlag?: string): {host?: string; ports: PortMapping[]} {
	let host = hostFlag;
	let rest = input;
	// With --host every argument is a port; without it, a first one that is not a port is the host.
	if (!hostFlag && input[0] !== undefined && !input[0].split(',').every(part => part === '' || portArgument.test(part))) {
		host = input[0];
		rest = input.slice(1);
	}

	const ports = rest.length === 0 ? parsePortList(undefined, defaultComparePorts) : parsePortList(rest.join(','), [], 'compare');
	if (ports.length > 8) throw new UsageError('Compare at most 8 ports at once.');
	if (!host && ports.some(mapping => mapping.connect !== mapping.port)) throw new UsageError('A NAME=PORT mapping says where another server listens: add the host (compare HOST 25=20025 …).');
	return {host, ports};
}

/** The ports alone (no mapping), as older callers pass them. */
export function parseComparePorts(input: string[]): number[] {
	return parseCompareArguments(input).ports.map(mapping => mapping.port);
}

export type CompareFlags = TargetFlags & {outside?: string};

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

export type CompareOutput = {write: (text: string) => void; note: (text: string) => void};

export async function runCompare(flags: CompareFlags & {json?: boolean; markdown?: boolean}, ports: Array<number | PortMapping>, environment: TargetEnvironment, output: CompareOutput, signal?: AbortSignal): Promise<number> {
	const {scenario, targets} = await buildScenario(flags, ports, environment);
	for (const warning of new Set(targets.flatMap(t => t.warnings))) output.note(`warning: ${warning}`);
	const comparison = new Comparison(scenario);
	const abort = () => comparison.close();
	signal?.addEventListener('abort', abort);
	try {
		await comparison.runToEnd();
		const report = comparison.report(flags.host ?? 'lab');
		output.write(flags.json ? renderCompareJson(report) : renderCompareMarkdown(report));
		if (signal?.aborted) return 130;
		// Refusals are the point of a comparison; only a column that could not talk fails it.
		const failed = comparison.columns.find(c => c.summary().failure);
		return failed ? failed.session.exitCode || exitCodes.internal : 0;
	} finally {
		signal?.removeEventListener('abort', abort);
		comparison.close();
		await targets.find(t => t.lab)?.lab?.close();
	}
}
