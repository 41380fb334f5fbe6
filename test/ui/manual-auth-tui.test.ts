// Issue 17: AUTH LOGIN typed by hand three times. The second goes as the answer to the 334 (the
// user name, masked) and gets 501; the 501 ends the exchange, so the third is a command again:
// shown, explained and exported as AUTH LOGIN, while the answers stay masked everywhere.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {Buffer} from 'node:buffer';
import {mkdtemp, readdir, readFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {explainPane, keys, spawnTui, type Terminal} from '../support/pty.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

async function manual(tui: Terminal, line: string, reply: string | RegExp): Promise<string> {
	await tui.press('m');
	await tui.waitFor(/Manual command|Answer the server's 334/);
	await tui.type(line);
	await tui.press(keys.enter);
	return tui.waitFor(reply);
}

/** The client and server lines of the transcript pane, in order, without their borders. */
const transcriptLines = (screen: string) => screen.split('\n').map(line => /^│[ ▶]([CS]~? .*?)\s*│/.exec(line)?.[1]).filter((line): line is string => line !== undefined);

test('a fresh AUTH LOGIN after a 501 ended the exchange is shown, explained and exported as AUTH LOGIN', {timeout: 90_000}, async () => {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-manual-auth-'));
	const file = path.join(dir, 'rec.jsonl');
	const tui = spawnTui(['--port', '587', '--record', file], {cwd: dir});
	try {
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press(keys.enter); // connect
		await tui.waitFor('220 mx.lab.test ESMTP');
		await tui.press(keys.enter); // EHLO
		await tui.waitFor('250 SMTPUTF8');
		await tui.press(keys.enter); // STARTTLS
		await tui.waitFor('TLS handshake: TLSv1.3');
		await tui.press(keys.enter); // EHLO again
		await tui.waitFor('Capabilities changed after TLS');

		await manual(tui, 'AUTH LOGIN', /S~ 334 VXNlcm5hbWU6/);
		await manual(tui, 'AUTH LOGIN', /S~ 501 5\.5\.4/);
		let screen = await manual(tui, 'AUTH LOGIN', /S~ 501 5\.5\.4 .*\n.*C~ AUTH LOGIN .*\n.*S~ 334 VXNlcm5hbWU6/);
		assert.deepEqual(transcriptLines(screen).slice(-6), ['C~ AUTH LOGIN', 'S~ 334 VXNlcm5hbWU6', 'C~ ********', 'S~ 501 5.5.4 Error: invalid userdata', 'C~ AUTH LOGIN', 'S~ 334 VXNlcm5hbWU6']);
		await tui.press(keys.up);
		screen = await tui.waitFor('▶C~ AUTH LOGIN');
		const explained = explainPane(screen);
		assert.match(explained, /Starts a SASL login/);
		assert.doesNotMatch(explained, /Unrecognised command|\*{8}/);

		await tui.press(keys.end);
		await tui.waitFor('▶S~ 334 VXNlcm5hbWU6');

		// A real exchange follows: the user name shown, the password masked.
		await manual(tui, b64('alice'), /S~ 334 UGFzc3dvcmQ6/);
		screen = await manual(tui, b64('wonderland'), '235 2.7.0 Authentication successful');
		assert.deepEqual(transcriptLines(screen).slice(-5), ['C~ AUTH LOGIN', 'S~ 334 VXNlcm5hbWU6', `C~ ${b64('alice')}`, 'S~ 334 UGFzc3dvcmQ6', 'C~ ********', 'S~ 235 2.7.0 Authentication successful'].slice(-5));

		await tui.press('w');
		await tui.waitFor('Saved the recording');
		await tui.press('x');
		await tui.waitFor(/Exported transcript\.txt/);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}

	const folder = (await readdir(dir)).find(name => name.startsWith('smtp-tui-lab-587-'));
	assert.ok(folder, 'the export folder exists');
	const outputs: Array<[string, string]> = [['rec.jsonl', await readFile(file, 'utf8')]];
	for (const name of ['transcript.txt', 'transcript.md', 'transcript.jsonl']) outputs.push([name, await readFile(path.join(dir, folder, name), 'utf8')]);
	for (const [name, text] of outputs) {
		assert.ok(!text.includes('wonderland') && !text.includes(b64('wonderland')), `${name}: no password`);
		const authLines = text.split('\n').filter(line => /AUTH LOGIN|\*{8}/.test(line) && !/PLAIN/.test(line));
		const order = authLines.map(line => (/AUTH LOGIN/.test(line) ? 'AUTH LOGIN' : 'masked'));
		assert.deepEqual(order.filter((kind, index) => kind !== order[index - 1]), ['AUTH LOGIN', 'masked', 'AUTH LOGIN', 'masked'], `${name}: ${authLines.join(' | ')}`);
	}
});
