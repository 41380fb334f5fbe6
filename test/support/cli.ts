// Runs the built smtp-tui binary as a user would from a shell (stdin closed, no terminal).
import {execFile} from 'node:child_process';
import net from 'node:net';
import {after, before} from 'node:test';
import {cliPath} from './pty.js';

export type CliResult = {code: number; stdout: string; stderr: string};

export async function cli(args: string[], env: Record<string, string> = {}, options: {cwd?: string} = {}): Promise<CliResult> {
	return new Promise(resolve => {
		const child = execFile(process.execPath, [cliPath, ...args], {env: {...process.env, ...env}, timeout: 30_000, cwd: options.cwd}, (error, stdout, stderr) => {
			resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr});
		});
		child.stdin?.end();
	});
}

/** A port nothing listens on now (the kernel's ephemeral pick, released). */
export async function freePort(): Promise<number> {
	const server = net.createServer();
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as net.AddressInfo;
	await new Promise(resolve => server.close(resolve));
	return port;
}

/**
 * A loopback listener that counts every connection (and greets it), for tests that a command
 * line touches nothing: started before the tests, closed after them.
 */
export function connectionRecorder(): {port: () => number; connections: () => number} {
	let listener: net.Server;
	let connections = 0;
	before(async () => {
		listener = net.createServer(socket => {
			connections++;
			socket.end('220 recorder ESMTP\r\n');
		});
		await new Promise<void>(resolve => listener.listen(0, '127.0.0.1', resolve));
	});
	after(async () => {
		await new Promise(resolve => listener.close(resolve));
	});
	return {port: () => (listener.address() as net.AddressInfo).port, connections: () => connections};
}
