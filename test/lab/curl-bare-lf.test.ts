// A file saved with LF line ends, uploaded by real curl (curl smtp:// -T file): the lab takes
// it, as Postfix 3.9+ does with smtpd_forbid_bare_newline = normalize, and stores CRLF lines.
// With the bare-lf-reject fault the same upload is refused with 521.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {mkdtemp, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import {parseFault, startLab} from '../../source/lab/index.js';

const run = promisify(execFile);

async function lfFile(): Promise<string> {
	const folder = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-curl-'));
	const file = path.join(folder, 'msg.txt');
	await writeFile(file, 'From: alice@lab.test\nTo: bob@lab.test\nSubject: saved with LF endings\n\nfirst line\nsecond line\n');
	return file;
}

function curl(port: number, file: string) {
	return run('curl', ['--silent', '--show-error', '--max-time', '20', `smtp://127.0.0.1:${port}`, '--mail-from', 'alice@lab.test', '--mail-rcpt', 'bob@lab.test', '-T', file]);
}

test('curl -T a file with LF line ends: the lab accepts it and stores CRLF lines', async () => {
	const lab = await startLab({only: [25]});
	try {
		await curl(lab.ports[25]!, await lfFile());
		assert.equal(lab.inbox.length, 1);
		const raw = lab.inbox[0]!.raw.toString();
		assert.match(raw, /^From: alice@lab\.test\r\nTo: bob@lab\.test\r\nSubject: saved with LF endings\r\n/);
		assert.match(raw, /\r\n\r\nfirst line\r\nsecond line\r\n/);
		assert.ok(!/[^\r]\n/.test(raw), 'no bare LF is stored');
	} finally {
		await lab.close();
	}
});

test('curl -T the same file with the bare-lf-reject fault: 521, nothing stored', async () => {
	const lab = await startLab({only: [25], faults: [parseFault('25:bare-lf-reject')]});
	try {
		await assert.rejects(curl(lab.ports[25]!, await lfFile()), (error: Error & {stderr?: string}) => /521|Weird server reply|Failed/i.test(`${error.message} ${error.stderr ?? ''}`));
		assert.equal(lab.inbox.length, 0);
	} finally {
		await lab.close();
	}
});
