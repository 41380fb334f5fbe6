// `npm run bench`: measures smtp-tui against baselines run on the same machine in the same
// run, prints one markdown table and writes the same data to bench/results/latest.json.
// It measures, it does not gate: a missed target is marked MISS and the exit code stays 0;
// a measurement that fails (a timeout, a non-zero exit, a missing peer) exits 1.
//
// `npm run bench -- first-frame batch` runs only the figures with those ids.
// `npm run bench -- --quick` runs the lab-load and compare figures smaller (their rows say
// so); the default sizes are the stated ones (1,000 sessions × 10 messages; 10 runs).
// The lab-load figure needs smtp-source, aiosmtpd and ss, and runs its Postfix baseline only
// as root: `bash bench/install.sh` as root installs and checks them.
import {access, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import os from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {batchFigure} from './batch.js';
import {table, type Failure, type Figure, type Row} from './figure.js';
import {compareFigure} from './compare.js';
import {cliPath, firstFrameFigure} from './first-frame.js';
import {labLoadFigure} from './lab-load.js';
import {longTranscriptFigures} from './long-transcript.js';
import {underAttackFigure} from './under-attack.js';

const resultsDirectory = fileURLToPath(new URL('results/', import.meta.url));

/** Every figure, in the order of the table. */
function figures(scratch: string, quick: boolean): Figure[] {
	return [
		firstFrameFigure({runs: 10, scratch}),
		...longTranscriptFigures({sessions: 3, lines: 100_000, keys: 50, warmupKeys: 5, scratch}),
		batchFigure({runs: 20}),
		// Three interleaved runs per server, so each median has a spread beside it; stock
		// aiosmtpd (context) runs once, since it alone takes about a minute at full size.
		labLoadFigure(
			quick
				? {messages: 2000, sessions: 200, runs: 3, clientSessions: 100, clientMessagesPerSession: 20, singleRuns: 5, quick}
				: {messages: 10_000, sessions: 1000, runs: 5, clientSessions: 200, clientMessagesPerSession: 50, singleRuns: 10, quick},
		),
		compareFigure({runs: quick ? 5 : 10, quick}),
		underAttackFigure(
			quick
				? {bigMessages: 40, sessions: 20, idleSockets: 1000, floodConnections: 50, slowloris: 50, guessSeconds: 20, quick}
				: {bigMessages: 200, sessions: 40, idleSockets: 5000, floodConnections: 100, slowloris: 50, guessSeconds: 30, quick},
		),
	];
}

const log = (text: string) => process.stderr.write(`bench: ${text}\n`);

async function main(): Promise<number> {
	try {
		await access(cliPath);
	} catch {
		log(`${cliPath} is missing: run \`npm run build\` first (\`npm run bench\` does).`);
		return 1;
	}

	const quick = process.argv.includes('--quick');
	const only = process.argv.slice(2).filter(argument => argument !== '--quick');
	const loadBefore = os.loadavg();
	// Ratios survive a busy machine better than absolute times, but not entirely.
	if (loadBefore[0]! > os.cpus().length) log(`the load average is ${loadBefore[0]!.toFixed(1)} on ${os.cpus().length} cores: absolute times (key → frame) will be inflated.`);
	const scratch = await mkdtemp(join(os.tmpdir(), 'smtp-tui-bench-'));
	const rows: Row[] = [];
	const failures: Failure[] = [];
	const started = Date.now();
	try {
		const all = figures(scratch, quick);
		const unknown = only.filter(id => !all.some(figure => figure.id === id));
		if (unknown.length > 0) {
			log(`unknown figure ${unknown.join(', ')}; known: ${all.map(figure => figure.id).join(', ')}`);
			return 1;
		}

		for (const figure of all.filter(figure => only.length === 0 || only.includes(figure.id))) {
			log(figure.title);
			const figureStarted = Date.now();
			try {
				rows.push(...(await figure.measure()));
			} catch (error) {
				const message = error instanceof Error ? error.message : String(error);
				failures.push({figure: figure.id, message});
				log(`${figure.id} failed: ${message}`);
			}

			log(`  ${((Date.now() - figureStarted) / 1000).toFixed(1)} s`);
		}
	} finally {
		await rm(scratch, {recursive: true, force: true});
	}

	process.stdout.write(table(rows, failures) + '\n');
	const results = {
		date: new Date().toISOString(),
		durationS: (Date.now() - started) / 1000,
		machine: {node: process.version, platform: `${os.platform()} ${os.release()}`, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, loadAverageBefore: loadBefore, loadAverageAfter: os.loadavg()},
		figures: rows,
		failures,
	};
	await mkdir(resultsDirectory, {recursive: true});
	await writeFile(join(resultsDirectory, 'latest.json'), JSON.stringify(results, null, '\t') + '\n');
	log(`wrote bench/results/latest.json (${results.durationS.toFixed(0)} s)`);
	return failures.length > 0 ? 1 : 0;
}

process.exitCode = await main();
