// The reply rewriter on its own: the Postfix wordings that are hard to reach over a socket.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {personalities} from '../../source/lab/personality.js';
import {orderEhlo, replyMessage, rewriteReply} from '../../source/lab/replies.js';

const relay = {personality: personalities[25], secure: false, hostname: 'mx.lab.test'};
const submission = {personality: personalities[587], secure: false, hostname: 'mx.lab.test'};

test('timeouts and error floods get Postfix texts, still as 421 (so smtp-server still hangs up)', () => {
	assert.deepEqual(rewriteReply({code: 421, data: 'Timeout - closing connection'}, relay), {
		code: 421,
		data: '4.4.2 mx.lab.test Error: timeout exceeded',
		context: false,
	});
	assert.deepEqual(rewriteReply({code: 421, data: 'Error: too many unrecognized commands', context: 'FOO'}, relay), {
		code: 421,
		data: '4.7.0 mx.lab.test Error: too many errors',
		context: false,
	});
});

test('a disabled AUTH is explained per personality; other unknown commands get 502', () => {
	const unknown = {code: 500, data: 'Error: command not recognized', context: 'AUTH'};
	assert.deepEqual(rewriteReply(unknown, relay), {code: 503, data: '5.5.1 Error: authentication not enabled', context: false});
	assert.deepEqual(rewriteReply(unknown, submission), {code: 530, data: '5.7.0 Must issue a STARTTLS command first', context: false});
	assert.deepEqual(rewriteReply({...unknown, context: 'XYZZY'}, relay), {code: 502, data: '5.5.2 Error: command not recognized', context: false});
});

test('lab replies that carry their enhanced code pass verbatim; others are left alone', () => {
	const own = replyMessage({code: 554, enhanced: '5.7.1', text: '<a@b.example>: Relay access denied'});
	assert.deepEqual(rewriteReply({code: 554, data: own}, relay), {code: 554, data: own, context: false});
	const other = {code: 214, data: 'See https://tools.ietf.org/html/rfc5321 for details'};
	assert.deepEqual(rewriteReply(other, relay), other);
});

test('EHLO keywords follow Postfix order; unknown ones keep their order at the end', () => {
	assert.deepEqual(orderEhlo(['mx', 'PIPELINING', '8BITMIME', 'XFOO', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'AUTH PLAIN', 'STARTTLS', 'XBAR', 'SIZE 10']), [
		'mx',
		'PIPELINING',
		'SIZE 10',
		'STARTTLS',
		'AUTH PLAIN',
		'ENHANCEDSTATUSCODES',
		'8BITMIME',
		'SMTPUTF8',
		'XFOO',
		'XBAR',
	]);
});
