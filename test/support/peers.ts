// What the harnesses of real SMTP servers (Exim, Haraka) share: free loopback ports, waiting
// for a greeting, and running the built binary as a user would.
import {execFile, spawn, type ChildProcess} from 'node:child_process';
import {rmSync} from 'node:fs';
import {readdir, readFile, rm} from 'node:fs/promises';
import {join} from 'node:path';
import net from 'node:net';
import type {AddressInfo} from 'node:net';
import tls from 'node:tls';
import {cliPath} from './pty.js';

const HOST = '127.0.0.1';

/** The real port standing in for each well-known one. */
export type PeerPorts = {25: number; 465: number; 587: number; 2525: number};
export type PeerUser = {user: string; password: string};

/** A running server with the four port personalities, as the interop tests use it. */
export type PeerInstance = {
	host: '127.0.0.1';
	ports: PeerPorts;
	/** PEM of the throwaway CA that signed the server certificate, and the same as a file. */
	ca: string;
	caFile: string;
	/** Name in the banner and in the certificate. */
	hostname: string;
	/** The domain it takes mail for without a login. */
	domain: string;
	users: PeerUser[];
	/** Every message it delivered or queued, oldest first by name. */
	deliveredMessages(): Promise<string[]>;
	/** Waits until a delivered message contains `needle`, and returns it. */
	waitForDelivered(needle: string, timeoutMs?: number): Promise<string>;
	stop(): Promise<void>;
};

/** Waits for a greeting on all four ports (inside TLS on 465), or for the server to die. */
export async function waitForPorts(ports: PeerPorts, deadline: number, tls: {ca: string; servername: string}, exited: Promise<never>): Promise<void> {
	await Promise.race([
		Promise.all([
			waitForGreeting(ports[25], {deadline}),
			waitForGreeting(ports[587], {deadline}),
			waitForGreeting(ports[2525], {deadline}),
			waitForGreeting(ports[465], {deadline, tls}),
		]),
		exited,
	]);
}

/** Binds port 0 several times at once (so the ports differ), notes the ports, releases them. */
export async function pickFreePorts(count: number): Promise<number[]> {
	const servers = await Promise.all(Array.from({length: count}, async () => {
		const server = net.createServer();
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(0, HOST, () => resolve());
		});
		return server;
	}));
	const ports = servers.map(s => (s.address() as AddressInfo).port);
	await Promise.all(servers.map(async s => new Promise<void>(resolve => s.close(() => resolve()))));
	return ports;
}

/** Connects until the port answers with a 220 greeting (inside TLS when `tls` is given). */
export async function waitForGreeting(port: number, options: {deadline: number; tls?: {ca: string; servername: string}}): Promise<void> {
	let last = 'no attempt';
	while (Date.now() < options.deadline) {
		try {
			await greetingOnce(port, options.tls, Math.min(3000, options.deadline - Date.now()));
			return;
		} catch (error) {
			last = error instanceof Error ? error.message : String(error);
			await new Promise(resolve => setTimeout(resolve, 50));
		}
	}

	throw new Error(`port ${port} gave no SMTP greeting in time (last: ${last})`);
}

async function greetingOnce(port: number, secure: {ca: string; servername: string} | undefined, timeoutMs: number): Promise<void> {
	return new Promise((resolve, reject) => {
		const socket = secure ? tls.connect({host: HOST, port, ca: secure.ca, servername: secure.servername}) : net.connect({host: HOST, port});
		let text = '';
		const finish = (error?: Error): void => {
			clearTimeout(timer);
			socket.removeAllListeners('data');
			if (error === undefined) socket.end('QUIT\r\n');
			socket.destroy();
			if (error === undefined) resolve();
			else reject(error);
		};

		const timer = setTimeout(() => finish(new Error('timed out waiting for the greeting')), timeoutMs);
		socket.setEncoding('utf8');
		socket.on('data', (chunk: string) => {
			text += chunk;
			if (/^220 .*\r\n/m.test(text)) finish();
			else if (/^\d{3} .*\r\n/m.test(text)) finish(new Error(`unexpected greeting ${JSON.stringify(text.trim())}`));
		});
		socket.on('error', error => finish(error));
		socket.on('close', () => finish(new Error('connection closed before the greeting')));
	});
}

export type CliResult = {code: number; stdout: string; stderr: string};

/** Runs `dist/cli.js` with no terminal, as a script or a person's shell would. */
export async function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliResult> {
	return new Promise(resolve => {
		const child = execFile(process.execPath, [cliPath, ...args], {env: {...process.env, ...env}, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024}, (error, stdout, stderr) => {
			resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr});
		});
		child.stdin?.end();
	});
}

export type PeerProcess = {
	/** Starts the server in the foreground as our child; rejects `exited` if it ends early. */
	run(file: string, args: string[], env?: NodeJS.ProcessEnv): {exited: Promise<never>};
	/** The last of what it printed (for a failure message). */
	output(): string;
	/** Ends the server (SIGTERM, then SIGKILL after 3 s) and removes its folder; repeatable. */
	stop(): Promise<void>;
};

/** One server process and its temp folder: both gone on stop(), or when the tests exit. */
export function peerProcess(dir: string): PeerProcess {
	let child: ChildProcess | undefined;
	let output = '';
	const onExit = (): void => {
		child?.kill('SIGKILL');
		rmSync(dir, {recursive: true, force: true});
	};
	process.once('exit', onExit);
	let stopping: Promise<void> | undefined;
	return {
		run(file, args, env) {
			child = spawn(file, args, {stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env});
			const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
			child.stdout!.on('data', keep);
			child.stderr!.on('data', keep);
			const started = child;
			const exited = new Promise<never>((_resolve, reject) => {
				started.once('exit', code => reject(new Error(`${file} exited (${code ?? 'signal'}): ${output.trim().slice(-3000) || 'no output'}`)));
			});
			exited.catch(() => undefined);
			return {exited};
		},
		output: () => output.slice(-3000),
		async stop() {
			stopping ??= (async () => {
				process.off('exit', onExit);
				if (child && child.exitCode === null && child.signalCode === null) {
					const gone = new Promise(resolve => child!.once('exit', resolve));
					child.kill('SIGTERM');
					await Promise.race([gone, new Promise(resolve => setTimeout(resolve, 3000))]);
					child.kill('SIGKILL');
				}

				await rm(dir, {recursive: true, force: true, maxRetries: 3, retryDelay: 50});
			})();
			return stopping;
		},
	};
}

/** Polls `messages` until one contains `needle` (delivery is asynchronous), and returns it. */
export async function waitForMessage(messages: () => Promise<string[]>, needle: string, timeoutMs: number, why: () => Promise<string> | string): Promise<string> {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const found = (await messages()).find(m => m.includes(needle));
		if (found !== undefined) return found;
		if (Date.now() >= until) throw new Error(`No message containing ${JSON.stringify(needle)} arrived within ${timeoutMs} ms.\n${await why()}`);
		await new Promise(resolve => setTimeout(resolve, 50));
	}
}

/** The files of a folder (a Maildir's new/, a queue), oldest first by name; none if it is not there yet. */
export async function readMessages(folder: string, filter: (name: string) => boolean = () => true): Promise<string[]> {
	let names: string[];
	try {
		names = (await readdir(folder)).filter(filter).sort();
	} catch {
		return [];
	}

	return Promise.all(names.map(async name => readFile(join(folder, name), 'utf8')));
}
