// DotLines and undotMessage on their own: what the gate notes about a connection's lines, fed
// in any split, and how a message smtp-server passed to onData is then stored (RFC 5321 §4.5.2).
// The same rule against a real Postfix: test/interop/dot-stuffing-postfix.test.ts.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {DotLines, undotMessage} from '../../source/lab/dot-lines.js';

/** What smtp-server 3.21 passes to onData for these wire lines: a line starting ".." loses one dot, nothing else does. */
function smtpServerView(lines: string[]): Buffer {
	return Buffer.from(lines.map(line => `${line.startsWith('..') ? line.slice(1) : line}\r\n`).join(''), 'latin1');
}

function feedAll(dots: DotLines, bytes: string, split: 'whole' | 'bytes'): void {
	const buffer = Buffer.from(bytes, 'latin1');
	if (split === 'whole') dots.feed(buffer);
	else for (let i = 0; i < buffer.length; i++) dots.feed(buffer.subarray(i, i + 1));
}

const message = ['Subject: x', '', '.hidden', '..x', '...', '..', 'plain', '.a'];
const stored = ['Subject: x', '', 'hidden', '.x', '..', '.', 'plain', 'a'];

for (const split of ['whole', 'bytes'] as const) {
	test(`a message after DATA, fed ${split === 'whole' ? 'in one piece' : 'a byte at a time'}: every line sent with a leading dot loses one`, () => {
		const dots = new DotLines();
		feedAll(dots, 'EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n', split);
		const notes = dots.claim();
		assert.ok(notes);
		feedAll(dots, `${message.join('\r\n')}\r\n.\r\nQUIT\r\n`, split);
		assert.equal(notes.ended, true);
		assert.equal(undotMessage(smtpServerView(message), notes).toString('latin1'), `${stored.join('\r\n')}\r\n`);
	});
}

test('the message in the same packet as DATA, and a refused DATA before it', () => {
	const dots = new DotLines();
	dots.feed(Buffer.from('DATA\r\nRSET\r\n.stray\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n'));
	dots.feed(Buffer.from(`DATA\r\n${message.join('\r\n')}\r\n.\r\n`));
	const notes = dots.claim();
	assert.deepEqual(notes && {dotLines: notes.dotLines, single: notes.single}, {dotLines: 5, single: [0, 4]});
	assert.equal(dots.claim(), undefined, 'claimed once');
});

test('a claimed message goes on past a line that reads DATA; the next DATA command starts afresh', () => {
	const dots = new DotLines();
	dots.feed(Buffer.from('DATA\r\n'));
	const first = dots.claim()!;
	dots.feed(Buffer.from('DATA\r\n.one\r\n.\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n..two\r\n'));
	assert.deepEqual([first.dotLines, first.single, first.ended], [1, [0], true]);
	const second = dots.claim()!;
	assert.deepEqual([second.dotLines, second.single], [1, []]);
});

test('<LF>.<LF> ends the message only where the parser says so (the smuggling personality)', () => {
	for (const bareLf of [false, true]) {
		const dots = new DotLines(bareLf);
		dots.feed(Buffer.from('DATA\r\n'));
		const notes = dots.claim()!;
		dots.feed(Buffer.from('a\n.\n.b\r\n'));
		assert.equal(notes.ended, bareLf);
		assert.equal(notes.dotLines, bareLf ? 0 : 2);
	}
});

test('without notes, or notes that do not fit the message, the bytes stay as smtp-server gave them', () => {
	const bytes = smtpServerView(message);
	assert.equal(undotMessage(bytes, undefined), bytes);
	assert.equal(undotMessage(bytes, {dotLines: 9, single: [0], overflow: false, ended: true, claimed: true}), bytes);
	assert.equal(undotMessage(bytes, {dotLines: 5, single: [0], overflow: true, ended: true, claimed: true}), bytes);
});
