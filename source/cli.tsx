// The entry point: parses flags with meow, checks the terminal, picks a mode. The only
// file that reads process.argv or calls process.exit.
import packageJson from '../package.json' with {type: 'json'};
import {exitCodeTable, exitCodes} from './engine/exit-codes.js';
import {promptHidden} from './commands/prompt.js';
import {parseCompareArguments, runCompare} from './commands/compare.js';
import {renderPresets} from './commands/presets.js';
import {runProbe} from './commands/probe.js';
import {classroomOptions, runClassroomLog, startClassroom, type ClassroomFlags} from './commands/lab.js';
import {renderExport} from './commands/record.js';
import {readRecording, runExport} from './commands/replay.js';
import {runSession} from './commands/run.js';
import {resolveTarget, saveDirectory, UsageError, type LabConfig, type TargetEnvironment, type TargetFlags} from './commands/target.js';
import {SessionFailure} from './engine/failure.js';
import type {LabPort} from './lab/index.js';

const help = `
  Usage
    $ smtp-tui [options]          step through an SMTP session in the terminal (the TUI)
    $ smtp-tui run [options]      run the whole session at once and print it
    $ smtp-tui probe [HOST]       every port at once, no mail sent, with a diagnosis
                                  (--ports 25,465,587,2525; the lab without HOST)
    $ smtp-tui replay FILE        play a recording back in the session screen
                                  (the transcript as text when not on a terminal)
    $ smtp-tui export FILE --format text|markdown|jsonl|mermaid|swaks|openssl
    $ smtp-tui lab [options]      the lab as a classroom server, with a live dashboard
    $ smtp-tui lesson [NAME]      list the lessons, or run one in the TUI
    $ smtp-tui journey            one message through submission (587), relay (25) and
                                  retrieval (POP3 995), step by step, in the lab
    $ smtp-tui presets            list the provider presets
    $ smtp-tui compare [HOST] [PORT|NAME=PORT...]  one scenario on several ports side by side
                                  (default 25 465 587 2525; a table when not on a terminal)

  With no --host, smtp-tui starts an embedded lab of local SMTP servers on 127.0.0.1
  that behave like ports 25, 465, 587 and 2525 (demo account alice / wonderland).

  Target
    --host HOST            server to talk to (default: the embedded lab)
    --port N               25, 465, 587, 2525 or any port (default: 587)
    --mx                   deliver like a mail server: connect to the best MX of the
                           first --to domain (also implied by --port 25 with a
                           recipient outside lab.test and no --host)
    --resolver IP[:PORT]   DNS server for the MX lookup (implies --mx)
    --lab                  use the embedded lab even for outside recipients
    --lab-cert VARIANT     the certificate the lab serves, to see TLS fail: valid,
                           expired, not-yet-valid, wrong-host, self-signed,
                           unknown-issuer, old-tls (TLS 1.1 only)
    --fault PORTS:NAME[=N] a lab fault, e.g. 587:greylist=30, all:tarpit=1500
                           (greylist tarpit rate-limit too-many-recipients too-big
                           unknown-mailbox disconnect-in-data tls-unavailable
                           auth-tempfail; repeat for several)
    --attack NAME          a deliberately vulnerable lab personality, for teaching:
                           starttls-command-injection, starttls-response-injection,
                           smuggling
    --save-dir DIR         save every message the lab accepts as DIR/*.eml with a
                           .json sidecar (run, TUI)
    --preset NAME          a provider's host, ports and TLS mode: gmail, office365,
                           ses, sendgrid, mailgun, postmark, brevo, mailtrap
                           (smtp-tui presets lists them with their notes)
    --region R             the provider's region (ses: us-east-1 …; mailgun: us, eu)
    --tls MODE             auto | starttls | implicit | none (default: auto = implicit
                           on 465, STARTTLS required on 587/2525, STARTTLS if offered elsewhere)
    --insecure             go on when the certificate does not verify (with a warning)
    --ca FILE              also trust this CA certificate (PEM)
    --servername NAME      TLS server name to send and check (default: the host)
    -4, -6                 use IPv4 / IPv6 only
    --local-address IP     connect from this local address

  Conversation
    --ehlo NAME            name to give in EHLO (default: this machine's name)
    --from ADDRESS         MAIL FROM address
    --to ADDRESS           RCPT TO address (repeat for several)
    --user NAME            log in as NAME
    --password-env VAR     read the password from environment variable VAR
    --password-file FILE   read the password from FILE (first line)
    --password PASS        the password itself (leaks into shell history: avoid)
    --token-env VAR        OAuth2 bearer token for XOAUTH2, from VAR
    --auth MECH            PLAIN | LOGIN | CRAM-MD5 | XOAUTH2 (default: the best offered)
    --insecure-auth        allow AUTH without TLS (the password travels readable)
    --quit-after STEP      connect | banner | ehlo | starttls | auth | mail | rcpt | data
    --header "N: V"        add a header (repeat for several)
    --subject TEXT         the Subject header
    --body TEXT            the message body
    --body-file FILE       the message body from FILE
    --timeout SECONDS      per-reply timeout (default: RFC 5321's, 2 to 10 minutes)
    --connect-timeout S    connect timeout (default: 30)

  Compare
    --to ADDRESS           a recipient in the server's own domain (lab: bob@lab.test)
    --outside ADDRESS      a recipient elsewhere (default: smtp-tui-test@example.com)
    --markdown             print the comparison as Markdown (the default off a terminal)

  Classroom lab (smtp-tui lab)
    --listen ADDR          address to listen on (default 127.0.0.1; 0.0.0.0 for a class)
    --base-port N          listen on N+25, N+465, N+587, N+2525 (default 10000)
    --ports LIST           or name them: 25=2525,465=2465,587=2587,2525=2526
    --users FILE           accounts, one user:password per line (default alice, bob)
    --ca-out FILE          write the lab's CA certificate for students
    --max-clients N, --max-per-ip N, --max-message-size BYTES, --idle-timeout SECONDS
    (--fault, --attack, --lab-cert and --save-dir apply too)
    Students: smtp-tui --host INSTRUCTOR --port 10587 --lab-ca ca.pem
    --lab-ca FILE          trust a classroom lab's CA and check its name (mx.lab.test)

  Probe
    --ports LIST           ports to probe, e.g. 25,587 or 25=10025 (name=where to connect)

  Output (run, compare, probe)
    --json                 run: the transcript as JSON Lines; compare, probe: the report as JSON
    --explain              explain every reply in plain words
    --timings              show milliseconds since the start on every line
    --record FILE          run, TUI: save the session as a recording (secrets masked)
    --quiz                 TUI: predict each reply (2xx–5xx) before it shows; z toggles

  Exit codes
${exitCodeTable.map(({code, meaning}) => `    ${String(code).padEnd(4)} ${meaning}`).join('\n')}

  Examples
    $ smtp-tui
    $ smtp-tui run --lab --port 25 --to bob@example.com --explain
    $ smtp-tui run --port 25 --to postmaster@example.org      (MX lookup, then deliver)
    $ smtp-tui compare 25 587 --markdown
    $ smtp-tui run --host smtp.example.com --port 587 --user me@example.com --password-env SMTP_PASS --to you@example.org
`;

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
	labCa: {type: 'string'},
	quiz: {type: 'boolean'},
	format: {type: 'string'},
	outside: {type: 'string'},
	explain: {type: 'boolean'},
	timings: {type: 'boolean'},
} as const;

