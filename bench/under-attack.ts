// Figure: the lab under attack, with its default limits (bench/attack-server.ts, its own
// process), all on loopback:
//
// - memory: Postfix's smtp-source sends 200 messages of 9 MB to port 25 (two sessions at
//   once); the lab's RSS afterwards must stay within its configured bound (target < 300 MB:
//   an inbox of at most 100 MB plus Node itself), and every message must be accepted;
// - service: one legitimate client (127.0.0.1) runs full sessions on 587 (STARTTLS, AUTH,
//   one message) one after the other, first at rest, then while bench/attacker.ts holds
//   5,000 idle sockets (127.0.0.2–6), floods 465 with stalled handshakes (127.0.0.7) and runs
//   50 slowloris clients (127.0.0.8); target p99 ≤ 2× the p99 at rest, no failed session;
// - AUTH: 40 connections from one address (127.0.0.9) guess passwords on 465 as fast as the
//   lab answers; target ≤ 1 checked guess per second after the first failures.
import {dirname} from 'node:path';
import {performance} from 'node:perf_hooks';
import {fileURLToPath} from 'node:url';
import {RawSmtpClient, lastLine, plainToken} from '../test/support/raw-smtp.js';
import {row, type Figure, type Row} from './figure.js';
import {runToEnd, spawnServer} from './processes.js';
import {residentBytes} from './pty-probe.js';
import {median, quantile} from './stats.js';

const repoDirectory = dirname(dirname(fileURLToPath(import.meta.url)));
const serverPath = fileURLToPath(new URL('attack-server.ts', import.meta.url));
const attackerPath = fileURLToPath(new URL('attacker.ts', import.meta.url));
const megabyte = 1024 * 1024;

export type UnderAttackOptions = {
	/** Messages of 9 MB sent to port 25. */
	bigMessages: number;
	/** Legitimate sessions measured at rest and under attack. */
	sessions: number;
	idleSockets: number;
	floodConnections: number;
	slowloris: number;
	/** How long the AUTH guesser runs, in s; the first 5 s are its first failures. */
	guessSeconds: number;
	quick: boolean;
};

type Ports = Record<'25' | '465' | '587' | '2525', number>;
type Server = Awaited<ReturnType<typeof startServer>>;

async function startServer() {
	const spawned = spawnServer(process.execPath, ['--import', 'tsx', serverPath], {cwd: repoDirectory, hint: 'npm install'});
	const deadline = Date.now() + 20_000;
	while (!spawned.stdoutSoFar().includes('\n')) {
		const why = spawned.exitedEarly();
		if (why !== undefined) throw new Error(why);
		if (Date.now() > deadline) {
			await spawned.kill();
			throw new Error('bench/attack-server.ts did not print its ports within 20 s.');
		}

		await new Promise(resolve => setTimeout(resolve, 25));
	}

	const {ports, ca} = JSON.parse(spawned.stdoutSoFar().split('\n', 1)[0]!) as {ports: Ports; ca: string};
	return {child: spawned.handle(ports['25']), kill: spawned.kill, ports, ca};
}

async function withServer<T>(use: (server: Server) => Promise<T>): Promise<{result: T; report: Record<string, unknown>}> {
	const server = await startServer();
	try {
		const result = await use(server);
		const report = JSON.parse(await server.child.stop()) as Record<string, unknown>;
		return {result, report};
	} catch (error) {
		await server.kill();
		throw error;
	}
}

/** One legitimate session on 587: connect, STARTTLS, AUTH, one message, QUIT. Its time in ms. */
async function legitimateSession(server: Server): Promise<number> {
	const started = performance.now();
	const client = await RawSmtpClient.connect({port: server.ports['587'], timeoutMs: 20_000});
	try {
		const expect = (reply: string, wanted: RegExp, step: string) => {
			if (!wanted.test(reply)) throw new Error(`${step}: ${reply}`);
		};

		expect(lastLine(await client.readReply()), /^220 /, 'banner');
		expect(lastLine(await client.command('EHLO student.test')), /^250 /, 'EHLO');
		expect(lastLine(await client.command('STARTTLS')), /^220 /, 'STARTTLS');
		await client.startTls({ca: server.ca, servername: 'mx.lab.test'});
		expect(lastLine(await client.command('EHLO student.test')), /^250 /, 'EHLO in TLS');
		expect(lastLine(await client.command(`AUTH PLAIN ${plainToken('alice', 'wonderland')}`)), /^235 /, 'AUTH');
		expect(lastLine(await client.command('MAIL FROM:<alice@lab.test>')), /^250 /, 'MAIL');
		expect(lastLine(await client.command('RCPT TO:<bob@lab.test>')), /^250 /, 'RCPT');
		expect(lastLine(await client.command('DATA')), /^354 /, 'DATA');
		client.write('Subject: under attack\r\n\r\nhello\r\n.\r\n');
		expect(lastLine(await client.readReply()), /^250 /, 'end of data');
		expect(lastLine(await client.command('QUIT')), /^221 /, 'QUIT');
		return performance.now() - started;
	} finally {
		client.close();
	}
}

