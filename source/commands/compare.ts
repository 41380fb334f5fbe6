// `smtp-tui compare [PORT...]`: one scenario on several ports, side by side.
import {Comparison} from '../engine/compare.js';
import {exitCodes} from '../engine/exit-codes.js';
import {renderCompareJson, renderCompareMarkdown} from '../export/compare.js';
import {parsePortList} from '../setup/probe-targets.js';
import {buildScenario} from '../setup/compare-scenario.js';
import {UsageError, type CompareFlags, type PortMapping, type TargetEnvironment} from '../setup/target.js';

export const defaultComparePorts = [25, 465, 587, 2525];

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
