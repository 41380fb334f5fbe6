// Issue 17: at 80×24 a lesson leaves the Explain pane a few rows. Lesson 2 step 4's RCPT TO 250
// explanation used to lose "§4.2.2)" from the middle of its sentence; now the pane shows whole
// rows from the top, its title kept, and says how many more rows a taller terminal shows.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {explainReplyLines} from '../../source/protocol/explain.js';
import {explainRows} from '../../source/ui/explain-pane.js';
import {enterUntil, keys, spawnTui, type Terminal} from '../support/pty.js';

const ctrlU = '\u0015';

/** The Explain pane's rows (inside its border), one string each. */
const explainRowsOnScreen = (screen: string) => screen.split('\n').map(line => /││(.*)│$/.exec(line)?.[1]?.trimEnd()).filter((row): row is string => row !== undefined);

test('80×24, lesson 2 step 4: the RCPT TO 250 explanation loses nothing mid-sentence and says what is left out', {timeout: 120_000}, async () => {
	const tui = spawnTui(['lesson', 'relay-vs-submission'], {columns: 80, rows: 24});
	try {
		await tui.waitFor('step 1 of 4');
		await enterUntil(tui, 'This step stops here');
		await tui.press('n');
		await tui.waitFor('step 2 of 4');
		await tui.press('>');
		await tui.waitFor('step 3 of 4');
		await enterUntil(tui, 'done: n next step');
		await tui.press('n');
		await tui.waitFor('step 4 of 4');
		await enterUntil(tui, 'Press e to change this line');
		await tui.press('e');
		await tui.waitFor('Edit the next command');
		await tui.press(ctrlU);
		await tui.type('RCPT TO:<friend@example.com>');
		await tui.press(keys.enter);
		const screen = await tui.waitFor(/▶S~ 250 2\.1\.5/);
		const rows = explainRowsOnScreen(screen);
		assert.equal(rows[0], 'Explain', `the title stays: ${rows.join(' | ')}`);
		const shown = rows.slice(1).filter(row => row !== '');
		const width = 30;
		const all = explainRows([{text: '250 2.1.5 Ok'}, ...explainReplyLines(250, '2.1.5', 'rcpt').map(text => ({text}))], width, 100).map(row => row.text);
		assert.ok(all.some(row => row.includes('§4.2.2)')), all.join(' | '));
		if (shown.length < all.length) {
			// Whole rows from the top, in order, and the last one says how many more there are.
			assert.deepEqual(shown.slice(0, -1), all.slice(0, shown.length - 1).map(row => row.trimEnd()), rows.join(' | '));
			assert.match(shown.at(-1)!, new RegExp(`… ${all.length - shown.length + 1} more`));
		} else {
			assert.deepEqual(shown, all.map(row => row.trimEnd()));
		}

		assert.ok(!shown.some(row => /^2\.1\.5/.test(row)) || shown.some(row => row.includes('§4.2.2)')), `nothing dropped before 2.1.5: ${shown.join(' | ')}`);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});
