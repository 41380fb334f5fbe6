// Every write has a deadline, and TLS errors after the handshake are TLS failures: through the
// built binary against scripted servers over loopback.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import {makeLabCa} from '../../source/lab/ca.js';
import {cliPath} from '../support/pty.js';
import {LineReader, scriptedServer} from '../support/scripted-server.js';

let dir: string;
before(async () => {
	dir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-deadline-'));
});
after(async () => rm(dir, {recursive: true, force: true}));

type Result = {code: number | null; output: string};

async function run(args: string[]): Promise<Result> {
	const child = spawn(process.execPath, [cliPath, 'run', ...args], {stdio: ['ignore', 'pipe', 'pipe']});
	let output = '';
	child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
	child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
	// A hang is a failure, not a wait: the test's own bound, far above --timeout.
	const killer = setTimeout(() => child.kill('SIGKILL'), 45_000);
	const code = await new Promise<number | null>(resolve => child.on('close', resolve));
	clearTimeout(killer);
	return {code, output};
}

test('a server that stops reading during a big body: run ends with the timeout exit code, not a hang', async () => {
	const server = await scriptedServer(async (socket, reader) => {
		socket.write('220 mx.test ESMTP\r\n');
		for (;;) {
			const line = await reader.next();
			if (line === undefined) return;
			if (line.startsWith('EHLO')) socket.write('250-mx.test\r\n250 SIZE 100000000\r\n');
			else if (line === 'DATA') {
				socket.write('354 go ahead\r\n');
				socket.pause(); // and never reads again
				return;
			} else socket.write('250 ok\r\n');
		}
	});
	try {
		const body = path.join(dir, 'big.txt');
		await writeFile(body, ('x'.repeat(76) + '\n').repeat(260_000)); // 20 MB
		const result = await run(['--host', '127.0.0.1', '--port', String(server.port), '--tls', 'none', '--to', 'a@b.test', '--timeout', '2', '--body-file', body]);
		assert.equal(result.code, 6, result.output.slice(-2000));
		assert.match(result.output, new RegExp(`127\\.0\\.0\\.1:${server.port} stopped reading: the message was not taken within 2 s`));
	} finally {
		await server.close();
	}
});

/** An implicit-TLS server that, after EHLO, writes `bytes` raw on the socket under TLS. */
async function brokenTlsServer(bytes: Buffer): Promise<{port: number; close: () => Promise<void>}> {
	const {key, cert} = await makeLabCa('mx.lab.test');
	const sockets = new Set<net.Socket>();
	const server = net.createServer(raw => {
		sockets.add(raw);
		raw.on('error', () => undefined);
		const secure = new tls.TLSSocket(raw, {isServer: true, key, cert});
		secure.on('error', () => undefined);
		secure.once('secure', () => {
			secure.write('220 mx.lab.test ESMTP\r\n');
			const reader = new LineReader(secure, []);
			void reader.next().then(() => {
				secure.write('250-mx.lab.test\r\n250 8BITMIME\r\n', () => setTimeout(() => raw.write(bytes), 50));
			});
		});
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	return {
		port: (server.address() as net.AddressInfo).port,
		close: async () => {
			for (const socket of sockets) socket.destroy();
			await new Promise(resolve => server.close(resolve));
		},
	};
}

for (const [what, bytes] of [
	['a garbage record', Buffer.from('\x17\x03\x03\x00\x20' + 'garbage!'.repeat(4), 'latin1')],
	['a TLS alert in clear', Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50])],
	['bytes that are not TLS at all', Buffer.from('HELLO THIS IS NOT TLS\r\n')],
] as const) {
	test(`${what} after the handshake: exit 29 and one sentence, never OpenSSL's raw text`, async () => {
		const server = await brokenTlsServer(bytes);
		try {
			const result = await run(['--host', '127.0.0.1', '--port', String(server.port), '--tls', 'implicit', '--insecure', '--to', 'a@b.test', '--timeout', '5']);
			assert.equal(result.code, 29, result.output);
			assert.match(result.output, new RegExp(`The TLS session with 127\\.0\\.0\\.1:${server.port} broke: (the server sent the TLS alert "[a-z ]+"|the server sent data that is not a valid TLS record|TLS reported an error)`));
			assert.doesNotMatch(result.output, /SSL routines|rec_layer|\.c:\d+|error:[\dA-F]{8}|EPROTO/);
		} finally {
			await server.close();
		}
	});
}
