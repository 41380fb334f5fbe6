// The POP3 client's pure parts (response parser, plan, explanations) byte by byte, and its
// driver against scripted servers that misbehave.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import {
	Pop3ParseError,
	Pop3ResponseParser,
	Pop3Session,
	expectsMultiLine,
	initialPop3PlanState,
	nextPop3Step,
	pop3ExitCodes,
	type Pop3PlanConfig,
	type Pop3PlanState,
	type Pop3Response,
} from '../../source/engine/pop3.js';
import {exitCodes} from '../../source/engine/exit-codes.js';
import {makeLabCertificates} from '../../source/lab/ca.js';
import {describeCapaChange, explainPop3Capability, explainPop3Response} from '../../source/protocol/pop3-explain.js';

const retr = Buffer.from('+OK 52 octets\r\nSubject: x\r\n\r\n..\r\n..dot\r\nGr\xc3\xbc\xc3\x9fe\r\n\r\n.\r\n+OK bye\r\n', 'latin1');

function parseAll(chunks: Buffer[], multi: boolean[]): Pop3Response[] {
	const parser = new Pop3ResponseParser();
	const out: Pop3Response[] = [];
	for (const chunk of chunks) {
		parser.feed(chunk);
		for (let next = parser.take(multi[out.length] ?? false); next; next = parser.take(multi[out.length] ?? false)) out.push(next);
	}

	return out;
}

test('a multi-line response parses the same whatever the split; byte-stuffing is undone in `data`', () => {
	const whole = parseAll([retr], [true, false]);
	const bytes = parseAll([...retr].map(byte => Buffer.from([byte])), [true, false]);
	assert.deepEqual(bytes, whole);
	assert.equal(whole.length, 2);
	const [message, bye] = whole;
	assert.equal(message?.ok, true);
	assert.equal(message?.text, '52 octets');
	assert.deepEqual(message?.rawLines, ['Subject: x', '', '..', '..dot', 'Grüße', '']);
	assert.equal(message?.data?.toString('latin1'), 'Subject: x\r\n\r\n.\r\n.dot\r\nGr\xc3\xbc\xc3\x9fe\r\n\r\n');
	assert.equal(bye?.raw, '+OK bye');
});

test('a -ERR is one line even where +OK would start a list; response codes are read', () => {
	const parser = new Pop3ResponseParser();
	parser.feed(Buffer.from('-ERR [IN-USE] locked\r\n+OK\r\nTOP\r\n.\r\n'));
	const refused = parser.take(true);
	assert.equal(refused?.ok, false);
	assert.equal(refused?.code, 'IN-USE');
	assert.equal(refused?.data, undefined);
	const capa = parser.take(true);
	assert.deepEqual(capa?.rawLines, ['TOP']);
	assert.equal(parser.take(false), undefined);
	assert.equal(parser.buffered, 0);
});

test('an unfinished list waits for more bytes; a bare LF is accepted and flagged', () => {
	const parser = new Pop3ResponseParser();
	parser.feed(Buffer.from('+OK 2 messages:\n1 10\r\n'));
	assert.equal(parser.take(true), undefined);
	parser.feed(Buffer.from('2 20\r\n.\r\n'));
	const list = parser.take(true);
	assert.deepEqual(list?.rawLines, ['1 10', '2 20']);
	assert.equal(list?.bareLf, true);
});

test('the parser refuses a status line that is not POP3, an endless status line and an endless response', () => {
	const smtp = new Pop3ResponseParser();
	smtp.feed(Buffer.from('220 mx.example ESMTP\r\n'));
	assert.throws(() => smtp.take(false), (error: unknown) => error instanceof Pop3ParseError && error.kind === 'malformed' && /not a POP3 status/.test(error.message));
	const long = new Pop3ResponseParser();
	assert.throws(() => {
		long.feed(Buffer.from(`+OK ${'x'.repeat(2000)}`));
	}, (error: unknown) => error instanceof Pop3ParseError && error.kind === 'line-too-long');
	const flood = new Pop3ResponseParser({maxBuffered: 1000});
	flood.feed(Buffer.from('+OK\r\n'));
	assert.throws(() => {
		for (let index = 0; index < 100; index++) flood.feed(Buffer.from('0123456789012345678\r\n'));
	}, (error: unknown) => error instanceof Pop3ParseError && error.kind === 'too-much-buffered');
	assert.ok(flood.buffered <= 1000, 'nothing past the cap was kept');
});

