// The entry point: parses flags with meow, checks the terminal, picks a mode. The only
// file that reads process.argv or calls process.exit.
import {isatty} from 'node:tty';
import packageJson from '../package.json' with {type: 'json'};
import {exitCodes} from './engine/exit-codes.js';
import type {JourneyFlags} from './commands/journey.js';
import {PromptInterrupted, promptHidden} from './commands/prompt.js';
import type {ClassroomFlags} from './commands/lab.js';
import {safeOutput} from './protocol/safe-text.js';
import {parsePlainArguments} from './commands/flags.js';
import {MtaStsRefusal, UsageError} from './setup/errors.js';
import type {LabConfig, TargetEnvironment, TargetFlags} from './setup/target.js';
import {SessionFailure} from './engine/failure.js';
import type {LabPort} from './lab/index.js';
// Only argument checks and the errors caught below are imported above; every command,
// `run` too, loads its modules when it runs: a batch `run` should cost little more than
// Node's own start, and the TUI's first frame only what the start screen needs (see the
// readme's benchmarks).


const flagSpec = {
	host: {type: 'string'},
	port: {type: 'string'},
	lab: {type: 'boolean'},
	mx: {type: 'boolean'},
	resolver: {type: 'string'},
	preset: {type: 'string'},
	labCert: {type: 'string'},
	fault: {type: 'string', isMultiple: true},
	attack: {type: 'string', isMultiple: true},
	authFault: {type: 'string', isMultiple: true},
	retrieval: {type: 'string'},
	saveDir: {type: 'string'},
	region: {type: 'string'},
	tls: {type: 'string'},
	insecure: {type: 'boolean'},
	ca: {type: 'string'},
	servername: {type: 'string'},
	ipv4: {type: 'boolean', shortFlag: '4'},
	ipv6: {type: 'boolean', shortFlag: '6'},
	localAddress: {type: 'string'},
	ehlo: {type: 'string'},
	from: {type: 'string'},
	to: {type: 'string', isMultiple: true},
	user: {type: 'string'},
	passwordEnv: {type: 'string'},
	passwordFile: {type: 'string'},
	password: {type: 'string'},
	tokenEnv: {type: 'string'},
	auth: {type: 'string'},
	insecureAuth: {type: 'boolean'},
	quitAfter: {type: 'string'},
	header: {type: 'string', isMultiple: true},
	subject: {type: 'string'},
	body: {type: 'string'},
	bodyFile: {type: 'string'},
	timeout: {type: 'string'},
	connectTimeout: {type: 'string'},
	json: {type: 'boolean'},
	markdown: {type: 'boolean'},
	ports: {type: 'string'},
	record: {type: 'string'},
	listen: {type: 'string'},
	basePort: {type: 'string'},
	users: {type: 'string'},
	caOut: {type: 'string'},
	maxClients: {type: 'string'},
	maxPerIp: {type: 'string'},
	maxMessageSize: {type: 'string'},
	idleTimeout: {type: 'string'},
	maxLineLength: {type: 'string'},
	maxRecipients: {type: 'string'},
	maxAuthFailures: {type: 'string'},
	authFailureDelay: {type: 'string'},
	authFailureDelayMax: {type: 'string'},
	maxAuthPerMinute: {type: 'string'},
	handshakeTimeout: {type: 'string'},
	commandTimeout: {type: 'string'},
	sessionTimeout: {type: 'string'},
	minDataRate: {type: 'string'},
	maxInboxMessages: {type: 'string'},
	maxInboxSize: {type: 'string'},
	maxReceiving: {type: 'string'},
	labCa: {type: 'string'},
	quiz: {type: 'boolean'},
	format: {type: 'string'},
	outside: {type: 'string'},
	explain: {type: 'boolean'},
	maxSize: {type: 'string'},
	domain: {type: 'string'},
	selector: {type: 'string'},
	mtaStsPort: {type: 'string'},
	timings: {type: 'boolean'},
	help: {type: 'boolean', shortFlag: 'h'},
	version: {type: 'boolean'},
} as const;

