// The lab's deterministic faults and magic recipients over real loopback sockets: each one
// fires on its port, at its step, and nowhere else.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {LabConfigError, faultNames, faultText, magicRecipients, parseFault, startLab} from '../../source/lab/index.js';
import type {Lab, LabEvent, LabOptions} from '../../source/lab/index.js';
import {LabClients, labBanner, withLab, queued, sendMail} from '../support/lab-client.js';
import {lastLine} from '../support/raw-smtp.js';

const sleep = async (ms: number) =>
	new Promise(resolve => {
		setTimeout(resolve, ms);
	});

test('parseFault reads PORTS:NAME[=VALUE]', () => {
	assert.deepEqual(parseFault('587:greylist=30'), {name: 'greylist', ports: [587], value: 30});
	assert.deepEqual(parseFault('all:tarpit=1500'), {name: 'tarpit', ports: 'all', value: 1500});
	assert.deepEqual(parseFault('25,587:too-big=1000'), {name: 'too-big', ports: [25, 587], value: 1000});
	assert.deepEqual(parseFault(' 465:auth-tempfail '), {name: 'auth-tempfail', ports: [465]});
	assert.deepEqual(parseFault('unknown-mailbox'), {name: 'unknown-mailbox', ports: 'all'}, 'no ports: every port');
});

test('parseFault refuses bad input with a LabConfigError of one sentence', () => {
	const cases: Array<[string, RegExp]> = [
		['', /not of the form PORTS:NAME\[=VALUE\]/],
		['587:greylist:30', /not of the form/],
		['26:greylist', /names port "26"; the lab has 25, 465, 587, 2525, or all/],
		['25,x:greylist', /names port "x"/],
		['587:grey', /names no known fault; the lab has greylist, tarpit, /],
		['587:greylist=soon', /value "soon"; it must be a whole number from 0 to 86400 \(seconds before a retry passes\)/],
		['587:greylist=-1', /value "-1"/],
		['587:tls-unavailable=3', /gives a value, but tls-unavailable takes none/],
	];
	for (const [spec, message] of cases) {
		assert.throws(() => parseFault(spec), (error: unknown) => {
			assert.ok(error instanceof LabConfigError, spec);
			assert.equal(error.blame, 'local');
			assert.match(error.message, message, spec);
			assert.match(error.message, /^[^\n]+\.$/, 'one sentence');
			return true;
		});
	}
});

test('faultText describes every fault; those with a value have its meaning and default', () => {
	assert.deepEqual(Object.keys(faultText).sort(), [...faultNames].sort());
	const valued = faultNames.filter(name => faultText[name].valueMeaning);
	assert.deepEqual(valued, ['greylist', 'tarpit', 'rate-limit', 'too-many-recipients', 'too-big', 'greet-pause']);
	assert.deepEqual(valued.map(name => faultText[name].defaultValue), [60, 2000, 3, 2, 1000, 6000]);
	for (const name of faultNames) assert.ok(faultText[name].summary && faultText[name].reply, name);
});

test('startLab refuses nonsense faults before anything listens', async () => {
	await assert.rejects(startLab({faults: [{name: 'nope' as 'greylist', ports: 'all'}]}), LabConfigError);
	await assert.rejects(startLab({faults: [{name: 'greylist', ports: [26 as 25]}]}), /names port 26/);
	await assert.rejects(startLab({faults: [{name: 'tarpit', ports: [], value: 1}]}), /names no port/);
	await assert.rejects(startLab({faults: [{name: 'too-big', ports: 'all', value: 1.5}]}), /whole number/);
});

