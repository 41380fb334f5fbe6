// `smtp-tui COMMAND --help` / `-h` / `--version`, through the built binary: each prints its
// own page (flags, an example, exit codes), exits 0 and does nothing else — no session, no
// lab, no mail. A loopback listener records every connection; the lab is pointed at a port
// that listener holds, so starting it would fail.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import packageJson from '../../package.json' with {type: 'json'};
import {cli, connectionRecorder} from '../support/cli.js';

const recorder = connectionRecorder();

const target = () => ['--host', '127.0.0.1', '--port', String(recorder.port()), '--to', 'a@b.test'];

// What each command would do without --help: connect, listen, read a file or need a terminal.
const commands: Array<{command: string[]; usage: RegExp; rest: () => string[]; mentions: string[]}> = [
	{command: [], usage: /\$ smtp-tui \[options\] +step through an SMTP session/, rest: target, mentions: ['--quiz', 'smtp-tui COMMAND --help', '24   no recipient accepted']},
	{command: ['run'], usage: /\$ smtp-tui run \[options\]/, rest: target, mentions: ['--json', '--record FILE', '--password-file FILE', '29   TLS failed', '130  interrupted']},
	{command: ['compare'], usage: /\$ smtp-tui compare \[HOST\] \[PORT\|NAME=PORT\.\.\.\]/, rest: () => [String(recorder.port()), ...target()], mentions: ['--outside ADDRESS', '--markdown']},
	{command: ['probe'], usage: /\$ smtp-tui probe \[HOST\]/, rest: () => ['127.0.0.1', '--ports', `25=${recorder.port()}`], mentions: ['--ports LIST', '3    no submission port works']},
	{command: ['replay'], usage: /\$ smtp-tui replay FILE/, rest: () => ['/nonexistent/recording.jsonl'], mentions: ['2    FILE cannot be read']},
	{command: ['export'], usage: /\$ smtp-tui export FILE --format FORMAT/, rest: () => ['/nonexistent/recording.jsonl', '--format', 'swaks'], mentions: ['mermaid']},
	{command: ['lab'], usage: /\$ smtp-tui lab \[options\]/, rest: () => ['--ports', `587=${recorder.port()}`], mentions: ['--save-dir DIR', '--ca-out FILE', '--lab-ca ca.pem --user student1']},
	{command: ['lesson'], usage: /\$ smtp-tui lesson \[NAME\]/, rest: () => ['1'], mentions: ['--quiz']},
	{command: ['journey'], usage: /\$ smtp-tui journey/, rest: () => [], mentions: ['130  interrupted', '--auth-fault NAME', 'dmarc-reject', '--retrieval pop3|imap', 'IMAP 993']},
	{command: ['check'], usage: /\$ smtp-tui check FILE\.eml/, rest: () => ['/nonexistent/message.eml'], mentions: ['--max-size BYTES', '4    checked: at least one error']},
	{command: ['check'], usage: /\$ smtp-tui check FILE\.eml/, rest: () => ['/nonexistent/message.eml'], mentions: ['--json']},
	{command: ['presets'], usage: /\$ smtp-tui presets/, rest: () => [], mentions: ['smtp-tui run --preset sendgrid']},
];

for (const {command, usage, rest, mentions} of commands) {
	const name = command[0] ?? 'smtp-tui';
	test(`${name} --help, -h (first, last, between flags) print its own help, exit 0, touch nothing`, async () => {
		const before = recorder.connections();
		const lines = [
			[...command, '--help'],
			[...command, ...rest(), '--help'],
			[...command, '-h', ...rest()],
			[...command, ...rest().slice(0, 2), '-h', ...rest().slice(2)],
		];
		for (const args of lines) {
			const result = await cli(args);
			assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
			assert.equal(result.stderr, '', args.join(' '));
			assert.match(result.stdout, usage, args.join(' '));
			assert.match(result.stdout, /\n {2}Exit codes\n {4}0 /, args.join(' '));
			assert.match(result.stdout, /\n {2}Examples\n {4}\$ smtp-tui/, args.join(' '));
			for (const text of mentions) assert.ok(result.stdout.includes(text), `${args.join(' ')} mentions ${text}`);
		}

		assert.equal(recorder.connections(), before, 'nothing connected to the listener');
		const version = await cli([...command, ...rest(), '--version']);
		assert.equal(version.code, 0, version.stderr);
		assert.equal(version.stdout, `${packageJson.version}\n`);
		assert.equal(recorder.connections(), before, 'nothing connected to the listener');
	});
}

test('a subcommand\'s help shows its own flags, not every flag', async () => {
	const presets = await cli(['presets', '--help']);
	assert.ok(!presets.stdout.includes('--host'), 'presets takes no --host');
	assert.ok(!presets.stdout.includes('sendgrid —'), 'the help, not the list');
	const lab = await cli(['lab', '-h']);
	assert.ok(!lab.stdout.includes('--quit-after'), 'the lab does not hold conversations');
	const run = await cli(['run', '-h']);
	assert.ok(!run.stdout.includes('--base-port'), 'run has no classroom flags');
});

test('a flag given twice: one sentence, exit 2, nothing connects', async () => {
	const before = recorder.connections();
	for (const [args, flag] of [
		[['run', '--port', '587', '--port', '25'], '--port'],
		[['run', ...target(), '--local-address', '127.0.0.1', '--local-address', '127.0.0.2'], '--local-address'],
		[['lab', '--listen', '127.0.0.1', '--listen', '::1'], '--listen'],
	] as const) {
		const result = await cli([...args]);
		assert.equal(result.code, 2, result.stderr);
		assert.equal(result.stderr, `smtp-tui: ${flag} was given more than once; give it once.\n`);
	}

	assert.equal(recorder.connections(), before);
});
