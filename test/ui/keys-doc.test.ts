// The readme's key table, the help overlay and the footer all come from the one keymap.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {footerFor, keyTableMarkdown, sessionKeymap} from '../../source/ui/keymap.js';

test('the readme\'s key table is the keymap, row for row', async () => {
	const readme = await readFile(new URL('../../readme.md', import.meta.url), 'utf8');
	assert.ok(readme.includes(keyTableMarkdown()), `the readme must hold this table (from source/ui/keymap.ts):\n${keyTableMarkdown()}`);
	for (const letter of ['w', 'x', 'i', 'z', '↑/k', '↓/j', 'Home/g', 'End/G']) {
		assert.ok(sessionKeymap.some(binding => binding.keys === letter), `the keymap has ${letter}`);
	}
});

test('the footer fits its width, never cut, and always ends with help and quit', () => {
	for (const width of [80, 100, 120, 200]) {
		const footer = footerFor(width);
		assert.ok(footer.length <= width, `${width}: ${footer}`);
		assert.ok(footer.endsWith('? help  q quit'), footer);
		for (const part of footer.split('  ')) {
			assert.ok(sessionKeymap.some(binding => binding.footer === part) || part === '↑↓ select', `"${part}" comes from the keymap`);
		}
	}

	assert.match(footerFor(120), /enter send {2}e edit {2}m manual/);
	// A wrapping screen's keys come first and replace the session's own label for that key.
	const lesson = footerFor(120, ['n next step', 'b back a step']);
	assert.match(lesson, /^n next step {2}b back a step {2}enter send/);
	assert.ok(!lesson.includes('b back  '), lesson);
});
