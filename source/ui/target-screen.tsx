// Where to connect: the embedded lab (default) or a remote server, asked field by field.
import {statSync} from 'node:fs';
import React, {useRef, useState} from 'react';
import {Box, Text} from 'ink';
import {SelectList} from './select-list.js';
import {presets, type Preset} from '../protocol/presets.js';
import {useScreenInput} from './screen-input.js';
import {editLine, emptyLine, lineAt, type LineState} from './line-edit.js';
import {LineInput} from './line-input.js';
import {safeOutput} from './terminal-text.js';
import * as commands from '../protocol/commands.js';
import {tlsModes, type TlsMode} from '../engine/profiles.js';
import {glyphs} from './glyphs.js';
import {defaultSender} from '../setup/target.js';
import {helpKey, quitKey, screenFooter, useKeyHelp, type ScreenKey} from './key-help.js';

export type RemoteAnswers = {
	host: string;
	port: string;
	tls: string;
	user: string;
	password: string;
	to: string;
	from: string;
	ca: string;
	insecure: string;
	preset?: string;
	region?: string;
};

export type TargetScreenProps = {
	columns: number;
	rows?: number;
	/** The lab was chosen. */
	onLab: () => void;
	/** A remote server was described; `error` is shown if the answers are refused. */
	onRemote: (answers: RemoteAnswers) => void;
	onQuit: () => void;
	error?: string;
	/** The answers given last time: the wizard starts from them (kept after going back). */
	initialAnswers?: RemoteAnswers;
	/** Open the wizard at once (b from a session it started), the provider's if it was one. */
	openWizard?: boolean;
};

type Field = {
	key: Exclude<keyof RemoteAnswers, 'preset'>;
	question: string;
	/** A dim hint shown while the field is empty; never used as the value. */
	placeholder: string;
	mask?: boolean;
	/** What an empty answer stands for, as the answers summary shows it (a masked field: "not set"). */
	whenEmpty?: string;
	/** One sentence for the form when the typed text cannot be used, else undefined. */
	check?: (text: string) => string | undefined;
};

const checkHostField = (text: string) => {
	if (text === '') return 'Type the server\'s host name or IP address: the connection needs one.';
	if (/[\s\0-\x1f\x7f]/.test(text)) return 'A host name has no spaces or control characters.';
	return undefined;
};

const checkPortField = (text: string) =>
	text === '' || (/^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65_535) ? undefined : 'The port is a whole number from 1 to 65535 (or leave it empty for 587).';

const checkTlsField = (text: string) =>
	text === '' || tlsModes.includes(text.toLowerCase() as TlsMode) ? undefined : `The TLS mode is one of ${tlsModes.join(', ')} (or leave it empty for auto).`;

const checkAddress = (what: string, build: (address: string) => unknown, required: boolean) => (text: string) => {
	if (text === '') return required ? `Type the ${what}: the message needs one.` : undefined;
	try {
		build(text);
		return undefined;
	} catch {
		return `That is not an address the ${what} can hold; type it as name@example.com.`;
	}
};

const checkCaField = (text: string) => {
	if (text === '') return undefined;
	try {
		if (!statSync(text).isFile()) return 'That path is not a file; give the PEM file with the CA certificate.';
	} catch {
		return 'There is no file at that path; give the PEM file with the CA certificate (or leave it empty).';
	}

	return undefined;
};

const checkYesNo = (text: string) => (text === '' || /^(y|yes|n|no)$/i.test(text) ? undefined : 'Answer yes or no (empty: no).');

const checkUserField = (text: string) => (/[\r\n\0]/.test(text) ? 'A user name has no line breaks.' : undefined);

/** The questions both wizards end with: login, envelope, certificate trust. */
const commonTail: Field[] = [
	{key: 'from', question: 'Sender address (MAIL FROM; empty: smtp-tui@this machine)', placeholder: 'e.g. me@example.com', whenEmpty: `${defaultSender()} (default)`, check: checkAddress('sender address', commands.mailFrom, false)},
	{key: 'to', question: 'Recipient address (RCPT TO)', placeholder: 'e.g. someone@example.com', check: checkAddress('recipient address', commands.rcptTo, true)},
	{key: 'ca', question: 'CA certificate file to trust (PEM; empty: the system\'s CAs)', placeholder: 'e.g. ./ca.pem', whenEmpty: 'the system\'s CAs (default)', check: checkCaField},
	{key: 'insecure', question: 'Accept any certificate, insecure? (yes/no; empty: no)', placeholder: 'no', whenEmpty: 'no (default)', check: checkYesNo},
];

