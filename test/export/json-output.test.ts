// Every --json renderer (check, probe, probe --domain, compare, run, record, export) goes through
// renderJson: hostile strings (C0, DEL, C1, bidi, line separators, lone surrogates) must come out
// as JSON that JSON.parse reads back to the same value, with no raw control character, and that
// the terminal gate (safeOutput, what cli.tsx writes through) leaves byte for byte as it is.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {renderJson, renderJsonLine, renderJsonLines} from '../../source/export/jsonl.js';
import {renderCompareJson} from '../../source/export/compare.js';
import {safeOutput} from '../../source/protocol/safe-text.js';
import type {CompareReport} from '../../source/protocol/compare-report.js';
import type {TranscriptEntry} from '../../source/protocol/transcript.js';
import {fuzzParameters} from '../support/fuzz-seed.js';

const rawControl = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const hostileChar = fc.constantFrom('\u00ad', '\u200b', '\ufeff', '\u2060', '\u0000', '\u001b', '\u0007', '\r', '\t', '\u007f', '\u0085', '\u009b', '\u061c', '\u200e', '\u2028', '\u2029', '\u202e', '\u2066', 'a', '"', '\\', 'é', '\ud800');
const hostile = fc.oneof(fc.string({unit: hostileChar, maxLength: 40}), fc.string({unit: 'binary', maxLength: 40}));
const value = fc.dictionary(hostile, fc.oneof(hostile, fc.array(hostile, {maxLength: 4}), fc.dictionary(hostile, hostile, {maxKeys: 3})), {maxKeys: 5});

const renderers: Array<[string, (input: Record<string, unknown>) => string]> = [
	['renderJson (check, probe --domain)', input => renderJson(input, 2)],
	['renderJsonLine (probe, run)', input => renderJsonLine(input)],
	['renderJsonLines (record, export)', input => renderJsonLines([input as unknown as TranscriptEntry])],
	['renderCompareJson (compare)', input => renderCompareJson(input as unknown as CompareReport)],
];

for (const [name, render] of renderers) {
	test(`${name}: hostile strings give valid JSON, no raw control, untouched by the terminal gate`, () => {
		fc.assert(fc.property(value, input => {
			const out = render(input);
			assert.doesNotMatch(out.replace(/\n/g, ''), rawControl);
			assert.equal(safeOutput(out), out, 'the terminal gate changes nothing');
			const lines = name.startsWith('renderJsonLines') ? out.trimEnd().split('\n') : [out];
			assert.deepEqual(JSON.parse(lines[0]!), JSON.parse(JSON.stringify(input)));
		}), fuzzParameters(300));
	});
}
