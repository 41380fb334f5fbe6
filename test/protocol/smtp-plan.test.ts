import {test} from 'node:test';
import assert from 'node:assert/strict';
import {initialPlanState, nextStep, plannedStepCount, reachedQuitAfter, type PlanConfig, type PlanState} from '../../source/protocol/smtp-plan.js';
import {parseEhlo} from '../../source/protocol/ehlo.js';
import {ReplyParser} from '../../source/protocol/reply-parser.js';

const caps = (text: string) => parseEhlo(new ReplyParser().feed(Buffer.from(text))[0]!);
const plain = caps('250-mx.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n');
const secured = caps('250-mx.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n');
const noTls = caps('250-mx.test\r\n250 8BITMIME\r\n');

const config = (over: Partial<PlanConfig> = {}): PlanConfig => ({tls: 'starttls', wantAuth: true, insecureAuth: false, recipients: ['a@x.test', 'b@x.test'], ...over});
const state = (over: Partial<PlanState> = {}): PlanState => ({...initialPlanState, connected: true, ...over});

test('a submission plan walks connect, EHLO, STARTTLS, EHLO, AUTH, MAIL, RCPT×2, DATA, body, QUIT', () => {
	const c = config();
	assert.deepEqual(nextStep(initialPlanState, c), {kind: 'connect'});
	assert.equal(nextStep(state(), c).kind, 'ehlo');
	assert.equal(nextStep(state({ehloDone: true, capabilities: plain}), c).kind, 'starttls');
	assert.equal(nextStep(state({tls: true, starttlsDone: true}), c).kind, 'ehlo');
	const afterTls = {tls: true, starttlsDone: true, ehloDone: true, capabilities: secured};
	assert.equal(nextStep(state(afterTls), c).kind, 'auth');
	const authed = {...afterTls, authDone: true, authenticated: true};
	assert.equal(nextStep(state(authed), c).kind, 'mail');
	assert.deepEqual(nextStep(state({...authed, mailDone: true}), c), {kind: 'rcpt', recipient: 'a@x.test'});
	assert.deepEqual(nextStep(state({...authed, mailDone: true, rcptIndex: 1, rcptAccepted: 1}), c), {kind: 'rcpt', recipient: 'b@x.test'});
	const rcpts = {...authed, mailDone: true, rcptIndex: 2, rcptAccepted: 1};
	assert.equal(nextStep(state(rcpts), c).kind, 'data');
	assert.equal(nextStep(state({...rcpts, dataDone: true}), c).kind, 'body');
	assert.equal(nextStep(state({...rcpts, dataDone: true, bodyDone: true}), c).kind, 'quit');
	assert.equal(nextStep(state({...rcpts, quitDone: true}), c).kind, 'done');
	assert.equal(plannedStepCount(c, initialPlanState), 11);
});

test('required STARTTLS that the server does not offer blocks instead of falling back to cleartext', () => {
	const next = nextStep(state({ehloDone: true, capabilities: noTls}), config());
	assert.equal(next.kind, 'blocked');
	assert.match(next.kind === 'blocked' ? next.block.message : '', /will not continue in cleartext/);
});

test('opportunistic TLS goes on without STARTTLS when it is not offered', () => {
	const next = nextStep(state({ehloDone: true, capabilities: noTls}), config({tls: 'opportunistic', wantAuth: false}));
	assert.equal(next.kind, 'mail');
});

test('credentials are never sent before TLS unless the user opted in', () => {
	const clearAuth = caps('250-mx.test\r\n250 AUTH PLAIN\r\n');
	const blocked = nextStep(state({ehloDone: true, capabilities: clearAuth}), config({tls: 'none'}));
	assert.equal(blocked.kind, 'blocked');
	assert.match(blocked.kind === 'blocked' ? blocked.block.message : '', /--insecure-auth/);
	assert.equal(nextStep(state({ehloDone: true, capabilities: clearAuth}), config({tls: 'none', insecureAuth: true})).kind, 'auth');
});

test('AUTH that is not offered blocks with a hint about TLS', () => {
	const next = nextStep(state({ehloDone: true, capabilities: noTls}), config({tls: 'none'}));
	assert.equal(next.kind, 'blocked');
	assert.match(next.kind === 'blocked' ? next.block.message : '', /only after STARTTLS/);
});

test('no accepted recipient blocks DATA', () => {
	const next = nextStep(state({ehloDone: true, capabilities: noTls, mailDone: true, rcptIndex: 2, rcptAccepted: 0}), config({tls: 'none', wantAuth: false}));
	assert.equal(next.kind, 'blocked');
});

test('a stopping session only has QUIT left, and an ended one nothing', () => {
	assert.equal(nextStep(state({stopping: true}), config()).kind, 'quit');
	assert.equal(nextStep(state({stopping: true, ended: true}), config()).kind, 'done');
});

test('EHLO refused as unknown leads to HELO', () => {
	assert.equal(nextStep(state({useHelo: true}), config()).kind, 'helo');
});

test('quit-after stops after the named step', () => {
	const c = config({quitAfter: 'rcpt'});
	assert.equal(reachedQuitAfter('rcpt', state({rcptIndex: 1}), c), false);
	assert.equal(reachedQuitAfter('rcpt', state({rcptIndex: 2}), c), true);
	assert.equal(reachedQuitAfter('connect', state(), config({quitAfter: 'banner'})), true);
	assert.equal(reachedQuitAfter('mail', state(), config()), false);
	assert.equal(plannedStepCount(config({quitAfter: 'ehlo'}), initialPlanState), 3);
});

test('opportunistic TLS that did not verify blocks the login: advice as flags, or as the wizard\'s fields', () => {
	const unverified = state({ehloDone: true, tls: true, starttlsDone: true, unverifiedTls: true, capabilities: secured});
	const flags = nextStep(unverified, config({tls: 'opportunistic'}));
	assert.equal(flags.kind, 'blocked');
	assert.match(flags.kind === 'blocked' ? flags.block.message : '', /; use --tls starttls with --ca FILE to trust it, or --insecure to log in anyway\.$/);
	const wizard = nextStep(unverified, config({tls: 'opportunistic', remedies: 'wizard'}));
	const message = wizard.kind === 'blocked' ? wizard.block.message : '';
	assert.match(message, /In the remote wizard .*type starttls as the TLS mode and give the CA certificate file to trust it, or answer yes to "Accept any certificate" to log in anyway\.$/);
	assert.doesNotMatch(message, /--/);
});
