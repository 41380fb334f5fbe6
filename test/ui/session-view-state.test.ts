// The session screen's view reducer (cursor, follow, window) and the keymap, without Ink.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import type {Key} from 'ink';
import {commandFor, sessionKeymap, type SessionCommand} from '../../source/ui/keymap.js';
import {initialViewState, viewReducer, visibleRange, type ViewAction, type ViewState} from '../../source/ui/session-view-state.js';

function view(over: Partial<ViewState> = {}): ViewState {
	return {...initialViewState, ...over};
}

function run(actions: ViewAction[], from: ViewState = initialViewState): ViewState {
	return actions.reduce(viewReducer, from);
}

function cursorVisible(state: ViewState): boolean {
	const {from, to} = visibleRange(state);
	return state.cursor >= from && state.cursor < to;
}

test('following: the cursor sticks to the newest entry and the window scrolls with it', () => {
	let state = run([{type: 'resize', height: 5}]);
	for (let count = 1; count <= 12; count++) {
		state = viewReducer(state, {type: 'entries', count});
		assert.equal(state.cursor, count - 1, `cursor after ${count} entries`);
		assert.equal(state.follow, true);
		assert.equal(state.top, Math.max(0, count - 5), `top after ${count} entries`);
		assert.deepEqual(visibleRange(state), {from: Math.max(0, count - 5), to: count});
	}
});

test('following: a burst of entries lands the cursor on the last one', () => {
	const state = run([{type: 'resize', height: 10}, {type: 'entries', count: 3}, {type: 'entries', count: 250}]);
	assert.equal(state.cursor, 249);
	assert.equal(state.top, 240);
});

test('moving up stops following; new entries then leave the cursor and window alone; end resumes', () => {
	let state = run([{type: 'resize', height: 5}, {type: 'entries', count: 12}]);
	assert.equal(state.top, 7);
	state = viewReducer(state, {type: 'move', delta: -1});
	assert.equal(state.cursor, 10);
	assert.equal(state.follow, false);

	state = viewReducer(state, {type: 'entries', count: 15});
	assert.equal(state.cursor, 10, 'the cursor stays where the user put it');
	assert.equal(state.top, 7, 'the window does not jump');
	assert.equal(state.follow, false);
	assert.equal(state.count, 15);

	state = viewReducer(state, {type: 'end'});
	assert.equal(state.cursor, 14);
	assert.equal(state.follow, true);
	assert.equal(state.top, 10);

	state = viewReducer(state, {type: 'entries', count: 16});
	assert.equal(state.cursor, 15, 'following again after end');
	assert.equal(state.top, 11);
});

test('home stops following; moving back down to the last entry follows again', () => {
	let state = run([{type: 'resize', height: 4}, {type: 'entries', count: 6}, {type: 'home'}]);
	assert.equal(state.follow, false);
	state = viewReducer(state, {type: 'entries', count: 7});
	assert.equal(state.cursor, 0);
	state = run([{type: 'move', delta: 5}], state);
	assert.equal(state.cursor, 5);
	assert.equal(state.follow, false);
	state = run([{type: 'move', delta: 1}], state);
	assert.equal(state.cursor, 6);
	assert.equal(state.follow, true);
});

// [what, cursor before, top before, delta, cursor after, top after]; count 100, height 10.
const minimalScrolls: Array<[string, number, number, number, number, number]> = [
	['inside the window: no scroll', 25, 20, 4, 29, 20],
	['one past the bottom: scroll by one', 29, 20, 1, 30, 21],
	['far past the bottom: cursor on the last row', 25, 20, 20, 45, 36],
	['to the top row: no scroll', 25, 20, -5, 20, 20],
	['one above the top: scroll by one', 20, 20, -1, 19, 19],
	['far above the top: cursor on the first row', 25, 20, -15, 10, 10],
];

for (const [what, cursor, top, delta, wantCursor, wantTop] of minimalScrolls) {
	test(`move scrolls minimally: ${what}`, () => {
		const state = viewReducer(view({count: 100, height: 10, cursor, top, follow: false}), {type: 'move', delta});
		assert.equal(state.cursor, wantCursor);
		assert.equal(state.top, wantTop);
		assert.ok(cursorVisible(state));
	});
}

// [what, cursor before, top before, direction, cursor after, top after]; count 100, height 10.
const pages: Array<[string, number, number, 1 | -1, number, number]> = [
	['page down moves height-1 rows', 50, 45, 1, 59, 50],
	['page up moves height-1 rows', 50, 45, -1, 41, 41],
	['page down from the top', 0, 0, 1, 9, 0],
	['page up near the top clamps at 0', 3, 0, -1, 0, 0],
	['page down near the end clamps at the last entry', 95, 90, 1, 99, 90],
];

for (const [what, cursor, top, direction, wantCursor, wantTop] of pages) {
	test(`page: ${what}`, () => {
		const state = viewReducer(view({count: 100, height: 10, cursor, top, follow: false}), {type: 'page', direction});
		assert.equal(state.cursor, wantCursor);
		assert.equal(state.top, wantTop);
		assert.ok(cursorVisible(state));
	});
}

