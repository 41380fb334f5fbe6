// A real DNS server on loopback for MX tests: Debian's dnsmasq with a test zone given as
// command-line records, authoritative for the test domains, never forwarding anywhere.
import {spawn, type ChildProcess} from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';

export type DnsServer = {address: string; port: number; stop: () => Promise<void>};

async function freePort(): Promise<number> {
	// dnsmasq binds UDP and TCP on the same port: find one free for both.
	for (;;) {
		const port = await new Promise<number>(resolve => {
			const server = net.createServer().listen(0, '127.0.0.1', () => {
				const {port} = server.address() as net.AddressInfo;
				server.close(() => resolve(port));
			});
		});
		const free = await new Promise<boolean>(resolve => {
			const socket = dgram.createSocket('udp4');
			socket.once('error', () => resolve(false));
			socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
		});
		if (free) return port;
	}
}

/** `records` are dnsmasq options, e.g. `--mx-host=lab.test,mx.lab.test,10`. */
export async function startDnsmasq(records: string[], localDomains: string[]): Promise<DnsServer> {
	const port = await freePort();
	const child: ChildProcess = spawn('dnsmasq', [
		'--keep-in-foreground',
		'--conf-file=/dev/null',
		`--port=${port}`,
		'--listen-address=127.0.0.1',
		'--bind-interfaces',
		'--no-resolv',
		'--no-hosts',
		'--no-poll',
		'--pid-file=',
		'--user=root',
		...localDomains.map(domain => `--local=/${domain}/`),
		...records,
	], {stdio: ['ignore', 'ignore', 'pipe']});
	let stderr = '';
	child.stderr?.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
	// Ready when it answers TCP on its port.
	const deadline = Date.now() + 10_000;
	for (;;) {
		const ok = await new Promise<boolean>(resolve => {
			const socket = net.connect({host: '127.0.0.1', port}, () => {
				socket.destroy();
				resolve(true);
			});
			socket.once('error', () => resolve(false));
		});
		if (ok) break;
		if (child.exitCode !== null || Date.now() > deadline) throw new Error(`dnsmasq did not start: ${stderr.trim()}`);
		await new Promise(resolve => setTimeout(resolve, 50));
	}

	return {
		address: '127.0.0.1',
		port,
		stop: async () => {
			if (child.exitCode === null) child.kill('SIGKILL');
			await exited;
		},
	};
}
