// Ctrl-C ends smtp-tui with exit code 130 on every screen, q with 0, in a real pty; and
// with CI set on a real terminal the TUI still draws.
import {before, test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtemp} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {cli, freePort} from '../support/cli.js';
import {keys, spawnTui, type Terminal} from '../support/pty.js';

let recording: string;
let dashboardPort: number;
before(async () => {
	dashboardPort = await freePort();
	recording = path.join(await mkdtemp(path.join(os.tmpdir(), 'smtp-tui-ctrlc-')), 'session.jsonl');
	const made = await cli(['run', '--port', '25', '--quit-after', 'ehlo', '--record', recording]);
	assert.equal(made.code, 0, made.stderr);
});

type Screen = {name: string; args: () => string[]; reach: (tui: Terminal) => Promise<void>; q?: boolean; size?: {columns: number; rows: number}};

const picker = async (tui: Terminal) => {
	await tui.waitFor('where should the conversation go?');
};

const labSession = async (tui: Terminal) => {
	await picker(tui);
	await tui.press(keys.enter);
	await tui.waitFor('Pick a port');
	await tui.press(keys.enter);
	await tui.waitFor('Next: Open a TCP connection');
};

const screens: Screen[] = [
	{name: 'the first screen', args: () => [], reach: picker, q: true},
	{name: 'the lab port picker', args: () => [], q: true, reach: async tui => {
		await picker(tui);
		await tui.press(keys.enter);
		await tui.waitFor('Pick a port');
	}},
	{name: 'a lab session', args: () => [], reach: labSession, q: true},
	{name: 'a finished session', args: () => ['--port', '25'], q: true, reach: async tui => {
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press('a');
		await tui.waitFor('221 2.0.0 Bye', 20_000);
	}},
	{name: 'the help overlay', args: () => ['--port', '587'], q: true, reach: async tui => {
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press('?');
		await tui.waitFor('Keys (press ? or esc to close)');
	}},
	{name: 'the TLS panel', args: () => ['--port', '465'], q: true, reach: async tui => {
		await tui.waitFor('Next: Open a TCP connection');
		await tui.press(keys.enter);
		await tui.waitFor('220 mx.lab.test');
		await tui.press('t');
		await tui.waitFor('verified: the chain and the host name check out');
	}},
	{name: 'compare\'s port chooser', args: () => [], q: true, reach: async tui => {
		await picker(tui);
		await tui.press(keys.enter);
		await tui.waitFor('c compare');
		await tui.press('c');
		await tui.waitFor('Compare which ports?');
	}},
	{name: 'the size gate ("make the terminal bigger") on the first screen', args: () => [], size: {columns: 60, rows: 20}, q: true, reach: async tui => {
		await tui.waitFor('Make the terminal at least 80×24');
	}},
	{name: 'the size gate over a session', args: () => ['--port', '587'], q: true, reach: async tui => {
		await tui.waitFor('Next: Open a TCP connection');
		tui.resize(60, 20);
		await tui.waitFor('Make the terminal at least 80×24');
	}},
	{name: 'the size gate over a lesson', args: () => ['lesson', '1'], size: {columns: 70, rows: 20}, q: true, reach: async tui => {
		await tui.waitFor('Make the terminal at least 80×24');
	}},
	{name: 'the size gate over the journey', args: () => ['journey'], size: {columns: 70, rows: 20}, q: true, reach: async tui => {
		await tui.waitFor('Make the terminal at least 80×24');
	}},
	{name: 'the size gate over compare', args: () => ['compare', '25', '587'], size: {columns: 70, rows: 20}, q: true, reach: async tui => {
		await tui.waitFor('Make the terminal at least 80×24');
	}},
	{name: 'the inbox', args: () => [], q: true, reach: async tui => {
		await picker(tui);
		await tui.press(keys.enter);
		await tui.waitFor('i inbox');
		await tui.press('i');
		await tui.waitFor('No messages yet.');
	}},
	{name: 'the fault menu', args: () => [], q: true, reach: async tui => {
		await picker(tui);
		await tui.press(keys.enter);
		await tui.waitFor('f faults');
		await tui.press('f');
		await tui.waitFor('lab faults');
	}},
	{name: 'the remote-server questions (a text field has the keys)', args: () => [], reach: async tui => {
		await picker(tui);
		await tui.press(keys.down);
		await tui.waitFor('❯ A remote server');
		await tui.press(keys.enter);
		await tui.waitFor('Host name or IP of the SMTP server');
		await tui.type('mail.exa');
	}},
	{name: 'compare', args: () => ['compare', '25', '587'], q: true, reach: async tui => {
		await tui.waitFor('compare · lab');
	}},
	{name: 'replay', args: () => ['replay', recording], q: true, reach: async tui => {
		await tui.waitFor('Next: Recorded:');
	}},
	{name: 'a lesson', args: () => ['lesson', 'starttls'], q: true, reach: async tui => {
		await tui.waitFor('step 1 of 3');
	}},
	{name: 'the journey', args: () => ['journey'], q: true, reach: async tui => {
		await tui.waitFor('▶alice\'s client');
	}},
	{name: 'the lab dashboard', args: () => ['lab', '--ports', `25=${dashboardPort}`], q: true, reach: async tui => {
		await tui.waitFor('smtp-tui lab · classroom server');
	}},
];

async function exitCodeAfter(screen: Screen, key: string): Promise<number> {
	const tui = spawnTui(screen.args(), screen.size ?? {rows: 48});
	try {
		await screen.reach(tui);
		await tui.press(key);
		return await tui.exited;
	} finally {
		tui.kill();
	}
}

for (const screen of screens) {
	test(`Ctrl-C on ${screen.name}: exit 130`, {timeout: 60_000}, async () => {
		assert.equal(await exitCodeAfter(screen, keys.ctrlC), 130);
	});
	if (screen.q) {
		test(`q on ${screen.name}: exit 0`, {timeout: 60_000}, async () => {
			assert.equal(await exitCodeAfter(screen, 'q'), 0);
		});
	}
}

test('CI=true (and CONTINUOUS_INTEGRATION, CI_*) on a real terminal: the TUI draws and q quits with 0', {timeout: 60_000}, async () => {
	const tui = spawnTui([], {env: {CI: 'true', CONTINUOUS_INTEGRATION: '1', CI_PIPELINE_ID: '42'}});
	try {
		await tui.waitFor('where should the conversation go?');
		await tui.press(keys.enter);
		await tui.waitFor('Pick a port');
		await tui.press('q');
		assert.equal(await tui.exited, 0);
	} finally {
		tui.kill();
	}
});

test('CI=true off a terminal: exit 2 with the hint to use smtp-tui run', async () => {
	const result = await cli([], {CI: 'true'});
	assert.equal(result.code, 2);
	assert.equal(result.stderr, 'smtp-tui: the interactive TUI needs a terminal; for scripts and pipes use `smtp-tui run` (see smtp-tui --help).\n');
});
