// The TUI's components rendered with ink-testing-library: what they draw and what keys do.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {stripVTControlCharacters} from 'node:util';
import React from 'react';
import {Text, useInput} from 'ink';
import {render} from 'ink-testing-library';
import type {SessionOptions} from '../../source/engine/session.js';
import {startLab, type Lab, type LabPort} from '../../source/lab/index.js';
import {portTexts} from '../../source/protocol/explain.js';
import type {Direction, TranscriptEntry} from '../../source/protocol/transcript.js';
import {commandFor, sessionKeymap, type SessionCommand} from '../../source/ui/keymap.js';
import {PortPicker} from '../../source/ui/port-picker.js';
import {SessionScreen} from '../../source/ui/session-screen.js';
import {initialViewState, type ViewState} from '../../source/ui/session-view-state.js';
import {TargetScreen, type RemoteAnswers} from '../../source/ui/target-screen.js';
import {TranscriptPane} from '../../source/ui/transcript-pane.js';
import {keys} from './keys.js';

type Instance = ReturnType<typeof render>;

const tick = async (ms = 20) => new Promise(resolve => {
	setTimeout(resolve, ms);
});

/** The last frame without colours, so assertions read the text. */
function screen(instance: Instance): string {
	return stripVTControlCharacters(instance.lastFrame() ?? '');
}

/**
 * Waits until no new frame has arrived for `quietMs`. Ink renders a keypress in a later task
 * and rebinds useInput handlers in effects after that: a key written before then reaches the
 * old handler with old state, so each key waits for the screen to settle first.
 */
async function settle(instance: Instance, quietMs = 30, maxMs = 3000): Promise<void> {
	const deadline = Date.now() + maxMs;
	let seen = instance.frames.length;
	for (;;) {
		await tick(quietMs);
		if (instance.frames.length === seen || Date.now() > deadline) return;
		seen = instance.frames.length;
	}
}

async function press(instance: Instance, key: string): Promise<void> {
	instance.stdin.write(key);
	await settle(instance);
}

async function type(instance: Instance, text: string): Promise<void> {
	for (const char of text) await press(instance, char);
}

async function waitFor(instance: Instance, wanted: string | RegExp, timeoutMs = 8000): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const text = screen(instance);
		if (typeof wanted === 'string' ? text.includes(wanted) : wanted.test(text)) {
			await settle(instance);
			return screen(instance);
		}

		if (Date.now() > deadline) throw new Error(`Timed out waiting for ${String(wanted)}. Screen:\n${text}`);
		await tick();
	}
}

/** Renders, waits for the first frame and input hooks, and always unmounts. */
async function withRender(tree: React.ReactElement, body: (instance: Instance) => Promise<void>): Promise<void> {
	const instance = render(tree);
	try {
		await settle(instance);
		await body(instance);
	} finally {
		instance.unmount();
	}
}

function entry(seq: number, direction: Direction, text: string, tls = false): TranscriptEntry {
	return {seq, direction, text, step: 'ehlo', stepIndex: 1, at: seq, tls, secret: false};
}

const rowName = (index: number) => `line-${String(index).padStart(5, '0')}`;

test('key bytes from a terminal reach the keymap as the right command', async () => {
	const seen: Array<SessionCommand | undefined> = [];
	function Probe() {
		useInput((input, key) => {
			seen.push(commandFor(input, key));
		});
		return <Text>probe</Text>;
	}

	const cases: Array<[string, SessionCommand | undefined]> = [
		[keys.enter, 'send'],
		[keys.space, 'send'],
		['e', 'edit'],
		['s', 'skip'],
		['a', 'run-all'],
		['m', 'manual'],
		['t', 'tls'],
		['r', 'restart'],
		[keys.up, 'up'],
		['k', 'up'],
		[keys.down, 'down'],
		['j', 'down'],
		[keys.pageUp, 'page-up'],
		[keys.pageDown, 'page-down'],
		[keys.home, 'home'],
		['g', 'home'],
		[keys.end, 'end'],
		['G', 'end'],
		['b', 'back'],
		['c', 'compare'],
		['i', 'inbox'],
		['w', 'save'],
		['x', 'export'],
		['z', 'quiz'],
		['?', 'help'],
		['q', 'quit'],
		[keys.ctrlC, 'quit'],
		['y', undefined],
		[keys.escape, undefined],
		[keys.tab, undefined],
	];
	await withRender(<Probe />, async instance => {
		for (const [bytes] of cases) await press(instance, bytes);
	});
	assert.deepEqual(seen, cases.map(([, command]) => command));
});

