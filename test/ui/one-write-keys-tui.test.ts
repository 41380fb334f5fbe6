// Several keys in ONE write (a paste, fast typing on a loaded machine) inside one screen:
// each key acts on the state the key before it left (screen-input.ts hands them over one
// per commit), never on the frame that was drawn before the write.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {keys, pressToOpen, withTui} from '../support/pty.js';

/** A fault's row in the fault menu: its cells for 25, 465, 587 and 2525 (`·`, `on`, `on N`). */
function faultRow(screen: string, name: string): string[] {
	const line = screen.split('\n').find(row => row.startsWith(`│ ${name} `));
	assert.ok(line, `the fault menu shows ${name}:\n${screen}`);
	return line.slice(2 + name.length).replace(/│\s*$/, '').trim().split(/ {2,}/);
}

test('fault menu, one write each: down+space, down down space, right up space toggle the rows the cursor moved to', {timeout: 60_000}, async () => {
	await withTui([], async tui => {
		await tui.waitFor('where should the conversation go?');
		await pressToOpen(tui, keys.enter, 'f faults');
		await pressToOpen(tui, 'f', 'lab faults');
		// The cursor starts on greylist, port 587.
		await tui.burst(keys.down + ' ');
		let screen = await tui.waitFor(/│ tarpit +· +· +on/);
		assert.deepEqual(faultRow(screen, 'greylist'), ['·', '·', '·', '·'], 'the row above the cursor is untouched');
		await tui.burst(keys.down + keys.down + ' ');
		screen = await tui.waitFor(/│ too-many-recipients +· +· +on/);
		assert.deepEqual(faultRow(screen, 'rate-limit'), ['·', '·', '·', '·']);
		assert.match(faultRow(screen, 'tarpit')[2]!, /^on/, 'the first toggle stays');
		await tui.burst(keys.right + keys.up + ' ');
		screen = await tui.waitFor(/│ rate-limit +· +· +· +on/);
		assert.deepEqual(faultRow(screen, 'too-many-recipients').map(cell => cell.replace(/ \d+$/, '')), ['·', '·', 'on', '·'], 'the row left is as it was');
		assert.deepEqual(faultRow(screen, 'greylist'), ['·', '·', '·', '·']);
	});
});

test('compare chooser, one write: down down space unticks 587 (the third port), not 25', {timeout: 60_000}, async () => {
	await withTui([], async tui => {
		await tui.waitFor('where should the conversation go?');
		await pressToOpen(tui, keys.enter, 'c compare');
		await pressToOpen(tui, 'c', 'Compare which ports?');
		await tui.burst(keys.down + keys.down + ' ');
		const screen = await tui.waitFor(/\[ \] 587/);
		for (const port of ['25 ', '465 ', '2525 ']) assert.match(screen, new RegExp(`\\[x\\] ${port}`), `${port.trim()} stays ticked`);
		await tui.press(keys.escape);
		await tui.waitFor('Pick a port');
	});
});

test('port picker, one write: up up enter (from 587) opens a session on 25', {timeout: 60_000}, async () => {
	await withTui([], async tui => {
		await tui.waitFor('where should the conversation go?');
		await pressToOpen(tui, keys.enter, 'Pick a port');
		await tui.burst(keys.up + keys.up + keys.enter);
		await tui.waitFor(/lab:25 .*step 0\//, 20_000);
	});
});

test('a 200-character command pasted in one write arrives whole and in order, and is sent as typed', {timeout: 60_000}, async () => {
	// Numbered words: a key lost, doubled or swapped shows.
	const words = Array.from({length: 40}, (_, index) => `w${String(index).padStart(3, '0')}`).join(' ');
	const command = `NOOP ${words}`.slice(0, 200);
	assert.equal(command.length, 200);
	await withTui(['--port', '25'], async tui => {
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press(keys.enter);
		await tui.waitFor('220 mx.lab.test');
		// m opens the manual line, the rest of the write is typed into it.
		await tui.burst(`m${command}`);
		const screen = await tui.waitFor(`> ${command}`, 20_000);
		assert.equal(screen.split('\n').filter(line => line.includes('w000')).length, 1, 'one line of it, typed once');
		await tui.press(keys.enter);
		await tui.waitFor(/C {2}NOOP w000 w001[\s\S]*S {2}250/);
	}, {columns: 300});
});