async function legitimateSessions(server: Server, count: number): Promise<{times: number[]; failures: string[]}> {
	const times: number[] = [];
	const failures: string[] = [];
	for (let index = 0; index < count; index++) {
		try {
			times.push(await legitimateSession(server));
		} catch (error) {
			failures.push(error instanceof Error ? error.message : String(error));
		}
	}

	return {times, failures};
}

async function memoryRows(options: UnderAttackOptions): Promise<Row[]> {
	const size = 9 * 1000 * 1000;
	const {result, report} = await withServer(async server => {
		const before = await residentBytes(server.child.pid);
		const args = ['-c', '-l', String(size), '-m', String(options.bigMessages), '-s', '2', '-f', 'flood@example.com', '-t', 'bob@lab.test', `127.0.0.1:${server.ports['25']}`];
		const finished = await runToEnd('smtp-source', args, {timeoutMs: 600_000, hint: 'Postfix provides it; run `bash bench/install.sh` as root'});
		const after = await residentBytes(server.child.pid);
		return {before, after, complaints: finished.stderr.split('\n').filter(line => line.trim() !== '').slice(0, 5), code: finished.code, wallMs: finished.wallMs};
	});
	const captured = Number(report.captured);
	const inbox = report.inbox as {messages: number; bytes: number; pruned: number};
	const detail = {...result, inbox, captured, settings: options};
	const what = `${options.bigMessages} × 9 MB to port 25 (smtp-source, 2 sessions at once${options.quick ? ', --quick' : ''})`;
	return [
		row({name: `Under attack: lab RSS after ${what}, default limits`, unit: 'MB', project: result.after.rss / megabyte, target: {kind: 'below', value: 300}, detail}),
		row({name: 'Under attack: lab peak RSS during it, VmHWM (context)', unit: 'MB', project: result.after.peak / megabyte}),
		row({name: 'Under attack: messages lost (sent − accepted) and smtp-source complaints', unit: '', project: options.bigMessages - captured + result.complaints.length, target: {kind: 'at-most', value: 0}}),
		row({name: `Under attack: messages kept in memory / pruned (context: at most 500 and 100 MB)`, unit: '', project: inbox.messages, baseline: inbox.pruned}),
	];
}

