// Where to connect: the embedded lab (default) or a remote server, asked field by field.
import React, {useState} from 'react';
import {Box, Text} from 'ink';
import SelectInput from 'ink-select-input';
import TextInput from 'ink-text-input';
import {presets, type Preset} from '../protocol/presets.js';
import {useInputActive, useScreenInput} from './screen-input.js';
import {safeOutput} from '../protocol/safe-text.js';

export type RemoteAnswers = {host: string; port: string; tls: string; user: string; password: string; to: string; preset?: string; region?: string};

export type TargetScreenProps = {
	columns: number;
	/** The lab was chosen. */
	onLab: () => void;
	/** A remote server was described; `error` is shown if the answers are refused. */
	onRemote: (answers: RemoteAnswers) => void;
	onQuit: () => void;
	error?: string;
};

type Field = {key: Exclude<keyof RemoteAnswers, 'preset'>; question: string; placeholder: string; mask?: boolean};

const fields: Field[] = [
	{key: 'host', question: 'Host name or IP of the SMTP server', placeholder: 'smtp.example.com'},
	{key: 'port', question: 'Port (25, 465, 587, 2525 or other)', placeholder: '587'},
	{key: 'tls', question: 'TLS mode: auto, starttls, implicit or none', placeholder: 'auto'},
	{key: 'user', question: 'User name to log in with (empty: no login)', placeholder: ''},
	{key: 'password', question: 'Password (not shown, never saved)', placeholder: '', mask: true},
	{key: 'to', question: 'Recipient address (RCPT TO)', placeholder: 'someone@example.com'},
];

const empty: RemoteAnswers = {host: '', port: '', tls: '', user: '', password: '', to: ''};

/** The questions left once a provider preset gave the host and TLS mode. */
function presetFields(preset: Preset): Field[] {
	return [
		{key: 'port', question: `Port (${preset.ports.map(p => p.port).join(', ')})`, placeholder: String(preset.defaultPort)},
		...(preset.regions ? [{key: 'region' as const, question: `Region`, placeholder: preset.regions.default}] : []),
		{key: 'user', question: `User name${preset.user ? ` (${preset.user})` : ''}`, placeholder: preset.user === 'apikey' ? 'apikey' : ''},
		{key: 'password', question: 'Password, key or token (not shown, never saved)', placeholder: '', mask: true},
		{key: 'to', question: 'Recipient address (RCPT TO)', placeholder: 'someone@example.com'},
	];
}

export function TargetScreen({columns, onLab, onRemote, onQuit, error}: TargetScreenProps) {
	const [mode, setMode] = useState<'choose' | 'remote' | 'presets'>('choose');
	const [preset, setPreset] = useState<Preset>();
	const [index, setIndex] = useState(0);
	const [answers, setAnswers] = useState<RemoteAnswers>(empty);
	const [value, setValue] = useState('');

	useScreenInput((input, key) => {
		if (key.escape) {
			if (mode !== 'choose') {
				setMode('choose');
				setPreset(undefined);
				setIndex(0);
				setAnswers(empty);
				setValue('');
			}
			// On the start screen there is nothing to go back to: esc does nothing (q quits).
		}

		if (mode === 'choose' && (input === 'q' || (key.ctrl && input === 'c'))) onQuit();
		if (mode !== 'choose' && key.ctrl && input === 'c') onQuit();
	});

	if (mode === 'choose') {
		return (
			<Box flexDirection="column" width={columns}>
				<Text bold>smtp-tui · where should the conversation go?</Text>
				<Box borderStyle="single" flexDirection="column" paddingX={1}>
					<SelectInput
						items={[
							{label: 'The embedded lab: four local servers on 127.0.0.1, works offline', value: 'lab'},
							{label: 'A remote server: host, port, login', value: 'remote'},
							{label: 'A mail provider: Gmail, Office 365, SES, SendGrid, Mailgun, …', value: 'presets'},
						]}
						onSelect={item => {
							if (item.value === 'lab') onLab();
							else setMode(item.value as 'remote' | 'presets');
						}}
					/>
				</Box>
				{error ? <Text color="red">{safeOutput(error)}</Text> : null}
				<Text dimColor>↑↓ move  enter choose  q quit</Text>
			</Box>
		);
	}

	if (mode === 'presets' && !preset) {
		return (
			<Box flexDirection="column" width={columns}>
				<Text bold>smtp-tui · which provider?</Text>
				<Box borderStyle="single" flexDirection="column" paddingX={1}>
					<SelectInput items={presets.map(p => ({label: `${p.title}`, value: p.name}))} onSelect={item => setPreset(presets.find(p => p.name === item.value))} />
				</Box>
				<Text dimColor>↑↓ move  enter choose  esc back</Text>
			</Box>
		);
	}

	const questions = preset ? presetFields(preset) : fields;
	const field = questions[index]!;
	const submit = (text: string) => {
		const answer = text.trim() === '' && !field.mask ? field.placeholder : text;
		const next = {...answers, [field.key]: answer};
		setAnswers(next);
		setValue('');
		let nextIndex = index + 1;
		if (field.key === 'user' && answer === '') nextIndex++; // no login: no password
		if (nextIndex >= questions.length) onRemote(preset ? {...next, preset: preset.name, host: '', tls: ''} : next);
		else setIndex(nextIndex);
	};

	return (
		<Box flexDirection="column" width={columns}>
			<Text bold>smtp-tui · {safeOutput(preset ? `${preset.title}` : 'remote server')} ({index + 1}/{questions.length})</Text>
			{preset ? <Text wrap="wrap" dimColor>{safeOutput(preset.note)}</Text> : null}
			{questions.slice(0, index).map(f => (
				<Text key={f.key} dimColor>
					{safeOutput(f.question)}: {safeOutput(f.mask ? (answers[f.key] ? '********' : '(none)') : answers[f.key] || '(none)')}
				</Text>
			))}
			<Box borderStyle="single" flexDirection="column" paddingX={1}>
				<Text>{safeOutput(field.question)}</Text>
				<Box>
					<Text color="cyan">{'> '}</Text>
					<TextInput value={value} onChange={setValue} onSubmit={submit} placeholder={field.placeholder} mask={field.mask ? '*' : undefined} />
				</Box>
			</Box>
			{error ? <Text color="red">{safeOutput(error)}</Text> : null}
			<Text dimColor>enter next  esc back to the start</Text>
		</Box>
	);
}
