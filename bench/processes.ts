// Child processes for the server figures: a command run to its end with its output and wall
// time, and a server kept running while a load is driven at it, whose memory and CPU are
// read from /proc before it is stopped.
import {spawn, type ChildProcess} from 'node:child_process';
import net from 'node:net';
import {performance} from 'node:perf_hooks';
import {setTimeout as sleep} from 'node:timers/promises';
import {cpuMilliseconds, residentBytes} from './pty-probe.js';

export type Finished = {code: number | null; stdout: string; stderr: string; wallMs: number};

function notInstalled(command: string, hint: string): Error {
	return new Error(`${command} is not installed or not on PATH (the bench needs it${hint ? `: ${hint}` : ''}).`);
}

/** Runs `command` to its end; a missing command or a run past `timeoutMs` is a failed measurement. */
export async function runToEnd(command: string, args: readonly string[], options: {timeoutMs: number; hint?: string; env?: NodeJS.ProcessEnv}): Promise<Finished> {
	const started = performance.now();
	const child = spawn(command, args, {stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env});
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
	child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
	let timedOut = false;
	const timer = setTimeout(() => {
		timedOut = true;
		child.kill('SIGKILL');
	}, options.timeoutMs);
	try {
		const code = await new Promise<number | null>((resolve, reject) => {
			child.once('error', (error: NodeJS.ErrnoException) => {
				reject(error.code === 'ENOENT' ? notInstalled(command, options.hint ?? '') : error);
			});
			child.once('close', resolve);
		});
		if (timedOut) throw new Error(`${command} ${args.join(' ')} did not finish within ${options.timeoutMs / 1000} s.`);
		return {code, stdout, stderr, wallMs: performance.now() - started};
	} finally {
		clearTimeout(timer);
	}
}

/** A free TCP port on 127.0.0.1, for a server that cannot be told to pick one itself. */
export async function freePort(): Promise<number> {
	const server = net.createServer();
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', resolve);
	});
	const {port} = server.address() as net.AddressInfo;
	await new Promise<void>(resolve => server.close(() => resolve()));
	return port;
}

/** Resolves once something accepts connections on `port`; the probe connection is dropped at once. */
export async function waitForPort(port: number, timeoutMs: number, exited: () => string | undefined): Promise<void> {
	const deadline = performance.now() + timeoutMs;
	for (;;) {
		const why = exited();
		if (why !== undefined) throw new Error(why);
		const open = await new Promise<boolean>(resolve => {
			const socket = net.connect({host: '127.0.0.1', port});
			socket.once('connect', () => {
				socket.destroy();
				resolve(true);
			});
			socket.once('error', () => resolve(false));
		});
		if (open) return;
		if (performance.now() > deadline) throw new Error(`Nothing listened on 127.0.0.1:${port} within ${timeoutMs / 1000} s.`);
		await sleep(50);
	}
}

export type Usage = {peakRssBytes: number; cpuMs: number};

/** A long-running server child: its port, its resource use so far, and a stop that returns its last stdout line. */
export type ServerChild = {
	pid: number;
	port: number;
	usage(): Promise<Usage>;
	/** SIGTERM, then the last line it printed (its report); SIGKILL if it does not exit in 10 s. */
	stop(): Promise<string>;
};

/**
 * Spawns a server and keeps its output. `exitedEarly()` tells why it is gone, if it is,
 * so a server that dies at start (a missing module, a port in use) fails the measurement
 * with its own words.
 */
export function spawnServer(command: string, args: readonly string[], options: {env?: NodeJS.ProcessEnv; cwd?: string; hint: string}) {
	const child: ChildProcess = spawn(command, args, {stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env, cwd: options.cwd});
	let stdout = '';
	let stderr = '';
	let gone: string | undefined;
	child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
	child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
	const closed = new Promise<void>(resolve => child.once('close', () => resolve()));
	child.once('error', (error: NodeJS.ErrnoException) => {
		gone = error.code === 'ENOENT' ? notInstalled(command, options.hint).message : error.message;
	});
	child.once('exit', (code, signal) => {
		gone ??= `${command} ${args.join(' ')} exited (${signal ?? `code ${String(code)}`}) while the bench needed it:\n${stderr.slice(-1500)}`;
	});
	const exitedEarly = () => gone;
	const stdoutSoFar = () => stdout;

	const handle = (port: number): ServerChild => ({
		pid: child.pid!,
		port,
		async usage() {
			if (gone !== undefined) throw new Error(gone);
			const [{peak}, cpuMs] = await Promise.all([residentBytes(child.pid!), cpuMilliseconds(child.pid!)]);
			return {peakRssBytes: peak, cpuMs};
		},
		async stop() {
			if (gone !== undefined) throw new Error(gone);
			child.kill('SIGTERM');
			const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
			await closed;
			clearTimeout(killer);
			const lines = stdout.trim().split('\n');
			return lines.at(-1) ?? '';
		},
	});

	/** Kills it without a report: for the error paths. */
	const kill = async () => {
		if (child.exitCode !== null || child.signalCode !== null) return;
		child.kill('SIGKILL');
		await closed;
	};

	return {handle, exitedEarly, stdoutSoFar, kill};
}

/**
 * The listen backlog of whatever listens on 127.0.0.1:`port`, as the kernel has it: for a
 * listening socket `ss` shows it as Send-Q. The lab-load figure gives aiosmtpd the lab's.
 */
export async function listenBacklog(port: number): Promise<number> {
	const finished = await runToEnd('ss', ['-Hltn', `sport = :${port}`], {timeoutMs: 10_000, hint: 'iproute2 provides it; run `bash bench/install.sh` as root'});
	const line = finished.stdout.split('\n').find(text => text.includes(`127.0.0.1:${port}`));
	// State Recv-Q Send-Q Local-Address:Port Peer-Address:Port
	const backlog = Number(line?.trim().split(/\s+/)[2]);
	if (finished.code !== 0 || !Number.isInteger(backlog) || backlog <= 0) throw new Error(`ss shows no listening socket on 127.0.0.1:${port}:\n${finished.stdout}${finished.stderr}`);
	return backlog;
}
