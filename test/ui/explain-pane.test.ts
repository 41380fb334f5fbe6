// The Explain pane's rows (issue 17): every line wrapped whole at the pane's width, nothing lost
// mid-sentence, and a pane too short for them says how many rows it left out.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {explainReplyLines} from '../../source/protocol/explain.js';
import {explainRows} from '../../source/ui/explain-pane.js';

const rcptOk = [{text: '250 2.1.5 Ok', tone: 'heading' as const}, ...explainReplyLines(250, '2.1.5', 'rcpt').map(text => ({text}))];
/** Columns a row takes: every character of these texts is one column wide. */
const stringWidth = (text: string) => [...text].length;
const words = (text: string) => text.split(/\s+/).filter(word => word !== '');

test('the RCPT TO 250 explanation keeps every word, "§4.2.2)" included, at the width 80×24 gives', () => {
	assert.ok(rcptOk.some(line => line.text.includes('(RFC 5321 §4.2.2)')), 'the text at issue');
	// 80 columns: the Explain pane is 30 wide; a little narrower and wider around it too.
	for (const width of [24, 29, 30, 31, 46]) {
		const rows = explainRows(rcptOk, width, 100);
		assert.ok(rows.every(row => stringWidth(row.text) <= width), `width ${width}: ${rows.map(row => row.text).join(' | ')}`);
		assert.deepEqual(words(rows.map(row => row.text).join(' ')), words(rcptOk.map(line => line.text).join(' ')), `width ${width}`);
		assert.ok(!rows.some(row => row.text.startsWith(' ')), 'a wrapped row does not start with the space it broke at');
	}

	const at80 = explainRows(rcptOk, 30, 100).map(row => row.text);
	assert.ok(at80.some(row => row.includes('§4.2.2)')), at80.join(' | '));
	assert.ok(at80.indexOf(at80.find(row => row.includes('§4.2.2)'))!) < at80.findIndex(row => row.startsWith('2.1.5')), 'before the enhanced code, in order');
});

test('a pane too short keeps whole rows from the top and says how many more there are', () => {
	const all = explainRows(rcptOk, 30, 100);
	for (const height of [3, 4, all.length - 1]) {
		const rows = explainRows(rcptOk, 30, height);
		assert.equal(rows.length, height);
		assert.deepEqual(rows.slice(0, -1), all.slice(0, height - 1));
		assert.match(rows.at(-1)!.text, new RegExp(`${all.length - height + 1} more`));
	}

	assert.deepEqual(explainRows(rcptOk, 30, all.length), all, 'no marker when everything fits');
	assert.equal(explainRows(rcptOk, 8, 2).at(-1)!.text.length <= 8, true, 'the marker fits a narrow pane');
});
