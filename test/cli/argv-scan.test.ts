// The raw command line, read before anything runs, through the built binary: --help, -h and
// --version in any letter case are the help / version request (with `=value`: one sentence,
// exit 2); a value flag with no value is one sentence, exit 2, never a run with a default;
// a flag given twice in different letter cases is caught. A loopback listener records
// every connection, and the lab is pointed at a port it holds: nothing may connect.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import packageJson from '../../package.json' with {type: 'json'};
import {helpText} from '../../source/commands/help.js';
import {cli, connectionRecorder} from '../support/cli.js';

const recorder = connectionRecorder();

const target = () => ['--host', '127.0.0.1', '--port', String(recorder.port()), '--to', 'a@b.test'];
// What each command does without the help flag: send mail, listen, probe the listener.
const commands: Array<{command: string; rest: () => string[]}> = [
	{command: 'run', rest: target},
	{command: 'compare', rest: () => [String(recorder.port()), ...target()]},
	{command: 'probe', rest: () => ['127.0.0.1', '--ports', `25=${recorder.port()}`]},
	{command: 'lab', rest: () => ['--ports', `587=${recorder.port()}`]},
];

for (const {command, rest} of commands) {
	test(`${command}: --HELP, --Help, -H, --VERSION answer; --help=…, --version=… are one sentence; nothing connects`, async () => {
		const before = recorder.connections();
		for (const flag of ['--HELP', '--Help', '-H']) {
			const result = await cli([command, ...rest(), flag]);
			assert.equal(result.code, 0, `${flag}: ${result.stderr}`);
			assert.equal(result.stderr, '', flag);
			assert.ok(result.stdout.startsWith(helpText(command).slice(0, 60)), `${flag} prints ${command}'s help`);
		}

		const version = await cli([command, '--VERSION', ...rest()]);
		assert.equal(version.code, 0, version.stderr);
		assert.equal(version.stdout, `${packageJson.version}\n`);
		for (const [flag, name] of [['--help=foo', '--help'], ['--help=', '--help'], ['--HELP=yes', '--help'], ['-h=1', '--help'], ['--version=1', '--version']] as const) {
			const result = await cli([command, ...rest(), flag]);
			assert.equal(result.code, 2, `${flag}: ${result.stdout}`);
			assert.equal(result.stderr, `smtp-tui: ${name} takes no value; give ${name} alone.\n`, flag);
			assert.equal(result.stdout, '', flag);
		}

		assert.equal(recorder.connections(), before, 'nothing connected to the listener');
	});
}

// Every flag `run --help` lists with a value (--to ADDRESS, --port N …), from help.ts's table.
const valueFlags = [...helpText('run').matchAll(/^ {4}(--[a-z-]+) [A-Z"]/gm)].map(match => match[1]!);

test('run\'s help lists the value flags this test walks', () => {
	for (const flag of ['--to', '--from', '--port', '--tls', '--quit-after', '--fault', '--ca', '--password-file', '--password-env', '--subject', '--host', '--record', '--save-dir']) {
		assert.ok(valueFlags.includes(flag), flag);
	}
});

for (const flag of valueFlags) {
	test(`run ${flag} with no value (last, or before another flag) is one sentence, exit 2, nothing sent`, async () => {
		const before = recorder.connections();
		const others = target();
		const at = others.indexOf(flag);
		if (at !== -1) others.splice(at, 2);
		for (const args of [['run', ...others, flag], ['run', flag, '--json', ...others], ['run', flag, '--', ...others]]) {
			const result = await cli(args);
			assert.equal(result.code, 2, `${args.join(' ')}: ${result.stdout}`);
			assert.equal(result.stderr, `smtp-tui: ${flag} needs a value.\n`, args.join(' '));
		}

		assert.equal(recorder.connections(), before, 'nothing connected to the listener');
	});
}

test('a value may start with a dash when it is a number; --help still wins over a missing value', async () => {
	const negative = await cli(['run', ...target(), '--timeout', '-1']);
	assert.equal(negative.code, 2);
	assert.match(negative.stderr, /--timeout takes a number of seconds/);
	const help = await cli(['run', '--to', '--help']);
	assert.equal(help.code, 0, help.stderr);
	assert.ok(help.stdout.startsWith(helpText('run').slice(0, 60)));
});

test('a flag given twice in different letter cases or spellings is caught, not last-wins', async () => {
	const before = recorder.connections();
	for (const args of [
		['run', ...target(), '--PORT', '25'],
		['run', ...target(), '--Host', '127.0.0.2'],
		['run', ...target(), '--quit-after', 'ehlo', '--quitAfter', 'banner'],
		['lab', '--ports', `587=${recorder.port()}`, '--max-clients', '1', '--MAX-CLIENTS', '2'],
	]) {
		const result = await cli(args);
		assert.equal(result.code, 2, args.join(' '));
		assert.match(result.stderr, /^smtp-tui: --[a-z-]+ was given more than once; give it once\.\n$/, args.join(' '));
	}

	assert.equal(recorder.connections(), before, 'nothing connected to the listener');
});