test('which commands get a dot-terminated answer', () => {
	assert.deepEqual(['CAPA', 'LIST', 'LIST 1', 'UIDL', 'uidl 2', 'RETR 1', 'TOP 1 0', 'STAT', 'USER bob'].map(expectsMultiLine), [true, true, false, true, false, true, true, false, false]);
});

function walk(config: Pop3PlanConfig, caps: string[], after: Partial<Pop3PlanState> = {}): string[] {
	const state: Pop3PlanState = {...initialPop3PlanState, connected: true, ...after};
	const kinds: string[] = [];
	for (let guard = 0; guard < 20; guard++) {
		const next = nextPop3Step(state, config);
		kinds.push(next.kind === 'blocked' ? `blocked:${next.block.step}` : next.kind);
		switch (next.kind) {
			case 'pop-capa':
				Object.assign(state, {capaDone: true, capabilities: state.tls ? caps.filter(cap => cap !== 'STLS').concat('USER') : caps});
				break;
			case 'pop-stls':
				Object.assign(state, {tls: true, stlsDone: true, capaDone: false, capabilities: undefined});
				break;
			case 'pop-user':
				state.userDone = true;
				break;
			case 'pop-pass':
				Object.assign(state, {passDone: true, authenticated: true});
				break;
			case 'pop-stat':
				Object.assign(state, {statDone: true, messageCount: state.messageCount ?? 1});
				break;
			case 'pop-list':
				state.listDone = true;
				break;
			case 'pop-retr':
				state.retrDone = true;
				break;
			case 'blocked':
				state.stopping = true;
				break;
			default:
				state.quitDone = true;
		}

		if (next.kind === 'pop-quit') return kinds;
	}

	return kinds;
}

test('the plan: STLS and CAPA again on 110, straight to USER on 995, refusals when TLS is missing', () => {
	const base: Pop3PlanConfig = {tls: 'opportunistic', insecureAuth: false, retrieve: 1};
	assert.deepEqual(walk(base, ['TOP', 'STLS']), ['pop-capa', 'pop-stls', 'pop-capa', 'pop-user', 'pop-pass', 'pop-stat', 'pop-list', 'pop-retr', 'pop-quit']);
	assert.deepEqual(walk({...base, tls: 'implicit'}, ['USER'], {tls: true}), ['pop-capa', 'pop-user', 'pop-pass', 'pop-stat', 'pop-list', 'pop-retr', 'pop-quit']);
	assert.deepEqual(walk({...base, tls: 'stls'}, ['TOP']), ['pop-capa', 'blocked:pop-stls', 'pop-quit']);
	assert.deepEqual(walk(base, ['TOP']), ['pop-capa', 'blocked:pop-user', 'pop-quit'], 'no STLS offered: the password stays home');
	assert.deepEqual(walk({...base, tls: 'none', insecureAuth: true}, ['STLS']).slice(0, 3), ['pop-capa', 'pop-user', 'pop-pass']);
	assert.deepEqual(walk(base, ['STLS'], {messageCount: 0}).slice(-2), ['pop-list', 'pop-quit'], 'an empty mailbox: no RETR');
});

test('explanations: status words, response codes, capabilities, and what changed after STLS', () => {
	assert.match(explainPop3Response('-ERR', 'AUTH')[1]?.summary ?? '', /login itself failed/);
	assert.equal(explainPop3Response('+OK').length, 1);
	assert.match(explainPop3Capability('STLS').rfc, /RFC 2595/);
	assert.match(explainPop3Capability('SASL').summary, /no mechanism/);
	assert.equal(describeCapaChange(['TOP', 'STLS', 'SASL'], ['TOP', 'USER', 'SASL PLAIN']), 'USER appeared; STLS went; "SASL" became "SASL PLAIN"');
	assert.equal(describeCapaChange(['TOP'], ['TOP']), 'nothing changed');
});