test('greylist: the first RCPT per (IP, sender, recipient) gets 451 until the wait is over; 2525 is unaffected', async () => {
	await withLab({only: [587, 2525], faults: [parseFault('587:greylist=1')]}, async (lab, clients) => {
		assert.deepEqual(lab.faults, [{name: 'greylist', ports: [587], value: 1}], 'the lab reports its faults as given');
		const greylisted = (rcpt: string) => `451 4.7.1 <${rcpt}>: Recipient address rejected: Greylisted, try again in 1 second`; // one second, not "1 seconds"
		const client = await clients.ready(587);
		assert.equal(lastLine(await client.command('MAIL FROM:<alice@lab.test>')), '250 2.1.0 Ok', 'MAIL is not affected');
		assert.equal(lastLine(await client.command('RCPT TO:<bob@lab.test>')), greylisted('bob@lab.test'));
		assert.equal(lastLine(await client.command('RCPT TO:<bob@lab.test>')), greylisted('bob@lab.test'), 'a retry too soon: the same 451');
		assert.equal(lastLine(await client.command('RCPT TO:<far@example.com>')), greylisted('far@example.com'), 'every triple waits');

		const other = await clients.ready(2525);
		assert.equal(queued.test(await sendMail(other, 'alice@lab.test', ['bob@lab.test'])), true, 'the same step on 2525 passes');

		await sleep(1100);
		assert.equal(lastLine(await client.command('RCPT TO:<bob@lab.test>')), '250 2.1.5 Ok', 'the retry after the wait passes');
		assert.equal(lastLine(await client.command('DATA')), '354 End data with <CR><LF>.<CR><LF>');
		client.write('Subject: retried\r\n\r\nhello\r\n.\r\n');
		assert.match(lastLine(await client.readReply()), queued);
		assert.deepEqual(lab.inbox.at(-1)?.rcptTo, ['bob@lab.test']);

		assert.equal(lastLine(await client.command('MAIL FROM:<bob@lab.test>')), '250 2.1.0 Ok');
		assert.equal(lastLine(await client.command('RCPT TO:<bob@lab.test>')), greylisted('bob@lab.test'), 'another sender is a new triple');
		assert.equal(lab.stats().faultsHit.greylist, 4);
	});
});

/** The labels of `racers` in the order they settle. */
async function finishOrder(racers: Record<string, Promise<unknown>>): Promise<string[]> {
	const order: string[] = [];
	await Promise.all(Object.entries(racers).map(async ([label, racer]) => {
		await racer;
		order.push(label);
	}));
	return order;
}

function faultDetails(events: LabEvent[], port: number): Array<string | undefined> {
	return events.filter(event => event.type === 'fault' && event.port === port).map(event => event.detail);
}

test('tarpit: every reply on 25 comes late, the banner and the final dot included; 587 answers first', async () => {
	await withLab({only: [25, 587], faults: [{name: 'tarpit', ports: [25], value: 1000}]}, async (lab, clients) => {
		const events: LabEvent[] = [];
		lab.onEvent(event => events.push(event));
		const slow = await clients.connect(25);
		const fast = await clients.connect(587);
		// Connected in this order, answered in the other: 25 holds its banner, 587 does not.
		assert.deepEqual(await finishOrder({25: slow.readReply(), 587: fast.readReply()}), ['587', '25'], 'banner late on 25');
		assert.deepEqual(await finishOrder({25: slow.command('NOOP'), 587: fast.command('NOOP')}), ['587', '25'], 'NOOP late on 25');
		await slow.command('EHLO client.test');
		assert.match(await sendMail(slow, 'a@example.org', ['bob@lab.test']), queued);
		const delayed = 'tarpit: reply delayed 1000 ms';
		// The banner, then NOOP, EHLO, MAIL, RCPT, DATA and the final dot: each one held.
		assert.deepEqual(faultDetails(events, 25), ['tarpit: banner delayed 1000 ms', ...Array.from({length: 6}, () => delayed)]);
		assert.deepEqual(faultDetails(events, 587), [], 'nothing held on 587');
		assert.equal(lab.stats().faultsHit.tarpit, 7);
	});
});

test('tarpit: a client that talks before the late banner is not refused: the banner, then its reply', async () => {
	await withLab({only: [25], faults: [parseFault('25:tarpit=200')]}, async (lab, clients) => {
		const eager = await clients.connect(25);
		eager.send('EHLO client.test');
		assert.equal(lastLine(await eager.readReply()), labBanner, 'the banner first');
		assert.equal((await eager.readReply()).code, 250, 'then the EHLO sent before it');
		assert.equal(lab.stats().faultsHit.tarpit, 2, 'the banner and the EHLO reply held');
	});
});

