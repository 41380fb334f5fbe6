// The Markdown handout of a real session: every client line carries its meaning, read from the
// same explain tables as the Explain pane (a lab session on 587, recorded by the built binary,
// exported by it).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {cli} from '../support/cli.js';
import {explainCommand, explainStep} from '../../source/protocol/explain.js';

test('export --format markdown of a real 587 session: no client line has an empty meaning', {timeout: 60_000}, async () => {
	const tmp = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-md-'));
	try {
		const recording = path.join(tmp, 'session.jsonl');
		const run = await cli(['run', '--port', '587', '--record', recording]);
		assert.equal(run.code, 0, run.stderr);
		const exported = await cli(['export', recording, '--format', 'markdown']);
		assert.equal(exported.code, 0, exported.stderr);
		const rows = exported.stdout.split('\n').filter(line => /^\| [\d.]+ \| C \|/.test(line));
		assert.ok(rows.length >= 8, `client rows: ${rows.length}\n${exported.stdout}`);
		const meaningOf = (row: string) => row.split(' | ').at(-1)!.replace(/ \|$/, '').trim();
		for (const row of rows) assert.notEqual(meaningOf(row), '', `a client line without meaning: ${row}`);
		const rowOf = (start: string) => rows.find(row => row.includes(`\`${start}`)) ?? assert.fail(`no row for ${start}:\n${rows.join('\n')}`);
		for (const verb of ['EHLO', 'MAIL', 'RCPT', 'DATA', 'QUIT']) assert.ok(meaningOf(rowOf(verb)).includes(explainCommand(verb).summary), `${verb}: ${rowOf(verb)}`);
		assert.ok(meaningOf(rowOf('STARTTLS')).includes(explainStep('starttls').summary.replaceAll('|', '\\|')));
		assert.ok(meaningOf(rowOf('AUTH PLAIN')).includes(explainCommand('AUTH').summary));
		assert.ok(!exported.stdout.includes('wonderland'), 'the password stays masked');
	} finally {
		await rm(tmp, {recursive: true, force: true});
	}
});
