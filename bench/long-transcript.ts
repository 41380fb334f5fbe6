// Figures 2 and 3: a lab session on 587 whose message body has 100,000 lines (one
// transcript entry each), run to the end with `a`; then the time from an arrow key to the
// frame where the selection marker has moved, and the program's resident memory.
// Both figures share the same sessions (memoised), so the lines are sent once per session.
import {writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {row, type Figure} from './figure.js';
import {cliPath} from './first-frame.js';
import {cpuMilliseconds, residentBytes, spawnProbe, type Probe} from './pty-probe.js';
import {median, p95} from './stats.js';

const up = '\u001B[A';
/** Ink throttles frames to one per 33 ms; a quieter gap makes each key start a fresh frame. */
const quietMs = 50;
const megabyte = 1024 * 1024;

export type LongTranscriptOptions = {
	sessions: number;
	/** Lines of the message body: one transcript entry each. */
	lines: number;
	/** Measured key presses per session (after `warmupKeys` unmeasured ones). */
	keys: number;
	warmupKeys: number;
	scratch: string;
};

type SessionResult = {
	keyMs: number[];
	/** Frames drawn per key press: more than one means work the user never sees. */
	framesPerKey: number;
	/** smtp-tui's own CPU per key press (user + system): not inflated by waiting for a core. */
	cpuMsPerKey: number;
	runAllMs: number;
	rssAfterRunAll: number;
	rssAfterKeys: number;
	peakRss: number;
};

/** The row holding the selection marker and its text: it changes exactly when the selection moves. */
function selection(screen: string): string {
	const lines = screen.split('\n');
	const index = lines.findIndex(line => line.includes('▶'));
	return index < 0 ? 'none' : `${index}:${lines[index]}`;
}

async function runAll(probe: Probe): Promise<number> {
	await probe.waitUntil(screen => screen.includes('Next: Open a TCP connection'), 15_000, 'the session screen');
	await probe.settle(quietMs);
	const pressed = probe.press('a');
	const {at} = await probe.waitUntil(screen => screen.includes('221 2.0.0 Bye') || screen.includes('The session is over'), 120_000, 'the end of the session after `a`');
	return at - pressed;
}

async function timeKey(probe: Probe, key: string): Promise<number> {
	await probe.settle(quietMs);
	const before = selection(probe.screen());
	if (before === 'none') throw new Error(`No selection marker (▶) on screen:\n${probe.screen()}`);
	const pressed = probe.press(key);
	const {at} = await probe.waitUntil(screen => selection(screen) !== before, 5000, 'the selection marker to move');
	return at - pressed;
}

async function oneSession(bodyFile: string, options: LongTranscriptOptions): Promise<SessionResult> {
	const probe = spawnProbe(process.execPath, [cliPath, '--port', '587', '--body-file', bodyFile]);
	try {
		const runAllMs = await runAll(probe);
		await probe.settle(200);
		const rssAfterRunAll = (await residentBytes(probe.pid)).rss;
		const keyMs: number[] = [];
		const framesBefore = probe.frames();
		const cpuBefore = await cpuMilliseconds(probe.pid);
		for (let press = 0; press < options.warmupKeys + options.keys; press++) {
			const ms = await timeKey(probe, up);
			if (press >= options.warmupKeys) keyMs.push(ms);
		}

		await probe.settle(quietMs);
		const presses = options.warmupKeys + options.keys;
		const framesPerKey = (probe.frames() - framesBefore) / presses;
		const cpuMsPerKey = ((await cpuMilliseconds(probe.pid)) - cpuBefore) / presses;
		const {rss, peak} = await residentBytes(probe.pid);
		return {keyMs, framesPerKey, cpuMsPerKey, runAllMs, rssAfterRunAll, rssAfterKeys: rss, peakRss: peak};
	} finally {
		probe.kill();
		await probe.exited;
	}
}

/** Runs the sessions once, however many figures ask for them. */
function sharedSessions(options: LongTranscriptOptions): () => Promise<SessionResult[]> {
	let results: Promise<SessionResult[]> | undefined;
	return () => {
		results ??= (async () => {
			const bodyFile = join(options.scratch, `body-${options.lines}.txt`);
			const lines = Array.from({length: options.lines}, (_, index) => `Line ${index + 1} of a long message body, to make a long transcript.`);
			await writeFile(bodyFile, lines.join('\n') + '\n');
			const sessions: SessionResult[] = [];
			for (let session = 0; session < options.sessions; session++) sessions.push(await oneSession(bodyFile, options));
			return sessions;
		})();
		return results;
	};
}

export function longTranscriptFigures(options: LongTranscriptOptions): Figure[] {
	const sessions = sharedSessions(options);
	const lines = options.lines.toLocaleString('en-US');
	const keyFigure: Figure = {
		id: 'key-frame',
		title: `key → frame at ${lines} lines (${options.sessions} sessions × ${options.keys} keys)`,
		async measure() {
			const results = await sessions();
			const samples = results.flatMap(result => result.keyMs);
			const detail = {samples, lines: options.lines, warmupKeysPerSession: options.warmupKeys, framesPerKey: results.map(result => result.framesPerKey), cpuMsPerKey: results.map(result => result.cpuMsPerKey), runAllMs: results.map(result => result.runAllMs)};
			return [
				row({name: `Key → frame at ${lines} lines, p95 (${samples.length} keys)`, unit: 'ms', project: p95(samples), target: {kind: 'at-most', value: 16}, samples: {project: samples}, detail}),
				row({name: `Key → frame at ${lines} lines, median (context)`, unit: 'ms', project: median(samples), samples: {project: samples}}),
				row({name: 'smtp-tui CPU per key (context)', unit: 'ms', project: median(results.map(result => result.cpuMsPerKey))}),
				row({name: `\`a\` to the end of a ${lines}-line session (context)`, unit: 'ms', project: median(detail.runAllMs), samples: {project: detail.runAllMs}}),
			];
		},
	};
	const memoryFigure: Figure = {
		id: 'rss',
		title: `RSS at ${lines} lines (median of ${options.sessions} sessions)`,
		async measure() {
			const results = await sessions();
			const mb = (bytes: number) => bytes / megabyte;
			const detail = {
				rssAfterRunAllMb: results.map(result => mb(result.rssAfterRunAll)),
				rssAfterKeysMb: results.map(result => mb(result.rssAfterKeys)),
				peakRssMb: results.map(result => mb(result.peakRss)),
			};
			return [
				row({name: `RSS at ${lines} lines, after \`a\``, unit: 'MB', project: median(detail.rssAfterRunAllMb), target: {kind: 'below', value: 200}, samples: {project: detail.rssAfterRunAllMb}, detail}),
				row({name: `RSS at ${lines} lines, after ${options.warmupKeys + options.keys} keys`, unit: 'MB', project: median(detail.rssAfterKeysMb), target: {kind: 'below', value: 200}, samples: {project: detail.rssAfterKeysMb}}),
				row({name: `Peak RSS at ${lines} lines (context)`, unit: 'MB', project: median(detail.peakRssMb), samples: {project: detail.peakRssMb}}),
			];
		},
	};
	return [keyFigure, memoryFigure];
}