test('greet-pause: the banner is held; a client that talks first gets 521 5.5.1 at once and is dropped; 587 greets', async () => {
	await withLab({only: [25, 587], faults: [parseFault('25:greet-pause=600000')]}, async (lab, clients) => {
		const events: LabEvent[] = [];
		lab.onEvent(event => events.push(event));
		const early = await clients.connect(25);
		early.send('EHLO client.test');
		// The pause is ten minutes: this reply can only be the refusal, never the banner.
		assert.deepEqual((await early.readReply()).lines, ['521 5.5.1 Protocol error'], 'refused before any banner');
		await early.waitForClose();
		const hits = events.filter(event => event.type === 'fault').map(event => event.detail);
		assert.deepEqual(hits, ['greet-pause: banner held 600000 ms', 'greet-pause: a client talked before the banner: 521 5.5.1 Protocol error']);

		const other = await clients.connect(587);
		early.close();
		assert.equal(lastLine(await other.readReply()), labBanner, 'the other port greets');
		assert.equal(lab.stats().faultsHit['greet-pause'], 2);
	});
});

test('greet-pause: a client that waits gets the banner after the pause, and the session goes on', async () => {
	await withLab({only: [25], faults: [parseFault('25:greet-pause=200')]}, async (lab, clients) => {
		const client = await clients.connect(25);
		assert.equal(lastLine(await client.readReply()), labBanner);
		assert.equal((await client.command('EHLO client.test')).code, 250);
		assert.match(await sendMail(client, 'a@example.org', ['bob@lab.test']), queued);
		assert.equal(lab.stats().faultsHit['greet-pause'], 1, 'held once, nobody refused');
	});
});

test('tarpit: waiting for a late reply is not idleness, even past the idle time', async () => {
	await withLab({only: [25], faults: [parseFault('25:tarpit=400')], limits: {idleTimeoutMs: 250}}, async (_lab, clients) => {
		const client = await clients.connect(25);
		assert.equal(lastLine(await client.readReply()), '220 mx.lab.test ESMTP smtp-tui lab');
		assert.equal(lastLine(await client.command('NOOP')), '250 2.0.0 Ok');
		assert.equal(lastLine(await client.command('NOOP')), '250 2.0.0 Ok');
		assert.equal(lastLine(await client.readReply(1000)), '421 4.4.2 mx.lab.test Error: timeout exceeded', 'but real silence still times out');
	});
});

test('rate-limit: after 2 messages from this IP on 25, MAIL gets 421 and the connection closes; 587 goes on', async () => {
	await withLab({only: [25, 587], faults: [parseFault('25:rate-limit=2')]}, async (lab, clients) => {
		const limited = '421 4.7.0 mx.lab.test Error: too many messages, slow down';
		const first = await clients.greeted(25);
		assert.match(await sendMail(first, 'a@example.org', ['bob@lab.test']), queued);
		const second = await clients.greeted(25);
		assert.match(await sendMail(second, 'a@example.org', ['bob@lab.test']), queued, 'counted per IP, not per connection');
		assert.equal(lastLine(await second.command('RSET')), '250 2.0.0 Ok', 'RSET is not MAIL');
		assert.equal(lastLine(await second.command('MAIL FROM:<a@example.org>')), limited);
		await second.waitForClose();
		const third = await clients.greeted(25);
		assert.equal(lastLine(await third.command('MAIL FROM:<b@example.org>')), limited, 'a new connection is still over the limit');

		const other = await clients.ready(587);
		for (let index = 0; index < 3; index++) assert.match(await sendMail(other, 'alice@lab.test', ['x@example.com']), queued);
		assert.equal(lab.stats().faultsHit['rate-limit'], 2);
	});
});

