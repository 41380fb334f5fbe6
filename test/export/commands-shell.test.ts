// Exported swaks/openssl commands from a hostile recording, run by a real POSIX shell: `sh -n`
// parses them, `sh -c` runs them with stand-in swaks/openssl programs that write down their
// arguments, and a canary file proves nothing else ever runs. Every value arrives intact.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {chmod, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {existsSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {opensslCommand, swaksCommand} from '../../source/export/commands.js';
import type {RecordingHeader} from '../../source/export/recording.js';
import {renderRecording} from '../../source/export/recording.js';
import {cliPath} from '../support/pty.js';
import {fuzzParameters} from '../support/fuzz-seed.js';

let dir: string;
let canary: string;
let argsFile: string;

before(async () => {
	dir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-shell-'));
	canary = path.join(dir, 'CANARY');
	argsFile = path.join(dir, 'args');
	for (const program of ['swaks', 'openssl']) {
		const file = path.join(dir, program);
		await writeFile(file, `#!/bin/sh\nprintf '%s\\0' "$0" "$@" > "${argsFile}"\n`);
		await chmod(file, 0o755);
	}
});
after(async () => rm(dir, {recursive: true, force: true}));

const hostile = ['$(touch CANARY)', '`touch CANARY`', "'; touch CANARY; '", '"; touch CANARY; "', 'a;touch CANARY #', 'x && touch CANARY', '|touch CANARY', '$((1))${IFS}*', '~root', 'a -tls', '!!', 'a\\', '>CANARY', '{a,b}', 'ü ß 日本'];

function header(over: Partial<RecordingHeader>): RecordingHeader {
	return {type: 'smtp-tui-recording', version: 1, createdAt: '2026-12-01T10:00:00.000Z', label: 'x', host: 'mx.example', port: 587, profilePort: 587, tls: 'auto', ehlo: 'client.example', from: 'a@b.test', to: ['c@d.test'], user: 'alice', mechanism: 'PLAIN', ...over};
}

/** Runs a command line with the stand-ins first on PATH; returns the argv they got. */
function run(command: string): string[] {
	assert.equal(spawnSync('sh', ['-n', '-c', command]).status, 0, `sh -n refuses: ${command}`);
	const result = spawnSync('sh', ['-c', command], {cwd: dir, env: {PATH: `${dir}:/usr/bin:/bin`, SMTP_PASSWORD: 'pw from env'}, encoding: 'utf8'});
	assert.equal(result.status, 0, `${command}\n${result.stderr}`);
	assert.equal(existsSync(canary), false, `something else ran: ${command}`);
	const argv = spawnSync('cat', [argsFile], {encoding: 'utf8'}).stdout.split('\0').slice(0, -1);
	return [path.basename(argv[0]!), ...argv.slice(1)];
}

test('hostile host, EHLO name, sender, recipients and user: the shell runs swaks with exactly them', () => {
	for (const value of hostile) {
		const h = header({host: value, ehlo: value, from: value, to: [value, `2${value}`], user: value});
		assert.deepEqual(run(swaksCommand(h)), ['swaks', '--server', value, '--port', '587', '--ehlo', value, '--from', value, '--to', value, '--to', `2${value}`, '--tls', '--auth', 'PLAIN', '--auth-user', value, '--auth-password', 'pw from env']);
		assert.deepEqual(run(opensslCommand(h)), ['openssl', 's_client', '-starttls', 'smtp', '-connect', `${value}:587`, '-crlf', '-quiet']);
	}
});

