// A recording replays to the same screen as the live session it came from.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtemp, readFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {keys, spawnTui} from '../support/pty.js';

/** The transcript pane's rows, without the status line (its timings differ). */
const transcriptRows = (screen: string) => screen.split('\n').slice(1, 33).map(line => line.slice(0, 74)).join('\n');

test('live session with w saves a recording; replay shows the same transcript, step by step and played', {timeout: 90_000}, async () => {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-replay-'));
	const file = path.join(dir, 'rec.jsonl');
	const live = spawnTui(['--port', '25', '--record', file], {cwd: dir});
	let liveRows = '';
	try {
		await live.waitFor('Next: Open a TCP connection');
		await live.press('a');
		await live.waitFor('221 2.0.0 Bye');
		await live.press(keys.home);
		const screen = await live.waitFor('▶·· Connecting to');
		liveRows = transcriptRows(screen);
		await live.press('w');
		await live.waitFor('Saved the recording');
		await live.press('x');
		const exported = await live.waitFor(/Exported transcript\.txt, \.md, \.jsonl, sequence\.mmd, swaks\.sh and openssl\.sh to (smtp-tui-lab-25-[\dT-]+)\//);
		const folder = path.join(dir, /to (smtp-tui-lab-25-[\dT-]+)\//.exec(exported)![1]!);
		assert.match(await readFile(path.join(folder, 'sequence.mmd'), 'utf8'), /^sequenceDiagram\n/);
		assert.match(await readFile(path.join(folder, 'transcript.md'), 'utf8'), /554|250 2\.0\.0 Ok: queued/);
		await live.press('q');
		assert.equal(await live.exited, 0);
	} finally {
		live.kill();
	}

	assert.match(await readFile(file, 'utf8'), /"type":"smtp-tui-recording"/);
	const replay = spawnTui(['replay', file]);
	try {
		await replay.waitFor('replay of lab:25');
		let screen = await replay.waitFor('Next: Recorded:');
		await replay.press(keys.enter); // one recorded step: connect and banner
		screen = await replay.waitFor('220 mx.lab.test ESMTP smtp-tui lab');
		assert.ok(!transcriptRows(screen).includes('C  EHLO client.example'), 'only the first step so far');
		await replay.press('a'); // the rest at the recorded speed
		await replay.waitFor('221 2.0.0 Bye');
		await replay.waitFor('The recording is over');
		await replay.press(keys.home);
		screen = await replay.waitFor('▶·· Connecting to');
		assert.equal(transcriptRows(screen), liveRows);
		await replay.press('m');
		await replay.waitFor(/Manual command|This is a recording/);
		await replay.press(keys.escape);
		await replay.press('q');
		assert.equal(await replay.exited, 0);
	} finally {
		replay.kill();
	}
});
