// An in-repo SMTP load client: N concurrent raw-socket sessions, each sending M messages in
// lock step (one command, then its reply; no pipelining, as smtp-source), then QUIT. It
// reports messages/s over the whole run, the session time (connect to the 221) at p50 and
// p99, and the errors. Used by the lab-load figure as a second view beside smtp-source;
// run on its own it prints its result as one JSON line:
//
//   node --import tsx bench/load-client.ts --port 2525 --sessions 1000 --messages 10
import net from 'node:net';
import {performance} from 'node:perf_hooks';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {quantile} from './stats.js';

export type LoadOptions = {
	host: string;
	port: number;
	/** Sessions open at once (all started together). */
	sessions: number;
	/** Messages sent in each session before QUIT. */
	messagesPerSession: number;
	/** Body bytes per message, headers not counted (as smtp-source -l). */
	bodyBytes: number;
	from: string;
	to: string;
	/** A session with no reply for this long counts as an error. */
	replyTimeoutMs: number;
};

export type LoadResult = {
	sessions: number;
	/** Messages the server answered 250 after the final dot. */
	messages: number;
	wallMs: number;
	messagesPerSecond: number;
	/** Connect to the 220 greeting (smtp-server holds it back 100 ms to catch early talkers). */
	greetingMsP50: number;
	/** Connect to the 221 of QUIT, for sessions that got that far. */
	sessionMsP50: number;
	sessionMsP99: number;
	/** Sessions that failed (refused, dropped, timed out, an unexpected reply). */
	errors: number;
	/** The first few error messages, to say why. */
	errorSamples: string[];
};

/** A message of `bodyBytes` body octets in 76-character lines, CRLF-terminated, dot-safe. */
export function messageText(from: string, to: string, bodyBytes: number): string {
	const header = `From: <${from}>\r\nTo: <${to}>\r\nSubject: load\r\n\r\n`;
	const lines: string[] = [];
	for (let left = bodyBytes; left > 0; left -= 78) lines.push('x'.repeat(Math.min(76, Math.max(left - 2, 1))));
	return header + lines.join('\r\n') + '\r\n.\r\n';
}

/** Reads whole SMTP replies (the last line has a space after the code) off one socket. */
class ReplyReader {
	private buffer = '';
	private waiting: ((reply: string) => void) | undefined;
	private readonly ready: string[] = [];

	push(chunk: string): void {
		this.buffer += chunk;
		let end;
		let start = 0;
		while ((end = this.buffer.indexOf('\r\n', start)) >= 0) {
			const line = this.buffer.slice(start, end);
			start = end + 2;
			if (line.length < 4 || line[3] !== '-') {
				this.ready.push(this.buffer.slice(0, end));
				this.buffer = this.buffer.slice(start);
				start = 0;
			}
		}

		this.flush();
	}

	next(): Promise<string> {
		return new Promise(resolve => {
			this.waiting = resolve;
			this.flush();
		});
	}

	private flush(): void {
		if (this.waiting && this.ready.length > 0) {
			const resolve = this.waiting;
			this.waiting = undefined;
			resolve(this.ready.shift()!);
		}
	}
}

/** One session; resolves with its messages delivered, rejects on the first problem. */
async function session(options: LoadOptions, message: string, greeted: () => void, delivered: () => void): Promise<void> {
	const socket = net.connect({host: options.host, port: options.port});
	socket.setNoDelay(true);
	const reader = new ReplyReader();
	socket.setEncoding('latin1');
	socket.on('data', (chunk: string) => reader.push(chunk));
	let failure: ((error: Error) => void) | undefined;
	const failed = new Promise<never>((_, reject) => (failure = reject));
	// Stops the unhandled-rejection warning when the session ends normally.
	failed.catch(() => undefined);
	socket.on('error', error => failure!(new Error(`socket: ${error.message}`)));
	socket.on('close', () => failure!(new Error('the server closed the connection')));
	socket.setTimeout(options.replyTimeoutMs, () => failure!(new Error(`no reply within ${options.replyTimeoutMs} ms`)));

	const expect = async (code: string, what: string) => {
		const reply = await Promise.race([reader.next(), failed]);
		if (!reply.startsWith(code)) throw new Error(`${what}: expected ${code}, got "${reply.split('\r\n').at(-1)!}"`);
	};

	const send = async (line: string, code: string) => {
		socket.write(line);
		await expect(code, line.split('\r\n', 1)[0]!.split(':', 1)[0]!);
	};

	try {
		await expect('220', 'greeting');
		greeted();
		await send('EHLO load.test\r\n', '250');
		for (let index = 0; index < options.messagesPerSession; index++) {
			await send(`MAIL FROM:<${options.from}>\r\n`, '250');
			await send(`RCPT TO:<${options.to}>\r\n`, '250');
			await send('DATA\r\n', '354');
			await send(message, '250');
			delivered();
		}

		await send('QUIT\r\n', '221');
	} finally {
		socket.removeAllListeners('close');
		socket.on('error', () => undefined);
		socket.destroy();
	}
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
	const message = messageText(options.from, options.to, options.bodyBytes);
	let messages = 0;
	const sessionMs: number[] = [];
	const greetingMs: number[] = [];
	const errorSamples: string[] = [];
	let errors = 0;
	const started = performance.now();
	await Promise.all(
		Array.from({length: options.sessions}, async () => {
			const sessionStarted = performance.now();
			try {
				const greeted = () => greetingMs.push(performance.now() - sessionStarted);
				await session(options, message, greeted, () => messages++);
				sessionMs.push(performance.now() - sessionStarted);
			} catch (error) {
				errors++;
				if (errorSamples.length < 5) errorSamples.push(error instanceof Error ? error.message : String(error));
			}
		}),
	);
	const wallMs = performance.now() - started;
	return {
		sessions: options.sessions,
		messages,
		wallMs,
		messagesPerSecond: messages / (wallMs / 1000),
		greetingMsP50: greetingMs.length > 0 ? quantile(greetingMs, 0.5) : Number.NaN,
		sessionMsP50: sessionMs.length > 0 ? quantile(sessionMs, 0.5) : Number.NaN,
		sessionMsP99: sessionMs.length > 0 ? quantile(sessionMs, 0.99) : Number.NaN,
		errors,
		errorSamples,
	};
}

async function main(): Promise<void> {
	const {values} = parseArgs({
		options: {
			host: {type: 'string', default: '127.0.0.1'},
			port: {type: 'string'},
			sessions: {type: 'string', default: '1000'},
			messages: {type: 'string', default: '10'},
			length: {type: 'string', default: '1024'},
			from: {type: 'string', default: 'load@lab.test'},
			to: {type: 'string', default: 'bob@lab.test'},
			timeout: {type: 'string', default: '60000'},
		},
	});
	if (values.port === undefined) throw new Error('--port is required: the port of the server to load.');
	const result = await runLoad({
		host: values.host,
		port: Number(values.port),
		sessions: Number(values.sessions),
		messagesPerSession: Number(values.messages),
		bodyBytes: Number(values.length),
		from: values.from,
		to: values.to,
		replyTimeoutMs: Number(values.timeout),
	});
	process.stdout.write(JSON.stringify(result) + '\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