const fields: Field[] = [
	{key: 'host', question: 'Host name or IP of the SMTP server', placeholder: 'e.g. smtp.example.com', check: checkHostField},
	{key: 'port', question: 'Port (25, 465, 587, 2525 or other; empty: 587)', placeholder: 'e.g. 587', whenEmpty: '587 (default)', check: checkPortField},
	{key: 'tls', question: 'TLS mode: auto, starttls, implicit or none (empty: auto)', placeholder: 'e.g. auto', whenEmpty: 'auto (default)', check: checkTlsField},
	{key: 'user', question: 'User name to log in with (empty: no login)', placeholder: '', whenEmpty: 'none (no login)', check: checkUserField},
	{key: 'password', question: 'Password (not shown, never saved)', placeholder: '', mask: true},
	...commonTail,
];

const empty: RemoteAnswers = {host: '', port: '', tls: '', user: '', password: '', to: '', from: '', ca: '', insecure: ''};

/** The questions left once a provider preset gave the host and TLS mode. */
function presetFields(preset: Preset): Field[] {
	return [
		{key: 'port', question: `Port (${preset.ports.map(p => p.port).join(', ')}; empty: ${preset.defaultPort})`, placeholder: `e.g. ${preset.defaultPort}`, whenEmpty: `${preset.defaultPort} (default)`, check: checkPortField},
		...(preset.regions ? [{key: 'region' as const, question: `Region (empty: ${preset.regions.default})`, placeholder: `e.g. ${preset.regions.default}`, whenEmpty: `${preset.regions.default} (default)`}] : []),
		{key: 'user', question: `User name${preset.user ? ` (${preset.user})` : ''}`, placeholder: preset.user ? `e.g. ${preset.user}` : '', check: checkUserField},
		{key: 'password', question: 'Password, key or token (not shown, never saved)', placeholder: '', mask: true},
		...commonTail,
	];
}

/** An answer as the wizard's summary shows it: what will really be used, never a hidden password. */
export function shownAnswer(field: Pick<Field, 'mask' | 'whenEmpty'>, value: string | undefined): string {
	if (field.mask) return value ? '********' : 'not set';
	return value || (field.whenEmpty ?? '(none)');
}

type Wizard = {index: number; answers: RemoteAnswers; line: LineState; problem?: string};

/** yes / y (any case) means yes. */
export function isYes(text: string): boolean {
	return /^y(es)?$/i.test(text.trim());
}

const listKeys = (back: boolean): ScreenKey[] => [
	{keys: `${glyphs.upDown}/k j`, help: 'move', footer: `${glyphs.upDown} move`},
	{keys: 'enter/1-9', help: 'choose the highlighted one (or the one with that number)', footer: 'enter choose'},
	...(back ? [{keys: 'esc/b', help: 'back to the start screen', footer: 'esc/b back', keep: true}] : []),
	helpKey,
	{...quitKey, help: 'quit smtp-tui (in the remote server\'s fields, where q is a letter, Ctrl-C quits)'},
];

/** The remote server's fields take every letter: Esc goes back, Ctrl-C quits. */
const fieldFooter = 'enter next  esc back to the start  Ctrl-C quit';

/** The first field of a wizard, holding the answer it had (a password is typed again). */
function firstLine(list: Field[], answers: RemoteAnswers): LineState {
	const field = list[0]!;
	return lineAt(field.mask ? '' : (answers[field.key] ?? ''));
}

