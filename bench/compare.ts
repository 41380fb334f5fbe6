// Figure 6: `smtp-tui compare --json` (all four lab ports, 25 465 587 2525, to the end) vs
// `smtp-tui run --port P` on the slowest single port, each a whole process (start included,
// each with its own embedded lab), interleaved. The four sessions of compare run at once,
// so the target is that they cost little more than the slowest one alone: ≤ 1.1×.
import {row, type Figure, type Row} from './figure.js';
import {cliPath} from './first-frame.js';
import {runToEnd} from './processes.js';
import {median} from './stats.js';

const ports = [25, 465, 587, 2525] as const;
type Port = (typeof ports)[number];

async function timeCli(args: readonly string[], check?: (stdout: string) => void): Promise<number> {
	const finished = await runToEnd(process.execPath, [cliPath, ...args], {timeoutMs: 60_000});
	if (finished.code !== 0) throw new Error(`smtp-tui ${args.join(' ')} exited with ${String(finished.code)}:\n${(finished.stderr || finished.stdout).slice(-1500)}`);
	check?.(finished.stdout);
	return finished.wallMs;
}

/** compare must really have compared the four ports, or its time says nothing. */
function checkCompare(stdout: string): void {
	let report: {ports?: unknown};
	try {
		report = JSON.parse(stdout) as {ports?: unknown};
	} catch {
		throw new Error(`smtp-tui compare --json printed no JSON: ${stdout.slice(0, 200)}`);
	}

	const seen = Array.isArray(report.ports) ? report.ports : [];
	if (ports.some(port => !seen.includes(port))) throw new Error(`smtp-tui compare --json compared ${JSON.stringify(seen)}, not ${ports.join(', ')}.`);
}

export function compareFigure(options: {runs: number; quick: boolean}): Figure {
	return {
		id: 'compare',
		title: `compare, four lab ports vs the slowest single \`run --port\` (${options.runs} runs each, interleaved)`,
		async measure() {
			const compare = () => timeCli(['compare', '--json'], checkCompare);
			const single = (port: Port) => timeCli(['run', '--port', String(port)]);
			// One unmeasured round warms the page cache.
			await compare();
			for (const port of ports) await single(port);

			const compareSamples: number[] = [];
			const singleSamples = Object.fromEntries(ports.map(port => [port, [] as number[]])) as Record<Port, number[]>;
			for (let run = 0; run < options.runs; run++) {
				compareSamples.push(await compare());
				// Rotate the order so no port always runs right after compare.
				for (let index = 0; index < ports.length; index++) {
					const port = ports[(run + index) % ports.length]!;
					singleSamples[port].push(await single(port));
				}
			}

			const singleMedians = ports.map(port => ({port, ms: median(singleSamples[port])}));
			const slowest = singleMedians.reduce((a, b) => (b.ms > a.ms ? b : a));
			const smaller = options.quick ? ', --quick: fewer than 10' : '';
			const rows: Row[] = [
				row({
					name: `\`compare --json\`, four lab ports, vs slowest single \`run --port ${slowest.port}\` (median of ${options.runs}${smaller})`,
					unit: 'ms',
					project: median(compareSamples),
					baseline: slowest.ms,
					target: {kind: 'ratio-at-most', value: 1.1},
					samples: {project: compareSamples, baseline: singleSamples[slowest.port]},
					detail: {compareSamples, singleSamples, baselineIs: `the slowest median of run --port 25/465/587/2525 in this run: ${slowest.port}`},
				}),
			];
			for (const {port, ms} of singleMedians) {
				rows.push(row({name: `\`run --port ${port}\` alone (context)`, unit: 'ms', project: ms}));
			}

			return rows;
		},
	};
}
