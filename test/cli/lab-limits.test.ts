// `smtp-tui lab`'s limit flags: a nonsense value is the user's mistake, one sentence and exit 2.
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {test} from 'node:test';
import {cliPath} from '../support/pty.js';

async function lab(args: string[]): Promise<{code: number; stderr: string}> {
	return new Promise(resolve => {
		execFile(process.execPath, [cliPath, 'lab', ...args], {timeout: 20_000}, (error, _stdout, stderr) => {
			resolve({code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stderr});
		});
	});
}

test('limit flags: bad values are refused in one sentence with exit 2', async () => {
	const cases: Array<[string[], string]> = [
		[['--max-inbox-messages', '0'], 'smtp-tui: --max-inbox-messages takes a whole number from 1 to 1000000, not "0".\n'],
		[['--max-inbox-size', 'lots'], 'smtp-tui: --max-inbox-size takes a whole number from 1000 to 100000000000, not "lots".\n'],
		[['--max-receiving', '1000000'], 'smtp-tui: --max-receiving must be at least twice the largest message (20480000 bytes), not 1000000.\n'],
	];
	for (const [args, message] of cases) {
		const result = await lab(args);
		assert.equal(result.code, 2, args.join(' '));
		assert.equal(result.stderr, message);
	}
});