test('page down onto the last entry resumes following', () => {
	const state = viewReducer(view({count: 100, height: 10, cursor: 95, top: 90, follow: false}), {type: 'page', direction: 1});
	assert.equal(state.follow, true);
});

// [what, action, cursor after, top after]; count 100, height 10, starting at cursor 50, top 45.
const clamps: Array<[string, ViewAction, number, number]> = [
	['home', {type: 'home'}, 0, 0],
	['end', {type: 'end'}, 99, 90],
	['move far up', {type: 'move', delta: -1000}, 0, 0],
	['move far down', {type: 'move', delta: 1000}, 99, 90],
];

for (const [what, action, wantCursor, wantTop] of clamps) {
	test(`clamping: ${what} stays within 0..count-1`, () => {
		const state = viewReducer(view({count: 100, height: 10, cursor: 50, top: 45, follow: false}), action);
		assert.equal(state.cursor, wantCursor);
		assert.equal(state.top, wantTop);
	});
}

test('clamping: up at 0 stays at 0, down at the last entry stays there', () => {
	assert.equal(viewReducer(view({count: 5, cursor: 0, follow: false}), {type: 'move', delta: -1}).cursor, 0);
	assert.equal(viewReducer(view({count: 5, cursor: 4}), {type: 'move', delta: 1}).cursor, 4);
});

test('with no entries every movement leaves the cursor at -1 and the window at 0', () => {
	for (const action of [{type: 'move', delta: 1}, {type: 'move', delta: -1}, {type: 'page', direction: 1}, {type: 'home'}, {type: 'end'}] as ViewAction[]) {
		const state = viewReducer(initialViewState, action);
		assert.equal(state.cursor, -1, action.type);
		assert.equal(state.top, 0, action.type);
		assert.deepEqual(visibleRange(state), {from: 0, to: 0});
	}
});

test('resize: shrinking scrolls just enough to keep the cursor on screen', () => {
	const state = viewReducer(view({count: 100, height: 10, cursor: 50, top: 45, follow: false}), {type: 'resize', height: 3});
	assert.equal(state.height, 3);
	assert.equal(state.top, 48);
	assert.deepEqual(visibleRange(state), {from: 48, to: 51});
});

test('resize: growing keeps the window where it was when the cursor is already visible', () => {
	const state = viewReducer(view({count: 100, height: 10, cursor: 50, top: 45, follow: false}), {type: 'resize', height: 20});
	assert.equal(state.top, 45);
});

test('resize: growing at the tail pulls the window up instead of leaving blank rows', () => {
	const following = run([{type: 'resize', height: 10}, {type: 'entries', count: 100}]);
	assert.equal(following.top, 90);
	const grown = viewReducer(following, {type: 'resize', height: 20});
	assert.equal(grown.top, 80);
	assert.deepEqual(visibleRange(grown), {from: 80, to: 100});
	const huge = viewReducer(view({count: 5, cursor: 4, top: 2, height: 3}), {type: 'resize', height: 40});
	assert.equal(huge.top, 0);
});

test('resize: the cursor stays visible at every height and position', () => {
	for (const cursor of [0, 1, 37, 98, 99]) {
		for (let height = 1; height <= 30; height++) {
			const state = viewReducer(view({count: 100, height: 10, cursor, top: Math.max(0, Math.min(90, cursor - 5)), follow: false}), {type: 'resize', height});
			assert.ok(cursorVisible(state), `cursor ${cursor} at height ${height}: top ${state.top}`);
		}
	}
});

test('open and close: modes, input text and the notice', () => {
	let state = view({notice: 'AUTH lines are built from your credentials'});
	state = viewReducer(state, {type: 'open', mode: 'edit', input: 'EHLO client.example'});
	assert.equal(state.mode, 'edit');
	assert.equal(state.input, 'EHLO client.example');
	assert.equal(state.notice, undefined, 'opening clears an old notice');

	state = viewReducer(state, {type: 'input', value: 'EHLO other.example'});
	assert.equal(state.input, 'EHLO other.example');

	state = viewReducer(state, {type: 'close'});
	assert.equal(state.mode, 'normal');
	assert.equal(state.input, '');

	for (const mode of ['manual', 'help', 'tls'] as const) {
		const opened = viewReducer(view({input: 'left over'}), {type: 'open', mode});
		assert.equal(opened.mode, mode);
		assert.equal(opened.input, '', `${mode} starts with an empty input`);
	}
});

test('busy and notice: starting a step clears the notice, finishing keeps a new one', () => {
	let state = viewReducer(view(), {type: 'notice', text: 'refused'});
	assert.equal(state.notice, 'refused');
	state = viewReducer(state, {type: 'busy', busy: true});
	assert.equal(state.busy, true);
	assert.equal(state.notice, undefined);
	state = run([{type: 'notice', text: 'The command has a CR'}, {type: 'busy', busy: false}], state);
	assert.equal(state.busy, false);
	assert.equal(state.notice, 'The command has a CR');
	assert.equal(viewReducer(state, {type: 'notice'}).notice, undefined);
});

