import {test} from 'node:test';
import assert from 'node:assert/strict';
import {safeText} from '../../source/protocol/safe-text.js';

/** Nothing a terminal would act on may remain. */
function assertInert(text: string): void {
	assert.doesNotMatch(text, /[\x00-\x08\x0A-\x1F\x7F-\x9F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/);
}

test('ESC[2J (clear screen) is shown, not executed', () => {
	const out = safeText('250 \x1b[2Jhello');
	assert.equal(out, '250 \\x1b[2Jhello');
	assertInert(out);
});

test('OSC 52 clipboard write', () => {
	const out = safeText('\x1b]52;c;ZXZpbA==\x07');
	assert.equal(out, '\\x1b]52;c;ZXZpbA==\\x07');
	assertInert(out);
});

test('OSC 8 hyperlink', () => {
	const out = safeText('\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\');
	assert.equal(out, '\\x1b]8;;https://evil.example\\x1b\\click\\x1b]8;;\\x1b\\');
	assertInert(out);
});

test('CSI 21t (window title report) and one-byte CSI 0x9B', () => {
	assert.equal(safeText('\x1b[21t'), '\\x1b[21t');
	assert.equal(safeText('\x9b21t'), '\\x9b21t');
	assertInert(safeText('\x9b21t'));
});

test('bidi override and other bidi controls', () => {
	assert.equal(safeText('abc\u202Etxt.exe'), 'abc\\u202etxt.exe');
	assert.equal(safeText('\u2066\u2069\u200E\u200F\u061C'), '\\u2066\\u2069\\u200e\\u200f\\u061c');
});

test('NUL, CR, LF, DEL and C1 are escaped; TAB and ordinary text are kept', () => {
	assert.equal(safeText('a\0b'), 'a\\x00b');
	assert.equal(safeText('a\r\nb'), 'a\\x0d\\x0ab');
	assert.equal(safeText('\x7f\x80\x9f'), '\\x7f\\x80\\x9f');
	assert.equal(safeText('a\tb'), 'a\tb');
	assert.equal(safeText('Grüße ✓ 日本 \\x1b'), 'Grüße ✓ 日本 \\x1b');
});

test('invisible format characters are shown: a password split by one never looks whole', () => {
	for (const invisible of ['\u00ad', '\u180e', '\u200b', '\u200c', '\u200d', '\u2060', '\u2061', '\u2064', '\ufeff', '\ufff9', '\ufffb']) {
		const out = safeText(`535 Tr0ub${invisible}4dor&3-horse`);
		assert.equal(out, `535 Tr0ub\\${invisible.charCodeAt(0) <= 0xff ? `x${invisible.charCodeAt(0).toString(16)}` : `u${invisible.charCodeAt(0).toString(16).padStart(4, '0')}`}4dor&3-horse`);
		assert.ok(!out.includes('Tr0ub4dor'), out);
	}
});
