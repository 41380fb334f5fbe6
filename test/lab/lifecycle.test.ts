// Starting and stopping the lab: options, failures to start, prompt close, and silence.

import {execFile} from 'node:child_process';
import net from 'node:net';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {LabStartError, startLab} from '../../source/lab/index.js';
import type {LabPort} from '../../source/lab/index.js';
import {RawSmtpClient, lastLine, plainToken} from '../support/raw-smtp.js';

const run = promisify(execFile);

async function freePort(): Promise<number> {
	const server = net.createServer();
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	const {port} = server.address() as net.AddressInfo;
	await new Promise(resolve => {
		server.close(resolve);
	});
	return port;
}

async function refused(port: number): Promise<boolean> {
	return new Promise(resolve => {
		const socket = net.connect({host: '127.0.0.1', port});
		socket.once('connect', () => {
			socket.destroy();
			resolve(false);
		});
		socket.once('error', () => {
			resolve(true);
		});
	});
}

test('only, ports, domain, hostname and users shape the lab', async () => {
	const wanted = await freePort();
	const lab = await startLab({
		only: [587],
		ports: {587: wanted},
		domain: 'example.test',
		users: [{user: 'carol', password: 'secret', address: 'carol@example.test'}],
	});
	try {
		assert.deepEqual(lab.ports, {587: wanted});
		assert.equal(lab.hostname, 'mx.example.test');
		assert.equal(lab.domain, 'example.test');
		const client = await RawSmtpClient.connect({port: wanted});
		assert.equal(lastLine(await client.readReply()), '220 mx.example.test ESMTP smtp-tui lab');
		await client.command('EHLO client.test');
		await client.command('STARTTLS');
		const socket = await client.startTls({ca: lab.ca, servername: 'mx.example.test'});
		assert.ok(socket.authorized, 'the certificate carries the chosen host name');
		await client.command('EHLO client.test');
		assert.equal(lastLine(await client.command(`AUTH PLAIN ${plainToken('alice', 'wonderland')}`)), '535 5.7.8 Error: authentication failed: authentication failure');
		assert.equal(lastLine(await client.command(`AUTH PLAIN ${plainToken('carol', 'secret')}`)), '235 2.7.0 Authentication successful');
		client.close();
	} finally {
		await lab.close();
	}
});

test('a port already in use: LabStartError naming it, and nothing is left listening', async () => {
	const blocker = net.createServer();
	await new Promise<void>(resolve => {
		blocker.listen(0, '127.0.0.1', resolve);
	});
	const busy = (blocker.address() as net.AddressInfo).port;
	const first = await freePort();
	try {
		await assert.rejects(startLab({only: [25, 587], ports: {25: first, 587: busy}}), (error: unknown) => {
			assert.ok(error instanceof LabStartError);
			assert.equal(error.port, 587);
			assert.equal(error.code, 'EADDRINUSE');
			assert.equal(error.blame, 'local');
			assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${busy} is already in use`));
			return true;
		});
		assert.ok(await refused(first), 'the port-25 listener that did start was closed again');
	} finally {
		await new Promise(resolve => {
			blocker.close(resolve);
		});
	}
});

test('nonsense options are refused before anything listens', async () => {
	await assert.rejects(startLab({only: [26 as LabPort]}), LabStartError);
	await assert.rejects(startLab({ports: {25: 70_000}}), /not a port number/);
});

test('close() ends every kind of open session: none is left once it resolves', async () => {
	// 2525 holds its banner (greet-pause) so that one client is connected but not yet greeted.
	const lab = await startLab({faults: [{name: 'greet-pause', ports: [2525], value: 600_000}]});
	const port = (personality: LabPort) => lab.ports[personality]!;

	const idle = await RawSmtpClient.connect({port: port(25)});
	await idle.readReply();

	const midData = await RawSmtpClient.connect({port: port(25)});
	await midData.readReply();
	await midData.command('EHLO client.test');
	await midData.command('MAIL FROM:<a@example.org>');
	await midData.command('RCPT TO:<bob@lab.test>');
	await midData.command('DATA');
	midData.write('Subject: unfinished\r\n\r\nstill typing');

	const secure = await RawSmtpClient.connect({port: port(465), tls: {ca: lab.ca, servername: 'mx.lab.test'}});
	await secure.readReply();

	// Accepted by 465 but never starts its handshake.
	const silent = await RawSmtpClient.connect({port: port(465)});
	// Asked for STARTTLS, then sits on the 220 without starting the handshake.
	const stalled = await RawSmtpClient.connect({port: port(587)});
	await stalled.readReply();
	await stalled.command('STARTTLS');
	// Connected but not yet greeted.
	const early = await RawSmtpClient.connect({port: port(2525)});
	for (let wait = 0; wait < 200 && lab.stats().connectionsNow < 6; wait++) await new Promise(resolve => setTimeout(resolve, 10));
	assert.equal(lab.stats().connectionsNow, 6, 'all six are open when close() starts');

	// Without the lab's own teardown this would wait on the clients (smtp-server's close()
	// waits 30 s, and the stalled handshake and the unfinished message never end by themselves).
	await lab.close();
	assert.equal(lab.stats().connectionsNow, 0, 'no connection left once close() resolved');
	for (const personality of [25, 465, 587, 2525] as const) assert.equal(lab.stats().perPort[personality].connectionsNow, 0, `port ${personality}`);

	assert.equal(lastLine(await idle.readReply()), '421 4.3.2 mx.lab.test Service shutting down');
	for (const client of [idle, midData, secure, silent, stalled, early]) {
		await client.waitForClose(1000);
	}

	for (const personality of [25, 465, 587, 2525] as const) {
		assert.ok(await refused(port(personality)), `port ${personality} no longer listens`);
	}

	await lab.close(); // a second close is harmless
});

test('the lab never writes to stdout or stderr, even when clients misbehave', async () => {
	const fixture = fileURLToPath(new URL('fixtures/quiet-lab.ts', import.meta.url));
	const {stdout, stderr} = await run(process.execPath, ['--import', 'tsx', fixture], {
		cwd: fileURLToPath(new URL('../..', import.meta.url)),
		timeout: 30_000,
	});
	assert.equal(stdout, '');
	assert.equal(stderr, '');
});