async function serviceRows(options: UnderAttackOptions): Promise<Row[]> {
	const {result} = await withServer(async server => {
		// One session first, not measured: the first one pays for loading and compiling.
		await legitimateSession(server);
		const rest = await legitimateSessions(server, options.sessions);
		const args = ['--import', 'tsx', attackerPath, '--port25', String(server.ports['25']), '--port465', String(server.ports['465']), '--port587', String(server.ports['587']), '--idle', String(options.idleSockets), '--flood', String(options.floodConnections), '--slowloris', String(options.slowloris)];
		const attacker = spawnServer(process.execPath, args, {cwd: repoDirectory, hint: 'npm install'});
		try {
			const deadline = Date.now() + 120_000;
			while (!attacker.stdoutSoFar().includes('\n')) {
				const why = attacker.exitedEarly();
				if (why !== undefined) throw new Error(why);
				if (Date.now() > deadline) throw new Error('bench/attacker.ts did not open its idle sockets within 120 s.');
				await new Promise(resolve => setTimeout(resolve, 50));
			}

			// Long enough for the slowloris clients to be dropped and come back at least once.
			await new Promise(resolve => setTimeout(resolve, 3000));
			const attacked = await legitimateSessions(server, options.sessions);
			const ready = JSON.parse(attacker.stdoutSoFar().split('\n', 1)[0]!) as Record<string, number>;
			const counts = JSON.parse(await attacker.handle(0).stop()) as Record<string, number>;
			return {rest, attacked, ready, counts};
		} catch (error) {
			await attacker.kill();
			throw error;
		}
	});
	const p = (times: number[], q: number) => quantile(times, q);
	const attack = `${options.idleSockets.toLocaleString('en')} idle sockets, a 465 handshake flood (${options.floodConnections} at once), ${options.slowloris} slowloris`;
	const detail = {rest: result.rest, attacked: result.attacked, attackerWhenReady: result.ready, attacker: result.counts, settings: options};
	return [
		row({
			name: `Under attack: legitimate 587 session (STARTTLS, AUTH, 1 message) p99 during ${attack} vs at rest (${options.sessions} sessions each)`,
			unit: 'ms',
			project: p(result.attacked.times, 0.99),
			baseline: p(result.rest.times, 0.99),
			target: {kind: 'ratio-at-most', value: 2},
			detail,
		}),
		row({name: 'Under attack: legitimate session p50, attacked vs at rest (context)', unit: 'ms', project: median(result.attacked.times), baseline: median(result.rest.times)}),
		row({name: 'Under attack: failed legitimate sessions', unit: '', project: result.attacked.failures.length + result.rest.failures.length, target: {kind: 'at-most', value: 0}}),
	];
}

/** 40 connections from one address guess passwords on 465 until `seconds` are up. */
async function guessRows(options: UnderAttackOptions): Promise<Row[]> {
	const from = '127.0.0.9';
	const {result} = await withServer(async server => {
		const started = performance.now();
		const end = started + options.guessSeconds * 1000;
		const warmup = started + 5000;
		const totals = {checked: 0, checkedAfterWarmup: 0, refusedAtOnce: 0, reconnects: 0, unexpected: [] as string[]};
		const guesser = async () => {
			let commands = 0;
			while (performance.now() < end && commands < 2000) {
				const client = await RawSmtpClient.connect({port: server.ports['465'], tls: {ca: server.ca, servername: 'mx.lab.test'}, localAddress: from, timeoutMs: 30_000}).catch(() => undefined);
				if (!client) {
					await new Promise(resolve => setTimeout(resolve, 100));
					continue;
				}

				totals.reconnects++;
				try {
					await client.readReply();
					await client.command('EHLO guesser.test');
					while (performance.now() < end && !client.ended && commands < 2000) {
						commands++;
						const reply = lastLine(await client.command(`AUTH PLAIN ${plainToken('alice', `guess-${commands}`)}`));
						if (reply.startsWith('535')) {
							totals.checked++;
							if (performance.now() > warmup) totals.checkedAfterWarmup++;
						} else if (reply.startsWith('450')) totals.refusedAtOnce++;
						else {
							if (totals.unexpected.length < 5) totals.unexpected.push(reply);
							break;
						}
					}
				} catch {
					// Dropped (421 after too many failures on one connection): connect again.
				} finally {
					client.close();
				}
			}
		};

		await Promise.all(Array.from({length: 40}, guesser));
		return totals;
	});
	const rate = result.checkedAfterWarmup / (options.guessSeconds - 5);
	return [
		row({name: `Under attack: AUTH guesses checked per second from one address, 40 connections, after the first 5 s (${options.guessSeconds} s)`, unit: '/s', project: rate, target: {kind: 'at-most', value: 1}, detail: {...result, settings: options}}),
		row({name: 'Under attack: AUTH guesses checked per second over the whole run, first failures included (context)', unit: '/s', project: result.checked / options.guessSeconds}),
		row({name: 'Under attack: AUTH refused for the address\'s rate, per second (context: held, never checked)', unit: '/s', project: result.refusedAtOnce / options.guessSeconds}),
	];
}

export function underAttackFigure(options: UnderAttackOptions): Figure {
	return {
		id: 'under-attack',
		title: 'The lab under attack: memory, legitimate latency, AUTH guessing (default limits)',
		async measure() {
			return [...(await memoryRows(options)), ...(await serviceRows(options)), ...(await guessRows(options))];
		},
	};
}