const kebab = (name: string) => name.replace(/[A-Z]/g, c => '-' + c.toLowerCase());

/** The first flag on the command line that smtp-tui does not know, as typed. */
function unknownFlags(given: Record<string, unknown>): string | undefined {
	const known = new Set<string>(['help', 'version']);
	for (const [name, spec] of Object.entries(flagSpec)) {
		known.add(name).add(kebab(name));
		if ('shortFlag' in spec) known.add(spec.shortFlag);
	}

	const name = Object.keys(given).find(key => !known.has(key));
	return name === undefined ? undefined : name.length === 1 ? `-${name}` : `--${kebab(name)}`;
}

function fail(message: string, code: number): never {
	process.stderr.write(`smtp-tui: ${message}\n`);
	process.exit(code);
}

/**
 * NO_COLOR (no-color.org) is not read by chalk, which Ink draws with; FORCE_COLOR is, and
 * wins when both are set. Called before the UI (and so chalk) first loads.
 */
function respectNoColor(): void {
	if (process.env.NO_COLOR && process.env.FORCE_COLOR === undefined) process.env.FORCE_COLOR = '0';
}

async function startLab(only: LabPort[], config: LabConfig = {}) {
	const {startLab} = await import('./lab/index.js');
	return startLab({only, ...config});
}

async function parseArgv(argv: string[]) {
	const {default: meow} = await import('meow');
	return meow(help, {
		importMeta: import.meta,
		argv,
		pkg: packageJson,
		allowUnknownFlags: true,
		flags: flagSpec,
	});
}

