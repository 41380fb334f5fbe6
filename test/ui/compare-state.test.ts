// The compare screen's view reducer and keys, and the inbox's key intents: pure, no Ink.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {compareCommandFor, compareMove, compareReducer, initialCompareView, type CompareAction, type CompareView} from '../../source/ui/compare-state.js';
import {inboxIntent} from '../../source/ui/use-inbox-input.js';
import {initialInboxState, inboxReducer} from '../../source/ui/inbox-state.js';

function run(actions: CompareAction[], from: CompareView = initialCompareView): CompareView {
	return actions.reduce(compareReducer, from);
}

const move = (delta: readonly [number, number]): CompareAction => ({type: 'move', rows: 13, columns: 4, delta});

test('compare: the selection moves inside the table and stops at its edges', () => {
	assert.deepEqual(run([move([1, 0]), move([0, 1])]), {row: 1, column: 1, bottom: 'details', notice: undefined});
	assert.deepEqual(run([move([-1, 0]), move([0, -1])]), {row: 0, column: 0, bottom: 'details', notice: undefined});
	const corner = run(Array.from({length: 20}, () => move([1, 1])));
	assert.equal(corner.row, 12);
	assert.equal(corner.column, 3);
});

test('compare: a step selects the row that ran; the summary shows once every row did, and v toggles it only then', () => {
	let state = run([{type: 'stepped', rowIndex: 3, done: false}]);
	assert.equal(state.row, 2);
	assert.equal(state.bottom, 'details');
	assert.equal(compareReducer(state, {type: 'toggle-summary', done: false}), state, 'no summary before the end');
	state = compareReducer(state, {type: 'stepped', rowIndex: 13, done: true});
	assert.equal(state.bottom, 'summary');
	state = compareReducer(state, {type: 'toggle-summary', done: true});
	assert.equal(state.bottom, 'details');
	// Moving shows the moved-to cell again.
	assert.equal(run([{type: 'summary'}, move([1, 0])]).bottom, 'details');
});

test('compare: a refused key leaves a notice that the next step or move clears; restart starts over', () => {
	let state = run([move([1, 1]), {type: 'notice', text: 'Still waiting'}]);
	assert.equal(state.notice, 'Still waiting');
	assert.equal(state.row, 1, 'a notice moves nothing');
	assert.equal(compareReducer(state, {type: 'stepped', rowIndex: 2, done: false}).notice, undefined);
	assert.equal(compareReducer(state, move([1, 0])).notice, undefined);
	state = compareReducer(state, {type: 'restart'});
	assert.deepEqual(state, initialCompareView);
});

test('compare keys: enter and space step, arrows and [ ] move, q and Ctrl-C quit', () => {
	const none = {};
	assert.equal(compareCommandFor('', {return: true}), 'step');
	assert.equal(compareCommandFor(' ', none), 'step');
	assert.equal(compareCommandFor('a', none), 'run-all');
	assert.equal(compareCommandFor('r', none), 'restart');
	assert.equal(compareCommandFor('v', none), 'summary');
	assert.equal(compareCommandFor('b', none), 'back');
	assert.equal(compareCommandFor('q', none), 'quit');
	assert.equal(compareCommandFor('c', {ctrl: true}), 'quit');
	assert.equal(compareCommandFor('[', none), 'left');
	assert.equal(compareCommandFor(']', none), 'right');
	assert.equal(compareCommandFor('', {upArrow: true}), 'up');
	assert.equal(compareCommandFor('x', none), undefined);
	assert.deepEqual(compareMove('left'), [0, -1]);
	assert.deepEqual(compareMove('down'), [1, 0]);
	assert.equal(compareMove('step'), undefined);
});

test('inbox intents: back leaves the list but closes an open view; every command has one', () => {
	const list = initialInboxState;
	const open = inboxReducer(inboxReducer(list, {type: 'count', count: 2}), {type: 'open'});
	assert.equal(open.mode, 'message');
	assert.equal(inboxIntent('back', list), 'leave');
	assert.deepEqual(inboxIntent('back', open), {type: 'back'});
	assert.equal(inboxIntent('quit', open), 'quit');
	assert.deepEqual(inboxIntent('raw', open), {type: 'toggle-raw'});
	assert.deepEqual(inboxIntent('page-down', open), {type: 'page', direction: 1});
	assert.equal(inboxIntent(undefined, open), undefined);
	// The intent applied to the state gives the next view.
	const raw = inboxReducer(open, inboxIntent('raw', open) as Parameters<typeof inboxReducer>[1]);
	assert.equal(raw.mode, 'raw');
});
