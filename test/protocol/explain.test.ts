import {test} from 'node:test';
import assert from 'node:assert/strict';
import {
	explainCode,
	explainCommand,
	explainEnhanced,
	explainExtension,
	explainMechanism,
	explainReplyLines,
	explainCodeFor,
	explainStep,
	portTexts,
	whySeveralPorts,
	type ExplainedStep,
	type Explanation,
} from '../../source/protocol/explain.js';

// Every reply code in PROTOCOL.md §4, plus the others the brief names.
const protocolCodes = [220, 221, 235, 250, 334, 354, 421, 450, 451, 452, 454, 500, 501, 502, 503, 504, 530, 534, 535, 538, 550, 552, 553, 554, 555];
const extraCodes = [211, 214, 251, 252, 432, 455, 521, 551, 556];

// Every enhanced code named anywhere in PROTOCOL.md.
const protocolEnhanced = [
	'2.0.0', '2.1.0', '2.1.5', '2.7.0', '4.2.1', '4.3.0', '4.3.1', '4.4.2', '4.5.3', '4.7.0', '4.7.1',
	'5.1.1', '5.1.3', '5.2.2', '5.3.4', '5.5.0', '5.5.1', '5.5.2', '5.5.4', '5.6.7',
	'5.7.0', '5.7.1', '5.7.8', '5.7.9', '5.7.11', '5.7.30', '5.7.54', '5.7.57',
];

// Every keyword in PROTOCOL.md §3, plus the others the brief names.
const protocolKeywords = ['STARTTLS', 'AUTH', 'PIPELINING', 'SIZE', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'CHUNKING', 'DSN', 'REQUIRETLS', 'VRFY', 'ETRN', 'HELP'];
const extraKeywords = ['BINARYMIME', 'DELIVERBY', 'MTRK', 'FUTURERELEASE', 'XCLIENT', 'XFORWARD', 'PRDR', 'LIMITS', 'EXPN'];

const commands = ['HELO', 'EHLO', 'MAIL', 'RCPT', 'DATA', 'BDAT', 'RSET', 'NOOP', 'QUIT', 'VRFY', 'EXPN', 'HELP', 'STARTTLS', 'AUTH', 'ETRN', 'TURN'];
const mechanisms = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2', 'OAUTHBEARER', 'SCRAM-SHA-1', 'SCRAM-SHA-256', 'GSSAPI', 'NTLM', 'EXTERNAL'];
const steps: ExplainedStep[] = ['connect', 'ehlo', 'helo', 'starttls', 'auth', 'mail', 'rcpt', 'data', 'body', 'rset', 'noop', 'quit', 'manual'];

const unknownExtensionText = 'An extension smtp-tui does not know; servers may advertise private ones (often starting with X).';
// C0, DEL, C1 (incl. 0x9B) and bidi overrides must never reach the terminal from these texts.
const controlChars = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

function isFallback(explanation: Explanation): boolean {
	return explanation.summary.startsWith('Unrecognised') || explanation.summary === unknownExtensionText;
}

function assertSpecific(label: string, explanation: Explanation): void {
	assert.equal(isFallback(explanation), false, `${label} falls back: ${explanation.summary}`);
	// Vendor or draft behaviour names its source and says plainly that it is not an RFC.
	assert.match(explanation.rfc, /RFC \d{3,4}|\S+ \(.*not an RFC\)$/, `${label} has no reference: ${explanation.rfc}`);
}

function assertWellFormed(label: string, explanation: Explanation): void {
	for (const [field, text] of [['summary', explanation.summary], ['detail', explanation.detail], ['rfc', explanation.rfc]] as const) {
		if (text === undefined) {
			continue;
		}

		assert.ok(text.length > 0, `${label} ${field} is empty`);
		assert.ok(text.length <= 110, `${label} ${field} is ${text.length} chars: ${text}`);
		assert.doesNotMatch(text, controlChars, `${label} ${field} has a control character`);
	}
}

test('every reply code in PROTOCOL.md §4 and the extras has a specific explanation', () => {
	for (const code of [...protocolCodes, ...extraCodes]) {
		assertSpecific(String(code), explainCode(code));
	}
});

