// The engine against the embedded lab over real loopback sockets, all four ports.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {Session, type SessionOptions} from '../../source/engine/session.js';
import {startLab, type Lab, type LabPort} from '../../source/lab/index.js';
import {renderText} from '../../source/export/text.js';
import {renderJsonLines} from '../../source/export/jsonl.js';
import {labSessionOptions} from '../support/lab-session.js';

let lab: Lab;
before(async () => {
	lab = await startLab();
});
after(async () => {
	await lab.close();
});

const password = 'wonderland';

function options(port: LabPort, over: Partial<SessionOptions> = {}): SessionOptions {
	return {
		...labSessionOptions(lab, port),
		timeouts: {greeting: 5000, command: 5000},
		...over,
	};
}

const serverLines = (s: Session) => s.entries.filter(e => e.direction === 'server').map(e => e.text);
const clientLines = (s: Session) => s.entries.filter(e => e.direction === 'client').map(e => e.text);

test('25: no AUTH offered, outside domain refused with 554 5.7.1, the lab domain accepted', async () => {
	const session = new Session(options(25, {to: ['someone@example.com', 'bob@lab.test']}));
	const code = await session.runToEnd();
	assert.equal(code, 0, session.failureMessage);
	const ehlo = serverLines(session).filter(l => l.startsWith('250'));
	assert.ok(!ehlo.some(l => /AUTH/.test(l)), 'port 25 must not advertise AUTH');
	const refused = session.entries.find(e => e.direction === 'server' && e.code === 554);
	assert.ok(refused, 'the outside recipient is refused');
	assert.equal(refused.enhanced, '5.7.1');
	assert.match(refused.text, /Relay access denied/);
	assert.ok(refused.explain?.some(l => l.startsWith('554')), 'the refusal is explained');
	assert.equal(lab.inbox.at(-1)?.rcptTo.join(','), 'bob@lab.test');
});

test('25: a message only to an outside domain ends with exit code 24 (no recipient)', async () => {
	const session = new Session(options(25, {to: ['someone@example.com']}));
	assert.equal(await session.runToEnd(), 24);
	assert.match(session.failureMessage ?? '', /No recipient was accepted/);
	assert.equal(clientLines(session).at(-1), 'QUIT', 'it still says goodbye');
});

for (const port of [587, 2525] as const) {
	test(`${port}: AUTH before TLS gets 530 5.7.0, after STARTTLS AUTH succeeds and mail is accepted`, async () => {
		const early = new Session(options(port, {tls: 'none', credentials: undefined, quitAfter: 'ehlo', insecureAuth: true}));
		await early.step(); // connect
		await early.step(); // EHLO
		assert.ok(!serverLines(early).some(l => /AUTH/.test(l)), 'no AUTH before TLS');
		await early.manual('AUTH PLAIN');
		const refusal = early.entries.at(-1)!;
		assert.equal(refusal.code, 530);
		assert.equal(refusal.enhanced, '5.7.0');
		await early.manual('MAIL FROM:<alice@lab.test>');
		assert.equal(early.entries.at(-1)!.code, 530);
		early.close();

		const before = lab.inbox.length;
		const session = new Session(options(port));
		assert.equal(await session.runToEnd(), 0, session.failureMessage);
		assert.ok(session.entries.some(e => e.direction === 'tls' && e.tlsFacts?.authorized), 'TLS verified against the lab CA');
		const diff = session.entries.find(e => e.text.startsWith('Capabilities changed after TLS'));
		assert.match(diff?.text ?? '', /AUTH PLAIN LOGIN CRAM-MD5 appeared; STARTTLS went/);
		assert.ok(session.entries.some(e => e.code === 235 && e.tls));
		assert.equal(lab.inbox.length, before + 1);
		assert.equal(lab.inbox.at(-1)!.user, 'alice');
	});
}

