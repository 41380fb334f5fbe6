// A stateful fuzz of the embedded lab over real sockets: several connections at once send
// random and grammar-based command sequences (EHLO, STARTTLS with a real handshake, AUTH with
// right and wrong answers, MAIL, RCPT, DATA with hostile bodies, junk, overlong and binary
// lines) until 60,000 commands went out. Every command must get a well-formed reply (or a
// clean hang-up), the lab must not crash or grow without bound, and a normal session must
// still succeed afterwards. The run is bounded by its count; the deadline is only a guard
// against a hung lab, never a throughput target (how fast the lab is belongs in the bench).
// The seed is fixed (test/support/fuzz-seed.ts), printed in the test's name, and FUZZ_SEED=n
// runs another one (LAB_FUZZ_SEED=n for this file alone).
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import v8 from 'node:v8';
import vm from 'node:vm';
import {Session} from '../../source/engine/session.js';
import {startLab, type Lab, type LabPort} from '../../source/lab/index.js';
import {ReplyParser, type Reply} from '../../source/protocol/reply-parser.js';
import {fuzzSeed, seedFrom} from '../support/fuzz-seed.js';

const targetCommands = 60_000;
/** A guard against a hung run, far above what the count takes on a loaded 2-core machine. */
const guardMs = 480_000;
const workers = 48;
/** A lab that does not answer a command within this long has hung. */
const replyTimeoutMs = 10_000;
const seed = process.env.LAB_FUZZ_SEED === undefined ? fuzzSeed : seedFrom(process.env.LAB_FUZZ_SEED);

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapMb(): number {
	gc();
	gc();
	return process.memoryUsage().heapUsed / 1024 / 1024;
}

function rssMb(): number {
	gc();
	return process.memoryUsage().rss / 1024 / 1024;
}