test('reply codes match their documented meaning', () => {
	const cases: Array<[number, RegExp, RegExp]> = [
		[250, /^Requested action completed$/, /^RFC 5321 §4\.2\.2$/],
		[235, /succeeded/i, /RFC 4954/],
		[334, /base64/, /RFC 4954/],
		[354, /dot/, /RFC 5321/],
		[530, /STARTTLS or AUTH/, /RFC 3207.*RFC 4954|RFC 4954.*RFC 3207/],
		[535, /password/, /RFC 4954/],
		[521, /does not accept mail/, /RFC 7504/],
		[556, /null MX/, /RFC 7504/],
	];
	for (const [code, summary, rfc] of cases) {
		const explanation = explainCode(code);
		assert.match(explanation.summary, summary, String(code));
		assert.match(explanation.rfc, rfc, String(code));
	}
});

test('unknown reply codes fall back by first and second digit', () => {
	const cases: Array<[number, RegExp]> = [
		[259, /^Unrecognised code; 2xx means success; x5x is about the mail system\.$/],
		[399, /^Unrecognised code; 3xx means continue/],
		[429, /^Unrecognised code; 4xx means a transient failure: try again later; x2x is about the connection\.$/],
		[509, /^Unrecognised code; 5xx means a permanent failure; x0x is about syntax\.$/],
		[519, /5xx means a permanent failure; x1x is information/],
		[539, /x3x has no fixed meaning/],
		[548, /x4x has no fixed meaning/],
		[590, /^Unrecognised code; 5xx means a permanent failure\.$/],
		[199, /first digit outside 2-5/],
		[600, /first digit outside 2-5/],
		[42, /first digit outside 2-5/],
		[Number.NaN, /first digit outside 2-5/],
		[250.5, /first digit outside 2-5/],
	];
	for (const [code, summary] of cases) {
		const explanation = explainCode(code);
		assert.match(explanation.summary, summary, String(code));
		assert.ok(isFallback(explanation), String(code));
		assert.match(explanation.rfc, /RFC 5321 §4\.2/);
	}
});

test('every enhanced code named in PROTOCOL.md has a specific explanation', () => {
	for (const code of protocolEnhanced) {
		const explanation = explainEnhanced(code);
		assert.ok(explanation, `${code} returned undefined`);
		assertSpecific(code, explanation);
	}
});

