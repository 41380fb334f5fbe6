// The project's clients against a real Dovecot (test/support/dovecot.ts): the POP3 client
// (engine/pop3.ts) with USER/PASS over STLS on 110 and implicit TLS on 995, the IMAP session
// (engine/imap.ts) on 143 and 993, and the sans-I/O
// IMAP client conversation (protocol/imap.ts) on the engine's driver on 143
// (STARTTLS) and 993. Messages are put into the Maildir directly, with 8-bit bytes that are
// not UTF-8, and must come back byte for byte.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import type {Driver} from '../../source/engine/driver.js';
import {ImapSession, imapDriver} from '../../source/engine/imap.js';
import {Pop3Session} from '../../source/engine/pop3.js';
import type {ImapCommand, ImapEvent} from '../../source/protocol/imap.js';
import {ImapClientConversation, capabilityList, fetchData, flagList, nodeBytes, nodeText} from '../../source/protocol/imap.js';
import type {DovecotInstance} from '../support/dovecot.js';
import {startDovecot} from '../support/dovecot.js';
import {eightBitMessage} from '../support/captured.js';

let dovecot: DovecotInstance;

/** CRLF line ends, a latin1 é and ÿ, a line starting with a dot (byte-stuffed by POP3). */
const message = eightBitMessage({from: 'Jane <jane@sender.test>', to: 'bob@dovecot.test', messageId: '<dovecot-interop@sender.test>'});

before(async () => {
	dovecot = await startDovecot();
	// bob's copy is read over POP3 (Dovecot's RETR marks it \Seen), carol's over IMAP.
	await dovecot.deliver('bob', message);
	await dovecot.deliver('carol', message);
});
after(async () => {
	await dovecot?.stop();
});

for (const port of [110, 995] as const) {
	test(`the POP3 client against Dovecot's pop3d on ${port === 995 ? '995 (implicit TLS)' : '110 (STLS)'}: USER/PASS inside TLS, RETR gives the delivered bytes`, async () => {
		const session = new Pop3Session({
			host: dovecot.host,
			port: port === 995 ? dovecot.ports.pop3s : dovecot.ports.pop3,
			profilePort: port,
			tls: 'auto',
			tlsOptions: {ca: dovecot.ca, servername: dovecot.hostname, insecure: false},
			user: 'bob',
			password: 'builder',
			retrieve: 1,
			timeouts: {connect: 5000, greeting: 5000, command: 5000},
		});
		assert.equal(await session.runToEnd(), 0, session.failureMessage);
		assert.ok(session.retrieved?.equals(message), 'RETR: exactly the bytes in the Maildir');
		const sent = session.entries.filter(entry => entry.direction === 'client').map(entry => entry.step);
		assert.deepEqual(sent, [...(port === 110 ? ['pop-capa', 'pop-stls'] : []), 'pop-capa', 'pop-user', 'pop-pass', 'pop-stat', 'pop-list', 'pop-retr', 'pop-quit']);
		const greeting = session.entries.find(entry => entry.direction === 'server');
		assert.equal(greeting?.text, '+OK Dovecot (Debian) ready.');
		assert.ok(session.entries.some(entry => entry.direction === 'server' && entry.text === '+OK Logged in.' && entry.tls));
		assert.equal(session.tlsFacts?.authorized, true, 'the certificate verified against the test CA and name');
	});
}

/**
 * Drives an ImapClientConversation on the engine's driver (engine/driver.ts through imapDriver):
 * what the conversation says to send is written, what arrives is fed in, STARTTLS upgrades.
 */
class ConversationOnDriver {
	readonly imap = new ImapClientConversation();
	readonly events: ImapEvent[] = [];
	private readonly driver: Driver<ImapEvent>;

	private constructor(port: number, implicitTls: boolean) {
		this.driver = imapDriver(this.imap, {host: dovecot.host, port, implicitTls, connectTimeoutMs: 10_000, tls: {ca: dovecot.ca, servername: dovecot.hostname, insecure: false}});
	}

	static async connect(port: number, implicitTls: boolean): Promise<ConversationOnDriver> {
		const driver = new ConversationOnDriver(port, implicitTls);
		await driver.driver.connect();
		return driver;
	}