/** mulberry32: a small seeded generator; FUZZ_SEED=n replays each connection's command choices. */
function random(seedValue: number): () => number {
	let a = seedValue >>> 0;
	return () => {
		a = (a + 0x6D2B79F5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
	};
}

type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const chance = (rng: Rng, p: number) => rng() < p;
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

class Closed extends Error {}

// One client TLS context for every handshake: building one per connection costs more than the
// handshake itself. The fuzz is about the lab's SMTP, not about verifying its certificate (the
// normal session at the end verifies it), so the per-handshake identity check is skipped too.
let context: tls.SecureContext | undefined;
function clientContext(ca?: string): tls.SecureContext {
	if (ca) context ??= tls.createSecureContext({ca});
	assert.ok(context, 'the context is made before the first handshake');
	return context;
}

// TLS session resumption (a ticket per lab port): most handshakes skip the certificate and
// its signature, the costliest part, so the budget goes to SMTP commands.
const sessions = new Map<number, Buffer>();
function resumable(socket: tls.TLSSocket, port: number): tls.TLSSocket {
	socket.on('session', (ticket: Buffer) => sessions.set(port, ticket));
	return socket;
}

const fastTls = {servername: 'mx.lab.test', rejectUnauthorized: false, checkServerIdentity: () => undefined};

/** One raw connection: writes lines, reads whole replies with the engine's own strict parser. */
class FuzzConnection {
	socket: net.Socket;
	private parser = new ReplyParser();
	private replies: Reply[] = [];
	private waiter?: {count: number; resolve: (replies: Reply[]) => void; reject: (error: Error) => void};
	private ended = false;
	private fault?: Error;

	private constructor(socket: net.Socket, private readonly port: number) {
		this.socket = socket;
		this.attach(socket);
	}

	static async open(host: string, port: number, implicitTls: boolean): Promise<FuzzConnection> {
		const socket = await new Promise<net.Socket>((resolve, reject) => {
			const s: net.Socket = implicitTls
				? resumable(tls.connect({host, port, secureContext: clientContext(), session: sessions.get(port), ...fastTls}, () => resolve(s)), port)
				: net.connect({host, port}, () => resolve(s));
			s.once('error', reject);
		});
		socket.removeAllListeners('error');
		return new FuzzConnection(socket, port);
	}

	get closed(): boolean {
		return this.ended;
	}

	private attach(socket: net.Socket): void {
		socket.on('data', (chunk: Buffer) => {
			try {
				for (const reply of this.parser.feed(chunk)) this.deliver(reply);
			} catch (error) {
				// A reply our strict parser refuses is a lab bug: keep it for the test to report.
				this.fault = error as Error;
				this.finish();
			}
		});
		socket.on('error', () => this.finish());
		socket.on('close', () => this.finish());
	}

	private deliver(reply: Reply): void {
		this.replies.push(reply);
		const waiter = this.waiter;
		if (waiter && this.replies.length >= waiter.count) {
			this.waiter = undefined;
			waiter.resolve(this.replies.splice(0, waiter.count));
		}
	}

	private finish(): void {
		this.ended = true;
		const waiter = this.waiter;
		this.waiter = undefined;
		waiter?.reject(new Closed());
	}

	get parseFault(): Error | undefined {
		return this.fault;
	}

	/** Replies nobody asked for yet (a lab answering twice to one command piles them up). */
	get surplus(): number {
		return this.replies.length;
	}

	async read(): Promise<Reply> {
		const [reply] = await this.readMany(1);
		return reply!;
	}

	/** The next `count` replies, in one wait (one promise per batch keeps a long run cheap). */
	async readMany(count: number): Promise<Reply[]> {
		if (this.replies.length >= count) return this.replies.splice(0, count);
		if (this.ended) throw new Closed();
		return new Promise<Reply[]>((resolve, reject) => {
			const timer = setTimeout(() => {
				this.waiter = undefined;
				reject(new Error(`the lab did not answer in time (${this.replies.length} of ${count} replies)`));
			}, replyTimeoutMs);
			this.waiter = {
				count,
				resolve: replies => {
					clearTimeout(timer);
					resolve(replies);
				},
				reject: error => {
					clearTimeout(timer);
					reject(error);
				},
			};
		});
	}

	write(data: string | Buffer): void {
		if (!this.ended) this.socket.write(data);
	}

	/** Sends one line and waits for its reply. */
	async send(line: string | Buffer): Promise<Reply> {
		this.write(Buffer.concat([typeof line === 'string' ? Buffer.from(line, 'utf8') : line, Buffer.from('\r\n')]));
		return this.read();
	}

	async upgrade(): Promise<void> {
		this.socket.removeAllListeners('data');
		this.socket.removeAllListeners('close');
		this.socket.removeAllListeners('error');
		this.parser = new ReplyParser();
		const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
			const s = resumable(tls.connect({socket: this.socket, secureContext: clientContext(), session: sessions.get(this.port), ...fastTls}, () => resolve(s)), this.port);
			s.once('error', reject);
		});
		secure.removeAllListeners('error');
		this.socket = secure;
		this.attach(secure);
	}

	close(): void {
		this.socket.destroy();
	}
}

// ——— the grammar ———

const domains = ['lab.test', 'LAB.TEST', 'example.com', 'mx.lab.test', 'xn--bcher-kva.example', '[127.0.0.1]', '[IPv6:::1]', ''];
const locals = ['bob', 'alice', 'postmaster', 'a.b+c', '"quoted local"', 'x'.repeat(70), 'ünïcödé', ''];

function junkText(rng: Rng, max: number): string {
	const length = Math.floor(rng() * max);
	let text = '';
	for (let i = 0; i < length; i++) {
		// Any byte but CR and LF (those would split the line): controls, 8-bit, escapes, NUL.
		const code = chance(rng, 0.7) ? 0x20 + Math.floor(rng() * 0x5F) : Math.floor(rng() * 256);
		text += code === 0x0A || code === 0x0D ? ' ' : String.fromCharCode(code);
	}

	return text;
}

function address(rng: Rng): string {
	if (chance(rng, 0.05)) return junkText(rng, 40);
	const domain = pick(rng, domains);
	const local = pick(rng, locals);
	return domain ? `${local}@${domain}` : local;
}

type Step = {line: string | Buffer; kind: 'command' | 'junk'};

