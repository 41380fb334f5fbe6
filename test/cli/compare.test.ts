// `smtp-tui compare` from a shell: JSON and Markdown reports, port arguments, bad input.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {cliPath} from '../support/pty.js';
import {scriptedServer} from '../support/scripted-server.js';

type Result = {code: number; stdout: string; stderr: string};
async function cli(args: string[]): Promise<Result> {
	return new Promise(resolve => {
		const child = execFile(process.execPath, [cliPath, ...args], {timeout: 30_000}, (error, stdout, stderr) => {
			resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr});
		});
		child.stdin?.end();
	});
}

test('compare --json: all four lab ports, facts per port, no password', async () => {
	const {code, stdout} = await cli(['compare', '--json']);
	assert.equal(code, 0);
	const report = JSON.parse(stdout) as {ports: number[]; summaries: Array<{port: number; tls: string; relayOutside: {accepted: boolean; reply?: string}}>; sentences: string[]};
	assert.deepEqual(report.ports, [25, 465, 587, 2525]);
	assert.deepEqual(report.summaries.map(s => s.tls), ['starttls', 'implicit', 'starttls', 'starttls']);
	assert.deepEqual(report.summaries.map(s => s.relayOutside.accepted), [false, true, true, true]);
	assert.ok(report.sentences.length >= 3);
	assert.ok(!stdout.includes('wonderland'));
});

test('compare with a failed handshake says "STARTTLS failed"; with --tls none, "offered, not used", not "not offered"', async () => {
	const failed = await cli(['compare', '587', '--lab-cert', 'expired', '--markdown']);
	assert.equal(failed.code, 29, failed.stdout);
	assert.match(failed.stdout, /^\| 587 submission, STARTTLS \| STARTTLS failed \|/m);
	assert.doesNotMatch(failed.stdout, /offered, not used/);
	const none = await cli(['compare', '25', '--tls', 'none', '--markdown']);
	assert.equal(none.code, 0, none.stdout);
	assert.match(none.stdout, /^\| STARTTLS \| — offered, not used \(--tls none\) \|$/m);
	assert.match(none.stdout, /^\| 25 relay \/ MX \| STARTTLS offered, not used \|/m);
	assert.doesNotMatch(none.stdout, /not offered/);
});

test('compare 25 587 --markdown: a handout table with the differences marked', async () => {
	const {code, stdout} = await cli(['compare', '25', '587', '--markdown']);
	assert.equal(code, 0);
	assert.match(stdout, /^## smtp-tui compare · lab · ports 25, 587$/m);
	assert.match(stdout, /^\| step \| 25 relay \/ MX \| 587 submission, STARTTLS \|$/m);
	assert.match(stdout, /^\| \*\*RCPT outside\*\* ≠ \| 🔒 554 5\.7\.1 .*\| 🔒 250 2\.1\.5 Ok \|$/m);
	assert.match(stdout, /^\| \*\*AUTH before TLS\*\* ≠ \| 503 5\.5\.1 .* \| 530 5\.7\.0 Must issue a STARTTLS command first \|$/m);
	assert.match(stdout, /^- 587 demands STARTTLS before AUTH/m);
});

test('compare without a terminal prints the Markdown table', async () => {
	const {code, stdout} = await cli(['compare', '465,2525']);
	assert.equal(code, 0);
	assert.match(stdout, /ports 465, 2525/);
});

for (const [args, message] of [
	[['compare', '25', '99'], /The embedded lab has ports 25, 465, 587, 2525; 99 is not one of them/],
	[['compare', '25', '25'], /Name each port once\./],
	[['compare', '--host', '127.0.0.1', 'x'], /A port must be a whole number from 1 to 65535, not "x"\./],
	[['compare', '127.0.0.1', '25=x', '--to', 'a@b.test'], /A port must be a whole number from 1 to 65535, not "x"\./],
	[['compare', '127.0.0.1', '25=1=2', '--to', 'a@b.test'], /compare takes ports like 25,465,587,2525 or 25=20025 \(NAME=PORT: the profile of NAME, reached on PORT\), not "25=1=2"\./],
	[['compare', '465=20465'], /A NAME=PORT mapping says where another server listens: add the host/],
	[['compare', '--host', '127.0.0.1', '25'], /Name a recipient in the server's own domain with --to ADDRESS/],
] as const) {
	test(`compare ${args.slice(1).join(' ')}: exit 2 and one sentence`, async () => {
		const result = await cli([...args]);
		assert.equal(result.code, 2);
		assert.match(result.stderr, message);
		assert.equal(result.stderr.trim().split('\n').length, 1);
	});
}

test('compare: a password a server echoes on the column that never logs in (25) is masked there too', async () => {
	const password = 'Tr0ub4dor&3-horse';
	// One server for both columns: its banner and its replies repeat the password, as a
	// hostile server that learned it from AUTH on the other port could.
	const server = await scriptedServer(async (socket, reader) => {
		socket.write(`220 mx.test ESMTP ${password}\r\n`);
		for (;;) {
			const line = await reader.next();
			if (line === undefined) return;
			const verb = line.split(' ')[0]!.toUpperCase();
			if (verb === 'EHLO') socket.write(`250-mx.test ${password}\r\n250 AUTH PLAIN\r\n`);
			else if (verb === 'QUIT') return void socket.end('221 bye\r\n');
			else if (verb === 'DATA') socket.write('354 go\r\n');
			else if (line === '.') socket.write(`250 queued ${password}\r\n`);
			else if (verb === 'AUTH' || verb === 'MAIL' || verb === 'RCPT' || verb === 'RSET') socket.write(`535 5.7.8 password ${password} is wrong\r\n`);
		}
	});
	try {
		for (const format of [[], ['--json'], ['--markdown']]) {
			const result = await new Promise<Result>(resolve => {
				const child = execFile(process.execPath, [cliPath, 'compare', '127.0.0.1', `25=${server.port}`, `2525=${server.port}`, '--to', 'bob@x.test', '--tls', 'none', '--insecure-auth', '--user', 'alice', '--password-env', 'PW', '--timeout', '5', ...format], {timeout: 30_000, env: {...process.env, PW: password}}, (error, stdout, stderr) => {
					resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr});
				});
				child.stdin?.end();
			});
			assert.ok(result.stdout.includes('mx.test'), `${format.join(' ')}: the columns ran:\n${result.stdout}${result.stderr}`);
			assert.ok(!result.stdout.includes(password) && !result.stderr.includes(password), `${format.join(' ')}: the password shows:\n${result.stdout}`);
		}
	} finally {
		await server.close();
	}
});