	/** Events until `done` says stop (a tagged reply, the greeting, ...); a protocol error or silence fails. */
	async until(done: (event: ImapEvent) => boolean): Promise<ImapEvent[]> {
		const seen: ImapEvent[] = [];
		for (;;) {
			const event = await this.driver.read(10_000, 'the test');
			seen.push(event);
			this.events.push(event);
			if (event.type === 'continuation') await this.driver.write(event.send, 10_000, 'the command');
			if (event.type === 'tagged' && event.startTls) {
				await this.driver.upgrade(dovecot.host, {ca: dovecot.ca, servername: dovecot.hostname, insecure: false}, 10_000);
				this.imap.tlsStarted();
			}

			if (done(event)) return seen;
		}
	}

	/** Sends a command and returns every event up to its tagged reply. */
	async command(command: ImapCommand): Promise<{tagged: Extract<ImapEvent, {type: 'tagged'}>; untagged: ImapEvent[]}> {
		const {tag, bytes} = this.imap.send(command);
		await this.driver.write(bytes, 10_000, 'the command');
		const events = await this.until(event => event.type === 'tagged' && event.tag === tag);
		const tagged = events.at(-1) as Extract<ImapEvent, {type: 'tagged'}>;
		return {tagged, untagged: events.filter(event => event.type === 'untagged')};
	}

	close(): void {
		this.driver.close();
	}
}

test('the IMAP client conversation against Dovecot\'s imapd on 143: STARTTLS, LOGIN, SELECT, UID FETCH of the delivered bytes, STORE \\Seen', async () => {
	const driver = await ConversationOnDriver.connect(dovecot.ports.imap, false);
	try {
		const [greeting] = await driver.until(event => event.type === 'greeting');
		assert.ok(greeting?.type === 'greeting' && greeting.status === 'OK');
		const before = capabilityList(greeting.codeArgs ?? []);
		assert.ok(before.includes('STARTTLS'), before.join(' '));
		const starttls = await driver.command({name: 'STARTTLS'});
		assert.ok(starttls.tagged.startTls);
		const capability = await driver.command({name: 'CAPABILITY'});
		const after = capability.untagged.flatMap(event => (event.type === 'untagged' && event.line.command === 'CAPABILITY' ? capabilityList(event.line.attributes) : []));
		assert.ok(after.includes('AUTH=PLAIN') && !after.includes('STARTTLS'), after.join(' '));
		const login = await driver.command({name: 'LOGIN', args: [{string: 'carol'}, {string: 'cards'}]});
		assert.equal(login.tagged.status, 'OK', login.tagged.text);
		const select = await driver.command({name: 'SELECT', args: [{atom: 'INBOX'}]});
		assert.equal(select.tagged.code, 'READ-WRITE');
		assert.ok(select.untagged.some(event => event.type === 'untagged' && event.line.command === '1' && nodeText(event.line.attributes[0]) === 'EXISTS'));
		const fetch = await driver.command({name: 'UID FETCH', args: [{raw: '1:*'}, {raw: '(UID FLAGS RFC822.SIZE BODY.PEEK[])'}]});
		assert.equal(fetch.tagged.status, 'OK');
		const data = fetch.untagged.map(event => (event.type === 'untagged' ? fetchData(event.line) : undefined)).find(Boolean)!;
		assert.ok(nodeBytes(data.items.get('BODY[]'))?.equals(message), 'BODY.PEEK[]: exactly the bytes in the Maildir');
		assert.equal(nodeText(data.items.get('RFC822.SIZE')), String(message.length));
		assert.ok(!flagList(data.items.get('FLAGS')).includes('\\Seen'));
		const uid = nodeText(data.items.get('UID'))!;
		const store = await driver.command({name: 'UID STORE', args: [{raw: uid}, {raw: '+FLAGS'}, {raw: '(\\Seen)'}]});
		assert.equal(store.tagged.status, 'OK');
		const flags = store.untagged.map(event => (event.type === 'untagged' ? fetchData(event.line) : undefined)).find(Boolean);
		assert.ok(flagList(flags?.items.get('FLAGS')).includes('\\Seen'));
		const logout = await driver.command({name: 'LOGOUT'});
		assert.equal(logout.tagged.status, 'OK');
		assert.ok(logout.untagged.some(event => event.type === 'untagged' && event.line.command === 'BYE'));
	} finally {
		driver.close();
	}
});