test('enhanced codes match their registry meaning', () => {
	const cases: Array<[string, RegExp, RegExp]> = [
		['2.1.5', /^Destination address valid$/, /^RFC 3463$/],
		['5.1.1', /no such user/, /RFC 3463/],
		['5.7.8', /credentials invalid/, /RFC 4954/],
		['5.7.30', /REQUIRETLS/, /RFC 8689/],
		['5.6.7', /Non-ASCII/, /RFC 6531/],
		['5.7.57', /Microsoft 365/, /Microsoft-specific/],
		// Registry entries without a hand-written override get the class appended.
		['4.2.2', /^Mailbox full \(temporary/, /RFC 3463/],
		['5.4.4', /^Unable to route \(permanent/, /RFC 3463/],
		['2.6.4', /^Conversion with loss performed$/, /RFC 3463/],
		['5.7.23', /^SPF validation failed/, /RFC 7372/],
		['5.5.6', /line is too long/, /RFC 4954/],
		// Leading zeros are allowed by the RFC 3463 ABNF and mean the same code.
		['5.01.001', /no such user/, /RFC 3463/],
	];
	for (const [code, summary, rfc] of cases) {
		const explanation = explainEnhanced(code);
		assert.ok(explanation, code);
		assert.match(explanation.summary, summary, code);
		assert.match(explanation.rfc, rfc, code);
	}
});

test('unknown enhanced detail codes fall back by class and subject', () => {
	const cases: Array<[string, RegExp]> = [
		['2.0.9', /^Unrecognised detail code; 2\.0\.x means success with no further subject\.$/],
		['4.1.99', /4\.1\.x means a persistent transient failure about addressing/],
		['5.2.99', /5\.2\.x means a permanent failure about the mailbox/],
		['5.3.99', /about the mail system/],
		['5.4.99', /about the network or routing/],
		['5.5.99', /about the mail protocol/],
		['5.6.99', /about the message content/],
		['5.7.999', /5\.7\.x means a permanent failure about security or policy/],
		['5.9.1', /a subject RFC 3463 does not define/],
	];
	for (const [code, summary] of cases) {
		const explanation = explainEnhanced(code);
		assert.ok(explanation, code);
		assert.match(explanation.summary, summary, code);
		assert.ok(isFallback(explanation), code);
	}
});

test('malformed enhanced codes return undefined', () => {
	const malformed = ['', '5.7', '5.7.', '5..1', '3.1.1', '1.0.0', '6.0.0', '5.1.1.1', '5.1234.1', '5.1.1234', 'x.y.z', ' 5.1.1', '5.1.1 ', '5.1.1\r', '55.1.1', '5,1,1', '-5.1.1'];
	for (const code of malformed) {
		assert.equal(explainEnhanced(code), undefined, JSON.stringify(code));
	}
});

test('every §3 keyword and the extra keywords have a specific explanation, case-insensitively', () => {
	for (const keyword of [...protocolKeywords, ...extraKeywords]) {
		assertSpecific(keyword, explainExtension(keyword));
		assert.deepEqual(explainExtension(keyword.toLowerCase()), explainExtension(keyword), keyword);
	}

	assert.match(explainExtension('STARTTLS').rfc, /RFC 3207/);
	assert.match(explainExtension('PIPELINING').rfc, /RFC 2920/);
	assert.match(explainExtension('CHUNKING').summary, /BDAT/);
	assert.match(explainExtension('REQUIRETLS').detail ?? '', /5\.7\.30/);
});

test('unknown extensions get the documented fallback', () => {
	for (const keyword of ['XEXAMPLE', 'X-LINK2STATE', 'FROBNICATE']) {
		const explanation = explainExtension(keyword);
		assert.equal(explanation.summary, unknownExtensionText);
		assert.match(explanation.rfc, /RFC 5321/);
	}
});

test('SIZE with a parameter states the limit in MB', () => {
	const cases: Array<[string, RegExp]> = [
		['10240000', /about 10\.2 MB \(10240000 bytes\)/],
		['35882577', /about 35\.9 MB \(35882577 bytes\)/],
		['10000000', /about 10 MB/],
		['1500000', /about 1\.5 MB/],
		['512000', /about 0\.512 MB/],
		['0', /no fixed message size limit/],
	];
	for (const [param, summary] of cases) {
		assert.match(explainExtension('SIZE', [param]).summary, summary, param);
	}

	// Without a usable number the general SIZE text stays.
	assert.equal(explainExtension('SIZE', ['lots']).summary, explainExtension('SIZE').summary);
	assert.doesNotMatch(explainExtension('SIZE').summary, /MB/);
});

test('AUTH lists its mechanisms and warns about clear-text ones', () => {
	const modern = explainExtension('AUTH', ['LOGIN', 'PLAIN', 'XOAUTH2']);
	assert.equal(modern.summary, 'Login (SASL) is offered with: LOGIN, PLAIN, XOAUTH2');
	assert.match(modern.detail ?? '', /LOGIN, PLAIN, XOAUTH2 send the secret as base64 clear text/);
	assert.match(modern.rfc, /RFC 4954/);

	// The pre-standard "AUTH=LOGIN PLAIN" form arrives with the first mechanism glued to the keyword.
	const old = explainExtension('AUTH=LOGIN', ['PLAIN']);
	assert.equal(old.summary, 'Login (SASL, pre-standard AUTH= form) is offered with: LOGIN, PLAIN');
	assert.match(old.detail ?? '', /LOGIN, PLAIN send the secret/);
	assertWellFormed('AUTH= with every clear-text mechanism', explainExtension('AUTH=LOGIN', ['PLAIN', 'XOAUTH2', 'OAUTHBEARER']));

	const safe = explainExtension('AUTH', ['SCRAM-SHA-256', 'GSSAPI']);
	assert.doesNotMatch(safe.detail ?? '', /clear text/);

	// A long list is cut to fit one line rather than overflowing it.
	const many = explainExtension('AUTH', Array.from({length: 30}, (_, index) => `MECH-${index}`));
	assert.ok(many.summary.length <= 110, many.summary);
	assert.ok(many.summary.endsWith('…'), many.summary);
});

test('server-supplied parameters cannot inject control characters', () => {
	const hostile = ['\u001b[2J', '\u001b]52;c;aGk=\u0007', '\u009b21t', 'PLAIN\u202e'];
	const auth = explainExtension('AUTH', hostile);
	const limits = explainExtension('LIMITS', hostile);
	const size = explainExtension('SIZE', ['\u001b[2J']);
	for (const explanation of [auth, limits, size]) {
		assertWellFormed('hostile', explanation);
	}

	assert.match(auth.summary, /\\x1b\[2J/);
	const [, line] = explainReplyLines(550, '5.1.1\u001b[2J');
	assert.doesNotMatch(line ?? '', controlChars);
	assert.match(line ?? '', /Not a valid enhanced status code/);
});

test('LIMITS lists the announced limits', () => {
	assert.match(explainExtension('LIMITS', ['RCPTMAX=100', 'MAILMAX=1000']).detail ?? '', /RCPTMAX=100, MAILMAX=1000/);
});

test('every command has a specific explanation; unknown verbs fall back', () => {
	for (const verb of commands) {
		assertSpecific(verb, explainCommand(verb));
		assert.deepEqual(explainCommand(verb.toLowerCase()), explainCommand(verb), verb);
	}

	assert.match(explainCommand('STARTTLS').summary, /EHLO again/);
	assert.match(explainCommand('TURN').summary, /Obsolete/);
	const unknown = explainCommand('FROB');
	assert.ok(isFallback(unknown));
	assert.match(unknown.summary, /500/);
});

test('every mechanism has an explanation that says whether TLS is needed', () => {
	for (const name of mechanisms) {
		assertSpecific(name, explainMechanism(name));
	}

	for (const name of ['PLAIN', 'LOGIN', 'XOAUTH2', 'OAUTHBEARER']) {
		assert.match(explainMechanism(name).summary, /clear text, so use it only over TLS/, name);
	}

	for (const name of ['CRAM-MD5', 'SCRAM-SHA-1', 'SCRAM-SHA-256', 'GSSAPI', 'NTLM', 'EXTERNAL']) {
		assert.doesNotMatch(explainMechanism(name).summary, /clear text/, name);
	}

	assert.ok(isFallback(explainMechanism('MAGIC-42')));
	assert.equal(explainMechanism('plain').summary, explainMechanism('PLAIN').summary);
});

test('explainReplyLines formats one or two ready-to-print lines', () => {
	assert.deepEqual(explainReplyLines(250), ['250 — Requested action completed (RFC 5321 §4.2.2)']);
	assert.deepEqual(explainReplyLines(250, '2.1.5'), [
		'250 — Requested action completed (RFC 5321 §4.2.2)',
		'2.1.5 — Destination address valid (RFC 3463)',
	]);
	const [first, second] = explainReplyLines(535, '5.7.8');
	assert.match(first ?? '', /^535 — .+ \(RFC 4954 §6\)$/);
	assert.match(second ?? '', /^5\.7\.8 — .+ \(RFC 4954 §6\)$/);
	assert.equal(explainReplyLines(599).length, 1);
	assert.match(explainReplyLines(599)[0] ?? '', /^599 — Unrecognised code; 5xx/);
});

test('every step has an explanation; STARTTLS says why EHLO is repeated', () => {
	for (const step of steps) {
		const explanation = explainStep(step);
		assert.match(explanation.rfc, /RFC \d{4}/, step);
		assertWellFormed(step, explanation);
	}

	const starttls = explainStep('starttls');
	assert.match(starttls.summary, /EHLO/);
	assert.match(starttls.rfc, /RFC 3207 §4\.2/);
	assert.match(starttls.detail ?? '', /discard/);
	assert.match(explainStep('data').summary, /354/);
});

test('port texts describe the four ports', () => {
	assert.deepEqual(Object.keys(portTexts).map(Number).sort((a, b) => a - b), [25, 465, 587, 2525]);
	for (const profile of Object.values(portTexts)) {
		for (const text of [profile.name, profile.purpose, profile.tls, profile.expects, profile.who, profile.rfc]) {
			assert.ok(text.length > 0 && text.length <= 110, `${profile.port}: ${text}`);
			assert.doesNotMatch(text, controlChars);
		}
	}

	assert.equal(portTexts[25].port, 25);
	assert.equal(portTexts[465].tls, 'TLS from the first byte (implicit TLS)');
	assert.match(portTexts[465].rfc, /RFC 8314/);
	assert.match(portTexts[587].rfc, /RFC 6409/);
	assert.match(portTexts[587].expects, /EHLO \(no AUTH yet\) → STARTTLS → EHLO again \(AUTH appears\) → AUTH/);
	assert.match(portTexts[25].tls, /optional/);
	assert.match(portTexts[2525].name, /unofficial/);
});

test('whySeveralPorts covers blocking, submission ports, 2525 and the 487 typo in 2-3 sentences', () => {
	for (const fact of [/25/, /block/, /587/, /RFC 6409/, /465/, /RFC 8314/, /2525/, /487/, /saft/]) {
		assert.match(whySeveralPorts, fact);
	}

	const sentences = whySeveralPorts.split(/(?<=\.)\s+/).filter((part) => part.length > 0);
	assert.ok(sentences.length >= 2 && sentences.length <= 4, String(sentences.length));
	assert.doesNotMatch(whySeveralPorts, controlChars);
});

test('all texts are at most 110 characters, non-empty and free of control characters', () => {
	const explanations: Array<[string, Explanation]> = [];
	for (let code = 0; code <= 999; code += 1) {
		explanations.push([`code ${code}`, explainCode(code)]);
	}

	for (const klass of [2, 4, 5]) {
		for (let subject = 0; subject <= 9; subject += 1) {
			for (let detail = 0; detail <= 60; detail += 1) {
				const code = `${klass}.${subject}.${detail}`;
				const explanation = explainEnhanced(code);
				assert.ok(explanation, code);
				explanations.push([code, explanation]);
			}
		}
	}

	for (const keyword of [...protocolKeywords, ...extraKeywords, 'XUNKNOWN']) {
		explanations.push([keyword, explainExtension(keyword)]);
	}

	explanations.push(['SIZE n', explainExtension('SIZE', ['999999999999999'])]);
	for (const verb of [...commands, 'ATRN', 'FROB']) {
		explanations.push([verb, explainCommand(verb)]);
	}

	for (const name of [...mechanisms, 'SCRAM-SHA-256-PLUS', 'DIGEST-MD5', 'ANONYMOUS', 'UNKNOWN']) {
		explanations.push([name, explainMechanism(name)]);
	}

	for (const [label, explanation] of explanations) {
		assertWellFormed(label, explanation);
	}
});

test('returned explanations are copies, so callers cannot corrupt the tables', () => {
	const first = explainCode(250);
	first.summary = 'changed';
	assert.equal(explainCode(250).summary, 'Requested action completed');
	const enhanced = explainEnhanced('2.1.5');
	assert.ok(enhanced);
	enhanced.summary = 'changed';
	assert.equal(explainEnhanced('2.1.5')?.summary, 'Destination address valid');
});

test('a reply is explained as the answer to its command: 554 and 220 as greeting and later', () => {
	assert.match(explainReplyLines(554, '5.7.1', 'connect')[0]!, /^554 — No SMTP service here: the server refuses the session at the greeting/);
	const relay = explainReplyLines(554, '5.7.1', 'rcpt')[0]!;
	assert.match(relay, /^554 — Recipient refused for good, usually by policy, e\.g\. "Relay access denied"/);
	assert.doesNotMatch(relay, /greeting|no SMTP service/i);
	assert.match(explainReplyLines(220, undefined, 'connect')[0]!, /^220 — Service ready: the greeting \(banner\)/);
	const tls = explainReplyLines(220, '2.0.0', 'starttls')[0]!;
	assert.match(tls, /^220 — Ready to start TLS: the handshake begins now, .*\(RFC 3207 §4\)$/);
	assert.match(explainReplyLines(250, undefined, 'rcpt')[0]!, /Recipient accepted/);
	// Without a step, the general reading (both meanings) as before.
	assert.match(explainReplyLines(554)[0]!, /as the greeting it means/);
	for (const [code, step] of [[554, 'connect'], [554, 'rcpt'], [554, 'body'], [220, 'connect'], [220, 'starttls'], [250, 'ehlo'], [250, 'body'], [524, 'rcpt']] as const) {
		assertWellFormed(`${code} after ${step}`, explainCodeFor(code, step, '5.2.4'));
	}
});

test('OpenSMTPD\'s 524 5.2.4 is read by its class and enhanced code, not as "about the connection"', () => {
	const [code, enhanced] = explainReplyLines(524, '5.2.4', 'rcpt');
	assert.match(code!, /^524 — A code RFC 5321 does not define; 5xx means a permanent failure: read the enhanced code beside it/);
	assert.doesNotMatch(code!, /connection/);
	assert.match(enhanced!, /^5\.2\.4 — Mailing list expansion problem/);
});

test('Exim\'s PIPECONNECT and an empty "250 " EHLO line are explained, not called unknown', () => {
	assert.match(explainExtension('PIPECONNECT').summary, /EHLO before the banner/);
	assert.match(explainExtension('PIPECONNECT').rfc, /Exim/);
	assert.match(explainExtension('X_PIPE_CONNECT').summary, /PIPECONNECT/);
	assert.equal(explainExtension('').summary, 'An empty line: it names no extension, so there is nothing more on offer here');
	assert.notEqual(explainExtension('').summary, unknownExtensionText);
});
