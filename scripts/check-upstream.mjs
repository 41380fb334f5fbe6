// The build's guard on the two dependencies the project changes the behaviour of: smtp-server
// (per-connection hooks on its connection's members, source/lab/connection-hooks.ts) and Ink
// (the output-cache patch of ink/build/output.js, scripts/bundle-options.mjs). Each relies on
// the exact installed code; this check fails the build LOUDLY, naming what changed and what
// depends on it, when the installed version or one of those pieces of code is not the one the
// lab was written and tested against. `npm run build` runs it; so does test/lab/upstream.test.ts.
// What upstream change would make each one unnecessary: the readme's "Upstream" section.
import {readFileSync} from 'node:fs';
import {join} from 'node:path';

/** The versions the hooks and the patch were written against (package.json pins them exactly). */
export const expectedVersions = {'smtp-server': '3.21.6', ink: '6.8.0'};

/**
 * Code the project relies on, per installed file: each `code` must appear verbatim (spaces and
 * line breaks collapsed), `why` says who relies on it.
 */
export const reliedOn = [
	{
		file: 'smtp-server/dist/esm/smtp-connection.js',
		pieces: [
			{code: 'let readyTimer = setTimeout(() => this.connectionReady(), 100);', why: 'greetAtOnce(): the held greeting calls connectionReady() through the instance, which the lab makes a no-op after greeting at once'},
			{code: 'connectionReady(next) {', why: 'greetAtOnce() calls connectionReady() itself'},
			{code: 'send(code, data, context) {', why: 'wrapSend(): every reply goes through send(code, data, context)'},
			{code: 'if (code === 421) { // the connection still has to go away even if the response was suppressed this.close(); }', why: 'wrapSend(): a 421 closes, other codes do not (the lab closes after 521 itself)'},
			{code: 'parser.oncommand = (command, callback) => this._onCommand(command, callback);', why: 'wrapCommands(): the parser calls _onCommand through the instance'},
			{code: '_onCommand(command, callback) {', why: 'wrapCommands(): line limit, tls-unavailable, tarpit'},
			{code: 'if (this._upgrading) { return done(); }', why: 'commandRefusal(): lines during a TLS handshake stay unanswered'},
			{code: 'if (this._nextHandler) { // If we already have a handler method queued up then use this handler = this._nextHandler; this._nextHandler = false; }', why: 'isAuthLine()/commandRefusal(): _nextHandler marks a SASL continuation'},
			{code: '_whenWritable(next) {', why: 'wrapCommands(): resumes the parser after a refusal as smtp-server does'},
			{code: 'if (this._handlerPending || (this._dataStream && this._parser && !this._parser._dataMode)) {', why: 'the tarpit and greet-pause: _handlerPending keeps the idle timeout off while the lab holds a reply'},
			{code: '_createParser() {', why: 'guardDataParsers(): each parser (one more after STARTTLS) is made here'},
			{code: 'this._parser = this._createParser();', why: 'guardDataParsers(): the connection makes its parsers through the instance'},
			{code: 'upgrade(callback, secureCallback) {', why: 'keepInjectedCommands(): STARTTLS retires the cleartext parser here'},
			{code: 'this._parser.isClosed = true; this._parser = this._createParser(); this._upgrading = true;', why: 'keepInjectedCommands(): the retired parser is the one before upgrade()'},
			{code: "this._socket.write(payload + '\\r\\n');", why: 'wrapSend(): _socket is the connection\'s socket (the response-injection attack writes to it)'},
			{code: 'this._closed = true;', why: 'wrapCommands(): a held command is dropped once the connection is closed'},
		],
	},
	{
		file: 'smtp-server/dist/esm/smtp-stream.js',
		pieces: [
			{code: '_write(chunk, encoding, next) {', why: 'guardDataParsers(): the DATA phase is seen in the parser\'s _write'},
			{code: 'if (!this._dataMode) {', why: 'guardDataParsers(): _dataMode says the parser is inside DATA'},
			{code: "return this._write(buf, 'buffer', done);", why: 'guardDataParsers(): the rest of a chunk after DATA re-enters _write through the instance'},
			{code: "this.oncommand(Buffer.from(line, 'binary'), readLine);", why: 'keepInjectedCommands(): a retired parser still hands its lines to oncommand'},
			{code: 'if (this.isClosed) { return done(); }', why: 'keepInjectedCommands(): isClosed stops a parser; the attack reopens the retired one'},
		],
	},
	{
		file: 'smtp-server/dist/esm/smtp-server.js',
		pieces: [
			{code: 'connect(socket, socketOptions) { let connection = new SMTPConnection(this, socket, socketOptions); this.connections.add(connection);', why: 'admit(): the connection connect() makes is the newest in server.connections'},
			{code: 'connection.init(); }', why: 'admit(): init() arms the held greeting before connect() returns'},
		],
	},
	{
		file: 'ink/build/output.js',
		pieces: [
			{code: 'class OutputCaches {', why: 'the ink-output-cache build patch keeps one OutputCaches across frames'},
			{code: 'caches = new OutputCaches();', why: 'the ink-output-cache build patch replaces this line'},
		],
	},
];

const collapse = text => text.replaceAll(/\s+/g, ' ');

/**
 * Every way the installed dependencies differ from what the project relies on (none: []).
 * `read(path)` reads a file under node_modules (a test passes a changed copy).
 */
export function upstreamProblems(read = path => readFileSync(join('node_modules', path), 'utf8')) {
	const problems = [];
	for (const [name, version] of Object.entries(expectedVersions)) {
		const installed = JSON.parse(read(`${name}/package.json`)).version;
		if (installed !== version) problems.push(`${name} is ${installed}, but the lab's hooks and the build's patch were written for ${version}: review source/lab/connection-hooks.ts and scripts/bundle-options.mjs, then update scripts/check-upstream.mjs.`);
	}

	for (const {file, pieces} of reliedOn) {
		const source = collapse(read(file));
		for (const {code, why} of pieces) {
			if (!source.includes(collapse(code))) problems.push(`${file} no longer contains \`${code}\`; ${why}.`);
		}
	}

	return problems;
}

/** Throws, listing every problem, unless the installed dependencies are the ones relied on. */
export function assertUpstream(read) {
	const problems = upstreamProblems(read);
	if (problems.length > 0) throw new Error(`The installed dependencies changed under the project's patches:\n- ${problems.join('\n- ')}`);
}
