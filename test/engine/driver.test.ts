// The driver (engine/driver.ts) under the SMTP connection and session, against scripted servers
// over loopback: one read at a time, one step at a time, close() at any moment leaves nothing
// open, and a connection lost in a step without a code of its own still exits with a step's code.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {Connection} from '../../source/engine/connection.js';
import {exitCodes} from '../../source/engine/exit-codes.js';
import {Session} from '../../source/engine/session.js';
import {type Handler, scriptedSessionOptions, withScriptedServer} from '../support/scripted-server.js';

const options = scriptedSessionOptions;

const withServer = withScriptedServer;

test('a second read while one waits is refused; the first still gets its reply', async () => {
	let speak: (() => void) | undefined;
	await withServer(socket => {
		speak = () => socket.write('220 mx.test\r\n');
	}, async port => {
		const {connection} = await Connection.open({host: '127.0.0.1', port, implicitTls: false, connectTimeoutMs: 2000, tls: {insecure: false}});
		try {
			const first = connection.readReply(5000, 'the banner');
			await assert.rejects(connection.readReply(5000, 'a second reply'), /already waiting for the banner/);
			speak!();
			const reply = await first;
			assert.equal(reply.code, 220);
		} finally {
			connection.close();
		}
	});
});

test('a read that timed out leaves the next read its own deadline and its reply', async () => {
	let speak: (() => void) | undefined;
	await withServer(socket => {
		speak = () => socket.write('250 late\r\n');
	}, async port => {
		const {connection} = await Connection.open({host: '127.0.0.1', port, implicitTls: false, connectTimeoutMs: 2000, tls: {insecure: false}});
		try {
			await assert.rejects(connection.readReply(50, 'the banner'), /did not answer the banner within/);
			const second = connection.readReply(5000, 'the next reply');
			speak!();
			assert.equal((await second).code, 250);
		} finally {
			connection.close();
		}
	});
});

/** A server that counts the connections it sees and how many of them are still open. */
async function countingServer(): Promise<{port: number; open: () => number; seen: () => number; close: () => Promise<void>}> {
	const sockets = new Set<net.Socket>();
	let seen = 0;
	const server = net.createServer(socket => {
		seen++;
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
		socket.on('error', () => undefined);
		socket.write('220 mx.test\r\n');
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	return {
		port: (server.address() as net.AddressInfo).port,
		open: () => sockets.size,
		seen: () => seen,
		close: async () => {
			for (const socket of sockets) socket.destroy();
			await new Promise<void>(resolve => server.close(() => resolve()));
		},
	};
}

/** Waits (bounded) until `ready()` holds; false if it never does. */
async function eventually(ready: () => boolean, bound = 3000): Promise<boolean> {
	for (const end = performance.now() + bound; performance.now() < end;) {
		if (ready()) return true;
		await new Promise(resolve => setTimeout(resolve, 20));
	}

	return ready();
}

test('close() while the session connects leaves no socket open', async () => {
	const server = await countingServer();
	try {
		for (let round = 0; round < 5; round++) {
			const session = new Session(options(server.port));
			const stepped = session.step();
			session.close();
			await stepped;
			assert.equal(session.done, true);
		}

		// Every connection the server saw (the kernel may accept one before the close) ends.
		assert.ok(await eventually(() => server.open() === 0), `${server.open()} of ${server.seen()} connections left open after close()`);
	} finally {
		await server.close();
	}
});

test('a second step while one is in flight is refused and never runs', async () => {
	let speak: (() => void) | undefined;
	const received: string[] = [];
	await withServer(async (socket, reader) => {
		socket.write('220 mx.test\r\n');
		for (;;) {
			const line = await reader.next();
			if (line === undefined) return;
			received.push(line);
			speak = () => socket.write('250 mx.test\r\n');
		}
	}, async port => {
		const session = new Session(options(port));
		try {
			assert.equal((await session.step()).ok, true); // connect and banner
			const ehlo = session.step();
			const second = await session.step();
			assert.equal(second.ok, false);
			assert.match(second.failure?.message ?? '', /already in flight/);
			const manual = await session.manual('NOOP');
			assert.match(manual.failure?.message ?? '', /already in flight/);
			assert.ok(await eventually(() => speak !== undefined));
			speak!();
			assert.equal((await ehlo).ok, true);
			assert.deepEqual(received, ['EHLO client.example'], 'only the first step went out');
		} finally {
			session.close();
		}
	});
});

/** A server that takes EHLO and then closes the connection at the verb `closeOn`. */
const closesOn = (closeOn: string): Handler => async (socket, reader) => {
	socket.write('220 mx.test\r\n');
	for (;;) {
		const line = await reader.next();
		if (line === undefined) return;
		if (line.toUpperCase().startsWith(closeOn)) {
			socket.destroy();
			return;
		}

		socket.write(line.startsWith('EHLO') ? '250-mx.test\r\n250 8BITMIME\r\n' : '250 ok\r\n');
	}
};

for (const [typed, code] of [['NOOP', exitCodes.command], ['RSET', exitCodes.command], ['VRFY bob', exitCodes.command], ['MAIL FROM:<a@client.example>', exitCodes.mail]] as const) {
	test(`the connection closed during a typed ${typed.split(' ')[0]}: exit ${code}, not 1 (internal)`, async () => {
		await withServer(closesOn(typed.split(' ')[0]!), async port => {
			const session = new Session(options(port));
			try {
				await session.step();
				await session.step();
				const outcome = await session.manual(typed);
				assert.equal(outcome.ok, false);
				assert.equal(outcome.failure?.kind, 'closed');
				assert.equal(session.exitCode, code);
			} finally {
				session.close();
			}
		});
	});
}