/** The grammar: each kind of line with its weight. Junk is kept rare enough that sessions last. */
const grammar: Array<[number, (rng: Rng, verb: (text: string) => string) => Step]> = [
	[10, (rng, verb) => ({line: `${verb('EHLO')} ${pick(rng, ['client.example', 'x', '[127.0.0.1]', junkText(rng, 30)])}`, kind: 'command'})],
	[3, (rng, verb) => ({line: `${verb('HELO')} ${pick(rng, ['client.example', ''])}`, kind: 'command'})],
	[14, (rng, verb) => {
		const params = pick(rng, ['', ' SIZE=100', ' SIZE=99999999999', ' BODY=8BITMIME', ' SMTPUTF8', ' BOGUS=1', ` ${junkText(rng, 20)}`]);
		return {line: `${verb('MAIL FROM:')}<${chance(rng, 0.1) ? '' : address(rng)}>${params}`, kind: 'command'};
	}],
	[18, (rng, verb) => ({line: `${verb('RCPT TO:')}<${address(rng)}>${chance(rng, 0.05) ? ' NOTIFY=NEVER' : ''}`, kind: 'command'})],
	[5, (_rng, verb) => ({line: verb('DATA'), kind: 'command'})],
	[7, (_rng, verb) => ({line: verb('RSET'), kind: 'command'})],
	[8, rng => ({line: pick(rng, ['NOOP', 'NOOP hello', 'HELP', 'HELP MAIL', 'VRFY bob', 'EXPN staff', 'ETRN lab.test', 'TURN']), kind: 'command'})],
	[2, (_rng, verb) => ({line: verb('STARTTLS'), kind: 'command'})],
	[7, rng => {
		const mechanism = pick(rng, ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2', 'GSSAPI', 'plain', '']);
		const initial = pick(rng, ['', ` ${b64('\0alice\0wonderland')}`, ` ${b64('\0alice\0wrong')}`, ' =', ' *', ' !!notbase64', ` ${b64(junkText(rng, 40))}`]);
		return {line: `AUTH ${mechanism}${mechanism === 'PLAIN' || mechanism === 'XOAUTH2' ? initial : ''}`, kind: 'command'};
	}],
	[1, rng => ({line: `BDAT ${pick(rng, ['0 LAST', 'x', '-1'])}`, kind: 'command'})],
	[1, () => ({line: 'QUIT', kind: 'command'})],
	// Junk: random text and binary, an empty line, an overlong line, rarely one far over every limit.
	[8, rng => ({line: junkText(rng, 80), kind: 'junk'})],
	[1, () => ({line: '', kind: 'junk'})],
	[1.5, () => ({line: 'NOOP ' + 'x'.repeat(600), kind: 'junk'})],
	[0.3, () => ({line: Buffer.alloc(20_000, 0x41), kind: 'junk'})],
];
const totalWeight = grammar.reduce((sum, [weight]) => sum + weight, 0);

function commandLine(rng: Rng): Step {
	let r = rng() * totalWeight;
	const verb = (text: string) => (chance(rng, 0.1) ? text.toLowerCase() : text);
	for (const [weight, make] of grammar) {
		if (r < weight) return make(rng, verb);
		r -= weight;
	}

	return grammar[0]![1](rng, verb);
}

const bodyLines = ['Subject: fuzz', '', '.', '..', '.hidden', 'line', 'x'.repeat(1200), '\u001B[2J', 'ünïcödé', 'From: nobody'];

/** Where the lab listens. */
type LabAddress = {host: string; ports: Partial<Record<LabPort, number>>; ca: string};

type Stats = {commands: number; bodyLines: number; replies: Record<string, number>; connections: number; tlsUpgrades: number; accepted: number};

/** What the client believes about the session, from the replies it got. */
type State = {greeted: boolean; tls: boolean; authed: boolean; mail: boolean; rcpts: number};

/**
 * The next command of a session that goes well on this port: EHLO, STARTTLS where the port
 * wants it, AUTH where it needs it, MAIL, RCPT, DATA. Mixed with the random grammar, this takes
 * sessions deep (TLS, logged in, inside a transaction) instead of dying of errors at the start.
 */
function happyLine(port: LabPort, state: State, rng: Rng): Step {
	const submission = port !== 25;
	if (!state.greeted) return {line: 'EHLO client.example', kind: 'command'};
	if (!state.tls && (port === 587 || port === 2525 || chance(rng, 0.1))) return {line: 'STARTTLS', kind: 'command'};
	if (submission && !state.authed) return {line: `AUTH PLAIN ${b64('\0alice\0wonderland')}`, kind: 'command'};
	if (!state.mail) return {line: `MAIL FROM:<${submission ? 'alice@lab.test' : 'someone@example.com'}>`, kind: 'command'};
	if (state.rcpts === 0 || chance(rng, 0.3)) return {line: `RCPT TO:<${pick(rng, ['bob@lab.test', 'alice@lab.test', 'postmaster@lab.test'])}>`, kind: 'command'};
	return {line: 'DATA', kind: 'command'};
}

/** How a reply to `line` changes what the client believes (STARTTLS and DATA are played apart). */
function advance(state: State, line: string | Buffer, reply: Reply): void {
	const verb = verbOf(line);
	const ok = reply.code >= 200 && reply.code < 300;
	if ((verb === 'EHLO' || verb === 'HELO') && ok) Object.assign(state, {greeted: true, mail: false, rcpts: 0});
	else if (verb === 'AUTH' && reply.code === 235) state.authed = true;
	else if (verb === 'MAIL' && ok) Object.assign(state, {mail: true, rcpts: 0});
	else if (verb === 'RCPT' && ok) state.rcpts++;
	else if (verb === 'RSET' && ok) Object.assign(state, {mail: false, rcpts: 0});
}

/** Commands after which the next bytes mean something else: sent alone, never pipelined. */
const lockstep = new Set(['STARTTLS', 'AUTH', 'DATA', 'BDAT', 'QUIT']);
const verbOf = (line: string | Buffer) => (typeof line === 'string' ? line.split(' ')[0]!.toUpperCase() : '');

/**
 * One connection's life: commands until it closes, QUIT, or the budget is used. Plain commands
 * go in pipelined batches (RFC 2920) and must get exactly one reply each, in order; STARTTLS,
 * AUTH, DATA and the like go alone and their follow-ups (handshake, challenges, body) are played.
 */
async function session(lab: LabAddress, rng: Rng, stats: Stats, deadline: number, limit: () => boolean): Promise<void> {
	const port = pick(rng, [25, 25, 25, 25, 465, 587, 587, 2525] as LabPort[]);
	const connection = await FuzzConnection.open(lab.host, lab.ports[port]!, port === 465);
	stats.connections++;
	const check = (reply: Reply) => {
		assert.ok(reply.code >= 200 && reply.code <= 599);
		const group = String(reply.code)[0]!;
		stats.replies[group] = (stats.replies[group] ?? 0) + 1;
	};

	try {
		check(await connection.read()); // the banner
		const state: State = {greeted: false, tls: port === 465, authed: false, mail: false, rcpts: 0};
		const length = 1 + Math.floor(rng() * 400);
		let sent = 0;
		while (sent < length && !connection.closed && Date.now() < deadline && !limit()) {
			// A batch of plain commands, ended early by one that must go alone.
			// Planned as if every happy command succeeds; the real replies then set the state.
			const batch: Step[] = [];
			let alone: Step | undefined;
			const size = 1 + Math.floor(rng() * 32);
			const planned = {...state};
			while (batch.length < size) {
				const step = chance(rng, 0.3) ? happyLine(port, planned, rng) : commandLine(rng);
				if (lockstep.has(verbOf(step.line))) {
					alone = step;
					break;
				}

				advance(planned, step.line, {code: 250, lines: [], raw: [], bareLf: false});
				batch.push(step);
			}

			if (batch.length > 0) {
				connection.write(Buffer.concat(batch.map(step => Buffer.concat([typeof step.line === 'string' ? Buffer.from(step.line, 'utf8') : step.line, Buffer.from('\r\n')]))));
				stats.commands += batch.length;
				sent += batch.length;
				const replies = await connection.readMany(batch.length);
				for (const [index, step] of batch.entries()) {
					check(replies[index]!);
					advance(state, step.line, replies[index]!);
				}

				assert.equal(connection.surplus, 0, 'one reply per pipelined command');
			}

			if (!alone || connection.closed) continue;
			if (await playAlone(connection, alone, rng, stats, check, state)) break;
			sent++;
		}
	} catch (error) {
		if (!(error instanceof Closed)) throw error;
	} finally {
		const fault = connection.parseFault;
		connection.close();
		if (fault) assert.fail(`the lab sent a reply the strict parser refuses: ${fault.message}`);
	}
}

/** Sends a mode-changing command and plays what follows it; true when the session is over. */
async function playAlone(connection: FuzzConnection, step: Step, rng: Rng, stats: Stats, check: (reply: Reply) => void, state: State): Promise<boolean> {
	stats.commands++;
	const reply = await connection.send(step.line);
	check(reply);
	advance(state, step.line, reply);
	assert.equal(connection.surplus, 0, `one reply to ${JSON.stringify(String(step.line).slice(0, 40))}`);
	const verb = verbOf(step.line);
	if (reply.code === 221) return true;
	if (verb === 'STARTTLS' && reply.code === 220) {
		if (chance(rng, 0.15)) {
			// Not a TLS hello: the lab must drop the connection, never answer it in cleartext.
			connection.write('EHLO sneaky\r\n');
			const answered = await connection.read().then(late => late, (error: unknown) => {
				if (error instanceof Closed) return undefined;
				throw error;
			});
			assert.equal(answered, undefined, `the lab answered ${answered?.code ?? ''} in cleartext after its 220 to STARTTLS`);
			return true;
		}

		await connection.upgrade();
		stats.tlsUpgrades++;
		// RFC 3207 §4.2: the server forgets everything it knew; EHLO again.
		Object.assign(state, {tls: true, greeted: false, authed: false, mail: false, rcpts: 0});
	} else if (verb === 'AUTH' && reply.code === 334) {
		// Answer the challenges: right, wrong, garbage or cancel, up to a few rounds.
		let answer = reply;
		for (let round = 0; answer.code === 334 && round < 4; round++) {
			const text = decode(answer.lines[0] ?? '');
			const response = /user/i.test(text) ? b64(pick(rng, ['alice', 'bob', 'mallory']))
				: /pass/i.test(text) ? b64(pick(rng, ['wonderland', 'builder', 'wrong']))
					: pick(rng, ['*', '', '!!!', b64('\0alice\0wonderland'), b64(`alice ${'0'.repeat(32)}`), junkText(rng, 30)]);
			stats.commands++;
			answer = await connection.send(response);
			check(answer);
		}

		if (answer.code === 235) state.authed = true;
	} else if (verb === 'DATA' && reply.code === 354) {
		const count = Math.floor(rng() * 6);
		const lines: string[] = [];
		for (let j = 0; j < count; j++) lines.push(pick(rng, bodyLines));
		stats.bodyLines += count;
		// Dot-stuffed as a client must; rarely a bare LF, which the lab refuses (and hangs up on).
		const body = lines.map(line => (line.startsWith('.') ? `.${line}` : line)).join(chance(rng, 0.03) ? '\n' : '\r\n');
		connection.write(`${body}${body ? '\r\n' : ''}.\r\n`);
		stats.commands++;
		const end = await connection.read();
		check(end);
		if (end.code === 250) stats.accepted++;
		Object.assign(state, {mail: false, rcpts: 0});
	}

	return false;
}

function decode(text: string): string {
	try {
		return Buffer.from(text, 'base64').toString('utf8');
	} catch {
		return '';
	}
}

// ——— the run ———

type ClientConfig = LabAddress & {seed: number; target: number; deadline: number; workers: number};

/**
 * The clients run in the test's own process, next to the lab: a client in another process
 * would be faster on an idle machine, but each reply then waits for the scheduler to wake the
 * other process, which on a busy machine (the rest of the suite running) costs far more.
 */
async function runClients(config: ClientConfig, onProgress: (commands: number) => void): Promise<Stats> {
	clientContext(config.ca);
	const stats: Stats = {commands: 0, bodyLines: 0, replies: {}, connections: 0, tlsUpgrades: 0, accepted: 0};
	const done = () => stats.commands >= config.target;
	await Promise.all(Array.from({length: config.workers}, async (_, index) => {
		const rng = random(config.seed * 31 + index);
		while (!done() && Date.now() < config.deadline) {
			await session(config, rng, stats, config.deadline, done);
			if (index === 0) onProgress(stats.commands);
		}
	}));
	return stats;
}

let lab: Lab;
const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);
before(async () => {
	process.on('uncaughtException', onUncaught);
	process.on('unhandledRejection', onUncaught);
	// The fuzz's 48 workers are one client IP: above the default of 20 per IP at once.
	lab = await startLab({limits: {maxClientsPerIp: 100}});
});
after(async () => {
	process.off('uncaughtException', onUncaught);
	process.off('unhandledRejection', onUncaught);
	await lab.close();
});

