// A 100,000-line transcript through the built binary in a real pty: the embedded lab on
// 587 takes a message whose body has 100,000 lines (one transcript entry each); then the
// view goes to the very first line and back to the end, the selection and the Explain pane
// follow, and the export holds every line. The pane draws only the rows in view, so none of
// this may depend on the transcript fitting on screen.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtemp, readFile, readdir, rm, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {keys, spawnTui} from '../support/pty.js';

const lines = 100_000;

/** The transcript row holding the selection marker. */
function selectedRow(screen: string): string {
	return screen.split('\n').find(line => line.includes('▶')) ?? '';
}

/** Presses `key` and waits (bounded) until the selection marker has moved: one row per key, no overshoot. */
async function move(tui: ReturnType<typeof spawnTui>, key: string): Promise<string> {
	const before = selectedRow(tui.screen());
	await tui.press(key);
	for (let wait = 0; wait < 200 && selectedRow(tui.screen()) === before; wait++) await new Promise(resolve => setTimeout(resolve, 25));
	return selectedRow(tui.screen());
}

test('100,000 lines: home shows line 1, selection and Explain work at both ends, the export has every line', async () => {
	const folder = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-long-'));
	const bodyFile = path.join(folder, 'body.txt');
	await writeFile(bodyFile, Array.from({length: lines}, (_, index) => `Line ${index + 1} of a long body.`).join('\n') + '\n');
	const tui = spawnTui(['--port', '587', '--body-file', bodyFile], {cwd: folder});
	try {
		await tui.waitFor('Next: Open a TCP connection', 15_000);
		await tui.press('a');
		await tui.waitFor('221 2.0.0 Bye', 120_000);

		// The top: transcript line 1, selected and explained.
		await tui.press('g');
		let screen = await tui.waitFor(/▶·· Connecting to/);
		assert.match(screen, /│Explain +│\n.*│Connecting to 127\.0\.0\.1/, 'the Explain pane explains line 1');
		assert.doesNotMatch(screen, /Line \d+ of a long body/, 'the view is at the top, not near the end');
		for (let press = 0; press < 5; press++) await move(tui, keys.down);
		screen = await tui.waitFor(/▶S  250-PIPELINING/);
		assert.match(screen, /RFC 2920/, 'Explain follows the selection');

		// Down into the body from the top: its first line is transcript entry 30 or so.
		for (let press = 0; press < 60 && !selectedRow(tui.screen()).includes('Line 1 of a long body.'); press++) await move(tui, keys.down);
		screen = await tui.waitFor(/▶C~ Line 1 of a long body\./);
		assert.match(screen, /│Line 1 of a long body\. +│/, 'Explain shows the selected body line');

		// The end: the last body line, five rows above the 221.
		await tui.press('G');
		screen = await tui.waitFor(/▶S~ 221 2\.0\.0 Bye/);
		for (let press = 0; press < 10 && !selectedRow(tui.screen()).includes(`Line ${lines} of`); press++) await move(tui, keys.up);
		screen = await tui.waitFor(new RegExp(`▶C~ Line ${lines} of a long body\\.`));
		assert.match(screen, new RegExp(`│Line ${lines} of a long body\\. +│`));

		// Every export holds every line.
		await tui.press('x');
		screen = await tui.waitFor(/Exported transcript\.txt/, 60_000);
		const [exported] = (await readdir(folder)).filter(name => name !== 'body.txt');
		assert.ok(exported, `an export folder in ${folder}`);
		const text = await readFile(path.join(folder, exported, 'transcript.txt'), 'utf8');
		for (const line of ['Line 1 of a long body.', `Line ${lines / 2} of a long body.`, `Line ${lines} of a long body.`]) assert.ok(text.includes(line), `transcript.txt has "${line}"`);
		const jsonl = await readFile(path.join(folder, exported, 'transcript.jsonl'), 'utf8');
		assert.ok(jsonl.split('\n').length > lines, 'transcript.jsonl has an entry per line');
	} finally {
		tui.kill();
		await tui.exited;
		await rm(folder, {recursive: true, force: true});
	}
});