const kebab = (name: string) => name.replace(/[A-Z]/g, c => '-' + c.toLowerCase());

/** The first flag on the command line that smtp-tui does not know, as typed. */
function unknownFlags(given: Record<string, unknown>): string | undefined {
	const known = new Set<string>();
	for (const [name, spec] of Object.entries(flagSpec)) {
		known.add(name).add(kebab(name));
		if ('shortFlag' in spec) known.add(spec.shortFlag);
	}

	const name = Object.keys(given).find(key => !known.has(key));
	return name === undefined ? undefined : name.length === 1 ? `-${name}` : `--${kebab(name)}`;
}

/** A flag's name as meow matches it: letter case and dashes do not count (`--PORT`, `--max-clients`). */
const looseName = (name: string) => name.replace(/-/g, '').toLowerCase();

/**
 * What meow would hide, read from the raw arguments before anything runs: --help, -h or
 * --version in any letter case (with `=value`: a usage error), a value flag at the end of
 * the line or before another flag (meow drops it, and the command would run with a
 * default), and a flag given twice in different cases (meow keeps the last). A help or
 * version request wins over the other mistakes: it does nothing else.
 */
function scanArguments(argv: string[]): {help: boolean; version: boolean} {
	const specs = new Map<string, {name: string; spec: (typeof flagSpec)[keyof typeof flagSpec]}>();
	for (const [name, spec] of Object.entries(flagSpec)) {
		specs.set(looseName(name), {name, spec});
		if ('shortFlag' in spec) specs.set(spec.shortFlag.toLowerCase(), {name, spec});
	}

	const seen = new Set<string>();
	const request = {help: false, version: false};
	let mistake: string | undefined;
	for (const [index, argument] of argv.entries()) {
		if (argument === '--') break;
		const match = /^(--?)([^=]+)(=.*)?$/s.exec(argument);
		if (!match) continue;
		const [, dashes, typed, value] = match;
		const found = dashes === '--' || typed!.length === 1 ? specs.get(looseName(typed!)) : undefined;
		if (!found) continue;
		const {name, spec} = found;
		const shown = `--${kebab(name)}`;
		if (name === 'help' || name === 'version') {
			if (value !== undefined) throw new UsageError(`${shown} takes no value; give ${shown} alone.`);
			request[name] = true;
			continue;
		}

		if (spec.type === 'string' && value === undefined) {
			const next = argv[index + 1];
			if (next === undefined || next === '--' || (/^-./.test(next) && !/^-\d/.test(next))) mistake ??= `${shown} needs a value.`;
		}

		if (!('isMultiple' in spec)) {
			if (seen.has(name)) mistake ??= `${shown} was given more than once; give it once.`;
			seen.add(name);
		}
	}

	if (mistake !== undefined && !request.help && !request.version) throw new UsageError(mistake);
	return request;
}

// The terminal gate for batch output: every byte smtp-tui writes to stdout or stderr outside the
// TUI passes here (the only process.stdout/stderr writes in source/, test/ui/terminal-gate.test.ts),
// so peer text, recordings and file names can never send a control sequence to the terminal.
function writeOut(text: string): boolean {
	return process.stdout.write(safeOutput(text));
}

function writeErr(text: string): boolean {
	return process.stderr.write(safeOutput(text));
}

function fail(message: string, code: number): never {
	writeErr(`smtp-tui: ${message}\n`);
	process.exit(code);
}

/**
 * NO_COLOR (no-color.org) is not read by chalk, which Ink draws with; FORCE_COLOR is, and
 * wins when both are set. Called before the UI (and so chalk) first loads.
 */
function respectNoColor(): void {
	if (process.env.NO_COLOR && process.env.FORCE_COLOR === undefined) process.env.FORCE_COLOR = '0';
}

