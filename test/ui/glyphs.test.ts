// The glyph table: chosen from TERM and the locale, the only place in source/ui with a
// non-ASCII character, and on an ASCII terminal the UI's gate leaves nothing but ASCII.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync, readdirSync} from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import {asciiGlyphs, chooseGlyphs, unicodeGlyphs, unicodeTerminal} from '../../source/ui/glyphs.js';
import {loadTransliteration, safeOutput, safeText, showCrlf, toAscii} from '../../source/ui/terminal-text.js';

const uiFolder = path.resolve(import.meta.dirname, '../../source/ui');
const nonAscii = /[^\x00-\x7F]/;

test('Unicode unless TERM is dumb or the locale (LC_ALL, then LC_CTYPE, then LANG) is not UTF-8', () => {
	assert.equal(unicodeTerminal({TERM: 'xterm-256color', LANG: 'en_US.UTF-8'}), true);
	assert.equal(unicodeTerminal({TERM: 'xterm', LANG: 'C.utf8'}), true);
	assert.equal(unicodeTerminal({TERM: 'dumb', LANG: 'en_US.UTF-8'}), false);
	assert.equal(unicodeTerminal({TERM: 'xterm', LANG: 'C'}), false);
	assert.equal(unicodeTerminal({TERM: 'xterm', LANG: 'en_US.UTF-8', LC_ALL: 'C'}), false);
	assert.equal(unicodeTerminal({TERM: 'xterm', LANG: 'en_US.UTF-8', LC_ALL: 'POSIX'}), false);
	assert.equal(unicodeTerminal({TERM: 'xterm', LANG: 'C', LC_CTYPE: 'de_DE.UTF-8'}), true);
	assert.equal(unicodeTerminal({TERM: 'xterm', LANG: 'C.UTF-8', LC_CTYPE: 'de_DE.ISO-8859-1'}), false);
	// An empty variable counts as unset; none set is the C locale.
	assert.equal(unicodeTerminal({TERM: 'xterm', LC_ALL: '', LANG: 'en_GB.UTF-8'}), true);
	assert.equal(unicodeTerminal({TERM: 'xterm'}), false);
});

test('the ASCII table is ASCII, names every glyph the Unicode one has, and borders are classic', () => {
	assert.deepEqual(Object.keys(asciiGlyphs).sort(), Object.keys(unicodeGlyphs).sort());
	for (const [name, value] of Object.entries(asciiGlyphs)) assert.doesNotMatch(String(value), nonAscii, name);
	assert.equal(asciiGlyphs.border, 'classic');
	assert.equal(asciiGlyphs.borderOverlay, 'classic');
	assert.equal(asciiGlyphs.borderLesson, 'classic');
	// Two-column transcript markers stay two columns, so the transcript lines up.
	assert.equal(asciiGlyphs.lock.length, 2);
	assert.equal(asciiGlyphs.note.length, 2);
});

/** Every piece of text a source file writes: string and template literals, JSX text. */
function literals(file: string): Array<{line: number; text: string}> {
	const source = readFileSync(file, 'utf8');
	const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
	const found: Array<{line: number; text: string}> = [];
	const visit = (node: ts.Node): void => {
		if (ts.isStringLiteralLike(node) || ts.isJsxText(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node) || ts.isRegularExpressionLiteral(node)) {
			found.push({line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, text: node.getText(sf)});
		}

		ts.forEachChild(node, visit);
	};

	visit(sf);
	return found;
}

test('no file in source/ui but the glyph table writes a non-ASCII character', () => {
	const offenders: string[] = [];
	const files = readdirSync(uiFolder).filter(name => /\.tsx?$/.test(name) && name !== 'glyphs.ts');
	assert.ok(files.length > 20, 'the UI files are found');
	for (const name of files) {
		for (const {line, text} of literals(path.join(uiFolder, name))) {
			if (nonAscii.test(text)) offenders.push(`source/ui/${name}:${line}: ${text.trim().slice(0, 80)}`);
		}
	}

	assert.deepEqual(offenders, [], 'put the glyph in source/ui/glyphs.ts');
	// The check itself sees what it looks for.
	assert.ok(literals(path.join(uiFolder, 'glyphs.ts')).some(({text}) => nonAscii.test(text)));
});

test('on an ASCII terminal the gate turns foreign text into ASCII, and still escapes control bytes', async () => {
	try {
		chooseGlyphs({TERM: 'dumb'});
		// Before the tables are loaded (cli.tsx loads them for an ASCII terminal before the UI) nothing past ASCII gets through either.
		assert.equal(safeText('caf\u00E9 \u65E5 \u{1F512}'), 'caf? ? ##');
		await loadTransliteration();
		const explanation = 'RFC 5321 §4.1.1 — the server → “accepts” the mail · 🔒 café…';
		const out = safeText(explanation);
		assert.doesNotMatch(out, nonAscii);
		assert.equal(out, 'RFC 5321 section 4.1.1 -- the server -> "accepts" the mail - ## cafe...');
		assert.equal(safeText('250 \u001B[2J\u202Eok'), '250 \\x1b[2J\\u202eok');
		assert.equal(safeOutput('a — b\nc → d'), 'a -- b\nc -> d');
		assert.equal(showCrlf('MAIL FROM:<a@b>'), 'MAIL FROM:<a@b><CR><LF>');
		// Anything at all: emoji, CJK, combining marks.
		assert.doesNotMatch(toAscii('\u{1F600} \u65E5\u672C e\u0301 \u00FF'), nonAscii);
	} finally {
		chooseGlyphs({TERM: 'xterm', LANG: 'C.UTF-8'});
	}

	assert.equal(showCrlf('MAIL FROM:<a@b>'), 'MAIL FROM:<a@b>␍␊');
	assert.equal(safeText('a — b'), 'a — b');
});