test('too-many-recipients: the third RCPT on 587 gets 452; port 25 takes three', async () => {
	await withLab({only: [25, 587], faults: [{name: 'too-many-recipients', ports: [587]}]}, async (lab, clients) => {
		const client = await clients.ready(587);
		await client.command('MAIL FROM:<alice@lab.test>');
		assert.equal(lastLine(await client.command('RCPT TO:<one@example.com>')), '250 2.1.5 Ok');
		assert.equal(lastLine(await client.command('RCPT TO:<two@example.com>')), '250 2.1.5 Ok');
		assert.equal(lastLine(await client.command('RCPT TO:<three@example.com>')), '452 4.5.3 Error: too many recipients');
		assert.equal(lastLine(await client.command('DATA')), '354 End data with <CR><LF>.<CR><LF>');
		client.write('Subject: two of three\r\n\r\nhi\r\n.\r\n');
		assert.match(lastLine(await client.readReply()), queued);
		assert.deepEqual(lab.inbox.at(-1)?.rcptTo, ['one@example.com', 'two@example.com']);

		const other = await clients.greeted(25);
		assert.match(await sendMail(other, 'a@example.org', ['a@lab.test', 'b@lab.test', 'c@lab.test']), queued);
		assert.equal(lab.stats().faultsHit['too-many-recipients'], 1);
	});
});

test('too-big: 587 advertises SIZE 200 and refuses more, at MAIL SIZE= and after the dot; 2525 keeps 10240000', async () => {
	await withLab({only: [587, 2525], faults: [parseFault('587:too-big=200')]}, async (lab, clients) => {
		const tooBig = '552 5.3.4 Error: message file too big';
		const plain = await clients.connect(587);
		await plain.readReply();
		assert.ok((await plain.command('EHLO client.test')).texts.includes('SIZE 200'), 'advertised before TLS');
		const client = await clients.ready(587);
		assert.ok((await client.command('EHLO client.test')).texts.includes('SIZE 200'), 'and inside TLS');
		assert.equal(lastLine(await client.command('MAIL FROM:<alice@lab.test> SIZE=201')), tooBig);
		assert.equal(lastLine(await client.command('MAIL FROM:<alice@lab.test> SIZE=200')), '250 2.1.0 Ok');
		await client.command('RCPT TO:<x@example.com>');
		await client.command('DATA');
		const before = lab.inbox.length;
		client.write(`Subject: big\r\n\r\n${'x'.repeat(300)}\r\n.\r\n`);
		assert.equal(lastLine(await client.readReply()), tooBig);
		assert.equal(lab.inbox.length, before, 'not kept');
		assert.equal(lastLine(await client.command('NOOP')), '250 2.0.0 Ok', 'the session goes on');
		assert.match(await sendMail(client, 'alice@lab.test', ['x@example.com'], 'Subject: small\r\n\r\nok\r\n'), queued, 'a small one passes');

		const other = await clients.ready(2525);
		assert.ok((await other.command('EHLO client.test')).texts.includes('SIZE 10240000'));
		assert.match(await sendMail(other, 'alice@lab.test', ['x@example.com'], `Subject: big\r\n\r\n${'x'.repeat(300)}\r\n`), queued);
		assert.equal(lab.stats().faultsHit['too-big'], 2);
	});
});

test('too-big switched on live (the fault menu): EHLO advertises the new SIZE and MAIL SIZE= over it is refused', async () => {
	await withLab({only: [25]}, async (lab, clients) => {
		const before = await clients.connect(25);
		await before.readReply();
		assert.ok((await before.command('EHLO client.test')).texts.includes('SIZE 10240000'));
		lab.setFaults([parseFault('25:too-big=100')]);
		const client = await clients.connect(25);
		await client.readReply();
		assert.ok((await client.command('EHLO client.test')).texts.includes('SIZE 100'), 'the new limit is advertised');
		assert.equal(lastLine(await client.command('MAIL FROM:<alice@lab.test> SIZE=209')), '552 5.3.4 Error: message file too big');
		lab.setFaults([]);
		const after = await clients.connect(25);
		await after.readReply();
		assert.ok((await after.command('EHLO client.test')).texts.includes('SIZE 10240000'), 'and back when it is off');
	});
});