/**
 * Loads the UI (and with it Ink) for a terminal a person is looking at. Ink decides once,
 * when it loads, whether it runs in CI (is-in-ci reads CI and CONTINUOUS_INTEGRATION), and
 * in CI draws nothing until it exits. Every caller has checked that stdin and stdout are a
 * terminal, so those variables are hidden while Ink loads, then put back as they were.
 */
async function loadUi() {
	respectNoColor();
	const hidden = Object.entries(process.env).filter(([name]) => name === 'CI' || name === 'CONTINUOUS_INTEGRATION');
	for (const [name] of hidden) delete process.env[name];
	try {
		// The glyphs (Unicode, or ASCII for TERM=dumb and non-UTF-8 locales) are chosen before
		// the screens load, so what they build at load time uses them too; only an ASCII
		// terminal loads the transliteration tables.
		const {chooseGlyphs} = await import('./ui/glyphs.js');
		if (!chooseGlyphs(process.env).unicode) await (await import('./ui/terminal-text.js')).loadTransliteration();
		return await import('./ui/start.js');
	} finally {
		for (const [name, value] of hidden) process.env[name] = value;
	}
}

/** --record FILE (run, TUI): a file that cannot be written is a usage error before connecting. */
async function checkRecordFile(file: string | undefined): Promise<void> {
	const problem = file === undefined ? undefined : await (await import('./setup/record.js')).recordFileProblem(file);
	if (problem) throw new UsageError(problem);
}

async function startLab(only: LabPort[], config: LabConfig = {}) {
	const {startLab} = await import('./lab/index.js');
	return startLab({only, ...config});
}

async function parseArgv(argv: string[]) {
	const plain = parsePlainArguments(argv, flagSpec);
	if (plain) {
		// As meow does: the process is named after the command, not `node`.
		process.title = 'smtp-tui';
		return plain;
	}

	const {default: meow} = await import('meow');
	try {
		return meow({
			importMeta: import.meta,
			argv,
			pkg: packageJson,
			allowUnknownFlags: true,
			// --help and --version are answered below, per command, wherever they stand.
			autoHelp: false,
			autoVersion: false,
			flags: flagSpec,
		});
	} catch (error) {
		const twice = /^The flag --(\w+) can only be set once/.exec((error as Error).message);
		if (twice) throw new UsageError(`--${kebab(twice[1]!)} was given more than once; give it once.`);
		throw error;
	}
}

