// Secrets typed by hand (m in the TUI) and echoed back by a hostile server, through a real
// session over loopback: nothing in the entries or any export shows them, AUTH over plaintext
// is refused unless insecure logins were asked for, and ordinary host names stay readable.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {exportFormats, recordingOf, renderExport} from '../../source/setup/record.js';
import {Session, type SessionOptions} from '../../source/engine/session.js';
import {MASK} from '../../source/protocol/redact.js';
import {scriptedServer, type ScriptedServer} from '../support/scripted-server.js';

const password = 'Tr0ub4dor&3-horse-staple';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const plain = b64(`\0alice\0${password}`);

/** Echoes every secret it gets, split across two reply lines, in clear and in base64. */
let server: ScriptedServer;
before(async () => {
	server = await scriptedServer(async (socket, reader) => {
		socket.write('220 mx.exim.test ESMTP\r\n');
		let sasl = '';
		for (;;) {
			const line = await reader.next();
			if (line === undefined) return;
			if (sasl === 'user') {
				sasl = 'pass';
				socket.write(`334 ${b64('Password:')}\r\n`);
			} else if (sasl === 'pass') {
				sasl = '';
				const clear = Buffer.from(line, 'base64').toString('utf8');
				socket.write(`535-5.7.8 ${clear.slice(0, 8)}\r\n535-5.7.8 ${clear.slice(8)}\r\n535-${line.slice(0, 7)}\r\n535 ${line.slice(7)}\r\n`);
			} else if (line.startsWith('EHLO')) socket.write('250-mx.exim.test\r\n250 AUTH PLAIN LOGIN\r\n');
			else if (line === 'AUTH LOGIN') {
				sasl = 'user';
				socket.write(`334 ${b64('Username:')}\r\n`);
			} else if (line.startsWith('AUTH PLAIN ')) {
				const sent = line.slice('AUTH PLAIN '.length);
				socket.write(`535-5.7.8 you sent ${sent.slice(0, 13)}\r\n535-5.7.8 ${sent.slice(13)}\r\n535 5.7.8 ${password.slice(0, 5)}\r\n`);
			} else if (line === 'QUIT') {
				socket.end('221 2.0.0 mx.exim.test closing connection\r\n');
				return;
			} else socket.write(`250 2.0.0 ok ${line.slice(5)}\r\n`);
		}
	});
});
after(async () => server.close());

const options = (over: Partial<SessionOptions> = {}): SessionOptions => ({
	host: '127.0.0.1',
	port: server.port,
	tls: 'none',
	tlsOptions: {insecure: false},
	ehlo: 'client.test',
	from: 'alice@exim.test',
	to: ['bob@exim.test'],
	timeouts: {connect: 5000, greeting: 5000, command: 5000},
	...over,
});

function outputs(session: Session): string[] {
	return [JSON.stringify(session.entries), ...exportFormats.map(format => renderExport(recordingOf(session), format))];
}

function assertNoPassword(session: Session): void {
	for (const output of outputs(session)) {
		for (const form of [password, plain, b64(password), password.slice(0, 12), password.slice(12), plain.slice(13)]) {
			assert.ok(!output.includes(form), `${JSON.stringify(form)} in\n${output}`);
		}
	}
}

test('manual AUTH over plaintext is refused without insecure logins, and nothing is sent', async () => {
	const session = new Session(options({quitAfter: 'ehlo'}));
	await session.step();
	await session.step();
	const before = server.received.length;
	const outcome = await session.manual(`AUTH PLAIN ${plain}`);
	assert.equal(outcome.ok, false);
	assert.match(outcome.failure?.message ?? '', /^Not sent: this line carries credentials, and without TLS they would travel readable/);
	assert.equal(server.received.length, before, 'not a byte went out');
	assertNoPassword(session);
	session.close();
});

test('a bare AUTH LOGIN over plaintext goes out (it carries nothing); the answer to its 334 does not', async () => {
	const session = new Session(options({quitAfter: 'ehlo'}));
	await session.step();
	await session.step();
	assert.equal((await session.manual('AUTH LOGIN')).ok, true);
	assert.equal(server.received.at(-1), 'AUTH LOGIN', 'the bare command reached the server');
	const before = server.received.length;
	const outcome = await session.manual(b64('alice'));
	assert.equal(outcome.ok, false);
	assert.match(outcome.failure?.message ?? '', /^Not sent: this line carries credentials/);
	assert.equal(server.received.length, before, 'the user name did not go out');
	await session.manual('*');
	assert.equal(server.received.at(-1), '*', 'the * that cancels the exchange carries nothing and goes out');
	session.close();
});

test('manual AUTH PLAIN and an AUTH LOGIN exchange typed by hand, echoed back split: nothing shows', async () => {
	const session = new Session(options({quitAfter: 'ehlo', insecureAuth: true}));
	await session.step();
	await session.step();
	await session.manual(`AUTH PLAIN ${plain}`);
	const sent = session.entries.find(e => e.direction === 'client' && e.text.startsWith('AUTH PLAIN'));
	assert.deepEqual([sent?.text, sent?.secret, sent?.decoded], [`AUTH PLAIN ${MASK}`, true, `\\0alice\\0${MASK}`]);
	await session.manual('AUTH LOGIN');
	await session.manual(b64('alice'));
	await session.manual(b64(password));
	await session.manual('NOOP');
	assert.ok(server.received.includes(plain.length > 0 ? `AUTH PLAIN ${plain}` : ''), 'the real bytes went on the wire');
	assert.ok(server.received.includes(b64(password)));
	const client = session.entries.filter(e => e.direction === 'client').map(e => e.text);
	assert.deepEqual(client.slice(-4), ['AUTH LOGIN', b64('alice'), MASK, 'NOOP'], 'the user name shows, the password does not');
	assertNoPassword(session);
	const banner = session.entries.find(e => e.direction === 'server');
	assert.equal(banner?.text, '220 mx.exim.test ESMTP', 'ordinary server text is left alone');
	session.close();
});

test('a planned AUTH whose password is a word of the host name: the host name stays readable', async () => {
	const session = new Session(options({insecureAuth: true, credentials: {user: 'alice', password: 'test'}, mechanism: 'LOGIN'}));
	await session.runToEnd();
	const server = session.entries.filter(e => e.direction === 'server').map(e => e.text);
	assert.equal(server[0], '220 mx.exim.test ESMTP');
	assert.ok(server.includes('250-mx.exim.test'), server.join('\n'));
	// The echo of the password itself is masked: "535-5.7.8 test" and its base64.
	assert.ok(server.includes(`535-5.7.8 ${MASK}`), server.join('\n'));
	assert.ok(!server.some(line => line.includes(b64('test').slice(0, 6))), server.join('\n'));
});