test('unknown-mailbox: every lab-domain RCPT on 25 gets 550 5.1.1 (postmaster excepted); 587 delivers', async () => {
	await withLab({only: [25, 587], faults: [parseFault('25:unknown-mailbox')]}, async (lab, clients) => {
		const client = await clients.greeted(25);
		await client.command('MAIL FROM:<a@example.org>');
		for (const rcpt of ['bob@lab.test', 'carol@LAB.test']) {
			assert.equal(lastLine(await client.command(`RCPT TO:<${rcpt}>`)), `550 5.1.1 <${rcpt}>: Recipient address rejected: User unknown in virtual mailbox table`);
		}

		assert.equal(lastLine(await client.command('RCPT TO:<x@example.com>')), '554 5.7.1 <x@example.com>: Relay access denied', 'relay is checked first');
		assert.equal(lastLine(await client.command('RCPT TO:<postmaster@lab.test>')), '250 2.1.5 Ok');
		assert.equal(lastLine(await client.command('RCPT TO:<postmaster>')), '250 2.1.5 Ok');

		const other = await clients.ready(587);
		assert.match(await sendMail(other, 'alice@lab.test', ['bob@lab.test']), queued);
		assert.equal(lab.stats().faultsHit['unknown-mailbox'], 2);
	});
});

test('disconnect-in-data: 2525 drops the connection once the first message line is in, without a reply; 587 delivers', async () => {
	await withLab({only: [587, 2525], faults: [parseFault('2525:disconnect-in-data')]}, async (lab, clients) => {
		const client = await clients.ready(2525);
		assert.equal(lastLine(await client.command('MAIL FROM:<alice@lab.test>')), '250 2.1.0 Ok');
		assert.equal(lastLine(await client.command('RCPT TO:<x@example.com>')), '250 2.1.5 Ok');
		assert.equal(lastLine(await client.command('DATA')), '354 End data with <CR><LF>.<CR><LF>', 'DATA itself is answered');
		client.write('Subject: half');
		assert.equal((await client.settle(200)).length, 0);
		assert.equal(client.ended, false, 'half a line: still connected');
		client.write(' a line\r\nmore\r\n.\r\n');
		await client.waitForClose(2000);
		assert.equal(client.buffered.length, 0, 'no reply at all');
		assert.equal(lab.inbox.length, 0);

		const other = await clients.ready(587);
		assert.match(await sendMail(other, 'alice@lab.test', ['x@example.com']), queued);
		assert.equal(lab.stats().faultsHit['disconnect-in-data'], 1);
	});
});

test('tls-unavailable: STARTTLS on 587 gets 454 and the session stays in cleartext; 25 upgrades; 465 is TLS anyway', async () => {
	await withLab({only: [25, 465, 587], faults: [{name: 'tls-unavailable', ports: [587, 465]}]}, async (lab, clients) => {
		const client = await clients.greeted(587);
		assert.ok((await client.command('EHLO client.test')).texts.includes('STARTTLS'), 'still advertised, as Postfix does');
		assert.equal(lastLine(await client.command('STARTTLS')), '454 4.7.0 TLS not available due to local problem');
		assert.equal(client.secure, false);
		assert.equal(lastLine(await client.command('NOOP')), '250 2.0.0 Ok', 'the session goes on');
		assert.equal(lastLine(await client.command('AUTH LOGIN')), '530 5.7.0 Must issue a STARTTLS command first', 'and AUTH still needs TLS');

		const other = await clients.secure(25);
		assert.equal(other.secure, true, 'port 25 upgraded');
		const implicit = await clients.secure(465);
		assert.equal(implicit.secure, true);
		assert.equal(lastLine(await implicit.command('STARTTLS')), '503 5.5.1 Error: TLS already active', 'not the fault: 465 has no STARTTLS step');
		assert.equal(lab.stats().faultsHit['tls-unavailable'], 1);
	});
});