/** A one-connection POP3 server that answers by script; `onLine` gets each command line. */
async function scripted(onLine: (line: string, socket: net.Socket, upgrade: () => void) => void): Promise<{port: number; close: () => Promise<void>; ca: string}> {
	const material = await makeLabCertificates('pop.scripted.test', 'valid');
	const server = net.createServer(socket => {
		let current: net.Socket = socket;
		let buffered = '';
		const upgrade = () => {
			socket.removeAllListeners('data');
			current = new tls.TLSSocket(socket, {isServer: true, key: material.key, cert: material.cert});
			current.on('data', onData);
			current.on('error', () => undefined);
		};

		const onData = (chunk: Buffer) => {
			buffered += chunk.toString('latin1');
			for (let end = buffered.indexOf('\r\n'); end !== -1; end = buffered.indexOf('\r\n')) {
				const line = buffered.slice(0, end);
				buffered = buffered.slice(end + 2);
				onLine(line, current, upgrade);
			}
		};

		socket.on('data', onData);
		socket.on('error', () => undefined);
		socket.write('+OK scripted ready\r\n');
	});
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	return {
		port: (server.address() as net.AddressInfo).port,
		ca: material.ca,
		async close() {
			server.close();
		},
	};
}

test('bytes a server sends after its +OK to STLS are discarded and flagged, never read inside TLS', async () => {
	const server = await scripted((line, socket, upgrade) => {
		if (line === 'CAPA') socket.write('+OK\r\nSTLS\r\nUSER\r\n.\r\n');
		else if (line === 'STLS') {
			socket.write('+OK go ahead\r\n+OK fake answer to USER\r\n');
			upgrade();
		} else if (line === 'QUIT') socket.end('+OK bye\r\n');
		else socket.write('-ERR no\r\n');
	});
	try {
		const session = new Pop3Session({host: '127.0.0.1', port: server.port, tls: 'stls', tlsOptions: {ca: server.ca, servername: 'pop.scripted.test', insecure: false}, user: 'bob', password: 'builder', timeouts: {command: 3000}});
		await session.runToEnd();
		const flagged = session.entries.find(entry => entry.deviation === 'starttls-injection');
		assert.ok(flagged, 'the injected bytes are reported');
		assert.match(flagged.text, /^Discarded 25 bytes the server sent after its \+OK to STLS/);
		assert.ok(!session.entries.some(entry => entry.direction === 'server' && entry.text === '+OK fake answer to USER'), 'never taken as a reply');
		assert.equal(session.entries.find(entry => entry.step === 'pop-user' && entry.direction === 'server')?.text, '-ERR no');
		assert.equal(session.exitCode, 28);
	} finally {
		await server.close();
	}
});

test('a server that echoes the password back has it masked in the transcript; a certificate for another name is refused', async () => {
	const server = await scripted((line, socket, upgrade) => {
		if (line === 'CAPA') socket.write('+OK\r\nSTLS\r\n.\r\n');
		else if (line === 'STLS') {
			socket.write('+OK\r\n');
			upgrade();
		} else if (line.startsWith('PASS ')) socket.write(`-ERR [AUTH] wrong password "${line.slice(5)}"\r\n`);
		else if (line === 'QUIT') socket.end('+OK bye\r\n');
		else socket.write('+OK\r\n');
	});
	try {
		const options = {host: '127.0.0.1', port: server.port, tls: 'stls' as const, tlsOptions: {ca: server.ca, servername: 'pop.scripted.test', insecure: false}, user: 'bob', password: 's3cret-pass', timeouts: {command: 3000}};
		const session = new Pop3Session(options);
		assert.equal(await session.runToEnd(), 28);
		const everything = JSON.stringify(session.entries);
		assert.ok(!everything.includes('s3cret-pass'));
		assert.ok(everything.includes('wrong password \\"********\\"'));
		const wrongName = new Pop3Session({...options, tlsOptions: {...options.tlsOptions, servername: 'mx.elsewhere.test'}});
		assert.equal(await wrongName.runToEnd(), 29);
		assert.match(wrongName.failureMessage ?? '', /was refused: it does not name mx\.elsewhere\.test/);
		assert.ok(!wrongName.entries.some(entry => entry.step === 'pop-user'), 'no login after a refused certificate');
	} finally {
		await server.close();
	}
});

