// `smtp-tui journey`'s flags through the built binary: a bad --retrieval is one sentence and
// exit 2, found before the terminal check (so also in a pipe); its value is shown through the
// terminal gate; --retrieval in any letter case is accepted.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {cli} from '../support/cli.js';

test('smtp-tui journey --retrieval with a value that is not pop3 or imap: one sentence, exit 2, before any terminal check', async () => {
	const {code, stderr} = await cli(['journey', '--retrieval', 'smtp']);
	assert.equal(code, 2);
	assert.equal(stderr, 'smtp-tui: --retrieval must be pop3 or imap (how bob\'s mail program reads his mailbox in leg 3), not "smtp".\n');
	const hostile = await cli(['journey', '--retrieval', 'x\u001B[2Jy']);
	assert.equal(hostile.code, 2);
	assert.ok(!hostile.stderr.includes('\u001B'), 'the value never reaches the terminal raw');
	const missing = await cli(['journey', '--retrieval']);
	assert.equal(missing.code, 2);
	assert.equal(missing.stderr, 'smtp-tui: --retrieval needs a value.\n');
});

test('smtp-tui journey --retrieval IMAP (any case) is taken: without a terminal the only complaint is the terminal', async () => {
	for (const value of ['IMAP', 'pop3']) {
		const {code, stderr} = await cli(['journey', '--retrieval', value]);
		assert.equal(code, 2);
		assert.equal(stderr, 'smtp-tui: the journey runs in the interactive TUI and needs a terminal.\n', value);
	}
});