test('a "still waiting" notice about the step in flight goes when the step is over; one the step itself gave stays', () => {
	let state = run([{type: 'busy', busy: true}, {type: 'notice', text: 'Still waiting for the server\'s reply: enter not done.', whileBusy: true}]);
	assert.match(state.notice ?? '', /Still waiting/);
	state = viewReducer(state, {type: 'busy', busy: false});
	assert.equal(state.notice, undefined, 'the reply is in: the note is stale');
	state = run([{type: 'busy', busy: true}, {type: 'notice', text: 'Still waiting', whileBusy: true}, {type: 'notice', text: 'The command has a CR'}, {type: 'busy', busy: false}]);
	assert.equal(state.notice, 'The command has a CR', 'a later notice of the step replaces it and stays');
});

test('reset returns to the initial state but keeps the height', () => {
	const busy = run([
		{type: 'resize', height: 17},
		{type: 'entries', count: 40},
		{type: 'move', delta: -3},
		{type: 'open', mode: 'manual', input: 'NOOP'},
		{type: 'busy', busy: true},
	]);
	assert.deepEqual(viewReducer(busy, {type: 'reset'}), {...initialViewState, height: 17});
});

// [what, state, range]
const ranges: Array<[string, Partial<ViewState>, {from: number; to: number}]> = [
	['fewer entries than rows', {count: 3, height: 10, top: 0}, {from: 0, to: 3}],
	['a full window in the middle', {count: 100, height: 10, top: 45}, {from: 45, to: 55}],
	['the tail', {count: 100, height: 10, top: 90}, {from: 90, to: 100}],
	['empty', {count: 0, height: 10, top: 0}, {from: 0, to: 0}],
];

for (const [what, over, range] of ranges) {
	test(`visibleRange: ${what}`, () => {
		assert.deepEqual(visibleRange(view(over)), range);
	});
}

function key(over: Partial<Key> = {}): Key {
	return {
		upArrow: false,
		downArrow: false,
		leftArrow: false,
		rightArrow: false,
		pageDown: false,
		pageUp: false,
		home: false,
		end: false,
		return: false,
		escape: false,
		ctrl: false,
		shift: false,
		tab: false,
		backspace: false,
		delete: false,
		meta: false,
		super: false,
		hyper: false,
		capsLock: false,
		numLock: false,
		...over,
	};
}

// [what, input, key, command] as Ink's useInput hands them over.
const bindings: Array<[string, string, Partial<Key>, SessionCommand]> = [
	['enter', '', {return: true}, 'send'],
	['space', ' ', {}, 'send'],
	['e', 'e', {}, 'edit'],
	['s', 's', {}, 'skip'],
	['a', 'a', {}, 'run-all'],
	['m', 'm', {}, 'manual'],
	['t', 't', {}, 'tls'],
	['r', 'r', {}, 'restart'],
	['↑', '', {upArrow: true}, 'up'],
	['k', 'k', {}, 'up'],
	['↓', '', {downArrow: true}, 'down'],
	['j', 'j', {}, 'down'],
	['PgUp', '', {pageUp: true}, 'page-up'],
	['PgDn', '', {pageDown: true}, 'page-down'],
	['Home', '', {home: true}, 'home'],
	['g', 'g', {}, 'home'],
	['End', '', {end: true}, 'end'],
	['G', 'G', {shift: true}, 'end'],
	['b', 'b', {}, 'back'],
	['c', 'c', {}, 'compare'],
	['i', 'i', {}, 'inbox'],
	['w', 'w', {}, 'save'],
	['x', 'x', {}, 'export'],
	['z', 'z', {}, 'quiz'],
	['?', '?', {}, 'help'],
	['q', 'q', {}, 'quit'],
	['Ctrl-C', 'c', {ctrl: true}, 'quit'],
];

for (const [what, input, over, command] of bindings) {
	test(`commandFor: ${what} → ${command}`, () => {
		assert.equal(commandFor(input, key(over)), command);
	});
}

test('commandFor: the table above covers every command in the keymap', () => {
	const tested = new Set(bindings.map(([, , , command]) => command));
	for (const binding of sessionKeymap) assert.ok(tested.has(binding.command), `no test for ${binding.command}`);
});

test('commandFor: unbound keys map to nothing', () => {
	const unbound: Array<[string, Partial<Key>]> = [
		['y', {}],
		['d', {}],
		['Q', {shift: true}],
		['1', {}],
		['', {leftArrow: true}],
		['', {rightArrow: true}],
		['', {escape: true, meta: true}],
		['', {tab: true}],
		['', {backspace: true}],
	];
	for (const [input, over] of unbound) {
		assert.equal(commandFor(input, key(over)), undefined, `${JSON.stringify(input)} ${JSON.stringify(over)}`);
	}
});