async function main(): Promise<void> {
	// `smtp-tui` alone has nothing to parse: skip loading meow (about 50 ms of start-up).
	const argv = process.argv.slice(2);
	const request = scanArguments(argv);
	const cli = argv.length === 0 ? {input: [], flags: {} as {help?: boolean; version?: boolean}, unnormalizedFlags: {}} : await parseArgv(argv).catch(async (error: unknown) => {
		// A help request wins over meow's complaints (a flag twice): the command is the first word.
		if (!(error instanceof UsageError) || !(request.help || request.version)) throw error;
		const {helpCommands} = await import('./commands/help.js');
		return {input: argv.filter(argument => helpCommands.includes(argument)).slice(0, 1), flags: {} as {help?: boolean; version?: boolean}, unnormalizedFlags: {}};
	});
	const unknown = unknownFlags(cli.unnormalizedFlags);
	const [mode = 'tui', ...rest] = cli.input;
	// Help and version do nothing else: no session, no lab, no mail.
	if (request.help || cli.flags.help) {
		const {helpText} = await import('./commands/help.js');
		writeOut(helpText(mode));
		return;
	}

	if (request.version || cli.flags.version) {
		writeOut(`${packageJson.version}\n`);
		return;
	}

	if (unknown) fail(`unknown option ${unknown} (see smtp-tui --help).`, exitCodes.usage);

	if (rest.length > (['probe', 'replay', 'export', 'lesson', 'check'].includes(mode) ? 1 : 0) && mode !== 'compare') fail(`unexpected argument "${rest[0]}" (see smtp-tui --help).`, exitCodes.usage);

	const flags = cli.flags as unknown as TargetFlags & ClassroomFlags & {json?: boolean; markdown?: boolean; outside?: string; explain?: boolean; timings?: boolean; format?: string; domain?: string; selector?: string; mtaStsPort?: string; maxSize?: string};
	const environment: TargetEnvironment = {
		env: process.env,
		// isatty(0), not process.stdin.isTTY: making process.stdin builds a stream a batch run never reads.
		promptPassword: isatty(0) ? async question => promptHidden(question, process.stdin, process.stderr) : undefined,
		startLab,
	};

	switch (mode) {
		case 'run': {
			const [{runSession}, {resolveTarget, saveDirectory}] = await Promise.all([import('./commands/run.js'), import('./setup/target.js')]);
			await checkRecordFile(flags.record);
			const saveDir = await saveDirectory(flags);
			const target = await resolveTarget(flags, environment);
			const controller = new AbortController();
			process.once('SIGINT', () => controller.abort());
			const code = await runSession(target, {
				write: text => writeOut(text),
				note: text => writeErr(`smtp-tui: ${text}\n`),
			}, {...flags, saveDir}, controller.signal);
			process.exitCode = code;
			return;
		}

		case 'compare': {
			const {parseCompareArguments, runCompare} = await import('./commands/compare.js');
			const {host, ports} = parseCompareArguments(rest, flags.host);
			flags.host = host;
			if (flags.json || flags.markdown || !process.stdin.isTTY || !process.stdout.isTTY) {
				const controller = new AbortController();
				process.once('SIGINT', () => controller.abort());
				process.exitCode = await runCompare(flags, ports, environment, {
					write: text => writeOut(text),
					note: text => writeErr(`smtp-tui: ${text}\n`),
				}, controller.signal);
				return;
			}

			const {startCompareTui} = await loadUi();
			process.exitCode = await startCompareTui(flags, ports, environment);
			return;
		}

		case 'probe': {
			const {runDomainProbe, runProbe} = await import('./commands/probe.js');
			process.exitCode = flags.domain === undefined && flags.selector === undefined
				? await runProbe(flags, rest[0], environment, text => writeOut(text))
				: await runDomainProbe(flags, rest[0], text => writeOut(text));
			return;
		}

		case 'replay': {
			const {readRecording} = await import('./commands/replay.js');
			const recording = await readRecording(rest[0]);
			if (!process.stdin.isTTY || !process.stdout.isTTY) {
				const {renderExport} = await import('./setup/record.js');
				writeOut(renderExport(recording, 'text'));
				return;
			}

			const {startReplayTui} = await loadUi();
			process.exitCode = await startReplayTui(recording);
			return;
		}

		case 'check': {
			const {runCheck} = await import('./commands/check.js');
			const {output, exitCode} = await runCheck(rest[0], flags);
			writeOut(output);
			process.exitCode = exitCode;
			return;
		}

		case 'export': {
			const {runExport} = await import('./commands/replay.js');
			writeOut(await runExport(rest[0], flags.format));
			return;
		}

		case 'lab': {
			const {classroomOptions, runClassroomLog, saveClassroomMessages, startClassroom} = await import('./commands/lab.js');
			const options = await classroomOptions(flags);
			const lab = await startClassroom(options);
			const dashboard = process.stdout.isTTY && process.stdin.isTTY;
			// Save failures: a log line as they happen, or (under the dashboard) after it closes.
			const saveErrors: string[] = [];
			const saving = options.saveDir === undefined ? undefined : await saveClassroomMessages(lab, options.saveDir, message => {
				saveErrors.push(message);
				if (!dashboard) writeOut(`lab: ${message}\n`);
			});
			let code: number;
			try {
				if (dashboard) {
					const {startDashboard} = await loadUi();
					code = await startDashboard(lab, options.caOut);
				} else {
					const stopped = new Promise<void>(resolve => {
						process.once('SIGINT', () => resolve());
						process.once('SIGTERM', () => resolve());
					});
					code = await runClassroomLog(lab, options.caOut, line => writeOut(line + '\n'), stopped);
				}
			} finally {
				// Both close the lab first, so no message is accepted after this; every save has begun.
				await lab.close();
				await saving?.flush();
			}

			if (dashboard) for (const message of saveErrors) writeErr(`smtp-tui: ${message}\n`);
			process.exitCode = saveErrors.length > 0 && code === 0 ? exitCodes.usage : code;
			return;
		}

		case 'lesson': {
			const {lessons, findLesson} = await import('./lessons/index.js');
			if (!rest[0]) {
				// Wrapped at the terminal's width (80 when not on one), each part under its column.
				const {default: wrapAnsi} = await import('wrap-ansi');
				const width = process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : 80;
				const indented = (text: string, first: string, indent: number) => wrapAnsi(text, Math.max(20, width - indent), {hard: true}).split('\n').map((line, index) => (index === 0 ? first : ' '.repeat(indent)) + line).join('\n');
				writeOut(lessons.map((l, i) => `${indented(l.title, `${String(i + 1).padStart(2)}  ${l.name.padEnd(24)} `, 29)}\n${indented(l.goal, '    ', 4)}\n`).join('') + '\nRun one with: smtp-tui lesson NAME (or its number)\n');
				return;
			}

			const lesson = findLesson(rest[0]);
			if (!lesson) fail(`there is no lesson "${rest[0]}" (smtp-tui lesson lists them).`, exitCodes.usage);
			if (!process.stdin.isTTY || !process.stdout.isTTY) fail('a lesson runs in the interactive TUI and needs a terminal.', exitCodes.usage);
			const {startLessonTui} = await loadUi();
			process.exitCode = await startLessonTui(lesson, flags, environment);
			return;
		}

		case 'journey': {
			const {journeyOptions} = await import('./commands/journey.js');
			const options = journeyOptions(cli.flags as JourneyFlags);
			if (!process.stdin.isTTY || !process.stdout.isTTY) fail('the journey runs in the interactive TUI and needs a terminal.', exitCodes.usage);
			const {startJourneyTui} = await loadUi();
			process.exitCode = await startJourneyTui(options);
			return;
		}

		case 'presets': {
			const {renderPresets} = await import('./commands/presets.js');
			writeOut(renderPresets());
			return;
		}

		case 'tui': {
			if (!process.stdin.isTTY || !process.stdout.isTTY) {
				fail('the interactive TUI needs a terminal; for scripts and pipes use `smtp-tui run` (see smtp-tui --help).', exitCodes.usage);
			}

			await checkRecordFile(flags.record);
			const {startTui} = await loadUi();
			process.exitCode = await startTui(flags, environment);
			return;
		}

		default:
			fail(`unknown command "${mode}" (commands: run, compare, probe, replay, export, lab, lesson, journey, check, presets; with no command the TUI starts).`, exitCodes.usage);
	}
}

// A closed pipe (`smtp-tui run | head`) ends the output, not the program with a trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
	if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
	throw error;
});

// Not a top-level await: dist/batch.cjs is this file as a classic script (scripts/build.mjs).
main().catch((error: unknown) => {
	if (error instanceof UsageError) fail(error.message, exitCodes.usage);
	if (error instanceof MtaStsRefusal) fail(safeOutput(error.message), exitCodes.tls);
	if (error instanceof PromptInterrupted) process.exit(exitCodes.interrupted);
	// The lab's own errors that are the user's to fix: a port in use, an address not on this
	// machine, a fault value out of range, a save folder that cannot be written.
	if ((error as {blame?: unknown} | undefined)?.blame === 'local') fail((error as Error).message, exitCodes.usage);
	if (error instanceof SessionFailure) {
		const code = error.kind === 'local' ? exitCodes.usage : error.kind === 'timeout' ? exitCodes.timeout : error.kind === 'connect' ? exitCodes.connect : exitCodes.internal;
		fail(error.message, code);
	}

	const message = error instanceof Error ? error.message : String(error);
	fail(`internal error: ${message} (please report this).`, exitCodes.internal);
});
