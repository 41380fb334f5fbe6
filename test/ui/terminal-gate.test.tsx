// The terminal gate: hostile strings (every C0, C1, DEL, bidi control, OSC/CSI sequences, lone
// surrogates, very long text) in every field of transcript entries, recording headers, TLS facts
// and certificate fields, EHLO/AUTH lists and probe results; every renderer and component is run
// on them and its output must hold no raw control byte. And a static check: the only writes to
// stdout/stderr in source/ pass safeOutput().
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readdir, readFile} from 'node:fs/promises';
import path from 'node:path';
import React from 'react';
import {render} from 'ink-testing-library';
import fc from 'fast-check';
import {renderExport, exportFormats} from '../../source/setup/record.js';
import {eventLine, mailEventLine} from '../../source/setup/classroom-lines.js';
import {renderProbeText} from '../../source/commands/probe.js';
import type {ProbeReport} from '../../source/engine/probe.js';
import {ReplaySession} from '../../source/engine/replay.js';
import type {RecordingHeader} from '../../source/export/recording.js';
import {replayOptions} from '../../source/setup/record.js';
import {safeOutput} from '../../source/protocol/safe-text.js';
import type {TlsFacts, TranscriptEntry} from '../../source/protocol/transcript.js';
import {StatusBar, statusText} from '../../source/ui/status-bar.js';
import {TlsPanel} from '../../source/ui/tls-panel.js';
import {TranscriptPane} from '../../source/ui/transcript-pane.js';
import {initialViewState} from '../../source/ui/session-view-state.js';
import {fuzzParameters} from '../support/fuzz-seed.js';

/** Anything a terminal acts on: C0 but LF, DEL, C1, bidi controls and isolates, line separators. */
// eslint-disable-next-line no-control-regex
const raw = /[\x00-\x08\x0B-\x1F\x7F-\x9F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/;

const sequences = ['\u001B[2J', '\u001B]52;c;aGk=\u0007', '\u001B]8;;http://evil\u001B\\', '\u009B31m', '\u202E', '\u2066', '\r', '\t\u0008', '\u0000', '\u007F', '\uD800', '\u001BP+q\u001B\\', '\u001B[21t'];
const hostile = fc.oneof(
	fc.constantFrom(...sequences),
	fc.string({unit: fc.integer({min: 0, max: 0x2070}).map(code => String.fromCharCode(code)), maxLength: 40}),
	fc.array(fc.constantFrom(...sequences, 'a', ' ', '|', '`', '$'), {maxLength: 30}).map(parts => parts.join('')),
	fc.constantFrom('x'.repeat(5000) + '\u001B[2J'),
);

function assertClean(label: string, output: string, allowLf = true): void {
	const text = allowLf ? output : output.replace(/\n/g, '');
	const match = raw.exec(text);
	assert.equal(match, null, `${label} writes a raw U+${(match?.[0].codePointAt(0) ?? 0).toString(16)}: ${JSON.stringify(text.slice(Math.max(0, (match?.index ?? 0) - 40), (match?.index ?? 0) + 40))}`);
}

const facts = (s: string): TlsFacts => ({protocol: s, cipher: s, authorized: false, authorizationError: s, subject: s, issuer: s, subjectAltNames: [s, s], validFrom: s, validTo: s, fingerprint256: s, servername: s});

function entries(s: string): TranscriptEntry[] {
	const base = {stepIndex: 1, at: 1, tls: true, secret: false as boolean, explain: [s, s], deviation: s, decoded: s};
	return [
		{...base, seq: 0, direction: 'server', text: `220 ${s}`, step: 'connect', code: 220, last: true},
		{...base, seq: 1, direction: 'client', text: s, step: 'ehlo'},
		{...base, seq: 2, direction: 'server', text: `250-AUTH PLAIN ${s}`, step: 'ehlo', code: 250, enhanced: s},
		{...base, seq: 3, direction: 'tls', text: s, step: 'starttls', tlsFacts: facts(s)},
		{...base, seq: 4, direction: 'info', text: s, step: 'manual'},
		{...base, seq: 5, direction: 'error', text: s, step: 'auth'},
	];
}

const header = (s: string): RecordingHeader => ({type: 'smtp-tui-recording', version: 1, createdAt: s, label: s, host: s, port: 587, profilePort: 587, tls: 'auto', ehlo: s, from: s, to: [s, s], user: s, mechanism: s});

test('property: every export renderer, fed hostile text in every field, writes no raw control byte', () => {
	fc.assert(
		fc.property(hostile, s => {
			const recording = {header: header(s), entries: entries(s)};
			for (const format of exportFormats) assertClean(`export ${format}`, renderExport(recording, format));
		}),
		fuzzParameters(150),
	);
});

test('property: probe text, with hostile banner, AUTH lists, certificate and errors, writes no raw control byte', () => {
	fc.assert(
		fc.property(hostile, s => {
			const report: ProbeReport = {host: s, diagnosis: [s], rows: [{port: 587, label: s, status: 'open', banner: s, tls: 'starttls', tlsProtocol: s, certificate: facts(s), authBeforeTls: [s, 'PLAIN'], authAfterTls: ['PLAIN', s], tlsReached: true, pipelining: true, smtputf8: false, chunking: false, error: s}]};
			assertClean('probe text', renderProbeText(report));
		}),
		fuzzParameters(150),
	);
});

test('property: lab events (SMTP, POP3, IMAP) with hostile fields: the classroom log writes no raw control byte', () => {
	fc.assert(
		fc.property(hostile, s => {
			const event = {type: s, port: s, ip: s, user: s, detail: s} as never;
			assertClean('lab event', eventLine(event), false);
			for (const protocol of ['pop3', 'imap'] as const) assertClean('lab mail event', mailEventLine(protocol, event) ?? '', false);
		}),
		fuzzParameters(150),
	);
});

test('property: the status line, the TLS panel and the transcript pane of a hostile replay draw no raw control byte', async () => {
	const samples = fc.sample(hostile, {...fuzzParameters(40), numRuns: 40});
	for (const s of [...sequences, ...samples]) {
		const session = new ReplaySession(replayOptions({header: header(s), entries: entries(s)}), entries(s));
		for (let i = 0; i < 3; i++) await session.step();
		assertClean('status text', statusText(session), false);
		for (const element of [
			<StatusBar session={session} width={100} />,
			<TlsPanel facts={facts(s)} width={100} />,
			<TranscriptPane entries={session.entries} view={{...initialViewState, height: 20}} width={100} />,
		]) {
			const instance = render(element);
			try {
				assertClean('component', instance.lastFrame() ?? '');
			} finally {
				instance.unmount();
			}
		}
	}
});

test('safeOutput keeps line feeds and escapes everything else a terminal acts on', () => {
	assert.equal(safeOutput('a\u001B[2Jb\nc\u202Ed\r\n'), 'a\\x1b[2Jb\nc\\u202ed\\x0d\n');
});

test('the only stdout/stderr writes in source/ pass the terminal gate', async () => {
	const root = new URL('../../source/', import.meta.url).pathname;
	const files = (await readdir(root, {recursive: true})).filter(file => /\.tsx?$/.test(file));
	const offenders: string[] = [];
	for (const file of files) {
		const text = await readFile(path.join(root, file), 'utf8');
		for (const match of text.matchAll(/process\.(stdout|stderr)\.write\((?!safeOutput\()|console\.(log|error|warn|info)\(/g)) {
			offenders.push(`${file}: ${text.slice(match.index, match.index + 60)}`);
		}
	}

	assert.deepEqual(offenders, []);
});
