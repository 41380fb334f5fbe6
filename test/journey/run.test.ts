// One run of the journey (journey/run.ts) over real loopback sockets: steps are serialised
// (a second step while one is in flight is refused and never runs), leg 3 reads with POP3 or
// IMAP as chosen until it starts, and a second run on the same lab reads its own message.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import type {JourneyLab} from '../../source/journey/index.js';
import {JourneyRun, startJourneyLab} from '../../source/journey/index.js';

let journey: JourneyLab;
before(async () => {
	journey = await startJourneyLab({relay: 'manual'});
});
after(async () => {
	await journey.close();
});

/** Runs every leg to its end; returns the run. */
async function runAll(run: JourneyRun): Promise<JourneyRun> {
	assert.equal(await run.step(0, true), 'stepped');
	for (let wait = 0; wait < 200 && !run.relay; wait++) await new Promise(resolve => setTimeout(resolve, 10));
	assert.ok(run.relay, 'the relay hop started after leg 1');
	assert.equal(await run.step(1, true), 'stepped');
	assert.equal(run.relay.state, 'delivered', run.relay.failure);
	assert.equal(await run.step(2, true), 'stepped');
	return run;
}

test('a second step asked for while one is in flight is refused and never runs, on any leg', async () => {
	const run = new JourneyRun(journey);
	try {
		const first = run.step(0);
		assert.equal(run.busy, true, 'busy from the call on, before any await');
		const second = run.step(0);
		const other = run.step(2, true);
		assert.equal(await second, 'refused');
		assert.equal(await other, 'refused');
		assert.equal(await first, 'stepped');
		assert.equal(run.busy, false);
		const connects = run.submission.entries.filter(entry => entry.direction === 'info' && entry.text.startsWith('Connected to '));
		assert.equal(connects.length, 1, 'one connection');
		assert.equal(run.submission.entries.filter(entry => entry.direction === 'client').length, 0, 'no EHLO went out');
		assert.equal(run.retrievalSession, undefined, 'the refused leg-3 step did not even start its session');
		assert.equal(await run.step(0), 'stepped');
		assert.equal(run.submission.entries.filter(entry => entry.direction === 'client').length, 1, 'the next step runs once');
	} finally {
		run.close();
	}
});

test('leg 3 with IMAP: the message fetched is the one submitted, as stored; the choice is fixed once leg 3 starts', async () => {
	const run = new JourneyRun(journey, {retrieval: 'pop3'});
	try {
		assert.equal(run.chooseRetrieval('imap'), true);
		assert.equal(run.relay, undefined, 'an earlier run\'s relay is not this run\'s');
		await runAll(run);
		assert.equal(run.retrieval, 'imap');
		assert.equal(run.chooseRetrieval('pop3'), false, 'leg 3 has started');
		assert.equal(run.retrieval, 'imap');
		assert.equal(run.position, 4);
		const stored = journey.mailboxes.all().find(message => message.queueId === run.relay?.receiverQueueId);
		assert.ok(stored && run.retrieved?.equals(stored.raw), 'FETCH gives the stored bytes');
		const messageId = /^Message-ID: (.+)$/m.exec(run.submission.entries.filter(entry => entry.step === 'body').map(entry => entry.text).join('\n'))?.[1];
		assert.ok(messageId && run.retrieved?.toString('utf8').includes(`Message-ID: ${messageId}`), 'the message leg 1 sent');
		assert.equal(await run.step(2), 'done');
	} finally {
		run.close();
	}
});

test('a second run on the same lab fetches the next message, with POP3 and with IMAP', async () => {
	for (const retrieval of ['pop3', 'imap'] as const) {
		const bobs = journey.mailboxes.all().filter(message => message.user === 'bob').length;
		const run = await runAll(new JourneyRun(journey, {retrieval}));
		try {
			const session = run.retrievalSession!;
			const asked = session.entries.find(entry => entry.direction === 'client' && /^(RETR|A\d+ FETCH) /.test(entry.text))?.text;
			assert.match(asked ?? '', new RegExp(`^(RETR ${bobs + 1}|A\\d+ FETCH ${bobs + 1} )`), `${retrieval}: message ${bobs + 1}`);
			const stored = journey.mailboxes.all().find(message => message.queueId === run.relay?.receiverQueueId);
			assert.ok(stored && run.retrieved?.equals(stored.raw), `${retrieval}: this run's message`);
		} finally {
			run.close();
		}
	}
});
