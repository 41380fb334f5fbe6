// Compare against the embedded lab: the summary's facts for all four ports, rows aligned
// by step, and the columns running concurrently.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {Comparison} from '../../source/engine/compare.js';
import {compareRows} from '../../source/protocol/compare-report.js';
import {summaryCells} from '../../source/export/compare.js';
import {scriptedServer} from '../support/scripted-server.js';
import {startLab, type Lab, type LabPort} from '../../source/lab/index.js';

let lab: Lab;
let comparison: Comparison;
before(async () => {
	lab = await startLab();
	comparison = new Comparison({
		ports: [25, 465, 587, 2525],
		outside: 'friend@example.com',
		own: 'bob@lab.test',
		sessionFor: port => ({
			host: lab.host,
			port: lab.ports[port as LabPort]!,
			profilePort: port,
			tls: 'auto',
			tlsOptions: {servername: lab.hostname, ca: lab.ca, insecure: false},
			ehlo: 'client.example',
			from: 'alice@lab.test',
			to: [],
			credentials: port === 25 ? undefined : {user: 'alice', password: 'wonderland'},
		}),
	});
	await comparison.runToEnd();
});
after(async () => {
	comparison.close();
	await lab.close();
});

const summary = (port: number) => comparison.summaries().find(s => s.port === port)!;

test('25: STARTTLS but no AUTH, relay to an outside domain refused with 554 5.7.1, mail without login accepted', () => {
	const s = summary(25);
	assert.equal(s.tls, 'starttls');
	assert.deepEqual(s.authBeforeTls, []);
	assert.deepEqual(s.authAfterTls, []);
	assert.equal(s.authBeforeTlsReply, '503 5.5.1');
	assert.deepEqual(s.relayOutside, {accepted: false, reply: '554 5.7.1'});
	assert.equal(s.mailWithoutAuth.accepted, true);
	assert.equal(s.ownDomain.accepted, true);
	assert.equal(s.messageAccepted, true);
});

for (const port of [587, 2525]) {
	test(`${port}: 530 5.7.0 for AUTH before TLS, AUTH offered after, mail refused until login, then relays anywhere`, () => {
		const s = summary(port);
		assert.equal(s.tls, 'starttls');
		assert.equal(s.authBeforeTlsReply, '530 5.7.0');
		assert.deepEqual(s.authBeforeTls, []);
		assert.deepEqual(s.authAfterTls, ['PLAIN', 'LOGIN', 'CRAM-MD5']);
		assert.deepEqual(s.mailWithoutAuth, {accepted: false, reply: '530 5.7.0'});
		assert.equal(s.relayOutside.accepted, true);
		assert.equal(s.messageAccepted, true);
	});
}

test('465: TLS from the first byte, no STARTTLS and no "before TLS" step', () => {
	const s = summary(465);
	assert.equal(s.tls, 'implicit');
	assert.equal(s.authBeforeTlsReply, undefined);
	assert.deepEqual(s.authAfterTls, ['PLAIN', 'LOGIN', 'CRAM-MD5']);
	const column = comparison.columns.find(c => c.port === 465)!;
	assert.equal(column.cells.get('starttls')?.status, 'skipped');
	assert.equal(column.cells.get('auth-before-tls')?.status, 'skipped');
	assert.equal(s.relayOutside.accepted, true);
});

test('rows are aligned by step: each row holds the same command in every column that ran it', () => {
	const expectedVerb: Partial<Record<string, string>> = {ehlo: 'EHLO', starttls: 'STARTTLS', mail: 'MAIL', 'rcpt-outside': 'RCPT TO:<friend@example.com>', 'rcpt-own': 'RCPT TO:<bob@lab.test>', data: 'DATA', quit: 'QUIT', 'auth-before-tls': 'AUTH PLAIN'};
	for (const {row} of compareRows) {
		const verb = expectedVerb[row];
		if (!verb) continue;
		for (const column of comparison.columns) {
			const cell = column.cells.get(row)!;
			if (cell.status === 'skipped') continue;
			const first = column.session.entries.slice(cell.from, cell.to).find(e => e.direction === 'client');
			assert.ok(first?.text.startsWith(verb), `${column.port} ${row}: ${first?.text}`);
		}
	}

	assert.deepEqual([...comparison.differingRows()].sort(), ['auth', 'auth-before-tls', 'ehlo', 'ehlo-tls', 'mail-without-auth', 'rcpt-outside', 'starttls'].sort());
});

test('the columns run concurrently: every column started connecting before any banner arrived', () => {
	const starts = comparison.columns.map(c => c.session.entries[0]!.at);
	const banners = comparison.columns.map(c => c.session.entries.find(e => e.direction === 'server')!.at);
	assert.ok(Math.max(...starts) < Math.min(...banners), `starts ${starts.join(',')} banners ${banners.join(',')}`);
});

test('the report explains the differences in plain words', () => {
	const report = comparison.report('lab');
	assert.equal(report.rows.length, compareRows.length);
	assert.ok(report.sentences.includes('587 and 2525 demand STARTTLS before AUTH: login is offered only once the connection is encrypted.'));
	assert.ok(report.sentences.some(s => s.startsWith('465 is encrypted from the first byte')));
	assert.ok(report.sentences.some(s => s.startsWith('25 accepts mail only for the server\'s own domain and never offers AUTH')));
	assert.ok(!JSON.stringify(report).includes('wonderland'));
});

test('a server that takes mail without login and then drops the connection at RSET: the summary says accepted, as the table does', async () => {
	const server = await scriptedServer(async (socket, reader) => {
		socket.write('220 mx.test ESMTP\r\n');
		for (;;) {
			const line = await reader.next();
			if (line === undefined) return;
			if (line.startsWith('EHLO')) socket.write('250-mx.test\r\n250 AUTH PLAIN\r\n');
			else if (line === 'AUTH PLAIN') socket.write('334 \r\n');
			else if (line === '*') socket.write('501 5.7.0 cancelled\r\n');
			else if (line === 'RSET') {
				socket.destroy();
				return;
			} else socket.write('250 2.1.0 ok\r\n');
		}
	});
	const dropping = new Comparison({
		ports: [server.port],
		outside: 'friend@example.com',
		own: 'bob@y.test',
		sessionFor: port => ({host: '127.0.0.1', port, tls: 'none', tlsOptions: {insecure: false}, ehlo: 'client.example', from: 'a@x.test', to: [], timeouts: {connect: 3000, command: 3000}, credentials: {user: 'u', password: 'x'}}),
	});
	try {
		await dropping.runToEnd();
		const cellText = dropping.columns[0]!.cells.get('mail-without-auth')?.text;
		assert.match(cellText ?? '', /^250 /, 'the table shows the RCPT taken without login');
		const s = dropping.summaries()[0]!;
		assert.equal(s.mailWithoutAuth.accepted, true);
		assert.equal(summaryCells(s)[5], 'accepted (250 2.1.0)');
	} finally {
		dropping.close();
		await server.close();
	}
});