export function TargetScreen({columns, rows = 24, onLab, onRemote, onQuit, error, initialAnswers, openWizard = false}: TargetScreenProps) {
	// Back from a session the wizard started: the same wizard again (the provider's, if one was chosen).
	const reopened = openWizard && initialAnswers ? initialAnswers : undefined;
	const reopenedPreset = reopened?.preset ? presets.find(p => p.name === reopened.preset) : undefined;
	const [mode, setMode] = useState<'choose' | 'remote' | 'presets'>(reopened ? (reopenedPreset ? 'presets' : 'remote') : 'choose');
	const [preset, setPreset] = useState<Preset | undefined>(reopenedPreset);
	// The wizard's state lives in a ref so that every key sees the one before it, even when
	// several arrive before the next frame (fast typing, a paste); `redraw` only asks for a frame.
	// The answers are remembered across esc and across a failed connection.
	const wizard = useRef<Wizard>({
		index: 0,
		answers: initialAnswers ?? empty,
		line: reopened ? firstLine(reopenedPreset ? presetFields(reopenedPreset) : fields, reopened) : emptyLine,
	});
	const [, redraw] = useState(0);
	const update = (change: Partial<Wizard>) => {
		wizard.current = {...wizard.current, ...change};
		redraw(n => n + 1);
	};

	const questions = preset ? presetFields(preset) : fields;

	/** Open field `at` with the answer it had before (a password is typed again). */
	const openField = (list: Field[], at: number, answers: RemoteAnswers) => {
		const field = list[at]!;
		update({index: at, answers, line: lineAt(field.mask ? '' : (answers[field.key] ?? '')), problem: undefined});
	};

	const submit = () => {
		const {index, answers, line} = wizard.current;
		const field = questions[index]!;
		// An empty field stays empty (the documented default applies); the dim hint is never a value.
		const answer = field.mask ? line.value : line.value.trim();
		const refused = field.check?.(answer);
		if (refused) {
			update({problem: refused});
			return;
		}

		const next = {...answers, [field.key]: answer};
		let nextIndex = index + 1;
		if (field.key === 'user' && answer === '') nextIndex++; // no login: no password
		if (nextIndex >= questions.length) {
			update({answers: next, problem: undefined});
			onRemote(preset ? {...next, preset: preset.name, host: '', tls: ''} : next);
		} else openField(questions, nextIndex, next);
	};

	const asking = mode === 'remote' || (mode === 'presets' && preset !== undefined);
	const keys = listKeys(mode === 'presets');
	const help = useKeyHelp({keys, width: columns, height: rows - 3, back: 'esc/b back to the list'});
	useScreenInput((input, key) => {
		if (!asking && help.handle(input, key)) return;
		if (key.escape || (mode === 'presets' && !preset && input === 'b')) {
			if (mode !== 'choose') {
				setMode('choose');
				setPreset(undefined);
				update({index: 0, line: emptyLine, problem: undefined});
			}
			// On the start screen there is nothing to go back to: esc does nothing (q quits).
			return;
		}

		if (key.ctrl && input === 'c') {
			onQuit();
			return;
		}

		if (!asking && input === 'q') onQuit();
		if (!asking) return;
		if (key.return) {
			submit();
			return;
		}

		const {line, problem, index} = wizard.current;
		const next = editLine(line, input, key);
		if (next === line) return;
		const field = questions[index]!;
		// Once a value was refused, the sentence follows the typing: it goes when the value is right.
		update({line: next, problem: problem ? field.check?.(field.mask ? next.value : next.value.trim()) : undefined});
	});

	if (mode === 'choose') {
		return (
			<Box flexDirection="column" width={columns}>
				<Text bold>smtp-tui {glyphs.dot} where should the conversation go?</Text>
				{help.overlay}
				<Box borderStyle={glyphs.border} flexDirection="column" paddingX={1} display={help.open ? 'none' : 'flex'}>
					<SelectList
						isFocused={!help.open}
						items={[
							{label: 'The embedded lab: four local servers on 127.0.0.1, works offline', value: 'lab'},
							{label: 'A remote server: host, port, login', value: 'remote'},
							{label: `A mail provider: Gmail, Office 365, SES, SendGrid, Mailgun, ${glyphs.ellipsis}`, value: 'presets'},
						]}
						onSelect={item => {
							if (item.value === 'lab') onLab();
							else {
								setMode(item.value as 'remote' | 'presets');
								if (item.value === 'remote') openField(fields, 0, wizard.current.answers);
							}
						}}
					/>
				</Box>
				{error ? <Text color="red">{safeOutput(error)}</Text> : null}
				<Text dimColor>{safeOutput(help.open ? help.footer(columns) : screenFooter(keys, columns))}</Text>
			</Box>
		);
	}

	if (mode === 'presets' && !preset) {
		return (
			<Box flexDirection="column" width={columns}>
				<Text bold>smtp-tui {glyphs.dot} which provider?</Text>
				{help.overlay}
				<Box borderStyle={glyphs.border} flexDirection="column" paddingX={1} display={help.open ? 'none' : 'flex'}>
					<SelectList
						isFocused={!help.open}
						items={presets.map(p => ({label: `${p.title}`, value: p.name}))}
						onSelect={item => {
							const chosen = presets.find(p => p.name === item.value);
							setPreset(chosen);
							if (chosen) openField(presetFields(chosen), 0, wizard.current.answers);
						}}
					/>
				</Box>
				<Text dimColor>{safeOutput(help.open ? help.footer(columns) : screenFooter(keys, columns))}</Text>
			</Box>
		);
	}

	const {index, answers, line, problem} = wizard.current;
	const field = questions[index]!;
	return (
		<Box flexDirection="column" width={columns}>
			<Text bold>smtp-tui {glyphs.dot} {safeOutput(preset ? `${preset.title}` : 'remote server')} ({index + 1}/{questions.length})</Text>
			{preset ? <Text wrap="wrap" dimColor>{safeOutput(preset.note)}</Text> : null}
			{questions.slice(0, index).map(f => (
				<Text key={f.key} dimColor>
					{safeOutput(f.question)}: {safeOutput(shownAnswer(f, answers[f.key]))}
				</Text>
			))}
			<Box borderStyle={glyphs.border} flexDirection="column" paddingX={1}>
				<Text>{safeOutput(field.question)}</Text>
				<Box>
					<Text color="cyan">{'> '}</Text>
					<LineInput line={line} placeholder={field.placeholder || undefined} mask={field.mask ? '*' : undefined} width={Math.max(8, columns - 8)} />
				</Box>
			</Box>
			{problem ? <Text color="red">{safeOutput(problem)}</Text> : null}
			{error ? <Text color="red">{safeOutput(error)}</Text> : null}
			<Text dimColor>{fieldFooter}</Text>
		</Box>
	);
}