test('the IMAP client conversation against Dovecot on 993: AUTHENTICATE PLAIN after "+", a literal, and \\Seen from the last session', async () => {
	const driver = await ConversationOnDriver.connect(dovecot.ports.imaps, true);
	try {
		await driver.until(event => event.type === 'greeting');
		const token = Buffer.from('\0carol\0cards').toString('base64');
		const auth = await driver.command({name: 'AUTHENTICATE', args: [{atom: 'PLAIN'}], continuations: [Buffer.from(token)]});
		assert.equal(auth.tagged.status, 'OK', auth.tagged.text);
		assert.ok(driver.events.some(event => event.type === 'continuation'), 'Dovecot asked with "+"');
		// A mailbox name with a CR in it can only go as a literal: Dovecot asks for it with "+", then refuses the name.
		const odd = await driver.command({name: 'EXAMINE', args: [{string: 'IN\rBOX'}]});
		assert.equal(odd.tagged.status, 'NO');
		const examine = await driver.command({name: 'EXAMINE', args: [{string: 'INBOX'}]});
		assert.equal(examine.tagged.code, 'READ-ONLY');
		const fetch = await driver.command({name: 'FETCH', args: [{raw: '1'}, {raw: '(FLAGS ENVELOPE)'}]});
		const data = fetch.untagged.map(event => (event.type === 'untagged' ? fetchData(event.line) : undefined)).find(Boolean)!;
		assert.ok(flagList(data.items.get('FLAGS')).includes('\\Seen'), 'the flag set on 143 is still there');
		const envelope = data.items.get('ENVELOPE');
		assert.ok(Array.isArray(envelope));
		assert.equal(nodeText(envelope[9]), '<dovecot-interop@sender.test>');
		assert.ok(nodeBytes(envelope[1])?.equals(Buffer.from([0x63, 0x61, 0x66, 0xe9])), 'the 8-bit subject as sent');
		await driver.command({name: 'LOGOUT'});
	} finally {
		driver.close();
	}
});

for (const [port, auth] of [[143, 'auto'], [993, 'login']] as const) {
	test(`the IMAP session (engine/imap.ts) against Dovecot on ${port === 993 ? '993 (implicit TLS)' : '143 (STARTTLS)'}: ${auth === 'login' ? 'LOGIN' : 'AUTHENTICATE PLAIN'}, SELECT, FETCH of the delivered bytes`, async () => {
		const session = new ImapSession({
			host: dovecot.host,
			port: port === 993 ? dovecot.ports.imaps : dovecot.ports.imap,
			profilePort: port,
			tls: 'auto',
			tlsOptions: {ca: dovecot.ca, servername: dovecot.hostname, insecure: false},
			user: 'bob',
			password: 'builder',
			auth,
			list: true,
			timeouts: {connect: 5000, greeting: 5000, command: 5000, fetch: 5000},
		});
		assert.equal(await session.runToEnd(), 0, session.failureMessage);
		assert.ok(session.fetched?.equals(message), 'FETCH BODY.PEEK[]: exactly the bytes in the Maildir');
		const sent = session.entries.filter(entry => entry.direction === 'client').map(entry => entry.text.replace(/^A\d+ /, ''));
		const login = auth === 'login' ? ['LOGIN "bob" ********'] : ['AUTHENTICATE PLAIN', '********'];
		assert.deepEqual(sent, [...(port === 143 ? ['CAPABILITY', 'STARTTLS'] : []), 'CAPABILITY', ...login, 'LIST "" "*"', 'SELECT "INBOX"', 'FETCH 1 (FLAGS BODY.PEEK[])', 'LOGOUT']);
		if (port === 143) assert.ok(session.capabilitiesBeforeTls?.includes('STARTTLS'), 'the list heard in cleartext offered STARTTLS');
		assert.ok(session.folders?.some(folder => folder.name === 'INBOX'));
		assert.ok(!JSON.stringify(session.entries).includes('builder'));
		assert.equal(session.tlsFacts?.authorized, true);
	});
}
