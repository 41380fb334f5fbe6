// Figure 6: `smtp-tui compare --json` (all four lab ports, 25 465 587 2525, to the end) vs
// the same command on the slowest single port, `compare --json P`: the same process start,
// the same embedded lab (compare starts all four of its ports either way), the same
// conversation (compare's rows, not `run`'s plan) and the same JSON report, so the ratio is
// what the three more columns cost. Each is a whole process, interleaved. The four sessions
// of compare run at once, so the target is that they cost little more than the slowest one
// alone: ≤ 1.1×. `run --port P` (another plan, one lab port, its own output) is context.
import {mkdtemp, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {row, type Figure, type Row} from './figure.js';
import {cliPath} from './first-frame.js';
import {runToEnd} from './processes.js';
import {median} from './stats.js';

const ports = [25, 465, 587, 2525] as const;
type Port = (typeof ports)[number];

const cpuReporter = fileURLToPath(new URL('cpu-at-exit.cjs', import.meta.url));

type Timed = {wallMs: number; cpuMs: number};

/** One whole smtp-tui process: its wall time and its own CPU time (user + system). */
async function timeCli(scratch: string, args: readonly string[], check?: (stdout: string) => void): Promise<Timed> {
	const cpuFile = join(scratch, 'cpu');
	await rm(cpuFile, {force: true});
	const env = {...process.env, NODE_OPTIONS: `--require ${cpuReporter}`, SMTP_TUI_BENCH_CPU_FILE: cpuFile};
	const finished = await runToEnd(process.execPath, [cliPath, ...args], {timeoutMs: 60_000, env});
	if (finished.code !== 0) throw new Error(`smtp-tui ${args.join(' ')} exited with ${String(finished.code)}:\n${(finished.stderr || finished.stdout).slice(-1500)}`);
	check?.(finished.stdout);
	return {wallMs: finished.wallMs, cpuMs: Number(await readFile(cpuFile, 'utf8'))};
}

/** compare must really have compared the ports asked for, or its time says nothing. */
function checkCompare(stdout: string, expected: readonly number[]): void {
	let report: {ports?: unknown};
	try {
		report = JSON.parse(stdout) as {ports?: unknown};
	} catch {
		throw new Error(`smtp-tui compare --json printed no JSON: ${stdout.slice(0, 200)}`);
	}

	const seen = Array.isArray(report.ports) ? report.ports : [];
	if (seen.length !== expected.length || expected.some(port => !seen.includes(port))) throw new Error(`smtp-tui compare --json compared ${JSON.stringify(seen)}, not ${expected.join(', ')}.`);
}

type Samples = {wall: number[]; cpu: number[]};
type PerPort = Record<Port, Samples>;

const samples = (): Samples => ({wall: [], cpu: []});
const perPort = (): PerPort => Object.fromEntries(ports.map(port => [port, samples()])) as PerPort;

function add(to: Samples, timed: Timed): void {
	to.wall.push(timed.wallMs);
	to.cpu.push(timed.cpuMs);
}

function slowestOf(by: PerPort, measure: keyof Samples): {port: Port; ms: number} {
	return ports.map(port => ({port, ms: median(by[port][measure])})).reduce((a, b) => (b.ms > a.ms ? b : a));
}

export function compareFigure(options: {runs: number; quick: boolean}): Figure {
	return {
		id: 'compare',
		title: `compare, four lab ports vs the slowest single port, same command (${options.runs} runs each, interleaved)`,
		async measure() {
			const scratch = await mkdtemp(join(tmpdir(), 'smtp-tui-bench-compare-'));
			try {
				return await measureIn(scratch, options);
			} finally {
				await rm(scratch, {recursive: true, force: true});
			}
		},
	};
}

async function measureIn(scratch: string, options: {runs: number; quick: boolean}): Promise<Row[]> {
	const compare = async () => timeCli(scratch, ['compare', '--json'], stdout => {
		checkCompare(stdout, ports);
	});
	const alone = async (port: Port) => timeCli(scratch, ['compare', '--json', String(port)], stdout => {
		checkCompare(stdout, [port]);
	});
	const single = async (port: Port) => timeCli(scratch, ['run', '--port', String(port)]);
	// One unmeasured round warms the page cache.
	await compare();
	for (const port of ports) {
		await alone(port);
		await single(port);
	}

	const all = samples();
	const aloneSamples = perPort();
	const singleSamples = perPort();
	for (let run = 0; run < options.runs; run++) {
		add(all, await compare());
		// Rotate the order so no port always runs right after compare.
		for (let index = 0; index < ports.length; index++) {
			const port = ports[(run + index) % ports.length]!;
			add(aloneSamples[port], await alone(port));
			add(singleSamples[port], await single(port));
		}
	}

	const slowest = slowestOf(aloneSamples, 'wall');
	const slowestCpu = slowestOf(aloneSamples, 'cpu');
	const slowestRun = slowestOf(singleSamples, 'wall');
	const smaller = options.quick ? ', --quick: fewer than 10' : '';
	const rows: Row[] = [
		row({
			name: `\`compare --json\`, four lab ports, vs the slowest single port the same way, \`compare --json ${slowest.port}\` (median of ${options.runs}${smaller})`,
			unit: 'ms',
			project: median(all.wall),
			baseline: slowest.ms,
			target: {kind: 'ratio-at-most', value: 1.1},
			samples: {project: all.wall, baseline: aloneSamples[slowest.port].wall},
			detail: {compare: all, alone: aloneSamples, run: singleSamples, baselineIs: `the slowest median of compare --json 25/465/587/2525 in this run: ${slowest.port}`},
		}),
		row({
			name: `… CPU time, user + system (context: not inflated by waiting for a core), vs \`compare --json ${slowestCpu.port}\``,
			unit: 'ms',
			project: median(all.cpu),
			baseline: slowestCpu.ms,
			samples: {project: all.cpu, baseline: aloneSamples[slowestCpu.port].cpu},
		}),
		row({
			name: `… vs the slowest single \`run --port ${slowestRun.port}\` (context: another plan, one lab port)`,
			unit: 'ms',
			project: median(all.wall),
			baseline: slowestRun.ms,
			samples: {project: all.wall, baseline: singleSamples[slowestRun.port].wall},
		}),
	];
	for (const port of ports) {
		const by = aloneSamples[port];
		rows.push(row({name: `\`compare --json ${port}\` vs \`run --port ${port}\`, wall (context)`, unit: 'ms', project: median(by.wall), baseline: median(singleSamples[port].wall), samples: {project: by.wall, baseline: singleSamples[port].wall}}));
	}

	return rows;
}
