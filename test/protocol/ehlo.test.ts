import {test} from 'node:test';
import assert from 'node:assert/strict';
import {Buffer} from 'node:buffer';
import {describeDiff, diffCapabilities, hasExtension, parseEhlo} from '../../source/protocol/ehlo.js';
import {ReplyParser, type Reply} from '../../source/protocol/reply-parser.js';

function reply(text: string): Reply {
	const [parsed] = new ReplyParser().feed(Buffer.from(text));
	assert.ok(parsed);
	return parsed;
}

const gmailBefore = reply(
	'250-smtp.gmail.com at your service, [203.0.113.5]\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n',
);
const gmailAfter = reply(
	'250-smtp.gmail.com at your service, [203.0.113.5]\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\r\n250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n',
);

test('first line gives domain and greeting; the rest are extensions', () => {
	const caps = parseEhlo(gmailBefore);
	assert.equal(caps.domain, 'smtp.gmail.com');
	assert.equal(caps.greeting, 'at your service, [203.0.113.5]');
	assert.deepEqual(
		caps.extensions.map((extension) => extension.keyword),
		['SIZE', '8BITMIME', 'STARTTLS', 'ENHANCEDSTATUSCODES', 'PIPELINING', 'CHUNKING', 'SMTPUTF8'],
	);
	assert.deepEqual(caps.extensions[0], {keyword: 'SIZE', params: ['35882577'], line: 'SIZE 35882577'});
	assert.equal(caps.size, 35_882_577);
	assert.deepEqual(caps.auth, []);
});

test('a one-line EHLO reply has a domain and no extensions', () => {
	const caps = parseEhlo(reply('250 mx.example\r\n'));
	assert.equal(caps.domain, 'mx.example');
	assert.equal(caps.greeting, '');
	assert.deepEqual(caps.extensions, []);
});

test('keywords are upper-cased, unknown keywords kept', () => {
	const caps = parseEhlo(reply('250-mx\r\n250-x-shiny  a  b\r\n250 starttls\r\n'));
	assert.deepEqual(caps.extensions, [
		{keyword: 'X-SHINY', params: ['a', 'b'], line: 'x-shiny  a  b'},
		{keyword: 'STARTTLS', params: [], line: 'starttls'},
	]);
	assert.equal(hasExtension(caps, 'starttls'), true);
	assert.equal(hasExtension(caps, 'X-SHINY'), true);
	assert.equal(hasExtension(caps, 'AUTH'), false);
});

test('AUTH from both spellings, upper-cased and de-duplicated', () => {
	const caps = parseEhlo(reply('250-mx\r\n250-AUTH PLAIN login CRAM-MD5\r\n250 AUTH=LOGIN Plain XOAUTH2\r\n'));
	assert.deepEqual(caps.auth, ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2']);
	assert.deepEqual(caps.extensions[1], {keyword: 'AUTH', params: ['LOGIN', 'Plain', 'XOAUTH2'], line: 'AUTH=LOGIN Plain XOAUTH2', legacy: true});
	const legacyOnly = parseEhlo(reply('250-mx\r\n250 AUTH=LOGIN\r\n'));
	assert.deepEqual(legacyOnly.auth, ['LOGIN']);
	assert.equal(hasExtension(legacyOnly, 'AUTH'), true);
});

test('SIZE only when numeric and above zero', () => {
	assert.equal(parseEhlo(reply('250-mx\r\n250 SIZE 0\r\n')).size, undefined);
	assert.equal(parseEhlo(reply('250-mx\r\n250 SIZE\r\n')).size, undefined);
	assert.equal(parseEhlo(reply('250-mx\r\n250 SIZE big\r\n')).size, undefined);
	assert.equal(parseEhlo(reply('250-mx\r\n250 SIZE 1000\r\n')).size, 1000);
});

test('diff after STARTTLS: AUTH appeared, STARTTLS went', () => {
	const before = parseEhlo(gmailBefore);
	const after = parseEhlo(gmailAfter);
	const diff = diffCapabilities(before, after);
	assert.deepEqual(diff, {added: ['AUTH'], removed: ['STARTTLS'], changed: []});
	assert.equal(
		describeDiff(diff, after),
		'AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH appeared; STARTTLS went',
	);
});

test('the brief example wording', () => {
	const before = parseEhlo(reply('250-mx\r\n250 STARTTLS\r\n'));
	const after = parseEhlo(reply('250-mx\r\n250 AUTH PLAIN LOGIN\r\n'));
	assert.equal(describeDiff(diffCapabilities(before, after), after), 'AUTH PLAIN LOGIN appeared; STARTTLS went');
});

test('changed parameters are reported as changed', () => {
	const before = parseEhlo(reply('250-mx\r\n250-AUTH PLAIN\r\n250 SIZE 100\r\n'));
	const after = parseEhlo(reply('250-mx\r\n250-AUTH PLAIN LOGIN\r\n250 SIZE 100\r\n'));
	const diff = diffCapabilities(before, after);
	assert.deepEqual(diff, {added: [], removed: [], changed: ['AUTH']});
	assert.equal(describeDiff(diff, after), 'AUTH is now PLAIN LOGIN');
});

test('AUTH order and case, and adding the legacy spelling of the same list, are not a change', () => {
	const before = parseEhlo(reply('250-mx\r\n250 AUTH PLAIN LOGIN\r\n'));
	const after = parseEhlo(reply('250-mx\r\n250-AUTH login plain\r\n250 AUTH=LOGIN PLAIN\r\n'));
	assert.deepEqual(diffCapabilities(before, after), {added: [], removed: [], changed: []});
});

test('identical capabilities: nothing changed', () => {
	const caps = parseEhlo(gmailBefore);
	const diff = diffCapabilities(caps, parseEhlo(gmailBefore));
	assert.deepEqual(diff, {added: [], removed: [], changed: []});
	assert.equal(describeDiff(diff, caps), 'nothing changed');
});