test('an SMTP server on the POP3 port: one sentence saying so, exit code 21', async () => {
	const server = net.createServer(socket => {
		socket.end('220 mx.example ESMTP Postfix\r\n');
	});
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	try {
		const port = (server.address() as net.AddressInfo).port;
		const session = new Pop3Session({host: '127.0.0.1', port, tls: 'none', tlsOptions: {insecure: false}, user: 'bob', password: 'builder', timeouts: {greeting: 3000}});
		assert.equal(await session.runToEnd(), 21);
		assert.equal(session.failureMessage, 'The server sent a line that is not a POP3 status (+OK or -ERR): "220 mx.example ESMTP Postfix". This port does not seem to speak POP3.');
	} finally {
		server.close();
	}
});

for (const [typed, code] of [['NOOP', exitCodes.command], ['RETR 1', pop3ExitCodes.retr], ['STAT', pop3ExitCodes.stat]] as const) {
	test(`the connection closed during a typed ${typed.split(' ')[0]}: exit ${code}, not 1 (internal)`, async () => {
		const verb = typed.split(' ')[0]!;
		const server = await scripted((line, socket) => {
			if (line.startsWith(verb)) socket.destroy();
			else if (line === 'CAPA') socket.write('+OK\r\nUSER\r\n.\r\n');
			else socket.write('+OK\r\n');
		});
		try {
			const session = new Pop3Session({host: '127.0.0.1', port: server.port, tls: 'none', insecureAuth: true, tlsOptions: {insecure: false}, user: 'bob', password: 'builder', timeouts: {command: 3000}});
			await session.step();
			const outcome = await session.manual(typed);
			assert.equal(outcome.failure?.kind, 'closed');
			assert.equal(session.exitCode, code);
		} finally {
			await server.close();
		}
	});
}

test('a second POP3 step while one is in flight is refused and never sent', async () => {
	const received: string[] = [];
	let answer: (() => void) | undefined;
	const server = await scripted((line, socket) => {
		received.push(line);
		answer = () => socket.write('+OK\r\nUSER\r\n.\r\n');
	});
	try {
		const session = new Pop3Session({host: '127.0.0.1', port: server.port, tls: 'none', insecureAuth: true, tlsOptions: {insecure: false}, user: 'bob', password: 'builder', timeouts: {command: 3000}});
		await session.step(); // connect and greeting
		const capa = session.step();
		const second = await session.step();
		assert.match(second.failure?.message ?? '', /already in flight/);
		assert.match((await session.manual('STAT')).failure?.message ?? '', /already in flight/);
		for (let i = 0; i < 150 && !answer; i++) await new Promise(resolve => setTimeout(resolve, 20));
		answer!();
		assert.equal((await capa).ok, true);
		assert.deepEqual(received, ['CAPA']);
		session.close();
	} finally {
		await server.close();
	}
});

test('close() while a POP3 session connects leaves no socket open', async () => {
	const open = new Set<net.Socket>();
	const server = net.createServer(socket => {
		open.add(socket);
		socket.on('close', () => open.delete(socket));
		socket.on('error', () => undefined);
		socket.write('+OK ready\r\n');
	});
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	try {
		const port = (server.address() as net.AddressInfo).port;
		for (let round = 0; round < 5; round++) {
			const session = new Pop3Session({host: '127.0.0.1', port, tls: 'none', tlsOptions: {insecure: false}, user: 'bob', password: 'builder'});
			const stepped = session.step();
			session.close();
			await stepped;
			assert.equal(session.done, true);
		}

		for (let i = 0; i < 150 && open.size > 0; i++) await new Promise(resolve => setTimeout(resolve, 20));
		assert.equal(open.size, 0, 'every connection the server saw was closed');
	} finally {
		for (const socket of open) socket.destroy();
		server.close();
	}
});
