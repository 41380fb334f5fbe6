// End-to-end: compare opened from the port picker, stepped in lockstep, summary read.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {keys, spawnTui} from '../support/pty.js';
import {compareRows} from '../../source/protocol/compare-report.js';

/** The details box's title for a row of port 25's column ("│ 25 · RCPT outside", or "… — why it was skipped"). */
function detailsOf(label: string | RegExp): RegExp {
	const text = typeof label === 'string' ? label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : label.source;
	return new RegExp(`│ 25 · ${text}(?: —| *│)`);
}

test('compare from the port picker: lockstep steps, highlighted differences, the summary', {timeout: 60_000}, async () => {
	const tui = spawnTui();
	try {
		await tui.waitFor('where should the conversation go?');
		await tui.press(keys.enter);
		await tui.waitFor('c compare');
		await tui.press('c');
		await tui.waitFor('Compare which ports?');
		await tui.press(keys.enter); // all four, preselected
		await tui.waitFor('compare · lab · step 0/13');
		await tui.press(keys.enter); // banners: one key advances every column
		let screen = await tui.waitFor('step 1/13');
		const bannerRow = screen.split('\n').find(line => line.startsWith('banner')) ?? '';
		assert.equal((bannerRow.match(/220 mx\.lab\.test/g) ?? []).length, 4, `four banners after one key: ${bannerRow}`);
		await tui.press(keys.enter);
		await tui.waitFor('step 2/13');
		await tui.press(keys.enter);
		screen = await tui.waitFor('step 3/13');
		assert.match(screen, /AUTH before TLS ≠/);
		assert.match(screen, /530 5\.7\.0 Must issue/);
		await tui.press('a');
		screen = await tui.waitFor('Summary');
		await tui.waitFor('step 13/13');
		screen = await tui.waitFor('demand STARTTLS before AUTH');
		// The summary wraps inside its box: read it as one text.
		const flat = screen.split('\n').map(line => line.replace(/^│ ?|\s*│$/g, '').trim()).join(' ');
		assert.match(flat, /25 relay \/ MX · TLS: STARTTLS · AUTH before TLS: none \(503 5\.5\.1\) · AUTH after TLS: none · relay to outside: refused \(554 5\.7\.1\)/);
		assert.match(flat, /465 is encrypted from the first byte/);
		// Select the refused outside RCPT on 25 and read it in full. Each ↓ waits for the frame
		// that key drew (the details box naming the next row): the header line's " · " alone is
		// on every frame, so waiting for it let the keys run ahead of the drawing and overshoot.
		await tui.press(keys.down);
		screen = await tui.waitFor(detailsOf(/.+?/));
		const target = compareRows.findIndex(({label}) => label === 'RCPT outside');
		let row = compareRows.findIndex(({label}) => detailsOf(label).test(screen));
		assert.ok(row >= 0 && row <= target, `↓ from the summary selects a row above RCPT outside:\n${screen}`);
		for (; row < target; row++) {
			await tui.press(keys.down);
			await tui.waitFor(detailsOf(compareRows[row + 1]!.label));
		}

		screen = await tui.waitFor('25 · RCPT outside');
		assert.match(screen, /554 5\.7\.1 <smtp-tui-test@example\.com>: Relay access denied/);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('compare on a narrow terminal pages the columns instead of garbling them', {timeout: 60_000}, async () => {
	const tui = spawnTui(['compare'], {columns: 80, rows: 24});
	try {
		let screen = await tui.waitFor('compare · lab');
		assert.match(screen, /columns 1–2 of 4/);
		await tui.press('a');
		await tui.waitFor('step 13/13');
		for (let i = 0; i < 3; i++) await tui.press(keys.right);
		screen = await tui.waitFor('columns 3–4 of 4');
		assert.match(screen, /2525 alternative/);
		await tui.press('v');
		screen = await tui.waitFor('Summary');
		// Every port's facts carry their headings at 80x24, nothing cut at the edge.
		for (const port of ['25', '465', '587', '2525']) assert.match(screen, new RegExp(`│ ${port} [^\\n]*· TLS: `), `port ${port} is labelled:\n${screen}`);
		// Wrapped lines read as one text: the box edges out, the line breaks as spaces.
		const text = screen.replace(/[│┌┐└┘─]/g, ' ').replace(/\s+/g, ' ');
		for (const heading of ['AUTH pre-TLS:', 'relay out:', 'no-login mail:', 'sent:']) assert.equal(text.split(heading).length - 1, 4, `${heading} once per port:\n${screen}`);
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});
