// The readme's key table, the help overlay and the footer all come from the one keymap.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {footerFor, keyTableMarkdown, sessionHelpKeys, sessionKeymap} from '../../source/ui/keymap.js';
import {helpLines} from '../../source/ui/key-help.js';

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
	// The way back, help and quit are never left out, however narrow.
	for (const width of [80, 60]) assert.ok(footerFor(width).endsWith('b back  ? help  q quit'), footerFor(width));
	assert.ok(!footerFor(80, [], {back: false}).includes('b back'), 'nothing behind: no b back');
	// A wrapping screen's keys come first and replace the session's own label for that key;
	// its "b ..." is the way back, kept at the end.
	const lesson = footerFor(120, ['n next step', 'b back a step']);
	assert.match(lesson, /^n next step {2}enter send/);
	assert.match(lesson, / b back a step {2}\? help {2}q quit$/);
	assert.ok(!lesson.includes('b back  '), lesson);
	assert.match(footerFor(80, ['n next step', 'b back a step']), / b back a step {2}\? help {2}q quit$/);
});

test('the help overlay is the keymap: every key and all of its help, wrapped at 80 columns, nothing cut', () => {
	const lines = helpLines(sessionHelpKeys, [], 76);
	assert.ok(lines.every(line => line.keys.length + 1 + line.text.length <= 76), 'every row fits');
	const text = lines.map(line => `${line.keys} ${line.text}`).join('\n');
	for (const binding of sessionKeymap) {
		assert.ok(text.includes(binding.keys), `the overlay lists ${binding.keys}`);
		const words = binding.help.split(' ');
		assert.equal(lines.filter(line => line.text !== '').map(line => line.text).join(' ').includes(words.join(' ')), true, `all of "${binding.help}"`);
	}
});