test(`the lab survives ${targetCommands} fuzzed commands over ${workers} connections at a time (seed ${seed})`, {timeout: guardMs + 60_000}, async () => {
	const rssBefore = rssMb();
	const started = Date.now();
	let heapAfterWarmup = 0;
	const stats = await runClients({host: lab.host, ports: lab.ports, ca: lab.ca, seed, target: targetCommands, deadline: started + guardMs, workers}, commands => {
		if (heapAfterWarmup === 0 && commands >= targetCommands / 10) heapAfterWarmup = heapMb();
	});
	const elapsed = Date.now() - started;
	const heapAtEnd = heapMb();
	const rssAfter = rssMb();
	const summary = `seed ${seed}: ${stats.commands} commands, ${stats.bodyLines} body lines, ${stats.connections} connections, ${stats.tlsUpgrades} TLS upgrades, ${stats.accepted} messages, replies by class ${JSON.stringify(stats.replies)}, ${elapsed} ms, lab heap ${heapAfterWarmup.toFixed(1)} → ${heapAtEnd.toFixed(1)} MB, lab RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MB`;
	console.log(summary);
	assert.ok(stats.commands >= targetCommands, `the run stopped at its guard, after ${stats.commands} commands: the lab stalled (${summary})`);
	assert.ok(stats.tlsUpgrades > 50 && stats.accepted > 50 && (stats.replies['5'] ?? 0) > 1000, `the grammar reached deep states: ${summary}`);
	assert.deepEqual(uncaught, [], 'no uncaught exception');
	// The inbox keeps accepted messages by design (small ones here); nothing else may pile up.
	assert.ok(heapAfterWarmup > 0 && heapAtEnd - heapAfterWarmup < 40, `lab heap grew from ${heapAfterWarmup.toFixed(1)} to ${heapAtEnd.toFixed(1)} MB`);
	assert.ok(rssAfter - rssBefore < 200, `lab RSS grew from ${rssBefore.toFixed(0)} to ${rssAfter.toFixed(0)} MB`);
	const kept = lab.stats().inbox;
	assert.equal(kept.messages + kept.pruned, stats.accepted, 'every 250 after DATA is one captured message (kept in memory, or pruned from it to stay in bounds)');
	assert.equal(lab.inbox.length, kept.messages);
});

test('after the fuzz, a normal session on 587 still succeeds (STARTTLS, AUTH, message accepted)', async () => {
	const received = () => lab.stats().inbox.messages + lab.stats().inbox.pruned;
	const before = received();
	const session = new Session({
		host: lab.host,
		port: lab.ports[587]!,
		profilePort: 587,
		tls: 'auto',
		tlsOptions: {servername: lab.hostname, ca: lab.ca, insecure: false},
		ehlo: 'client.example',
		from: 'alice@lab.test',
		to: ['bob@lab.test'],
		credentials: {user: 'alice', password: 'wonderland'},
		timeouts: {connect: 5000, greeting: 5000, command: 5000, mail: 5000, rcpt: 5000, data: 5000, body: 5000},
	});
	assert.equal(await session.runToEnd(), 0, session.failureMessage);
	assert.ok(session.entries.some(e => e.code === 235), 'logged in');
	assert.equal(received(), before + 1);
	assert.ok(lab.inbox.at(-1)?.user === 'alice' && lab.inbox.at(-1)?.port === 587, 'the newest message is kept');
	assert.deepEqual(uncaught, []);
});
