// Figure 4: a whole batch session (`smtp-tui run`) against a zero-delay server on
// loopback, wall time of the process, vs `node -e 0` (the target) and swaks doing the same
// conversation (context), interleaved. Both Node processes run with no Node or V8 flags
// (a V8 flag would also make V8 refuse smtp-tui's code cache, scripts/cli-loader.cjs).
// Context: each Node process's own CPU time in separate interleaved rounds, where both
// carry the same preload that reports it (bench/cpu-at-exit.cjs).
import {spawn} from 'node:child_process';
import {mkdtemp, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {performance} from 'node:perf_hooks';
import {fileURLToPath} from 'node:url';
import {row, type Figure} from './figure.js';
import {cliPath} from './first-frame.js';
import {median} from './stats.js';

const cpuReporter = fileURLToPath(new URL('cpu-at-exit.cjs', import.meta.url));
import {startZeroDelayServer} from '../scripts/zero-delay-server.mjs';

/** Wall time of one process run to its end; a non-zero exit is a failed measurement. */
async function timeProcess(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<number> {
	const started = performance.now();
	const child = spawn(command, args, {stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env});
	let output = '';
	child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
	child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
	const code = await new Promise<number | null>((resolve, reject) => {
		child.once('error', (error: NodeJS.ErrnoException) => {
			reject(error.code === 'ENOENT' ? new Error(`${command} is not installed or not on PATH (the bench needs it as a baseline).`) : error);
		});
		child.once('close', resolve);
	});
	const elapsed = performance.now() - started;
	if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${String(code)}:\n${output.slice(-2000)}`);
	return elapsed;
}

export function batchFigure(options: {runs: number}): Figure {
	return {
		id: 'batch',
		title: `batch full session vs node -e 0 and swaks (${options.runs} runs each, interleaved)`,
		async measure() {
			const server = await startZeroDelayServer();
			try {
				const port = String(server.port);
				const project = (env?: NodeJS.ProcessEnv) => timeProcess(process.execPath, [cliPath, 'run', '--host', '127.0.0.1', '--port', port, '--tls', 'none', '--to', 'bob@x.test', '--from', 'a@x.test', '--ehlo', 'bench.test'], env);
				const baseline = () => timeProcess('swaks', ['--server', '127.0.0.1', '--port', port, '--to', 'bob@x.test', '--from', 'a@x.test', '--helo', 'bench.test']);
				// Node's own start: no Node client can beat it, so the target is a ratio to it.
				const floor = (env?: NodeJS.ProcessEnv) => timeProcess(process.execPath, ['-e', '0'], env);
				// Two unmeasured runs each warm the page cache.
				for (let run = 0; run < 2; run++) {
					await project();
					await baseline();
				}

				const projectSamples: number[] = [];
				const baselineSamples: number[] = [];
				const floorSamples: number[] = [];
				for (let run = 0; run < options.runs; run++) {
					projectSamples.push(await project());
					baselineSamples.push(await baseline());
					floorSamples.push(await floor());
				}

				// CPU rounds: the same two commands, each with the preload that writes its CPU time.
				const scratch = await mkdtemp(join(tmpdir(), 'smtp-tui-bench-batch-'));
				const cpuOf = async (run: (env: NodeJS.ProcessEnv) => Promise<number>) => {
					const file = join(scratch, 'cpu');
					await rm(file, {force: true});
					await run({...process.env, NODE_OPTIONS: `--require ${cpuReporter}`, SMTP_TUI_BENCH_CPU_FILE: file});
					return Number(await readFile(file, 'utf8'));
				};
				const projectCpu: number[] = [];
				const floorCpu: number[] = [];
				const cpuRuns = Math.max(5, Math.ceil(options.runs / 2));
				try {
					for (let run = 0; run < cpuRuns; run++) {
						projectCpu.push(await cpuOf(project));
						floorCpu.push(await cpuOf(floor));
					}
				} finally {
					await rm(scratch, {recursive: true, force: true});
				}

				const expected = 2 * (options.runs + 2) + cpuRuns;
				if (server.sessions() !== expected) throw new Error(`The server saw ${server.sessions()} complete sessions, expected ${expected}: some run did not reach QUIT.`);
				return [
					// The target: smtp-tui's own cost above Node's start (issue 20). swaks is context:
					// Node doing nothing already takes longer than swaks's whole session.
					row({
						name: `Batch full session \`smtp-tui run\` vs \`node -e 0\` (median of ${options.runs})`,
						unit: 'ms',
						project: median(projectSamples),
						baseline: median(floorSamples),
						target: {kind: 'ratio-at-most', value: 1.3},
						samples: {project: projectSamples, baseline: floorSamples},
						detail: {projectSamples, floorSamples, baselineIs: '`node -e 0`, interleaved'},
					}),
					row({
						name: `… CPU time per process, user + system (context: not inflated by waiting for a core; median of ${cpuRuns}, both with the same preload)`,
						unit: 'ms',
						project: median(projectCpu),
						baseline: median(floorCpu),
						samples: {project: projectCpu, baseline: floorCpu},
						detail: {projectCpu, floorCpu},
					}),
					row({
						name: 'Batch full session vs swaks, same server, same conversation (context)',
						unit: 'ms',
						project: median(projectSamples),
						baseline: median(baselineSamples),
						samples: {project: projectSamples, baseline: baselineSamples},
						detail: {baselineSamples},
					}),
				];
			} finally {
				await server.close();
			}
		},
	};
}
