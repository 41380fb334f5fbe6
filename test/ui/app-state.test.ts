// The app's navigation reducer: where every screen's back key leads, what is remembered,
// where a failed start is told. Pure, no Ink.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {appReducer, backFrom, initialAppState, type AppAction, type AppState, type Screen} from '../../source/ui/app-state.js';
import type {SessionOptions} from '../../source/engine/session.js';
import type {Lab} from '../../source/lab/index.js';
import type {CompareScenario} from '../../source/engine/compare.js';

const options = {host: '127.0.0.1', port: 587} as SessionOptions;
const lab = {} as Lab;
const scenario = {} as CompareScenario;

function run(actions: AppAction[], from: AppState = initialAppState({})): AppState {
	return actions.reduce(appReducer, from);
}

test('the first screen: the target question, or what the flags opened', () => {
	assert.deepEqual(initialAppState({}).screen, {name: 'target'});
	assert.deepEqual(initialAppState({initialSession: options}).screen, {name: 'session', options, fromPicker: false});
	assert.deepEqual(initialAppState({initialSession: options, initialCompare: {scenario, target: 'lab'}}).screen, {name: 'compare', scenario, target: 'lab', fromPicker: false});
	assert.equal(initialAppState({}).lastPort, 587);
});

test('every screen has a way back: to the picker it came from, else the start screen', () => {
	const cases: Array<[Screen, Screen]> = [
		[{name: 'ports'}, {name: 'target'}],
		[{name: 'ports', choosing: true}, {name: 'ports'}],
		[{name: 'session', options, fromPicker: true}, {name: 'ports'}],
		[{name: 'session', options, fromPicker: false}, {name: 'target'}],
		[{name: 'compare', scenario, target: 'lab', fromPicker: true}, {name: 'ports'}],
		[{name: 'compare', scenario, target: 'lab', fromPicker: false}, {name: 'target'}],
		[{name: 'probe', targets: []}, {name: 'ports'}],
		[{name: 'faults', lab}, {name: 'ports'}],
		[{name: 'journey', journey: {} as never}, {name: 'ports'}],
		[{name: 'target'}, {name: 'target'}],
	];
	for (const [from, to] of cases) assert.deepEqual(backFrom(from), to, from.name);
	// The inbox goes back to what it was opened from, a session with its state included.
	const session: Screen = {name: 'session', options, fromPicker: true};
	assert.equal(backFrom({name: 'inbox', lab, from: session}), session);
});

test('a walk: picker, pick 25, session, back keeps the port; c chooses ports; a failed start is told on the picker', () => {
	let state = run([{type: 'show', screen: {name: 'ports'}}, {type: 'pick', port: 25}, {type: 'show', screen: {name: 'session', options, fromPicker: true}}, {type: 'back'}]);
	assert.deepEqual(state.screen, {name: 'ports'});
	assert.equal(state.lastPort, 25, 'the picker opens on the port picked last');
	state = run([{type: 'show', screen: {name: 'ports'}}, {type: 'highlight', port: 2525}, {type: 'show', screen: {name: 'journey', journey: {} as never}}, {type: 'back'}]);
	assert.equal(state.lastPort, 2525, 'back from the journey, the picker opens on the port highlighted last');
	state = appReducer(state, {type: 'choose-ports'});
	assert.deepEqual(state.screen, {name: 'ports', choosing: true});
	state = appReducer(state, {type: 'failed', on: 'ports', error: 'The lab could not start.'});
	assert.deepEqual(state.screen, {name: 'ports', error: 'The lab could not start.'});
});

test('c from a session: the port chooser and the comparison go back to that session, not to the picker', () => {
	const session = {name: 'session', options, fromPicker: false} as const;
	const chooser = appReducer({screen: session, lastPort: 587}, {type: 'choose-ports', from: session}).screen;
	assert.deepEqual(chooser, {name: 'ports', choosing: true, session});
	assert.equal(backFrom(chooser), session);
	assert.equal(backFrom({name: 'compare', scenario, target: 'lab', fromPicker: true, session}), session);
});

test('b from a session the remote wizard started reopens the wizard; from one flags opened, the start screen', () => {
	assert.deepEqual(backFrom({name: 'session', options, fromPicker: false, fromWizard: true}), {name: 'target', wizard: true});
	assert.deepEqual(backFrom({name: 'session', options, fromPicker: false}), {name: 'target'});
});

test('the remote wizard\'s answers are kept through a refused connection and back', () => {
	const answers = {host: 'smtp.example.com'} as never;
	const state = run([{type: 'answer', answers}, {type: 'failed', on: 'target', error: 'Connection refused.'}]);
	assert.deepEqual(state.screen, {name: 'target', error: 'Connection refused.'});
	assert.equal(state.lastAnswers, answers);
	assert.equal(run([{type: 'show', screen: {name: 'session', options, fromPicker: false}}, {type: 'back'}], state).lastAnswers, answers);
});
