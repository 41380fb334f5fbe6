// --save-dir's storage: each message the lab accepts as an exact .eml with a .json sidecar,
// written under a temporary name and renamed; an unusable folder refused in one sentence.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {watch} from 'node:fs';
import {mkdir, mkdtemp, readdir, readFile, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {simpleParser} from 'mailparser';
import {Session} from '../../source/engine/session.js';
import {startLab, type CapturedMessage, type Lab} from '../../source/lab/index.js';
import {attachSaveDir, prepareSaveDir, saveMessage, SaveDirError, type SavedEnvelope} from '../../source/lab/save.js';

let tmp: string;
let lab: Lab;
before(async () => {
	tmp = await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-save-'));
	lab = await startLab({only: [25]});
});
after(async () => {
	await lab.close();
});

let folders = 0;
async function freshDir(): Promise<string> {
	const dir = path.join(tmp, `d${folders++}`);
	await mkdir(dir);
	return dir;
}

/** Every byte value, bare CR and LF, and a line that was dot-stuffed on the wire. */
function awkwardRaw(): Buffer {
	const all = Buffer.from(Array.from({length: 256}, (_, i) => i));
	return Buffer.concat([Buffer.from('Subject: bytes\r\n\r\n.leading dot\r\n'), all, Buffer.from('\r\nend\r\n')]);
}

function captured(over: Partial<CapturedMessage> = {}): CapturedMessage {
	return {
		id: '0A1B2C3D4E',
		port: 587,
		listenPort: 40_587,
		mailFrom: 'alice@lab.test',
		rcptTo: ['bob@lab.test', 'carol@lab.test'],
		tls: true,
		user: 'alice',
		receivedAt: new Date('2024-05-01T10:20:30.456Z'),
		raw: awkwardRaw(),
		...over,
	};
}

test('saveMessage writes the raw bytes exactly and the envelope beside them', async () => {
	const dir = await freshDir();
	const message = captured();
	const {eml, json} = await saveMessage(dir, message);
	assert.equal(path.basename(eml), '2024-05-01T10-20-30.456Z-0A1B2C3D4E.eml');
	assert.equal(path.basename(json), '2024-05-01T10-20-30.456Z-0A1B2C3D4E.json');
	assert.deepEqual(await readFile(eml), message.raw);
	const envelope = JSON.parse(await readFile(json, 'utf8')) as SavedEnvelope;
	assert.deepEqual(envelope, {
		id: '0A1B2C3D4E',
		port: 587,
		listenPort: 40_587,
		mailFrom: 'alice@lab.test',
		rcptTo: ['bob@lab.test', 'carol@lab.test'],
		tls: true,
		user: 'alice',
		receivedAt: '2024-05-01T10:20:30.456Z',
		size: message.raw.length,
		sha256: createHash('sha256').update(message.raw).digest('hex'),
	});
	assert.deepEqual((await readdir(dir)).sort(), [path.basename(eml), path.basename(json)].sort(), 'no temporary file is left behind');
});

test('a client that did not log in and the null sender are kept as such', async () => {
	const dir = await freshDir();
	const {json} = await saveMessage(dir, captured({user: undefined, mailFrom: '', tls: false}));
	const envelope = JSON.parse(await readFile(json, 'utf8')) as SavedEnvelope;
	assert.equal(envelope.user, null);
	assert.equal(envelope.mailFrom, '');
	assert.equal(envelope.tls, false);
});

test('files are written under a temporary name and renamed into place', async () => {
	const dir = await freshDir();
	const seen: string[] = [];
	const watcher = watch(dir, (_event, name) => {
		if (name) seen.push(name.toString());
	});
	try {
		await saveMessage(dir, captured({raw: Buffer.alloc(4 * 1024 * 1024, 'x')}));
		await new Promise(resolve => setTimeout(resolve, 100));
	} finally {
		watcher.close();
	}

	assert.ok(seen.some(name => /^\..*\.eml\.[\da-f]+\.tmp$/.test(name)), `a hidden temporary .eml was written first: ${seen.join(' ')}`);
	assert.ok(seen.some(name => /^\..*\.json\.[\da-f]+\.tmp$/.test(name)), 'and a temporary .json');
	assert.ok(seen.includes('2024-05-01T10-20-30.456Z-0A1B2C3D4E.eml'));
});

test('a save that fails half-way leaves no .eml and no temporary file', async () => {
	const dir = await freshDir();
	// A folder where the sidecar should go makes its rename fail, after both files were written.
	await mkdir(path.join(dir, '2024-05-01T10-20-30.456Z-0A1B2C3D4E.json'));
	await writeFile(path.join(dir, '2024-05-01T10-20-30.456Z-0A1B2C3D4E.json', 'keep'), 'x');
	await assert.rejects(saveMessage(dir, captured()));
	assert.deepEqual(await readdir(dir), ['2024-05-01T10-20-30.456Z-0A1B2C3D4E.json']);
});

test('an id that is not a queue ID cannot steer the file name out of the folder', async () => {
	const dir = await freshDir();
	const {eml} = await saveMessage(dir, captured({id: '../../evil'}));
	assert.equal(path.dirname(eml), dir);
	assert.equal(path.basename(eml), '2024-05-01T10-20-30.456Z-______evil.eml');
});

test('prepareSaveDir creates the folder, and refuses one that cannot be a folder in one sentence', async () => {
	const created = path.join(tmp, 'new', 'nested');
	assert.equal(await prepareSaveDir(created), created);
	assert.deepEqual(await readdir(created), [], 'the probe file is removed');

	const file = path.join(tmp, 'a-file');
	await writeFile(file, 'x');
	await assert.rejects(prepareSaveDir(file), (error: unknown) => {
		assert.ok(error instanceof SaveDirError);
		assert.equal(error.message, `Cannot save messages in "${file}": it is a file, not a folder.`);
		return true;
	});
	await assert.rejects(prepareSaveDir(path.join(file, 'below')), {
		name: 'SaveDirError',
		message: `Cannot save messages in "${path.join(file, 'below')}": part of the path is a file, not a folder.`,
	});
});

test('attachSaveDir saves what the lab accepts; flush() waits for it; the files parse back', async () => {
	const dir = await freshDir();
	const errors: string[] = [];
	const saving = attachSaveDir(lab, dir, message => errors.push(message));
	const session = new Session({
		host: lab.host,
		port: lab.ports[25]!,
		profilePort: 25,
		tls: 'none',
		tlsOptions: {insecure: false},
		ehlo: 'client.example',
		from: 'alice@lab.test',
		to: ['bob@lab.test'],
		subject: 'Grüße from the save test',
		body: 'Line one\r\n.dot line\r\nÜmlaut\r\n',
	});
	assert.equal(await session.runToEnd(), 0, session.failureMessage);
	// The lab has answered 250 and the session is over; the save may still be in flight.
	await saving.flush();
	saving();
	const message = lab.inbox.at(-1)!;
	const names = (await readdir(dir)).sort();
	assert.equal(names.length, 2, names.join(' '));
	const eml = await readFile(path.join(dir, names.find(name => name.endsWith('.eml'))!));
	assert.deepEqual(eml, message.raw, 'byte for byte what the lab captured');
	const parsed = await simpleParser(eml);
	assert.equal(parsed.subject, 'Grüße from the save test');
	assert.equal(parsed.from?.text, 'alice@lab.test');
	assert.equal(parsed.text, 'Line one\n.dot line\nÜmlaut\n');
	const envelope = JSON.parse(await readFile(path.join(dir, names.find(name => name.endsWith('.json'))!), 'utf8')) as SavedEnvelope;
	assert.equal(envelope.id, message.id);
	assert.equal(envelope.mailFrom, 'alice@lab.test');
	assert.deepEqual(envelope.rcptTo, ['bob@lab.test']);
	assert.equal(envelope.port, 25);
	assert.equal(envelope.listenPort, lab.ports[25]);
	assert.deepEqual(errors, []);
});

test('a save that fails is reported in one sentence and never disturbs the SMTP session', async () => {
	const dir = await freshDir();
	const errors: string[] = [];
	const saving = attachSaveDir(lab, path.join(dir, 'gone'), message => errors.push(message));
	const session = new Session({
		host: lab.host,
		port: lab.ports[25]!,
		profilePort: 25,
		tls: 'none',
		tlsOptions: {insecure: false},
		ehlo: 'client.example',
		from: 'alice@lab.test',
		to: ['bob@lab.test'],
	});
	assert.equal(await session.runToEnd(), 0, 'the lab still answered 250');
	await saving.flush();
	saving();
	assert.equal(errors.length, 1);
	assert.match(errors[0]!, /^Could not save message [\dA-F]{10} in ".*gone": .+\.$/);
});