test('TranscriptPane draws only the visible window of 10,000 entries and reads no others', async () => {
	const entries = Array.from({length: 10_000}, (_, index) => entry(index, 'client', rowName(index)));
	const touched = new Set<number>();
	const tracked = new Proxy(entries, {
		get(target, property, receiver) {
			if (typeof property === 'string' && /^\d+$/.test(property)) touched.add(Number(property));
			return Reflect.get(target, property, receiver) as unknown;
		},
	});
	const view: ViewState = {...initialViewState, count: entries.length, height: 10, top: 5000, cursor: 5003, follow: false};
	await withRender(<TranscriptPane entries={tracked} view={view} width={60} />, async instance => {
		const text = screen(instance);
		for (let index = 5000; index <= 5009; index++) assert.ok(text.includes(rowName(index)), `row ${index} is drawn`);
		assert.ok(!text.includes(rowName(4999)), 'the row above the window is not drawn');
		assert.ok(!text.includes(rowName(5010)), 'the row below the window is not drawn');
		assert.equal(text.match(/line-\d{5}/g)?.length, 10);

		const lines = text.split('\n');
		assert.match(lines.find(line => line.includes(rowName(5003))) ?? '', /│▶C {2}line-05003/, 'the selected row has the marker');
		assert.equal(text.match(/▶/g)?.length, 1, 'only one row is selected');
		assert.match(lines.find(line => line.includes(rowName(5004))) ?? '', /│ C {2}line-05004/);
	});
	assert.ok([...touched].every(index => index >= 5000 && index < 5010), `read outside the window: ${[...touched].filter(i => i < 5000 || i >= 5010).slice(0, 5).join(', ')}`);
	assert.ok(touched.size > 0, 'the proxy saw the reads');
});

test('TranscriptPane marks each line by direction and TLS', async () => {
	const entries = [
		entry(0, 'client', 'EHLO client.example'),
		entry(1, 'server', '250 STARTTLS'),
		entry(2, 'tls', 'TLS handshake: TLSv1.3'),
		entry(3, 'client', 'AUTH PLAIN AGFsaWNl********', true),
		entry(4, 'server', '235 2.7.0 Authentication successful', true),
		entry(5, 'info', 'Capabilities changed after TLS: AUTH PLAIN appeared.'),
		entry(6, 'error', 'The server closed the connection.'),
	];
	const view: ViewState = {...initialViewState, count: entries.length, height: 10, top: 0, cursor: 6};
	await withRender(<TranscriptPane entries={entries} view={view} width={70} />, async instance => {
		const text = screen(instance);
		assert.match(text, /│ C {2}EHLO client\.example/);
		assert.match(text, /│ S {2}250 STARTTLS/);
		assert.match(text, /│ 🔒 TLS handshake: TLSv1\.3/);
		assert.match(text, /│ C~ AUTH PLAIN AGFsaWNl\*{8}/);
		assert.match(text, /│ S~ 235 2\.7\.0 Authentication successful/);
		assert.match(text, /│ ·· Capabilities changed after TLS/);
		assert.match(text, /│▶!! The server closed the connection\./);
	});
});

test('TranscriptPane shows server control sequences as visible escapes, never raw', async () => {
	const entries = [entry(0, 'server', '220 mx \u001B]52;c;aGVsbG8=\u0007 \u001B[2J \u009B31m ESMTP')];
	const view: ViewState = {...initialViewState, count: 1, height: 3, top: 0, cursor: 0};
	await withRender(<TranscriptPane entries={entries} view={view} width={70} />, async instance => {
		const raw = instance.lastFrame() ?? '';
		assert.ok(!raw.includes('\u001B]52'), 'no OSC 52 reaches the terminal');
		assert.ok(!raw.includes('\u001B[2J'), 'no screen clear reaches the terminal');
		assert.ok(!raw.includes('\u009B'), 'no one-byte CSI reaches the terminal');
		assert.ok(screen(instance).includes('220 mx \\x1b]52;c;aGVsbG8=\\x07 \\x1b[2J \\x9b31m ESMTP'));
	});
});

test('TranscriptPane with no entries says what to do', async () => {
	await withRender(<TranscriptPane entries={[]} view={initialViewState} width={70} />, async instance => {
		assert.ok(screen(instance).includes('Nothing sent yet.'));
	});
});

/** The side panel's text: everything right of the 40-column port list, borders removed, unwrapped. */
function sidePanel(text: string): string {
	return text
		.split('\n')
		.map(line => line.slice(40).replaceAll(/[│┌┐└┘─]/g, ' '))
		.join(' ')
		.replaceAll(/\s+/g, ' ');
}

function assertPanelShows(text: string, port: LabPort): void {
	const panel = sidePanel(text);
	const about = portTexts[port];
	assert.ok(panel.includes(`${port} · ${about.name} (${about.rfc})`), `heading for ${port} in: ${panel}`);
	for (const part of [about.purpose, about.who, about.tls, about.expects]) assert.ok(panel.includes(part), `"${part}" for ${port} in: ${panel}`);
}

