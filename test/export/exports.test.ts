// Exports of a known session (a real lab session recorded once: test/fixtures/session-587.jsonl)
// match the expected files, and each format holds its own rules.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {fileURLToPath} from 'node:url';
import {exportFormats, renderExport} from '../../source/setup/record.js';
import {parseRecording, renderRecording, RecordingError} from '../../source/export/recording.js';
import {mermaidText, renderMermaid} from '../../source/export/mermaid.js';
import type {TranscriptEntry} from '../../source/protocol/transcript.js';

const fixture = (name: string) => readFile(fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url)), 'utf8');
const recording = parseRecording(await fixture('session-587.jsonl'));
const head = (await fixture('session-587.jsonl')).split('\n')[0]!;

for (const format of exportFormats.filter(f => f !== 'jsonl')) {
	test(`${format} export of the known session matches the expected file`, async () => {
		assert.equal(renderExport(recording, format), await fixture(`session-587.${format}`));
	});
}

test('a recording round-trips, and holds no password in any form', async () => {
	const text = await fixture('session-587.jsonl');
	assert.equal(renderRecording(parseRecording(text)), text);
	for (const form of ['wonderland', Buffer.from('wonderland').toString('base64'), Buffer.from('\0alice\0wonderland').toString('base64')]) {
		assert.ok(!text.includes(form));
		for (const format of exportFormats) assert.ok(!renderExport(recording, format).includes(form), `${format} leaks ${form}`);
	}
});

test('the Mermaid diagram is structurally valid: one declaration, participants, arrows and notes only', () => {
	const lines = renderExport(recording, 'mermaid').trimEnd().split('\n');
	assert.equal(lines[0], 'sequenceDiagram');
	assert.match(lines[1]!, /^ {4}participant C as Client$/);
	assert.match(lines[2]!, /^ {4}participant S as [\w .-]+$/);
	for (const line of lines.slice(3)) {
		// Message text: no raw ; or # (they end a statement or start an entity), entity codes allowed.
		assert.match(line, /^ {4}((C->>S|S-->>C)|Note over (C,S|C)): (?:[^;#\n]|#\d+;)+$/, line);
	}

	assert.ok(lines.some(l => /Note over C,S: TLS handshake/.test(l)), 'the TLS upgrade is marked');
	assert.ok(lines.some(l => l.startsWith('    C->>S: (message,')), 'the message body is one arrow');
	assert.equal(lines.filter(l => l.startsWith('    S-->>C: 250-mx.lab.test (+')).length, 2, 'a multi-line reply is one arrow');
});

test('Mermaid text escapes what would break the diagram and shows control bytes visibly', () => {
	assert.equal(mermaidText('a;b#c:d'), 'a#59;b#35;c#58;d');
	assert.equal(mermaidText('x\u001B[2Jy'), 'x\\x1b[2Jy');
	const entries: TranscriptEntry[] = [{seq: 0, direction: 'server', text: '220 a;b', step: 'connect', stepIndex: 1, at: 0, tls: false, secret: false, last: true}];
	assert.match(renderMermaid(entries), /S-->>C: 220 a#59;b/);
});

test('copy as command: swaks and openssl lines for the target, the password from $SMTP_PASSWORD', () => {
	const swaks = renderExport(recording, 'swaks');
	assert.match(swaks, /^swaks --server 127\.0\.0\.1 --port \d+ --ehlo client\.example --from alice\\@lab\.test --to bob\\@lab\.test --tls --auth PLAIN --auth-user alice --auth-password "\$SMTP_PASSWORD"\n$/);
	assert.match(renderExport(recording, 'openssl'), /^openssl s_client -starttls smtp -connect 127\.0\.0\.1\\:\d+ -crlf -quiet\n$/);
});

test('a broken recording is one sentence naming the line', () => {
	assert.throws(() => parseRecording(''), (e: Error) => e instanceof RecordingError && e.message === 'The recording is empty.');
	assert.throws(() => parseRecording('{"type":"other"}'), /not an smtp-tui recording/);
	assert.throws(() => parseRecording(`${head}\n{"seq":"x"}`), {message: /^Line 2 of the recording is not valid: "seq" must be a number\.$/});
	assert.throws(() => parseRecording(`${head}\nnot json`), /Line 2 of the recording is not JSON\./);
});