test('a value that begins with "-" is never exported: the real swaks would take it as an option (--pipe runs a program)', () => {
	const pipe = `--pipe=touch ${canary}`;
	const cases: Array<[string, Partial<RecordingHeader>]> = [['host', {host: pipe}], ['EHLO name', {ehlo: pipe}], ['sender', {from: `--output-file=${canary}`}], ['recipient 2', {to: ['c@d.test', pipe]}], ['user name', {user: `--attach=@${canary}`}], ['mechanism', {mechanism: ' -tls'}]];
	for (const [field, over] of cases) {
		const command = swaksCommand(header(over));
		assert.match(command, new RegExp(`^# smtp-tui: no command exported: the recording's ${field} begins with "-"`), command);
		// Pasted anyway, it is a comment: with the real swaks first on PATH nothing runs.
		const result = spawnSync('sh', ['-c', command], {cwd: dir, env: {PATH: '/usr/bin:/bin'}, encoding: 'utf8'});
		assert.equal(result.status, 0);
		assert.equal(existsSync(canary), false, `something ran: ${command}`);
	}

	assert.match(opensslCommand(header({host: '-quiet'})), /^# smtp-tui: no command exported: the recording's host begins with "-"/);
});

test('a hostile mechanism is quoted too (and the schema refuses it on load)', () => {
	const argv = run(swaksCommand(header({mechanism: 'PLAIN; touch CANARY #'})));
	assert.equal(argv[argv.indexOf('--auth') + 1], 'PLAIN; touch CANARY #');
});

test('swaks TLS flags follow what the engine does: auto on 25 is opportunistic, 465 implicit, 587 required', () => {
	assert.ok(run(swaksCommand(header({profilePort: 25}), 'opportunistic')).includes('--tls-optional-strict'));
	assert.ok(run(swaksCommand(header({profilePort: 465}), 'implicit')).includes('--tls-on-connect'));
	assert.ok(run(swaksCommand(header({}), 'starttls')).includes('--tls'));
	assert.ok(!run(swaksCommand(header({tls: 'none'}), 'none')).some(a => a.startsWith('--tls')));
	assert.deepEqual(run(opensslCommand(header({profilePort: 465}), 'implicit')).slice(0, 3), ['openssl', 's_client', '-connect']);
});

test('a value with a control or bidi character: no command, a shell comment that says why', () => {
	for (const value of ['a\nb; touch CANARY', '\u001B]52;c;aGk=\u0007', 'x\u202Ey', 'a\rb']) {
		const line = swaksCommand(header({to: ['ok@x.test', value]}));
		assert.equal(line, '# smtp-tui: no command exported: the recording\'s recipient 2 holds a control or bidi character (a pasted command would not do what it shows).');
		assert.equal(spawnSync('sh', ['-c', line], {cwd: dir}).status, 0);
		assert.equal(existsSync(canary), false);
	}
});

test('property: any printable values give a command the shell runs with exactly those arguments, or none at all', () => {
	const value = fc.string({minLength: 1, maxLength: 20, unit: fc.constantFrom(...' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~azAZ09é'.split(''))});
	fc.assert(
		fc.property(value, value, value, (host, ehlo, user) => {
			const command = swaksCommand(header({host, ehlo, user, from: user, to: [host]}));
			if ([host, ehlo, user].some(v => /^\s*-/.test(v))) {
				// An option-like value: no command, only the comment that says why.
				assert.match(command, /^# smtp-tui: no command exported: .* begins with "-"/);
				return;
			}

			const argv = run(command);
			assert.deepEqual(argv.slice(1, 9), ['--server', host, '--port', '587', '--ehlo', ehlo, '--from', user]);
			assert.equal(argv[argv.indexOf('--auth-user') + 1], user);
		}),
		fuzzParameters(60),
	);
});

test('smtp-tui export --format swaks of a hostile recording, pasted into sh: only swaks runs', async () => {
	const file = path.join(dir, 'hostile.jsonl');
	const value = '$(touch CANARY)`touch CANARY`;touch CANARY';
	await writeFile(file, renderRecording({header: header({host: value, ehlo: value, from: value, to: [value], user: value}), entries: []}).replace(/\n$/, '\n'));
	for (const format of ['swaks', 'openssl']) {
		const exported = spawnSync(process.execPath, [cliPath, 'export', file, '--format', format], {encoding: 'utf8'});
		assert.equal(exported.status, 0, exported.stderr);
		const argv = run(exported.stdout.trim());
		assert.equal(argv[0], format);
		assert.ok(argv.includes(format === 'swaks' ? value : `${value}:587`), argv.join(' | '));
	}

	assert.equal(await readFile(argsFile, 'utf8').then(() => existsSync(canary)), false);
});
