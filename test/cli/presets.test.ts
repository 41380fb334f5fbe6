// Provider presets: data that holds together, flags that fill in host, port and TLS.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {resolveTarget, UsageError, type TargetEnvironment} from '../../source/setup/target.js';
import {renderPresets} from '../../source/commands/presets.js';
import {findPreset, presetHost, presets} from '../../source/protocol/presets.js';

const environment: TargetEnvironment = {
	env: {PW: 'secret'},
	startLab: async () => {
		throw new Error('a preset never starts the lab');
	},
};

test('every preset has a host, its default port among its ports, known mechanisms and a note', () => {
	assert.ok(presets.length >= 8);
	for (const name of ['gmail', 'office365', 'ses', 'sendgrid', 'mailgun', 'postmark', 'brevo', 'mailtrap']) assert.ok(findPreset(name), name);
	for (const preset of presets) {
		assert.ok(presetHost(preset), `${preset.name} host`);
		assert.ok(preset.ports.some(p => p.port === preset.defaultPort), `${preset.name} default port`);
		assert.ok(preset.auth.every(m => ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'].includes(m)), `${preset.name} auth`);
		assert.ok(preset.note.length > 20 && preset.note.length < 200);
		assert.ok(preset.ports.every(p => p.tls === (p.port === 465 || p.port === 2465 ? 'implicit' : 'starttls')), `${preset.name} TLS per port`);
	}
});

test('--preset sendgrid --port 2525: host, port and STARTTLS filled in, the note in the transcript', async () => {
	const target = await resolveTarget({preset: 'sendgrid', port: '2525', to: ['a@example.org'], user: 'apikey', passwordEnv: 'PW'}, environment);
	assert.equal(target.options.host, 'smtp.sendgrid.net');
	assert.equal(target.options.port, 2525);
	assert.equal(target.options.tls, 'starttls');
	assert.match(target.options.preamble?.[1] ?? '', /literally "apikey"/);
});

test('--preset gmail --port 465 uses implicit TLS; an unlisted port warns', async () => {
	const implicit = await resolveTarget({preset: 'google', port: '465', to: ['a@example.org'], user: 'me@gmail.com', passwordEnv: 'PW'}, environment);
	assert.equal(implicit.options.tls, 'implicit');
	const odd = await resolveTarget({preset: 'gmail', port: '2525', to: ['a@example.org'], user: 'me@gmail.com', passwordEnv: 'PW'}, environment);
	assert.match(odd.warnings.join(' '), /Gmail \/ Google Workspace does not list port 2525; it offers 587, 465/);
});

test('regions: SES by name, Mailgun us/eu; bad regions and stray flags are one sentence each', async () => {
	const ses = await resolveTarget({preset: 'ses', region: 'eu-west-1', to: ['a@example.org'], quitAfter: 'ehlo'}, environment);
	assert.equal(ses.options.host, 'email-smtp.eu-west-1.amazonaws.com');
	const mailgun = await resolveTarget({preset: 'mailgun', region: 'EU', to: ['a@example.org']}, environment);
	assert.equal(mailgun.options.host, 'smtp.eu.mailgun.org');
	const refusals: Array<[object, RegExp]> = [
		[{preset: 'nope'}, /^Unknown preset "nope"; the presets are gmail, office365, ses/],
		[{preset: 'ses', region: 'mars'}, /--region "mars" is not a region of Amazon SES/],
		[{preset: 'mailgun', region: 'asia'}, /use us, eu/],
		[{preset: 'gmail', region: 'eu'}, /has no regions/],
		[{region: 'eu'}, /--region goes with --preset/],
		[{preset: 'gmail', host: 'smtp.example.com'}, /leave out --host/],
	];
	for (const [flags, message] of refusals) {
		await assert.rejects(resolveTarget({to: ['a@example.org'], ...flags}, environment), (error: Error) => error instanceof UsageError && message.test(error.message));
	}
});

test('smtp-tui presets lists every preset with its ports and note', () => {
	const text = renderPresets();
	for (const preset of presets) assert.ok(text.includes(`${preset.name}`) && text.includes(preset.note));
	assert.match(text, /sendgrid .*— SendGrid\n {4}host smtp\.sendgrid\.net\n {4}ports 587 STARTTLS, 2525 STARTTLS, 465 implicit TLS, 25 STARTTLS/);
});
