// A login typed by hand (m, AUTH LOGIN) that waits for the answer to the server's 334: the Next
// pane says what the server asks for, and enter (a planned step) sends nothing, so the planned
// AUTH PLAIN never goes out as the user name. Against the lab's 2525, over loopback.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {Session} from '../../source/engine/session.js';
import {startLab} from '../../source/lab/index.js';
import {labSessionOptions} from '../support/lab-session.js';

test('AUTH LOGIN typed by hand: while the 334 waits, peek() says so and step() sends nothing; * ends it and the plan goes on', {timeout: 30_000}, async () => {
	const lab = await startLab();
	const session = new Session(labSessionOptions(lab, 2525));
	try {
		for (let i = 0; i < 8 && session.peek().kind !== 'auth'; i++) await session.step();
		assert.equal(session.peek().kind, 'auth');
		assert.match(session.peek().lines[0] ?? '', /^AUTH PLAIN/);
		await session.manual('AUTH LOGIN');
		assert.equal(session.awaitingSaslAnswer, true);
		const waiting = session.peek();
		assert.match(waiting.description, /waits for your answer to its 334 \("Username:"\)/);
		assert.deepEqual(waiting.lines, [], 'no planned line is offered');
		assert.match(waiting.waiting ?? '', /\* alone to cancel/);
		const before = session.entries.length;
		const refused = await session.step();
		assert.equal(refused.ok, false);
		assert.equal(refused.failure?.kind, 'local');
		assert.equal(session.entries.length, before, 'nothing was sent');
		assert.equal(session.exitCode, 0, 'a refused key is no failure of the session');
		await session.manual('*');
		assert.equal(session.entries.at(-1)?.code, 501);
		assert.equal(session.awaitingSaslAnswer, false);
		assert.match(session.peek().lines[0] ?? '', /^AUTH PLAIN/, 'the plan is offered again');
		const outcome = await session.step();
		assert.equal(outcome.ok, true);
		assert.equal(session.entries.at(-1)?.code, 235);
	} finally {
		session.close();
		await lab.close();
	}
});
