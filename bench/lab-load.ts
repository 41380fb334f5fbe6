// Figure 5: the lab under load. Postfix's smtp-source opens 1,000 sessions at once and sends
// 10,000 messages (one per session, 1 KB each) to the lab's port 25 (bench/lab-server.ts, in
// its own process), then the same to aiosmtpd (bench/aiosmtpd_sink.py), interleaved. The
// target is on wall time for the same 10,000 messages (≤ 1.0× aiosmtpd: throughput at least
// aiosmtpd's), with no errors and nothing lost. Context: messages/s, the same against
// aiosmtpd with a longer listen queue (its stock 100 stalls 1,000 simultaneous connects),
// server CPU per message, peak RSS, and the in-repo Node load client (many messages per
// session, session and greeting times).
import {existsSync} from 'node:fs';
import {dirname} from 'node:path';
import {fileURLToPath} from 'node:url';
import {row, type Figure, type Row} from './figure.js';
import {runLoad, type LoadResult} from './load-client.js';
import {freePort, runToEnd, spawnServer, waitForPort, type ServerChild, type Usage} from './processes.js';
import {median} from './stats.js';

const benchDirectory = dirname(fileURLToPath(import.meta.url));
const repoDirectory = dirname(benchDirectory);
const labServerPath = fileURLToPath(new URL('lab-server.ts', import.meta.url));
const loadClientPath = fileURLToPath(new URL('load-client.ts', import.meta.url));
const sinkPath = fileURLToPath(new URL('aiosmtpd_sink.py', import.meta.url));
/** Debian's python3-aiosmtpd is importable by Debian's own Python, not by a pyenv or venv one. */
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const megabyte = 1024 * 1024;
const from = 'load@lab.test';
const to = 'bob@lab.test';
const installHint = 'run `bash bench/install.sh` as root';

export type LabLoadOptions = {
	/** Messages smtp-source sends (one per session), and how many sessions it keeps open. */
	messages: number;
	sessions: number;
	/** Runs per server, interleaved; the rows are medians. */
	runs: number;
	/** The Node load client: sessions at once, messages each. */
	clientSessions: number;
	clientMessagesPerSession: number;
	/** Single sessions, one at a time, for the greeting wait without load. */
	singleRuns: number;
	/** Set by --quick: said in the row names. */
	quick: boolean;
};

/** aiosmtpd-backlog: the same handler with a 1,024-long listen queue (aiosmtpd_sink.py). */
type ServerKind = 'lab' | 'aiosmtpd' | 'aiosmtpd-backlog';
const backlog = 1024;

type ServerRun<T> = {result: T; captured: number; usage: Usage; cpuMsDuringLoad: number};

async function startLabServer(): Promise<{server: ServerChild; kill: () => Promise<void>}> {
	const spawned = spawnServer(process.execPath, ['--import', 'tsx', labServerPath], {cwd: repoDirectory, hint: 'npm install'});
	try {
		const deadline = Date.now() + 20_000;
		let port: number | undefined;
		while (port === undefined) {
			const why = spawned.exitedEarly();
			if (why !== undefined) throw new Error(why);
			const line = spawned.stdoutSoFar().split('\n', 1)[0]!;
			if (spawned.stdoutSoFar().includes('\n')) port = (JSON.parse(line) as {port: number}).port;
			else if (Date.now() > deadline) throw new Error('bench/lab-server.ts did not print its port within 20 s.');
			else await new Promise(resolve => setTimeout(resolve, 25));
		}

		return {server: spawned.handle(port), kill: spawned.kill};
	} catch (error) {
		await spawned.kill();
		throw error;
	}
}

async function startAiosmtpd(longQueue: boolean): Promise<{server: ServerChild; kill: () => Promise<void>}> {
	const port = await freePort();
	const env = {...process.env, PYTHONPATH: benchDirectory};
	const args = longQueue ? [sinkPath, String(port), String(backlog)] : ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd_sink.Sink'];
	const spawned = spawnServer(python, args, {env, hint: installHint});
	try {
		await waitForPort(port, 15_000, spawned.exitedEarly);
		return {server: spawned.handle(port), kill: spawned.kill};
	} catch (error) {
		await spawned.kill();
		throw new Error(`aiosmtpd did not start (${installHint}): ${error instanceof Error ? error.message : String(error)}`);
	}
}

/** Starts a fresh server, drives `load` at it, reads its memory and CPU, stops it and reads its count. */
async function withServer<T>(kind: ServerKind, load: (port: number) => Promise<T>): Promise<ServerRun<T>> {
	const {server, kill} = kind === 'lab' ? await startLabServer() : await startAiosmtpd(kind === 'aiosmtpd-backlog');
	try {
		const before = await server.usage();
		const result = await load(server.port);
		// Read before SIGTERM: VmHWM is gone with the process.
		const usage = await server.usage();
		const report = JSON.parse(await server.stop()) as {inbox?: number; messages: number};
		// The lab's inbox is what it captured; aiosmtpd's sink counts what it accepted.
		const captured = report.inbox ?? report.messages;
		return {result, captured, usage, cpuMsDuringLoad: usage.cpuMs - before.cpuMs};
	} catch (error) {
		await kill();
		throw error;
	}
}