test('PortPicker lists the four ports and explains the highlighted one; ↓ moves to the next', async () => {
	await withRender(<PortPicker title="smtp-tui · lab" columns={100} onPick={() => undefined} onQuit={() => undefined} />, async instance => {
		let text = screen(instance);
		for (const port of [25, 465, 587, 2525] as const) assert.match(text, new RegExp(`│\\s*(❯\\s*)?${port}\\s+${portTexts[port].name.slice(0, 10)}`), `port ${port} listed`);
		assert.match(text, /❯\s*587/, '587 is highlighted first');
		assertPanelShows(text, 587);

		await press(instance, keys.down);
		text = screen(instance);
		assert.match(text, /❯\s*2525/);
		assertPanelShows(text, 2525);
		assert.ok(!sidePanel(text).includes(portTexts[587].purpose), 'the old port\'s text is gone');

		await press(instance, keys.up);
		await press(instance, keys.up);
		assertPanelShows(screen(instance), 465);
	});
});

test('PortPicker: enter picks the highlighted port', async () => {
	const picked: LabPort[] = [];
	await withRender(<PortPicker title="lab" columns={100} onPick={port => picked.push(port)} onQuit={() => undefined} />, async instance => {
		await press(instance, keys.down);
		await press(instance, keys.enter);
	});
	assert.deepEqual(picked, [2525]);
});

test('PortPicker: q quits without picking', async () => {
	let quits = 0;
	const picked: LabPort[] = [];
	await withRender(<PortPicker title="lab" columns={100} onPick={port => picked.push(port)} onQuit={() => quits++} />, async instance => {
		await press(instance, 'q');
	});
	assert.equal(quits, 1);
	assert.deepEqual(picked, []);
});

test('TargetScreen: enter on the first item chooses the lab', async () => {
	let labs = 0;
	const remotes: RemoteAnswers[] = [];
	await withRender(<TargetScreen columns={100} onLab={() => labs++} onRemote={answers => remotes.push(answers)} onQuit={() => undefined} />, async instance => {
		assert.ok(screen(instance).includes('The embedded lab'));
		await press(instance, keys.enter);
	});
	assert.equal(labs, 1);
	assert.deepEqual(remotes, []);
});

test('TargetScreen: remote asks field by field, masks the password and hands over the answers', async () => {
	const password = 'correct horse';
	const remotes: RemoteAnswers[] = [];
	let labs = 0;
	const instance = render(<TargetScreen columns={100} onLab={() => labs++} onRemote={answers => remotes.push(answers)} onQuit={() => undefined} />);
	try {
		await settle(instance);
		await press(instance, keys.down);
		await press(instance, keys.enter);
		await waitFor(instance, 'remote server (1/9)');
		assert.ok(screen(instance).includes('Host name or IP of the SMTP server'));

		const answers: Array<[string, string]> = [
			['smtp.example.net', 'Port (25, 465, 587, 2525 or other'],
			['2525', 'TLS mode: auto, starttls, implicit or none'],
			['starttls', 'User name to log in with'],
			['carol', 'Password (not shown, never saved)'],
		];
		for (const [answer, nextQuestion] of answers) {
			await type(instance, answer);
			assert.ok(screen(instance).includes(`> ${answer}`), `typed "${answer}" is echoed`);
			await press(instance, keys.enter);
			await waitFor(instance, nextQuestion);
		}

		await type(instance, password);
		assert.ok(screen(instance).includes(`> ${'*'.repeat(password.length)}`), 'one * per typed character');
		await press(instance, keys.enter);
		let text = await waitFor(instance, 'Sender address (MAIL FROM');
		assert.ok(text.includes('Password (not shown, never saved): ********'));
		await type(instance, 'carol@example.net');
		await press(instance, keys.enter);
		text = await waitFor(instance, 'Recipient address (RCPT TO)');
		assert.ok(text.includes('Host name or IP of the SMTP server: smtp.example.net'), 'earlier answers are listed');

		await type(instance, 'dave@example.org');
		await press(instance, keys.enter);
		await waitFor(instance, 'CA certificate file');
		await press(instance, keys.enter);
		await waitFor(instance, 'Accept any certificate');
		await type(instance, 'yes');
		await press(instance, keys.enter);

		assert.deepEqual(remotes, [{host: 'smtp.example.net', port: '2525', tls: 'starttls', user: 'carol', password, from: 'carol@example.net', to: 'dave@example.org', ca: '', insecure: 'yes'}]);
		assert.equal(labs, 0);
		for (const frame of instance.frames) {
			assert.ok(!frame.includes('correct'), 'the password never appears in a frame');
			assert.ok(!frame.includes('horse'), 'the password never appears in a frame');
		}
	} finally {
		instance.unmount();
	}
});

