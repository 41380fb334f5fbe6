// Recordings are parsed, not trusted: every field of the header and of each entry is checked for
// type, size and allowed values; a bad file is one sentence (naming the line and the field) and,
// through the CLI, exit 2 for both replay and export.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {parseRecording, RecordingError} from '../../source/export/recording.js';
import {cliPath} from '../support/pty.js';
import {fuzzParameters} from '../support/fuzz-seed.js';

const fixture = await readFile(new URL('../fixtures/session-587.jsonl', import.meta.url), 'utf8');
const [headLine, ...entryLines] = fixture.trim().split('\n');
const header = JSON.parse(headLine!) as Record<string, unknown>;
const entries = entryLines.map(line => JSON.parse(line) as Record<string, unknown>);
const tlsEntry = entries.find(entry => entry.tlsFacts !== undefined)!;

const build = (h: unknown, list: unknown[]) => [JSON.stringify(h), ...list.map(e => JSON.stringify(e))].join('\n') + '\n';

/** Values of the wrong type for a field of the given current value. */
function wrong(value: unknown): unknown[] {
	if (typeof value === 'string') return [5, null, ['x'], {}, true];
	if (typeof value === 'number') return ['5', null, [], {}, -1, 1.5, 1e300];
	if (typeof value === 'boolean') return ['true', 0, null];
	if (Array.isArray(value)) return ['a', 5, {}, [5], [null]];
	return ['x', 5, [], null];
}

test('every header field of the wrong type: one sentence naming it', () => {
	for (const field of Object.keys(header)) {
		for (const bad of wrong(header[field])) {
			if (field === 'port' || field === 'profilePort' || field === 'type' || field === 'version') {
				if (bad === -1 || bad === 1.5) continue; // covered below / not a field type
			}

			try {
				parseRecording(build({...header, [field]: bad}, entries));
				if (field === 'to' && Array.isArray(bad) && bad.length === 0) continue;
				assert.fail(`header ${field} = ${JSON.stringify(bad)} was accepted`);
			} catch (error) {
				assert.ok(error instanceof RecordingError, `header ${field} = ${JSON.stringify(bad)}: ${String(error)}`);
				assert.doesNotMatch(error.message, /\n/);
				if (field !== 'type' && field !== 'version') assert.match(error.message, new RegExp(`^The recording's header \\(line 1\\) is not valid: "${field}(\\.\\d+)?" `), error.message);
			}
		}
	}
});

test('every entry field, and every TLS fact, of the wrong type: one sentence naming line and field', () => {
	const index = entries.indexOf(tlsEntry);
	for (const field of Object.keys(tlsEntry)) {
		for (const bad of wrong(tlsEntry[field])) {
			if (typeof tlsEntry[field] === 'number' && (bad === 1.5 && field === 'at')) continue; // a fractional time is fine
			const list = entries.map((entry, i) => (i === index ? {...entry, [field]: bad} : entry));
			assert.throws(() => parseRecording(build(header, list)), (error: Error) => error instanceof RecordingError && new RegExp(`^Line ${index + 2} of the recording is not valid: "${field}`).test(error.message), `${field} = ${JSON.stringify(bad)}`);
		}
	}

	const facts = tlsEntry.tlsFacts as Record<string, unknown>;
	for (const field of Object.keys(facts)) {
		for (const bad of wrong(facts[field])) {
			const list = entries.map((entry, i) => (i === index ? {...entry, tlsFacts: {...facts, [field]: bad}} : entry));
			assert.throws(() => parseRecording(build(header, list)), {message: new RegExp(`^Line ${index + 2} of the recording is not valid: "tlsFacts\\.${field}`)}, `tlsFacts.${field} = ${JSON.stringify(bad)}`);
		}
	}
});

test('sizes and allowed values are checked; unknown fields are dropped', () => {
	assert.throws(() => parseRecording(build({...header, tls: 'maybe'}, entries)), {message: /"tls" must be one of "auto", "starttls", "implicit", "none"\./});
	assert.throws(() => parseRecording(build({...header, mechanism: 'PLAIN; touch /tmp/x #'}, entries)), {message: /"mechanism" has the wrong form\./});
	assert.throws(() => parseRecording(build({...header, host: 'h'.repeat(300)}, entries)), {message: /"host" is too long \(at most 255\)\./});
	assert.throws(() => parseRecording(build({...header, port: 70_000}, entries)), {message: /"port" is too large/});
	assert.throws(() => parseRecording(build({...header, createdAt: '\u001B]52;c;aGk=\u0007'}, entries)), {message: /"createdAt" has the wrong form\./});
	assert.throws(() => parseRecording(build(header, [{...entries[0], direction: 'sideways'}])), {message: /"direction" must be one of/});
	const parsed = parseRecording(build({...header, extra: 'x'}, [{...entries[0], evil: {nested: true}}]));
	assert.equal('extra' in parsed.header, false);
	assert.equal('evil' in parsed.entries[0]!, false);
});

test('property: any JSON in any field gives a valid recording or a RecordingError, nothing else', () => {
	const fields = [...Object.keys(header).map(f => ['header', f] as const), ...Object.keys(tlsEntry).map(f => ['entry', f] as const)];
	fc.assert(
		fc.property(fc.constantFrom(...fields), fc.jsonValue(), ([where, field], value) => {
			const text = where === 'header' ? build({...header, [field]: value}, entries) : build(header, [{...tlsEntry, [field]: value}]);
			try {
				const parsed = parseRecording(text);
				// What was accepted has the types the renderers rely on.
				assert.ok(Array.isArray(parsed.header.to) && parsed.header.to.every(t => typeof t === 'string'));
				assert.ok(parsed.entries.every(e => typeof e.text === 'string' && typeof e.at === 'number'));
			} catch (error) {
				assert.ok(error instanceof RecordingError, String(error));
				assert.doesNotMatch(error.message, /\n/);
			}
		}),
		fuzzParameters(400),
	);
});

test('replay and export of a recording with fields of the wrong type: one sentence, exit 2', async () => {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-schema-'));
	try {
		const file = path.join(dir, 'bad.jsonl');
		await writeFile(file, build({...header, to: 5}, entries));
		for (const args of [['replay', file], ['export', file, '--format', 'markdown'], ['export', file, '--format', 'swaks']]) {
			const result = spawnSync(process.execPath, [cliPath, ...args], {encoding: 'utf8', timeout: 20_000});
			assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
			assert.equal(result.stdout, '');
			assert.equal(result.stderr, `smtp-tui: ${file}: The recording's header (line 1) is not valid: "to" must be a list.\n`);
		}
	} finally {
		await rm(dir, {recursive: true, force: true});
	}
});