type SourceResult = {wallMs: number; errors: number; complaints: string[]; exitCode: number | null; counted: number};

/** smtp-source as the brief has it; errors are its non-zero exit and every complaint on stderr. */
async function smtpSource(port: number, options: LabLoadOptions): Promise<SourceResult> {
	const args = ['-c', '-l', '1024', '-m', String(options.messages), '-s', String(options.sessions), '-f', from, '-t', to, `127.0.0.1:${port}`];
	const finished = await runToEnd('smtp-source', args, {timeoutMs: 240_000, hint: 'Postfix provides it; run `bash bench/install.sh` as root'});
	const complaints = finished.stderr.split('\n').filter(line => line.trim() !== '');
	const errors = complaints.length + (finished.code === 0 || complaints.length > 0 ? 0 : 1);
	// -c prints a running count of completed DATA commands; the last one is its total.
	const counts = finished.stdout.match(/\d+/g) ?? [];
	const counted = counts.length > 0 ? Number(counts.at(-1)) : 0;
	return {wallMs: finished.wallMs, errors, complaints: complaints.slice(0, 5), exitCode: finished.code, counted};
}

/** The Node load client, in its own process like smtp-source. */
async function nodeClient(port: number, options: LabLoadOptions): Promise<LoadResult> {
	const args = ['--import', 'tsx', loadClientPath, '--port', String(port), '--sessions', String(options.clientSessions), '--messages', String(options.clientMessagesPerSession), '--length', '1024', '--timeout', '30000'];
	const finished = await runToEnd(process.execPath, args, {timeoutMs: 240_000});
	if (finished.code !== 0) throw new Error(`bench/load-client.ts exited with ${String(finished.code)}:\n${finished.stderr.slice(-1500)}`);
	return JSON.parse(finished.stdout.trim().split('\n').at(-1)!) as LoadResult;
}

/** Greeting waits of single sessions, one at a time: the server at rest. */
async function singleSessions(port: number, runs: number): Promise<number[]> {
	const greetings: number[] = [];
	for (let run = 0; run < runs; run++) {
		const result = await runLoad({host: '127.0.0.1', port, sessions: 1, messagesPerSession: 1, bodyBytes: 1024, from, to, replyTimeoutMs: 10_000});
		if (result.errors > 0) throw new Error(`A single session failed: ${result.errorSamples.join('; ')}`);
		greetings.push(result.greetingMsP50);
	}

	return greetings;
}

type Samples = Record<ServerKind, Array<ServerRun<SourceResult>>>;

function sourceRows(samples: Samples, options: LabLoadOptions): Row[] {
	const size = `${options.messages.toLocaleString('en')} msgs, ${options.sessions.toLocaleString('en')} sessions at once`;
	const runs = options.runs === 1 ? '1 run' : `median of ${options.runs}`;
	const smaller = options.quick ? ', --quick: smaller than 10,000 × 1,000' : '';
	const pick = (kind: ServerKind, value: (run: ServerRun<SourceResult>) => number) => median(samples[kind].map(value));
	const wall = (run: ServerRun<SourceResult>) => run.result.wallMs / 1000;
	const rate = (run: ServerRun<SourceResult>) => options.messages / (run.result.wallMs / 1000);
	const lost = (run: ServerRun<SourceResult>) => options.messages - run.captured;
	const errors = (run: ServerRun<SourceResult>) => run.result.errors;
	const cpu = (run: ServerRun<SourceResult>) => run.cpuMsDuringLoad / options.messages;
	const rss = (run: ServerRun<SourceResult>) => run.usage.peakRssBytes / megabyte;
	const detail = {
		settings: options,
		lab: samples.lab.map(run => ({...run.result, captured: run.captured, ...run.usage, cpuMsDuringLoad: run.cpuMsDuringLoad})),
		aiosmtpd: samples.aiosmtpd.map(run => ({...run.result, captured: run.captured, ...run.usage, cpuMsDuringLoad: run.cpuMsDuringLoad})),
		baselineIs: 'python3 -m aiosmtpd -n with a counting Sink handler, driven by the same smtp-source command',
	};
	return [
		row({
			name: `Lab: time to take ${size} via smtp-source (${runs}${smaller})`,
			unit: 's',
			project: pick('lab', wall),
			baseline: pick('aiosmtpd', wall),
			// Same messages in both: time ≤ 1.0× aiosmtpd is throughput ≥ 1.0× aiosmtpd.
			target: {kind: 'ratio-at-most', value: 1},
			detail,
		}),
		row({name: 'Lab throughput, messages/s (context: the same runs)', unit: 'msg/s', project: pick('lab', rate), baseline: pick('aiosmtpd', rate)}),
		// aiosmtpd's own time is mostly handshakes stuck behind its 100-long listen queue; this
		// row compares the servers' work with that taken out.
		row({
			name: `Lab throughput vs aiosmtpd with a ${backlog.toLocaleString('en')}-long listen queue, messages/s (context)`,
			unit: 'msg/s',
			project: pick('lab', rate),
			baseline: pick('aiosmtpd-backlog', rate),
			detail: {aiosmtpdBacklog: samples['aiosmtpd-backlog'].map(run => ({...run.result, captured: run.captured, ...run.usage, cpuMsDuringLoad: run.cpuMsDuringLoad}))},
		}),
		row({name: 'Lab: smtp-source errors (exit status, stderr)', unit: '', project: pick('lab', errors), baseline: pick('aiosmtpd', errors), target: {kind: 'at-most', value: 0}}),
		row({name: 'Lab: messages lost (sent − captured)', unit: '', project: pick('lab', lost), baseline: pick('aiosmtpd', lost), target: {kind: 'at-most', value: 0}}),
		row({name: 'Lab: server CPU per message, user + system (context)', unit: 'ms', project: pick('lab', cpu), baseline: pick('aiosmtpd', cpu)}),
		row({name: 'Lab: peak RSS of the server process, VmHWM (context)', unit: 'MB', project: pick('lab', rss), baseline: pick('aiosmtpd', rss)}),
	];
}

