// The hostile room for the under-attack figure, in its own process (its sockets and timers
// must not slow the legitimate client being measured). Every attacker is on loopback, each
// kind from its own address: idle sockets from 127.0.0.2–6 (opened once, held as long as the
// lab lets them), a 465 handshake flood from 127.0.0.7 (connect, a partial ClientHello, then
// nothing; again once dropped) and slowloris clients from 127.0.0.8 (one byte every 2 s,
// never a line end; again once dropped). Prints one JSON line once the idle sockets are
// open, and its counts as one more on SIGTERM.
//
//   node --import tsx bench/attacker.ts --port25 N --port465 N --port587 N --idle 5000 --flood 100 --slowloris 50
import net from 'node:net';
import {setTimeout as sleep} from 'node:timers/promises';
import {parseArgs} from 'node:util';

const {values} = parseArgs({
	options: {
		port25: {type: 'string'},
		port465: {type: 'string'},
		port587: {type: 'string'},
		idle: {type: 'string', default: '5000'},
		flood: {type: 'string', default: '100'},
		slowloris: {type: 'string', default: '50'},
	},
});
const port25 = Number(values.port25);
const port465 = Number(values.port465);
const port587 = Number(values.port587);
const idleAddresses = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];
const floodAddress = '127.0.0.7';
const slowAddress = '127.0.0.8';
const partialClientHello = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);

const counts = {idleOpened: 0, idleClosedByLab: 0, floodConnects: 0, floodClosedByLab: 0, slowConnects: 0, slowClosedByLab: 0, connectErrors: 0};
let running = true;
const open = new Set<net.Socket>();

/** Connects from `from`; resolves with the socket once connected, or undefined on an error. */
async function connect(port: number, from: string): Promise<net.Socket | undefined> {
	return new Promise(resolve => {
		const socket = net.connect({host: '127.0.0.1', port, localAddress: from});
		socket.once('connect', () => {
			open.add(socket);
			resolve(socket);
		});
		socket.on('data', () => undefined);
		socket.once('close', () => open.delete(socket));
		socket.once('error', () => {
			counts.connectErrors++;
			resolve(undefined);
		});
	});
}

const closed = async (socket: net.Socket) =>
	new Promise<void>(resolve => {
		if (socket.destroyed) resolve();
		else socket.once('close', () => resolve());
	});

async function openIdle(total: number): Promise<void> {
	const batch = 250;
	for (let start = 0; start < total && running; start += batch) {
		await Promise.all(
			Array.from({length: Math.min(batch, total - start)}, async (_, offset) => {
				const index = start + offset;
				const socket = await connect(index % 2 === 0 ? port25 : port587, idleAddresses[index % idleAddresses.length]!);
				if (!socket) return;
				counts.idleOpened++;
				socket.once('close', () => counts.idleClosedByLab++);
			}),
		);
	}
}

async function floodLoop(): Promise<void> {
	while (running) {
		const socket = await connect(port465, floodAddress);
		if (socket) {
			counts.floodConnects++;
			socket.write(partialClientHello);
			await closed(socket);
			if (running) counts.floodClosedByLab++;
		}

		await sleep(200);
	}
}

async function slowLoop(index: number): Promise<void> {
	while (running) {
		const socket = await connect(index % 2 === 0 ? port25 : port587, slowAddress);
		if (socket) {
			counts.slowConnects++;
			while (running && !socket.destroyed) {
				socket.write('N');
				await Promise.race([sleep(2000), closed(socket)]);
			}

			if (running) counts.slowClosedByLab++;
		}

		await sleep(1000);
	}
}

const loops: Array<Promise<void>> = [];
process.once('SIGTERM', () => {
	running = false;
	for (const socket of open) socket.destroy();
	void Promise.all(loops).then(() => {
		process.stdout.write(JSON.stringify(counts) + '\n', () => {
			process.exit(0);
		});
	});
});

for (let index = 0; index < Number(values.flood); index++) loops.push(floodLoop());
for (let index = 0; index < Number(values.slowloris); index++) loops.push(slowLoop(index));
await openIdle(Number(values.idle));
process.stdout.write(JSON.stringify({ready: true, ...counts}) + '\n');
