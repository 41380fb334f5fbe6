// The IMAP explanations: every step and command the journey sends is explained with its RFC,
// untagged and tagged lines are told apart, literals and the difference from POP3 are named.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {continuationExplanation, explainImapCapability, explainImapCommand, explainImapLiteral, explainImapStatus, explainImapStep, explainImapUntagged, imapVersusPop3} from '../../source/protocol/imap-explain.js';
import {safeText} from '../../source/protocol/safe-text.js';
import type {ImapStepKind} from '../../source/protocol/transcript.js';

const steps: Array<ImapStepKind | 'connect'> = ['connect', 'imap-capability', 'imap-starttls', 'imap-login', 'imap-list', 'imap-select', 'imap-fetch', 'imap-store', 'imap-logout'];

test('every IMAP step has a summary and an RFC 3501 (or 8314) reference; the text passes the terminal gate unchanged', () => {
	for (const step of steps) {
		const explanation = explainImapStep(step);
		assert.ok(explanation.summary.length > 20, step);
		assert.match(explanation.rfc, /^RFC (3501|2595|8314)/, step);
		for (const text of [explanation.summary, explanation.detail ?? '']) assert.equal(safeText(text), text, `${step}: plain printable text`);
	}
});

test('commands are explained by the word after the tag, and the tag is explained', () => {
	const login = explainImapCommand('A2 LOGIN bob ********');
	assert.match(login.summary, /LOGIN/);
	assert.match(login.detail ?? '', /Tag A2/);
	assert.match(explainImapCommand('A5 FETCH 1 (FLAGS BODY.PEEK[])').summary, /literal/);
	assert.match(explainImapCommand('A6 STORE 1 +FLAGS (\\Seen)').summary, /flags live on the server/);
	assert.match(explainImapCommand('A7 LOGOUT').detail ?? '', /removes nothing/);
	assert.match(explainImapCommand('A9 XYZZY').summary, /does not know \(XYZZY\)/);
});

test('untagged lines are data or news; tagged ones end their command; codes are named', () => {
	assert.match(explainImapUntagged('* 3 EXISTS')[0]!.summary, /stay on the server/);
	assert.match(explainImapUntagged('* 1 FETCH (FLAGS (\\Seen))')[0]!.summary, /literal/);
	assert.match(explainImapUntagged('* CAPABILITY IMAP4rev1 AUTH=PLAIN')[0]!.summary, /capability list/);
	assert.match(explainImapUntagged('* OK [UIDVALIDITY 1] UIDs valid').at(-1)!.summary, /UIDVALIDITY/);
	assert.match(explainImapUntagged('* BYE Logging out')[0]!.summary, /closing/);
	assert.ok(explainImapUntagged('* 3 EXISTS').some(e => /Untagged/.test(e.summary)));
	const tagged = explainImapStatus('NO', 'A3', 'AUTHENTICATIONFAILED');
	assert.match(tagged[1]!.summary, /Tagged with A3/);
	assert.match(tagged[2]!.summary, /wrong user name or password/);
	assert.match(explainImapStatus('OK', 'A1', 'SOMETHING')[2]!.summary, /does not know/);
});

test('literals, continuations, capabilities and the difference from POP3', () => {
	assert.match(explainImapLiteral(1234).summary, /^\{1234\}: a literal, the next 1234 bytes/);
	assert.match(continuationExplanation.summary, /^"\+"/);
	assert.match(explainImapCapability('AUTH=PLAIN').summary, /PLAIN/);
	assert.match(explainImapCapability('LOGINDISABLED').summary, /STARTTLS first/);
	assert.match(explainImapCapability('LITERAL+').rfc, /7888/);
	const words = imapVersusPop3.map(e => e.summary).join(' ');
	for (const idea of [/stay on the server/, /Flags/, /Folders/, /Tags/]) assert.match(words, idea);
});