test('TargetScreen: empty optional answers stay empty (the hints are never values), and no user means no password question', async () => {
	const remotes: RemoteAnswers[] = [];
	await withRender(<TargetScreen columns={100} onLab={() => undefined} onRemote={answers => remotes.push(answers)} onQuit={() => undefined} />, async instance => {
		await press(instance, keys.down);
		await press(instance, keys.enter);
		await waitFor(instance, 'remote server (1/9)');
		await type(instance, 'mail.example.net');
		await press(instance, keys.enter);
		for (const question of ['TLS mode', 'User name', 'Sender address', 'Recipient address']) {
			await press(instance, keys.enter);
			await waitFor(instance, question);
		}

		assert.ok(screen(instance).includes('remote server (7/9)'), 'from the user question straight past the password');
		assert.ok(screen(instance).includes('Password (not shown, never saved): not set'));
		assert.ok(!instance.frames.some(frame => frame.includes('remote server (5/9)')), 'the password question is never asked');
		await type(instance, 'bob@example.net');
		await press(instance, keys.enter);
		await waitFor(instance, 'CA certificate file');
		await press(instance, keys.enter);
		await waitFor(instance, 'Accept any certificate');
		await press(instance, keys.enter);
	});
	assert.deepEqual(remotes, [{host: 'mail.example.net', port: '', tls: '', user: '', password: '', to: 'bob@example.net', from: '', ca: '', insecure: ''}]);
});

let lab: Lab;
before(async () => {
	lab = await startLab({only: [25]});
});
after(async () => {
	await lab.close();
});

function labOptions(): SessionOptions {
	return {
		host: lab.host,
		port: lab.ports[25]!,
		profilePort: 25,
		tls: 'auto',
		tlsOptions: {servername: lab.hostname, ca: lab.ca, insecure: false},
		ehlo: 'client.example',
		from: 'alice@lab.test',
		to: ['bob@lab.test'],
		timeouts: {greeting: 5000, command: 5000},
	};
}

test('SessionScreen against the lab: enter steps, ↑ selects, ? lists every key, q quits', async () => {
	const quits: number[] = [];
	const instance = render(<SessionScreen options={labOptions()} columns={120} rows={40} onQuit={code => quits.push(code)} />);
	try {
		await waitFor(instance, 'Next: Open a TCP connection');
		await press(instance, keys.enter);
		let text = await waitFor(instance, '220 mx.lab.test');
		assert.match(text, /▶S {2}220 mx\.lab\.test/, 'the new line is selected (following)');

		await press(instance, keys.enter);
		text = await waitFor(instance, '250 SMTPUTF8');
		assert.match(text, /│ C {2}EHLO client\.example/);
		assert.match(text, /▶S {2}250 SMTPUTF8/, 'the cursor followed to the last line');

		// ↑ selects the line above (and stops following); End selects the last line again.
		await press(instance, keys.up);
		text = screen(instance);
		assert.match(text, /│ S {2}250 SMTPUTF8/);
		assert.equal(text.match(/▶/g)?.length, 1);
		await press(instance, keys.end);
		assert.match(screen(instance), /▶S {2}250 SMTPUTF8/);

		await press(instance, '?');
		text = await waitFor(instance, 'Keys (press ? or esc to close)');
		for (const binding of sessionKeymap) assert.ok(text.includes(binding.help), `help lists "${binding.help}"`);
		assert.ok(!text.includes('250 SMTPUTF8'), 'the overlay replaces the transcript');

		// b (or esc) goes back to the session; the footer says so.
		assert.match(text, /esc\/b back to the session {2}\? help {2}q quit/);
		await press(instance, 'b');
		text = await waitFor(instance, '250 SMTPUTF8');
		assert.ok(!text.includes('Keys (press ? or esc to close)'));
		assert.deepEqual(quits, []);

		// q quits from the overlay too, as everywhere.
		await press(instance, '?');
		await waitFor(instance, 'Keys (press ? or esc to close)');
		await press(instance, 'q');
		assert.equal(quits.length, 1, 'q quits from the help overlay');
		assert.equal(typeof quits[0], 'number');
	} finally {
		instance.unmount();
	}
});

test('SessionScreen: Ctrl-C quits (it is not taken as the c key)', async () => {
	const quits: number[] = [];
	let compares = 0;
	const instance = render(<SessionScreen options={labOptions()} columns={120} rows={40} onQuit={code => quits.push(code)} onCompare={() => compares++} />);
	try {
		await waitFor(instance, 'Next: Open a TCP connection');
		await press(instance, keys.ctrlC);
		assert.equal(quits.length, 1, 'Ctrl-C quits');
		assert.equal(compares, 0, 'Ctrl-C does not open compare');
	} finally {
		instance.unmount();
	}
});