test('auth-tempfail: AUTH on 465 gets 454 (not counted as a failed login); 587 logs in', async () => {
	await withLab({only: [465, 587], faults: [parseFault('465:auth-tempfail')]}, async (lab, clients) => {
		const tempfail = '454 4.7.0 Temporary authentication failure';
		const client = await clients.secure(465);
		for (let index = 0; index < 4; index++) {
			assert.equal(lastLine(await client.command(`AUTH PLAIN ${Buffer.from('\0alice\0wonderland').toString('base64')}`)), tempfail);
		}

		assert.equal(lastLine(await client.command('AUTH LOGIN')), '334 VXNlcm5hbWU6');
		assert.equal(lastLine(await client.command(Buffer.from('alice').toString('base64'))), '334 UGFzc3dvcmQ6');
		assert.equal(lastLine(await client.command(Buffer.from('wonderland').toString('base64'))), tempfail, 'after the credentials, as a SASL backend fails');
		assert.equal(lastLine(await client.command('MAIL FROM:<alice@lab.test>')), '530 5.7.0 Authentication required', 'not logged in');
		assert.equal(client.ended, false, 'no 421: tempfails are not failed logins');

		const other = await clients.ready(587);
		assert.match(await sendMail(other, 'alice@lab.test', ['x@example.com']), queued);
		assert.equal(lab.stats().faultsHit['auth-tempfail'], 5);
	});
});

test('a fault on "all" ports fires on each of them', async () => {
	await withLab({only: [25, 2525], faults: [parseFault('all:too-big=123')]}, async (_lab, clients) => {
		for (const port of [25, 2525] as const) {
			const client = await clients.greeted(port);
			assert.ok((await client.command('EHLO client.test')).texts.includes('SIZE 123'), `port ${port}`);
		}
	});
});

test('magic recipients: full@, unknown@, greylist@ refused at RCPT; tempfail@ after the dot; on 25 and 587', async () => {
	await withLab({only: [25, 587]}, async (lab, clients) => {
		assert.deepEqual(Object.keys(magicRecipients).sort(), ['full@lab.test', 'greylist@lab.test', 'slow@lab.test', 'tempfail@lab.test', 'unknown@lab.test']);
		for (const port of [25, 587] as const) {
			const client = await clients.ready(port);
			await client.command(`MAIL FROM:<${port === 25 ? 'a@example.org' : 'alice@lab.test'}>`);
			assert.equal(lastLine(await client.command('RCPT TO:<full@lab.test>')), '552 5.2.2 <full@lab.test>: Mailbox full');
			assert.equal(
				lastLine(await client.command('RCPT TO:<unknown@lab.test>')),
				'550 5.1.1 <unknown@lab.test>: Recipient address rejected: User unknown in virtual mailbox table',
			);
			const greylisted = '451 4.7.1 <greylist@lab.test>: Recipient address rejected: Greylisted, try again in 30 seconds';
			assert.equal(lastLine(await client.command('RCPT TO:<greylist@lab.test>')), greylisted);
			assert.equal(lastLine(await client.command('RCPT TO:<greylist@lab.test>')), greylisted, 'a retry too soon');
			assert.equal(lastLine(await client.command('RCPT TO:<tempfail@lab.test>')), '250 2.1.5 Ok', 'tempfail@ passes RCPT');
			assert.equal(lastLine(await client.command('RCPT TO:<bob@lab.test>')), '250 2.1.5 Ok');
			await client.command('DATA');
			const before = lab.inbox.length;
			client.write('Subject: to tempfail\r\n\r\nhi\r\n.\r\n');
			assert.equal(lastLine(await client.readReply()), '451 4.3.0 Error: queue file write error');
			assert.equal(lab.inbox.length, before, 'not kept');
			assert.match(await sendMail(client, 'a@lab.test', ['bob@lab.test']), queued, 'an ordinary recipient is unaffected');
		}

		const relay = await clients.greeted(25);
		await relay.command('MAIL FROM:<a@example.org>');
		assert.equal(lastLine(await relay.command('RCPT TO:<full@example.com>')), '554 5.7.1 <full@example.com>: Relay access denied', 'magic only in the lab domain');
		assert.equal(lab.stats().faultsHit.magic, 10);
	});
});

