// The Markdown handout of a real session: every line carries its meaning, read from the same
// explain tables as the Explain pane (a lab session on 587, recorded by the built binary,
// exported by it).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {cli} from '../support/cli.js';
import {ehloFirstLine, explainCommand, explainExtension, explainMessageLine, explainStep} from '../../source/protocol/explain.js';

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

test('export --format markdown: message lines read as header or body, the blank line, a dot-stuffed line and the lone dot; the EHLO name line explained; base64 readings in the meaning, never in the line', {timeout: 60_000}, async () => {
	const tmp = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-md-'));
	try {
		const recording = path.join(tmp, 'session.jsonl');
		const body = path.join(tmp, 'body.txt');
		await writeFile(body, '.a line that starts with a dot\nlast line\n');
		const run = await cli(['run', '--port', '587', '--user', 'alice', '--password-env', 'MD_PW', '--auth', 'LOGIN', '--body-file', body, '--record', recording], {MD_PW: 'wonderland'});
		assert.equal(run.code, 0, run.stdout + run.stderr);
		const exported = await cli(['export', recording, '--format', 'markdown']);
		assert.equal(exported.code, 0, exported.stderr);
		const rows = exported.stdout.split('\n').filter(line => /^\| [\d.]+ \| [CS] \|/.test(line)).map(row => {
			const cells = /^\| [\d.]+ \| ([CS]) \| (?:🔒)? *\| `(.*)` \| (.*) \|$/.exec(row) ?? assert.fail(`a row of five cells: ${row}`);
			return {who: cells[1]!, line: cells[2]!, meaning: cells[3]!};
		});
		const row = (who: string, line: string, from = 0) => rows.slice(from).find(r => r.who === who && r.line === line) ?? assert.fail(`no ${who} row \`${line}\`:\n${exported.stdout}`);
		const escaped = (text: string) => text.replaceAll('|', '\\|');

		// Every line of an EHLO answer is explained, the first (the server's name) included.
		const ehloRows = rows.filter(r => r.who === 'S' && r.line.startsWith('250-'));
		assert.ok(ehloRows.length >= 8, exported.stdout);
		for (const r of ehloRows) assert.notEqual(r.meaning, '', `an EHLO line without meaning: ${r.line}`);
		assert.equal(row('S', '250-mx.lab.test').meaning, escaped(`${ehloFirstLine.summary} (${ehloFirstLine.rfc})`));
		const auth = explainExtension('AUTH', ['PLAIN', 'LOGIN', 'CRAM-MD5']);
		assert.equal(row('S', '250-AUTH PLAIN LOGIN CRAM-MD5').meaning, escaped(`${auth.summary} (${auth.rfc})`));

		// The line column is the wire; the base64 reading (masked) belongs in the meaning.
		assert.equal(row('S', '334 VXNlcm5hbWU6').meaning.split('<br>')[0], 'base64 decoded: "Username:"');
		assert.equal(row('C', 'YWxpY2U=').meaning.split('<br>')[0], 'base64 decoded: "alice"');
		const password = row('C', '********');
		assert.deepEqual(password.meaning.split('<br>').slice(0, 2), ['Secret: masked here, in every export and in saved transcripts.', 'base64 decoded: "********"']);
		assert.ok(!rows.some(r => r.line.includes(' = "')), 'no decoded reading in a line cell');
		assert.ok(!exported.stdout.includes('wonderland') && !exported.stdout.includes(Buffer.from('wonderland').toString('base64')), 'the password stays masked');

		// The message, line by line, as the Explain pane reads it.
		const data = rows.findIndex(r => r.who === 'C' && r.line === 'DATA');
		const header = explainMessageLine('Subject: x', true).join('<br>');
		for (const field of ['From: alice@lab.test', 'To: bob@lab.test']) assert.equal(row('C', field, data).meaning, escaped(header));
		assert.equal(row('C', '', data).meaning, explainMessageLine('', true).join('<br>'));
		assert.match(row('C', '', data).meaning, /ends the header section/);
		const stuffed = row('C', '..a line that starts with a dot', data).meaning;
		assert.equal(stuffed, escaped(explainMessageLine('..a line that starts with a dot', false).join('<br>')));
		assert.match(stuffed, /^Stored as "\.a line that starts with a dot": the server deletes the first dot.*dot-stuffing.*<br>A body line/);
		assert.equal(row('C', 'last line', data).meaning, escaped(explainMessageLine('last line', false).join('<br>')));
		assert.match(row('C', '.', data).meaning, /^The lone dot on a line of its own/);
		assert.ok(!rows.slice(data + 1).some(r => r.meaning.includes(explainStep('body').summary)), 'no generic reading left on a message line');
	} finally {
		await rm(tmp, {recursive: true, force: true});
	}
});
