// Mistakes on the command line, through the built binary: each is one sentence and exit 2
// (Ctrl-C at the password prompt: 130), found before anything connects — never "internal
// error … (please report this)". A loopback listener counts connections.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtemp, writeFile} from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {cli, freePort} from '../support/cli.js';
import {keys, spawnTui} from '../support/pty.js';
import {agreeableServer} from '../support/scripted-server.js';

let v4: Awaited<ReturnType<typeof agreeableServer>>;
let tmp: string;
before(async () => {
	v4 = await agreeableServer('small.test');
	tmp = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-usage-'));
});
after(async () => {
	await v4.close();
});

const toV4 = () => ['run', '--host', '127.0.0.1', '--port', String(v4.port), '--tls', 'none', '--quit-after', 'ehlo'];

async function refused(args: string[], sentence: string): Promise<void> {
	const before = v4.connections();
	const result = await cli(args);
	assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
	assert.equal(result.stderr, `smtp-tui: ${sentence}\n`, args.join(' '));
	assert.equal(v4.connections(), before, `${args.join(' ')}: nothing connected`);
}

test('a lab port already in use, and a --listen address not on this machine: one sentence, exit 2', async () => {
	const holder = net.createServer();
	await new Promise<void>(resolve => holder.listen(0, '127.0.0.1', resolve));
	const taken = (holder.address() as net.AddressInfo).port;
	try {
		await refused(['lab', '--ports', `465=${taken}`], `The lab cannot start its port-465 personality: 127.0.0.1:${taken} is already in use; choose another port.`);
	} finally {
		holder.close();
	}

	// 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never an address of this machine.
	await refused(['lab', '--listen', '192.0.2.7', '--ports', `587=${await freePort()}`], 'The lab cannot start its port-587 personality: the address 192.0.2.7 is not on this machine.');
});

test('--local-address: not an address, not this machine\'s, or of the other family: one sentence, exit 2', async () => {
	await refused([...toV4(), '--local-address', 'junk'], '--local-address takes an IP address of this machine, not "junk".');
	await refused([...toV4(), '--local-address', '192.0.2.7'], '--local-address 192.0.2.7 is not an address of this machine.');
	await refused([...toV4(), '--local-address', '::1'], '--local-address ::1 is an IPv6 address and cannot reach the IPv4 address 127.0.0.1.');
	await refused([...toV4(), '-4', '--local-address', '::1'], '-4 asks for IPv4, but --local-address ::1 is an IPv6 address.');
	const before = v4.connections();
	const ok = await cli([...toV4(), '--local-address', '127.0.0.1']);
	assert.equal(ok.code, 0, ok.stdout + ok.stderr);
	assert.equal(v4.connections(), before + 1);
});

test('-4/-6 that contradict a literal --host are usage errors; [::1] in brackets reaches ::1', async () => {
	await refused([...toV4(), '-6'], '-6 asks for IPv6, but --host 127.0.0.1 is an IPv4 address.');
	await refused(['run', '-4', '--host', '[::1]', '--port', '25', '--to', 'a@b.test'], '-4 asks for IPv4, but --host [::1] is an IPv6 address.');
	await refused(['run', '--host', '[mail.example.org]', '--to', 'a@b.test'], '--host "[mail.example.org]": brackets are for IPv6 addresses, like [::1].');
	const v6 = await agreeableServer('small.test', '::1');
	try {
		for (const extra of [[], ['-6']]) {
			const result = await cli(['run', '--host', '[::1]', '--port', String(v6.port), '--tls', 'none', '--quit-after', 'ehlo', ...extra]);
			assert.equal(result.code, 0, result.stdout + result.stderr);
			assert.match(result.stdout, new RegExp(`=== Connected to \\[::1\\]:${v6.port}\\.`));
			assert.match(result.stdout, /220 small\.test ESMTP/);
		}

		assert.equal(v6.connections(), 2);
	} finally {
		await v6.close();
	}
});

test('numbers out of range: one sentence naming the range, exit 2 (no TimeoutOverflowWarning)', async () => {
	await refused(['run', '--fault', '587:tarpit=99999999999999'], 'The fault "587:tarpit=99999999999999" has the value "99999999999999"; it must be a whole number from 0 to 600000 (milliseconds of delay before each reply).');
	await refused(['lab', '--fault', 'all:greylist=86401', '--ports', `587=${await freePort()}`], 'The fault "all:greylist=86401" has the value "86401"; it must be a whole number from 0 to 86400 (seconds before a retry passes).');
	await refused(['run', '--fault', '25:too-big=1000000001'], 'The fault "25:too-big=1000000001" has the value "1000000001"; it must be a whole number from 0 to 1000000000 (largest message accepted, in bytes).');
	await refused([...toV4(), '--timeout', '1e9'], '--timeout takes a number of seconds from 0.001 to 3600, not "1e9".');
	await refused([...toV4(), '--connect-timeout', '0.0000001'], '--connect-timeout takes a number of seconds from 0.001 to 3600, not "0.0000001".');
	await refused(['lab', '--idle-timeout', '99999999999'], '--idle-timeout takes a whole number from 1 to 3600, not "99999999999".');
	await refused(['lab', '--max-message-size', '1e12'], '--max-message-size takes a whole number from 1000 to 1000000000, not "1e12".');
	await refused(['run', '--resolver', '127.0.0.1:99999', '--to', 'a@example.org'], '--resolver takes an IP address with an optional port (127.0.0.1:5353, [::1]:53), not "127.0.0.1:99999".');
});

test('--password-file reads the first line without its line break, as the help says', async () => {
	for (const [name, text] of [['lf', 'wonderland\n'], ['crlf', 'wonderland\r\n'], ['bare', 'wonderland'], ['two-lines', 'wonderland\nsecond line: ignored\n']] as const) {
		const file = path.join(tmp, name);
		await writeFile(file, text);
		const result = await cli(['run', '--port', '587', '--user', 'alice', '--password-file', file]);
		assert.equal(result.code, 0, `${name}: ${result.stdout}${result.stderr}`);
		assert.match(result.stdout, /235 2\.7\.0 Authentication successful/);
	}

	const wrong = path.join(tmp, 'wrong');
	await writeFile(wrong, 'not-the-password\nwonderland\n');
	assert.equal((await cli(['run', '--port', '587', '--user', 'alice', '--password-file', wrong])).code, 28, 'only the first line is the password');
	const empty = path.join(tmp, 'empty');
	await writeFile(empty, '\nwonderland\n');
	await refused(['run', '--port', '587', '--user', 'alice', '--password-file', empty], `The password file "${empty}" has nothing on its first line.`);
	const help = await cli(['run', '--help']);
	assert.match(help.stdout, /--password-file FILE {3}read the password from FILE \(its first line, without the\n {27}line break\)/);
});

test('Ctrl-C at the password prompt exits 130 before anything connects', async () => {
	const before = v4.connections();
	const tui = spawnTui([...toV4(), '--user', 'bob', '--insecure-auth']);
	try {
		await tui.waitFor('Password for bob:');
		await tui.type('half');
		await tui.press(keys.ctrlC);
		assert.equal(await tui.exited, 130);
		assert.ok(!tui.output().includes('internal error'), tui.output());
		assert.ok(!tui.output().includes('half'), 'what was typed is not echoed');
		assert.equal(v4.connections(), before);
	} finally {
		tui.kill();
	}
});