test('465: TLS from the first byte, then AUTH and mail', async () => {
	const session = new Session(options(465));
	assert.equal(await session.runToEnd(), 0, session.failureMessage);
	const firstServer = session.entries.find(e => e.direction === 'server');
	assert.equal(firstServer?.tls, true, 'the banner already came inside TLS');
	const tlsEntry = session.entries.find(e => e.direction === 'tls');
	assert.ok(tlsEntry && tlsEntry.seq < firstServer!.seq, 'the handshake comes before the banner');
	assert.ok(!clientLines(session).includes('STARTTLS'));
	assert.ok(session.entries.some(e => e.code === 235));
});

for (const mechanism of ['PLAIN', 'LOGIN', 'CRAM-MD5']) {
	test(`the password never appears in the transcript, text or JSON output (${mechanism})`, async () => {
		const session = new Session(options(587, {mechanism}));
		assert.equal(await session.runToEnd(), 0, session.failureMessage);
		const outputs = [renderText(session.entries, {explain: true, timings: true}), renderJsonLines(session.entries)];
		const forms = [password, Buffer.from(password).toString('base64'), Buffer.from('\0alice\0' + password).toString('base64')];
		for (const output of outputs) {
			for (const form of forms) assert.ok(!output.includes(form), `"${form}" leaked`);
		}

		assert.ok(session.entries.some(e => e.secret), 'the secret line is marked');
		assert.ok(outputs[0]!.includes('alice'), 'the user name stays visible for teaching');
	});
}

test('a wrong password gets 535 and exit code 28', async () => {
	const session = new Session(options(587, {credentials: {user: 'alice', password: 'not-it'}}));
	assert.equal(await session.runToEnd(), 28);
	assert.ok(session.entries.some(e => e.code === 535 && e.enhanced === '5.7.8'));
	assert.ok(!renderJsonLines(session.entries).includes('not-it'));
});

test('the lab certificate is refused without its CA: exit 29 and the certificate facts', async () => {
	const session = new Session(options(465, {tlsOptions: {servername: lab.hostname, insecure: false}}));
	assert.equal(await session.runToEnd(), 29);
	assert.match(session.failureMessage ?? '', /issuer is unknown|self-signed/);
	assert.ok(session.tlsFacts?.subject?.includes('mx.lab.test'));
	const insecure = new Session(options(465, {tlsOptions: {servername: lab.hostname, insecure: true}}));
	assert.equal(await insecure.runToEnd(), 0);
	assert.ok(insecure.entries.some(e => e.direction === 'tls' && /NOT verified/.test(e.text)));
});

test('step() performs exactly one step, peek() shows it first, skip() passes one', async () => {
	const session = new Session(options(587));
	assert.equal(session.peek().kind, 'connect');
	await session.step();
	assert.equal(session.peek().kind, 'ehlo');
	assert.deepEqual(session.peek().lines, ['EHLO client.example']);
	const before = session.entries.length;
	await session.step();
	assert.equal(session.entries.filter((e, i) => i >= before && e.direction === 'client').length, 1, 'one command went out');
	assert.equal(session.peek().kind, 'starttls');
	await session.step();
	await session.step(); // EHLO again
	const auth = session.peek();
	assert.equal(auth.kind, 'auth');
	assert.equal(auth.decoded, '\\0alice\\0********');
	assert.ok(!auth.lines.join('').includes(Buffer.from('\0alice\0wonderland').toString('base64')));
	session.skip();
	assert.equal(session.peek().kind, 'mail');
	await session.step('MAIL FROM:<edited@lab.test>');
	assert.equal(clientLines(session).at(-1), 'MAIL FROM:<edited@lab.test>');
	assert.equal(session.entries.findLast(e => e.direction === 'server')!.code, 530, 'skipped AUTH means the submission port refuses MAIL');
	assert.equal(session.peek().kind, 'quit', 'after a refusal the plan says goodbye');
	session.close();
});

test('an edited line with a line break is refused locally and nothing is sent', async () => {
	const session = new Session(options(25));
	await session.step();
	const sentBefore = clientLines(session).length;
	const outcome = await session.step('EHLO a\r\nRSET');
	assert.equal(outcome.ok, false);
	assert.equal(outcome.failure?.kind, 'local');
	assert.equal(clientLines(session).length, sentBefore);
	assert.equal(session.peek().kind, 'ehlo', 'the step is still next');
	session.close();
});