function clientRows(lab: ServerRun<LoadResult>, aiosmtpd: ServerRun<LoadResult>, greetings: Record<'lab' | 'aiosmtpd', number[]>, options: LabLoadOptions): Row[] {
	const size = `${options.clientSessions} sessions × ${options.clientMessagesPerSession} msgs`;
	const detail = {lab: {...lab.result, captured: lab.captured, ...lab.usage}, aiosmtpd: {...aiosmtpd.result, captured: aiosmtpd.captured, ...aiosmtpd.usage}};
	return [
		row({name: `Node load client, ${size}: messages/s (context)`, unit: 'msg/s', project: lab.result.messagesPerSecond, baseline: aiosmtpd.result.messagesPerSecond, detail}),
		row({name: `Node load client, ${size}: session time p50 (context)`, unit: 'ms', project: lab.result.sessionMsP50, baseline: aiosmtpd.result.sessionMsP50}),
		row({name: `Node load client, ${size}: session time p99 (context)`, unit: 'ms', project: lab.result.sessionMsP99, baseline: aiosmtpd.result.sessionMsP99}),
		row({name: `Node load client, ${size}: greeting wait p50 (context)`, unit: 'ms', project: lab.result.greetingMsP50, baseline: aiosmtpd.result.greetingMsP50}),
		row({name: `Node load client, ${size}: failed sessions (context)`, unit: '', project: lab.result.errors, baseline: aiosmtpd.result.errors}),
		row({
			name: `Greeting wait, one session at a time (median of ${options.singleRuns}; smtp-server's 100 ms early-talker delay) (context)`,
			unit: 'ms',
			project: median(greetings.lab),
			baseline: median(greetings.aiosmtpd),
			detail: {greetings},
		}),
	];
}

export function labLoadFigure(options: LabLoadOptions): Figure {
	return {
		id: 'lab-load',
		title: `lab throughput vs aiosmtpd: smtp-source ${options.messages} messages over ${options.sessions} sessions (${options.runs} run(s) each), then aiosmtpd with a ${backlog}-long listen queue and the Node load client`,
		async measure() {
			const samples: Samples = {lab: [], aiosmtpd: [], 'aiosmtpd-backlog': []};
			for (let run = 0; run < options.runs; run++) {
				for (const kind of ['lab', 'aiosmtpd', 'aiosmtpd-backlog'] as const) {
					samples[kind].push(await withServer(kind, async port => smtpSource(port, options)));
				}
			}

			const labClient = await withServer('lab', async port => nodeClient(port, options));
			const aiosmtpdClient = await withServer('aiosmtpd', async port => nodeClient(port, options));
			const greetings: Record<'lab' | 'aiosmtpd', number[]> = {lab: [], aiosmtpd: []};
			for (const kind of ['lab', 'aiosmtpd'] as const) {
				const run = await withServer(kind, async port => singleSessions(port, options.singleRuns));
				greetings[kind] = run.result;
			}

			return [...sourceRows(samples, options), ...clientRows(labClient, aiosmtpdClient, greetings, options)];
		},
	};
}