test('magic slow@: the RCPT reply is held (a fault event says so) and is a plain 250; the next RCPT is not', async () => {
	await withLab({only: [25]}, async (lab, clients) => {
		const events: LabEvent[] = [];
		lab.onEvent(event => events.push(event));
		const client = await clients.greeted(25);
		const other = await clients.greeted(25);
		await client.command('MAIL FROM:<a@example.org>');
		await other.command('MAIL FROM:<a@example.org>');
		let reply = '';
		const slow = client.command('RCPT TO:<slow@lab.test>').then(answer => {
			reply = lastLine(answer);
		});
		// Asked second, answered first: slow@ is held, a normal recipient is not.
		assert.deepEqual(await finishOrder({slow, normal: other.command('RCPT TO:<bob@lab.test>')}), ['normal', 'slow']);
		assert.equal(reply, '250 2.1.5 Ok');
		assert.deepEqual(faultDetails(events, 25), ['magic: slow@: RCPT reply delayed 3000 ms']);
		const next = lastLine(await client.command('RCPT TO:<bob@lab.test>'));
		assert.equal(next, '250 2.1.5 Ok');
		assert.equal(faultDetails(events, 25).length, 1, 'the next RCPT is not held');
	});
});

test('stats and events: connects, messages, faults and closes, per port; listeners can leave; a throwing one is contained', async () => {
	await withLab({only: [25, 587], faults: [parseFault('25:unknown-mailbox')]}, async (lab, clients) => {
		const events: LabEvent[] = [];
		const stop = lab.onEvent(event => events.push(event));
		const stopThrower = lab.onEvent(() => {
			throw new Error('listener bug');
		});
		const empty = lab.stats();
		assert.deepEqual(empty.perPort[465], {connectionsNow: 0, sessions: 0, messages: 0}, 'every port is listed');
		assert.equal(empty.sessionsTotal, 0);

		const client = await clients.greeted(25);
		assert.equal(lab.stats().connectionsNow, 1);
		await client.command('MAIL FROM:<a@example.org>');
		assert.equal((await client.command('RCPT TO:<bob@lab.test>')).code, 550);
		assert.equal((await client.command('RCPT TO:<postmaster>')).code, 250);
		await client.command('DATA');
		client.write('Subject: s\r\n\r\nx\r\n.\r\n');
		assert.match(lastLine(await client.readReply()), queued);
		await client.command('QUIT');
		await client.waitForClose();
		const submission = await clients.ready(587);
		assert.match(await sendMail(submission, 'alice@lab.test', ['x@example.com']), queued);

		for (let wait = 0; wait < 20 && !events.some(event => event.type === 'close'); wait++) await sleep(25);
		stop();
		stopThrower();
		const id = lab.inbox[0]!.id;
		assert.deepEqual(events.filter(event => event.port === 25), [
			{type: 'connect', port: 25, ip: '127.0.0.1'},
			{type: 'fault', port: 25, ip: '127.0.0.1', detail: 'unknown-mailbox: 550 5.1.1 <bob@lab.test>: Recipient address rejected: User unknown in virtual mailbox table'},
			{type: 'message', port: 25, ip: '127.0.0.1', detail: `queued as ${id}`},
			{type: 'close', port: 25, ip: '127.0.0.1'},
		]);
		const stats = lab.stats();
		assert.equal(stats.sessionsTotal, 2);
		assert.equal(stats.connectionsNow, 1, '587 is still open');
		assert.equal(stats.messages, 2);
		assert.deepEqual(stats.perPort[25], {connectionsNow: 0, sessions: 1, messages: 1});
		assert.deepEqual(stats.perPort[587], {connectionsNow: 1, sessions: 1, messages: 1});
		assert.equal(stats.faultsHit['unknown-mailbox'], 1);
		assert.equal(stats.faultsHit.greylist, 0);

		const count = events.length;
		await clients.greeted(25);
		assert.equal(events.length, count, 'an unsubscribed listener hears nothing');
		stats.perPort[25].sessions = 99;
		assert.equal(lab.stats().perPort[25].sessions, 2, 'stats() hands out a copy');
	});
});