async function main(): Promise<void> {
	// `smtp-tui` alone has nothing to parse: skip loading meow (about 50 ms of start-up).
	const argv = process.argv.slice(2);
	const cli = argv.length === 0 ? {input: [], flags: {}, unnormalizedFlags: {}} : await parseArgv(argv);
	const unknown = unknownFlags(cli.unnormalizedFlags);
	if (unknown) fail(`unknown option ${unknown} (see smtp-tui --help).`, exitCodes.usage);
	const [mode = 'tui', ...rest] = cli.input;
	if (rest.length > (['probe', 'replay', 'export', 'lesson'].includes(mode) ? 1 : 0) && mode !== 'compare') fail(`unexpected argument "${rest[0]}" (see smtp-tui --help).`, exitCodes.usage);

	const flags = cli.flags as unknown as TargetFlags & ClassroomFlags & {json?: boolean; markdown?: boolean; outside?: string; explain?: boolean; timings?: boolean; format?: string};
	const environment: TargetEnvironment = {
		env: process.env,
		promptPassword: process.stdin.isTTY ? async question => promptHidden(question, process.stdin, process.stderr) : undefined,
		startLab,
	};

	switch (mode) {
		case 'run': {
			const saveDir = await saveDirectory(flags);
			const target = await resolveTarget(flags, environment);
			const controller = new AbortController();
			process.once('SIGINT', () => controller.abort());
			const code = await runSession(target, {
				write: text => process.stdout.write(text),
				note: text => process.stderr.write(`smtp-tui: ${text}\n`),
			}, {...flags, saveDir}, controller.signal);
			process.exitCode = code;
			return;
		}

		case 'compare': {
			const {host, ports} = parseCompareArguments(rest, flags.host);
			flags.host = host;
			if (flags.json || flags.markdown || !process.stdin.isTTY || !process.stdout.isTTY) {
				const controller = new AbortController();
				process.once('SIGINT', () => controller.abort());
				process.exitCode = await runCompare(flags, ports, environment, {
					write: text => process.stdout.write(text),
					note: text => process.stderr.write(`smtp-tui: ${text}\n`),
				}, controller.signal);
				return;
			}

			respectNoColor();
			const {startCompareTui} = await import('./ui/start.js');
			process.exitCode = await startCompareTui(flags, ports, environment);
			return;
		}

		case 'probe':
			process.exitCode = await runProbe(flags, rest[0], environment, text => process.stdout.write(text));
			return;

		case 'replay': {
			const recording = await readRecording(rest[0]);
			if (!process.stdin.isTTY || !process.stdout.isTTY) {
				process.stdout.write(renderExport(recording, 'text'));
				return;
			}

			respectNoColor();
			const {startReplayTui} = await import('./ui/start.js');
			process.exitCode = await startReplayTui(recording);
			return;
		}

		case 'export':
			process.stdout.write(await runExport(rest[0], flags.format));
			return;

		case 'lab': {
			const options = await classroomOptions(flags);
			const lab = await startClassroom(options);
			if (process.stdout.isTTY && process.stdin.isTTY) {
				respectNoColor();
				const {startDashboard} = await import('./ui/start.js');
				process.exitCode = await startDashboard(lab, options.caOut);
				return;
			}

			const stopped = new Promise<void>(resolve => {
				process.once('SIGINT', () => resolve());
				process.once('SIGTERM', () => resolve());
			});
			process.exitCode = await runClassroomLog(lab, options.caOut, line => process.stdout.write(line + '\n'), stopped);
			return;
		}

		case 'lesson': {
			const {lessons, findLesson} = await import('./lessons/index.js');
			if (!rest[0]) {
				process.stdout.write(lessons.map((l, i) => `${String(i + 1).padStart(2)}  ${l.name.padEnd(24)} ${l.title}\n    ${l.goal}\n`).join('') + '\nRun one with: smtp-tui lesson NAME (or its number)\n');
				return;
			}

			const lesson = findLesson(rest[0]);
			if (!lesson) fail(`there is no lesson "${rest[0]}" (smtp-tui lesson lists them).`, exitCodes.usage);
			if (!process.stdin.isTTY || !process.stdout.isTTY) fail('a lesson runs in the interactive TUI and needs a terminal.', exitCodes.usage);
			respectNoColor();
			const {startLessonTui} = await import('./ui/start.js');
			process.exitCode = await startLessonTui(lesson, flags, environment);
			return;
		}

		case 'journey': {
			if (!process.stdin.isTTY || !process.stdout.isTTY) fail('the journey runs in the interactive TUI and needs a terminal.', exitCodes.usage);
			respectNoColor();
			const {startJourneyTui} = await import('./ui/start.js');
			process.exitCode = await startJourneyTui();
			return;
		}

		case 'presets':
			process.stdout.write(renderPresets());
			return;

		case 'tui': {
			if (!process.stdin.isTTY || !process.stdout.isTTY) {
				fail('the interactive TUI needs a terminal; for scripts and pipes use `smtp-tui run` (see smtp-tui --help).', exitCodes.usage);
			}

			respectNoColor();
			const {startTui} = await import('./ui/start.js');
			process.exitCode = await startTui(flags, environment);
			return;
		}

		default:
			fail(`unknown command "${mode}" (commands: run, compare, probe, replay, export, lab, lesson, journey, presets; with no command the TUI starts).`, exitCodes.usage);
	}
}

// A closed pipe (`smtp-tui run | head`) ends the output, not the program with a trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
	if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
	throw error;
});

try {
	await main();
} catch (error) {
	if (error instanceof UsageError) fail(error.message, exitCodes.usage);
	if (error instanceof SessionFailure) {
		const code = error.kind === 'local' ? exitCodes.usage : error.kind === 'timeout' ? exitCodes.timeout : error.kind === 'connect' ? exitCodes.connect : exitCodes.internal;
		fail(error.message, code);
	}

	const message = error instanceof Error ? error.message : String(error);
	fail(`internal error: ${message} (please report this).`, exitCodes.internal);
}
