// What the harnesses of real SMTP servers (Exim, Haraka) share: free loopback ports, waiting
// for a greeting, and running the built binary as a user would.
import {execFile} from 'node:child_process';
import net from 'node:net';
import type {AddressInfo} from 'node:net';
import tls from 'node:tls';
import {cliPath} from './pty.js';

const HOST = '127.0.0.1';

/** The real port standing in for each well-known one. */
export type PeerPorts = {25: number; 465: number; 587: number; 2525: number};
export type PeerUser = {user: string; password: string};

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
