// Figure 5: the lab under load. Postfix's smtp-source sends 10,000 messages (1 KB) over 1,000
// sessions at once, about 10 messages per session (`-d`: the next message over the same
// connection; the sessions share the total, so a fast one may send a few more), to the lab as a user runs it (`dist/cli.js lab`, port
// 25, its log lines going to a pipe), then the same to each baseline, interleaved, `runs` times:
//
// - aiosmtpd (bench/aiosmtpd_sink.py) with the lab's own listen backlog, read from the kernel
//   (`ss`): like with like. The targets are against it: throughput ≥ 1.0×, peak RSS ≤ 2×.
// - a private Postfix (bench/postfix-sink.ts: smtpd → its queue), where the bench can run it
//   (Postfix installed, run as root): throughput ≥ 1.0×. Otherwise its rows say why not.
// - stock `python3 -m aiosmtpd` (context, one run): asyncio's listen backlog of 100 overflows
//   under 1,000 simultaneous connects and SYN retries then dominate its time, so it is not a
//   baseline, only shown beside one.
//
// Every row with samples shows their range beside the median. Context: CPU per message, the
// in-repo Node load client (many messages per session), the greeting wait of a lone session.
import {dirname} from 'node:path';
import {existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {row, type Figure, type Row, type Target} from './figure.js';
import {cliPath} from './first-frame.js';
import {runLoad, type LoadResult} from './load-client.js';
import {postfixUnavailable, startPostfixSink} from './postfix-sink.js';
import {freePort, listenBacklog, runToEnd, spawnServer, waitForPort} from './processes.js';
import {cpuMilliseconds, residentBytes} from './pty-probe.js';
import {median} from './stats.js';

const benchDirectory = dirname(fileURLToPath(import.meta.url));
const loadClientPath = fileURLToPath(new URL('load-client.ts', import.meta.url));
const sinkPath = fileURLToPath(new URL('aiosmtpd_sink.py', import.meta.url));
/** Debian's python3-aiosmtpd is importable by Debian's own Python, not by a pyenv or venv one. */
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const megabyte = 1024 * 1024;
const from = 'load@lab.test';
const to = 'bob@lab.test';
const installHint = 'run `bash bench/install.sh` as root';

export type LabLoadOptions = {
	/** Messages smtp-source sends in all, over `sessions` sessions at once (`-d`: several per connection when messages > sessions). */
	messages: number;
	sessions: number;
	/** Runs per server, interleaved; the rows are medians with their range. */
	runs: number;
	/** The Node load client: sessions at once, messages each. */
	clientSessions: number;
	clientMessagesPerSession: number;
	/** Single sessions, one at a time, for the greeting wait without load. */
	singleRuns: number;
	/** Set by --quick: said in the row names. */
	quick: boolean;
};

/** aiosmtpd: with the lab's backlog; aiosmtpd-stock: `python3 -m aiosmtpd` as shipped. */
type ServerKind = 'lab' | 'aiosmtpd' | 'aiosmtpd-stock' | 'postfix';

/** A server under test, started fresh for each run. */
type Sink = {
	port: number;
	/** Its listen backlog as the kernel has it. */
	backlog: number;
	cpuMs(): Promise<number>;
	/** VmHWM; undefined for Postfix (many processes sharing pages: no one figure). */
	peakRssBytes(): Promise<number | undefined>;
	/** VmRSS now; undefined for Postfix. */
	rssBytes(): Promise<number | undefined>;
	/** Stops it and returns how many messages it took (captured, counted, queued). */
	stop(): Promise<number>;
	kill(): Promise<void>;
};

/** restRssBytes: VmRSS once it listens, before the load (the floor under its peak). */
type ServerRun<T> = {result: T; captured: number; backlog: number; restRssBytes?: number; peakRssBytes?: number; cpuMsDuringLoad: number};

/** A spawned server child as a Sink; `count` reads its last stdout line. */
async function childSink(spawned: ReturnType<typeof spawnServer>, port: number, count: (lastLine: string) => number): Promise<Sink> {
	await waitForPort(port, 20_000, spawned.exitedEarly);
	const server = spawned.handle(port);
	return {
		port,
		backlog: await listenBacklog(port),
		cpuMs: async () => cpuMilliseconds(server.pid),
		peakRssBytes: async () => (await residentBytes(server.pid)).peak,
		rssBytes: async () => (await residentBytes(server.pid)).rss,
		stop: async () => count(await server.stop()),
		kill: spawned.kill,
	};
}

/**
 * The lab as `smtp-tui lab` runs it without a terminal (bundled, one log line per event),
 * port 25 only, with room for the load: the defaults (200 connections, 20 per address) would
 * refuse most of 1,000 concurrent sessions from one address.
 */
async function startLab(options: LabLoadOptions): Promise<Sink> {
	const port = await freePort();
	const room = String(Math.max(2000, 2 * options.sessions));
	const spawned = spawnServer(process.execPath, [cliPath, 'lab', '--ports', `25=${port}`, '--max-clients', room, '--max-per-ip', room], {hint: 'npm run build'});
	try {
		// Its last line: "lab: stopped after N sessions and M messages …".
		return await childSink(spawned, port, line => {
			const match = /stopped after \d+ sessions and (\d+) messages/.exec(line);
			if (!match) throw new Error(`The lab did not say how many messages it took; its last line: ${line}`);
			return Number(match[1]);
		});
	} catch (error) {
		await spawned.kill();
		throw error;
	}
}

async function startAiosmtpd(backlog: number | undefined): Promise<Sink> {
	const port = await freePort();
	const env = {...process.env, PYTHONPATH: benchDirectory};
	const args = backlog === undefined ? ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd_sink.Sink'] : [sinkPath, String(port), String(backlog)];
	const spawned = spawnServer(python, args, {env, hint: installHint});
	try {
		return await childSink(spawned, port, line => (JSON.parse(line) as {messages: number}).messages);
	} catch (error) {
		await spawned.kill();
		throw new Error(`aiosmtpd did not start (${installHint}): ${error instanceof Error ? error.message : String(error)}`);
	}
}

async function startPostfix(options: LabLoadOptions): Promise<Sink> {
	const sink = await startPostfixSink(options.sessions);
	try {
		return {
			port: sink.port,
			backlog: await listenBacklog(sink.port),
			cpuMs: sink.cpuMs,
			peakRssBytes: async () => undefined,
			rssBytes: async () => undefined,
			stop: async () => (await sink.stop()).queued,
			kill: sink.kill,
		};
	} catch (error) {
		await sink.kill();
		throw error;
	}
}

/** Starts a fresh server, drives `load` at it, reads its memory and CPU, stops it and reads its count. */
async function withServer<T>(kind: ServerKind, options: LabLoadOptions, labBacklog: number | undefined, load: (port: number) => Promise<T>): Promise<ServerRun<T>> {
	const sink =
		kind === 'lab' ? await startLab(options) : kind === 'postfix' ? await startPostfix(options) : await startAiosmtpd(kind === 'aiosmtpd' ? labBacklog ?? 511 : undefined);
	try {
		const restRssBytes = await sink.rssBytes();
		const before = await sink.cpuMs();
		const result = await load(sink.port);
		// Read before stopping: VmHWM is gone with the process.
		const cpuMsDuringLoad = (await sink.cpuMs()) - before;
		const peakRssBytes = await sink.peakRssBytes();
		const captured = await sink.stop();
		return {result, captured, backlog: sink.backlog, restRssBytes, peakRssBytes, cpuMsDuringLoad};
	} catch (error) {
		await sink.kill();
		throw error;
	}
}

type SourceResult = {wallMs: number; errors: number; complaints: string[]; exitCode: number | null; counted: number};

/** smtp-source as the brief has it; errors are its non-zero exit and every complaint on stderr. */
async function smtpSource(port: number, options: LabLoadOptions): Promise<SourceResult> {
	// -d keeps each connection for the next message: `sessions` connections in all, each sending
	// about messages / sessions (they share the count; a session ends when it runs out).
	const perConnection = options.messages > options.sessions ? ['-d'] : [];
	const args = ['-c', ...perConnection, '-l', '1024', '-m', String(options.messages), '-s', String(options.sessions), '-f', from, '-t', to, `127.0.0.1:${port}`];
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

type Samples = Partial<Record<ServerKind, Array<ServerRun<SourceResult>>>>;

/** One row comparing the lab's samples of `value` with a baseline's, medians with their spread. */
function compared(
	samples: Samples,
	baseline: ServerKind,
	fields: {name: string; unit: string; value: (run: ServerRun<SourceResult>) => number | undefined; target?: Target; detail?: Record<string, unknown>},
): Row {
	const values = (kind: ServerKind) => (samples[kind] ?? []).map(run => fields.value(run)).filter((value): value is number => value !== undefined);
	const project = values('lab');
	const base = values(baseline);
	return row({
		name: fields.name,
		unit: fields.unit,
		project: median(project),
		baseline: base.length > 0 ? median(base) : undefined,
		target: base.length > 0 ? fields.target : undefined,
		samples: {project, baseline: base},
		detail: fields.detail,
	});
}

function sourceRows(samples: Samples, options: LabLoadOptions, postfixSkipped: string | undefined): Row[] {
	const perSession = options.messages / options.sessions;
	const size = `${options.sessions.toLocaleString('en')} sessions at once × ${perSession.toLocaleString('en')} msgs (1 KB; ${options.messages.toLocaleString('en')} in all), smtp-source -d`;
	const runs = options.runs === 1 ? '1 run' : `median of ${options.runs}, interleaved`;
	const smaller = options.quick ? ', --quick: smaller than 1,000 × 10' : '';
	const rate = (run: ServerRun<SourceResult>) => options.messages / (run.result.wallMs / 1000);
	const lost = (run: ServerRun<SourceResult>) => options.messages - run.captured;
	const errors = (run: ServerRun<SourceResult>) => run.result.errors;
	const cpu = (run: ServerRun<SourceResult>) => run.cpuMsDuringLoad / options.messages;
	const rss = (run: ServerRun<SourceResult>) => (run.peakRssBytes === undefined ? undefined : run.peakRssBytes / megabyte);
	const restRss = (run: ServerRun<SourceResult>) => (run.restRssBytes === undefined ? undefined : run.restRssBytes / megabyte);
	const backlog = (kind: ServerKind) => samples[kind]?.[0]?.backlog;
	const runDetail = (kind: ServerKind) => (samples[kind] ?? []).map(run => ({...run.result, captured: run.captured, backlog: run.backlog, restRssBytes: run.restRssBytes, peakRssBytes: run.peakRssBytes, cpuMsDuringLoad: run.cpuMsDuringLoad}));
	// Same-run ratios, run by run (the lab's run i against the baseline's run i).
	const ratios = (kind: ServerKind) => (samples[kind] ?? []).map((run, index) => rate(samples.lab![index]!) / rate(run));
	const aiosmtpd = `aiosmtpd, the lab's listen backlog (${backlog('aiosmtpd') ?? '-'})`;
	const rows = [
		compared(samples, 'aiosmtpd', {
			name: `Lab throughput vs ${aiosmtpd}: ${size} (${runs}${smaller}), msg/s`,
			unit: 'msg/s',
			value: rate,
			target: {kind: 'ratio-at-least', value: 1},
			detail: {settings: options, lab: runDetail('lab'), aiosmtpd: runDetail('aiosmtpd'), ratiosByRun: ratios('aiosmtpd'), baselineIs: 'bench/aiosmtpd_sink.py PORT BACKLOG: aiosmtpd\'s SMTP with a counting handler, listening with the lab\'s backlog'},
		}),
	];
	if (postfixSkipped === undefined) {
		rows.push(
			compared(samples, 'postfix', {
				name: `Lab throughput vs Postfix smtpd → its queue (backlog ${backlog('postfix') ?? '-'}), same load, msg/s`,
				unit: 'msg/s',
				value: rate,
				target: {kind: 'ratio-at-least', value: 1},
				detail: {postfix: runDetail('postfix'), ratiosByRun: ratios('postfix'), baselineIs: 'bench/postfix-sink.ts: a private Postfix, smtpd → cleanup → hold queue, nothing delivered'},
			}),
		);
	} else {
		rows.push({name: 'Lab throughput vs Postfix smtpd → its queue, same load, msg/s', unit: 'msg/s', project: median(samples.lab!.map(rate)), note: `Postfix baseline skipped: ${postfixSkipped}`});
	}

	rows.push(
		compared(samples, 'aiosmtpd', {name: `Lab: peak RSS of the server process, VmHWM, vs ${aiosmtpd}`, unit: 'MB', value: rss, target: {kind: 'ratio-at-most', value: 2}}),
		compared(samples, 'aiosmtpd', {name: 'Lab: RSS of the server process at rest, listening, before the load, vs aiosmtpd (context)', unit: 'MB', value: restRss}),
		compared(samples, 'aiosmtpd', {name: 'Lab: smtp-source errors (exit status, stderr), vs aiosmtpd', unit: '', value: errors, target: {kind: 'at-most', value: 0}}),
		compared(samples, 'aiosmtpd', {name: 'Lab: messages lost (sent − taken), vs aiosmtpd', unit: '', value: lost, target: {kind: 'at-most', value: 0}}),
		compared(samples, 'aiosmtpd', {name: 'Lab: server CPU per message, user + system, vs aiosmtpd (context)', unit: 'ms', value: cpu}),
	);
	if (postfixSkipped === undefined) {
		rows.push(
			compared(samples, 'postfix', {name: 'Lab: smtp-source errors / messages lost, vs Postfix (context)', unit: '', value: run => errors(run) + lost(run)}),
			compared(samples, 'postfix', {name: 'Lab: server CPU per message, vs every Postfix process (context)', unit: 'ms', value: cpu}),
		);
	}

	rows.push(
		compared(samples, 'aiosmtpd-stock', {
			name: `Lab throughput vs stock \`python3 -m aiosmtpd\` (backlog ${backlog('aiosmtpd-stock') ?? '-'}: its handshakes wait on SYN retries; context, not a baseline; 1 run), msg/s`,
			unit: 'msg/s',
			value: rate,
			detail: {aiosmtpdStock: runDetail('aiosmtpd-stock')},
		}),
	);
	return rows;
}

function clientRows(lab: ServerRun<LoadResult>, aiosmtpd: ServerRun<LoadResult>, greetings: Record<'lab' | 'aiosmtpd', number[]>, options: LabLoadOptions): Row[] {
	const size = `${options.clientSessions} sessions × ${options.clientMessagesPerSession} msgs`;
	const detail = {lab: {...lab.result, captured: lab.captured, peakRssBytes: lab.peakRssBytes}, aiosmtpd: {...aiosmtpd.result, captured: aiosmtpd.captured, peakRssBytes: aiosmtpd.peakRssBytes}};
	return [
		row({name: `Node load client, ${size}: messages/s (context)`, unit: 'msg/s', project: lab.result.messagesPerSecond, baseline: aiosmtpd.result.messagesPerSecond, detail}),
		row({name: `Node load client, ${size}: session time p50 (context)`, unit: 'ms', project: lab.result.sessionMsP50, baseline: aiosmtpd.result.sessionMsP50}),
		row({name: `Node load client, ${size}: session time p99 (context)`, unit: 'ms', project: lab.result.sessionMsP99, baseline: aiosmtpd.result.sessionMsP99}),
		row({name: `Node load client, ${size}: greeting wait p50 (context)`, unit: 'ms', project: lab.result.greetingMsP50, baseline: aiosmtpd.result.greetingMsP50}),
		row({name: `Node load client, ${size}: failed sessions (context)`, unit: '', project: lab.result.errors, baseline: aiosmtpd.result.errors}),
		row({
			name: `Greeting wait, one session at a time (median of ${options.singleRuns})`,
			unit: 'ms',
			project: median(greetings.lab),
			baseline: median(greetings.aiosmtpd),
			target: {kind: 'at-most', value: 5},
			samples: {project: greetings.lab, baseline: greetings.aiosmtpd},
		}),
	];
}

export function labLoadFigure(options: LabLoadOptions): Figure {
	return {
		id: 'lab-load',
		title: `lab throughput: smtp-source -d, ${options.sessions} sessions at once, ${options.messages} messages in all, ${options.runs} run(s) each of the lab, aiosmtpd with the lab's backlog and Postfix, interleaved; stock aiosmtpd once; the Node load client`,
		async measure() {
			const postfixSkipped = postfixUnavailable();
			if (postfixSkipped !== undefined) process.stderr.write(`bench: lab-load: Postfix baseline skipped: ${postfixSkipped}\n`);
			const kinds: ServerKind[] = postfixSkipped === undefined ? ['lab', 'aiosmtpd', 'postfix'] : ['lab', 'aiosmtpd'];
			const samples: Samples = {};
			let labBacklog: number | undefined;
			const measure = async (kind: ServerKind) => {
				const run = await withServer(kind, options, labBacklog, async port => smtpSource(port, options));
				if (kind === 'lab') labBacklog ??= run.backlog;
				(samples[kind] ??= []).push(run);
			};

			for (let run = 0; run < options.runs; run++) {
				for (const kind of kinds) await measure(kind);
			}

			await measure('aiosmtpd-stock');
			const labClient = await withServer('lab', options, labBacklog, async port => nodeClient(port, options));
			const aiosmtpdClient = await withServer('aiosmtpd', options, labBacklog, async port => nodeClient(port, options));
			const greetings: Record<'lab' | 'aiosmtpd', number[]> = {lab: [], aiosmtpd: []};
			for (const kind of ['lab', 'aiosmtpd'] as const) {
				const run = await withServer(kind, options, labBacklog, async port => singleSessions(port, options.singleRuns));
				greetings[kind] = run.result;
			}

			return [...sourceRows(samples, options, postfixSkipped), ...clientRows(labClient, aiosmtpdClient, greetings, options)];
		},
	};
}
