// `smtp-tui --help` and `smtp-tui COMMAND --help` (or -h): every subcommand's own flags, an
// example and its exit codes. Each flag is described once, here; a command's help picks the
// flags it reads.
import {exitCodeTable} from '../engine/exit-codes.js';

const flags = {
	host: '--host HOST            server to talk to (default: the embedded lab); an IPv6\n                           literal as ::1 or [::1]',
	port: '--port N               25, 465, 587, 2525 or any port (default: 587)',
	mx: '--mx                   deliver like a mail server: connect to the best MX of the\n                           first --to domain (also implied by --port 25 with a\n                           recipient outside lab.test and no --host)',
	resolver: '--resolver IP[:PORT]   DNS server for the MX lookup (implies --mx)',
	lab: '--lab                  use the embedded lab even for outside recipients',
	labCert: '--lab-cert VARIANT     the certificate the lab serves, to see TLS fail: valid,\n                           expired, not-yet-valid, wrong-host, self-signed,\n                           unknown-issuer, old-tls (TLS 1.1 only)',
	fault: '--fault PORTS:NAME[=N] a lab fault, e.g. 587:greylist=30, all:tarpit=1500\n                           (greylist tarpit rate-limit too-many-recipients too-big\n                           unknown-mailbox disconnect-in-data tls-unavailable\n                           auth-tempfail bare-lf-reject greet-pause; repeat for\n                           several); without greet-pause=MS the banner comes at once',
	attack: '--attack NAME          a deliberately vulnerable lab personality, for teaching:\n                           starttls-command-injection, starttls-response-injection,\n                           smuggling',
	saveDir: '--save-dir DIR         save every message the lab accepts as DIR/*.eml with a\n                           .json sidecar (run, TUI, lab; DIR must be a writable folder)',
	preset: '--preset NAME          a provider\'s host, ports and TLS mode: gmail, office365,\n                           ses, sendgrid, mailgun, postmark, brevo, mailtrap\n                           (smtp-tui presets lists them with their notes)',
	region: '--region R             the provider\'s region (ses: us-east-1 …; mailgun: us, eu)',
	tls: '--tls MODE             auto | starttls | implicit | none (default: auto = implicit\n                           on 465, STARTTLS required on 587/2525, STARTTLS if offered elsewhere)',
	insecure: '--insecure             go on when the certificate does not verify (with a warning)',
	ca: '--ca FILE              also trust this CA certificate (PEM)',
	labCa: '--lab-ca FILE          trust a classroom lab\'s CA and check its name (mx.lab.test)',
	servername: '--servername NAME      TLS server name to send and check (default: the host)',
	family: '-4, -6                 use IPv4 / IPv6 only (a literal --host of the other family\n                           is refused)',
	localAddress: '--local-address IP     connect from this local address (one of this machine\'s)',
	ehlo: '--ehlo NAME            name to give in EHLO (default: this machine\'s name)',
	from: '--from ADDRESS         MAIL FROM address',
	to: '--to ADDRESS           RCPT TO address (repeat for several)',
	user: '--user NAME            log in as NAME',
	passwordEnv: '--password-env VAR     read the password from environment variable VAR',
	passwordFile: '--password-file FILE   read the password from FILE (its first line, without the\n                           line break)',
	password: '--password PASS        the password itself (leaks into shell history: avoid)',
	tokenEnv: '--token-env VAR        OAuth2 bearer token for XOAUTH2, from VAR',
	auth: '--auth MECH            PLAIN | LOGIN | CRAM-MD5 | XOAUTH2 (default: the best offered)',
	insecureAuth: '--insecure-auth        allow AUTH without TLS (the password travels readable)',
	quitAfter: '--quit-after STEP      connect | banner | ehlo | starttls | auth | mail | rcpt | data',
	header: '--header "N: V"        add a header (repeat for several)',
	subject: '--subject TEXT         the Subject header',
	body: '--body TEXT            the message body',
	bodyFile: '--body-file FILE       the message body from FILE',
	timeout: '--timeout SECONDS      per-reply timeout, up to 3600 (default: RFC 5321\'s, 2 to 10\n                           minutes)',
	connectTimeout: '--connect-timeout S    connect timeout, up to 3600 (default: 30)',
	compareTo: '--to ADDRESS           a recipient in the server\'s own domain (lab: bob@lab.test)',
	outside: '--outside ADDRESS      a recipient elsewhere (default: smtp-tui-test@example.com)',
	markdown: '--markdown             print the comparison as Markdown (the default off a terminal)',
	listen: '--listen ADDR          address to listen on, one of this machine\'s (default\n                           127.0.0.1; 0.0.0.0 for a class)',
	basePort: '--base-port N          listen on N+25, N+465, N+587, N+2525, and for reading\n                           mail POP3 N+110, N+995 and IMAP N+143, N+993 (default 10000)',
	labPorts: '--ports LIST           or name them: 25=2525,465=2465,587=2587,2525=2526,993=2993',
	users: '--users FILE           accounts, one user:password per line (default alice, bob)',
	caOut: '--ca-out FILE          write the lab\'s CA certificate for students (--lab-ca FILE)',
	limits: '--max-clients N, --max-per-ip N, --max-message-size BYTES, --max-line-length N,\n    --max-recipients N, --idle-timeout SECONDS, --handshake-timeout SECONDS,\n    --command-timeout SECONDS, --min-data-rate BYTES, --session-timeout SECONDS,\n    --max-auth-failures N, --auth-failure-delay MS, --auth-failure-delay-max MS,\n    --max-auth-per-minute N, --max-inbox-messages N, --max-inbox-size BYTES,\n    --max-receiving BYTES  (each limit, its default and meaning: the readme\'s Limits)',
	domain: '--domain DOMAIN        probe a mail domain in DNS instead of a host: MX, SPF,\n                           DMARC, MTA-STS (its policy fetched over HTTPS), TLS-RPT,\n                           each with what it means (--resolver IP[:PORT] asks that\n                           DNS server)',
	retrieval: '--retrieval pop3|imap  how bob\'s mail program reads his mailbox in leg 3:\n                           POP3 on 995 (default) or IMAP on 993; p / i on the\n                           journey screen change it until leg 3 starts',
	authFault: '--auth-fault NAME      break authentication on purpose (repeat for several):\n                           spf-not-listed, footer-after-signing, unaligned-from,\n                           dmarc-reject, no-ptr',
	selector: '--selector S           with --domain: also the DKIM key at S._domainkey.DOMAIN',
	mtaStsPort: '--mta-sts-port PORT    with --domain: fetch the MTA-STS policy from this port of\n                           mta-sts.DOMAIN (default 443, the only one RFC 8461 allows;\n                           for a test server); --ca FILE trusts its CA too',
	probePorts: '--ports LIST           ports to probe, e.g. 25,587 or 25=10025 (name=where to connect)',
	json: '--json                 run: the transcript as JSON Lines; compare, probe, check:\n                           the report as JSON',
	maxSize: '--max-size BYTES       the receiving server\'s SIZE, for attachments (default\n                           26214400, Gmail\'s 25 MB)',
	explain: '--explain              explain every reply in plain words',
	timings: '--timings              show milliseconds since the start on every line',
	record: '--record FILE          run, TUI: save the session as a recording (secrets masked);\n                           a FILE that cannot be written is refused before connecting',
	quiz: '--quiz                 TUI: predict each reply (2xx–5xx) before it shows; z toggles',
	format: '--format FORMAT        text | markdown | jsonl | mermaid | swaks | openssl (default text)',
	help: '-h, --help             this help (any command: smtp-tui run --help); --version',
} as const;

type FlagName = keyof typeof flags;

const targetFlags: FlagName[] = ['host', 'port', 'mx', 'resolver', 'lab', 'labCert', 'fault', 'attack', 'saveDir', 'preset', 'region', 'tls', 'insecure', 'ca', 'labCa', 'servername', 'family', 'localAddress'];
const conversationFlags: FlagName[] = ['ehlo', 'from', 'to', 'user', 'passwordEnv', 'passwordFile', 'password', 'tokenEnv', 'auth', 'insecureAuth', 'quitAfter', 'header', 'subject', 'body', 'bodyFile', 'timeout', 'connectTimeout'];
const loginFlags: FlagName[] = ['user', 'passwordEnv', 'passwordFile', 'password', 'tokenEnv', 'auth', 'insecureAuth'];
const tlsFlags: FlagName[] = ['tls', 'insecure', 'ca', 'servername', 'family', 'localAddress'];
const labMisbehaviour: FlagName[] = ['labCert', 'fault', 'attack'];
const classroomFlags: FlagName[] = ['listen', 'basePort', 'labPorts', 'users', 'caOut', 'limits', ...labMisbehaviour, 'saveDir'];

type Exit = [code: number | string, meaning: string];
const interrupted: Exit = [130, 'interrupted (Ctrl-C)'];
const usage: Exit = [2, 'bad command-line input (one sentence says what)'];
const sessionCodes: Exit[] = [...exitCodeTable.map(({code, meaning}): Exit => [code, meaning]), interrupted];
const interactiveCodes: Exit[] = [[0, 'quit with q'], [2, 'bad input, or no terminal'], interrupted];

type Page = {usage: string[]; intro?: string[]; sections: Array<[title: string, flags: FlagName[]]>; exits: Exit[]; examples: string[]};

const pages: Record<string, Page> = {
	run: {
		usage: ['smtp-tui run [options]      run the whole session at once and print it'],
		sections: [['Target', targetFlags], ['Conversation', conversationFlags], ['Output', ['json', 'explain', 'timings', 'record']]],
		exits: sessionCodes,
		examples: [
			'smtp-tui run --lab --port 25 --to bob@example.com --explain',
			'smtp-tui run --port 25 --to postmaster@example.org      (MX lookup, then deliver)',
			'smtp-tui run --host smtp.example.com --port 587 --user me@example.com --password-env SMTP_PASS --to you@example.org',
		],
	},
	compare: {
		usage: ['smtp-tui compare [HOST] [PORT|NAME=PORT...]  one scenario on several ports side', '                            by side (default: the lab\'s 25 465 587 2525; a table when', '                            not on a terminal; NAME=PORT: behave as port NAME, connect to PORT)'],
		sections: [['Target', ['host', ...labMisbehaviour, ...tlsFlags]], ['Scenario', ['compareTo', 'outside', ...loginFlags, 'ehlo', 'from', 'timeout', 'connectTimeout']], ['Output', ['json', 'markdown']]],
		exits: [[0, 'every port could hold its conversation (refusals are results)'], ['3…32', 'a port could not: the code of its failed step (smtp-tui run --help)'], usage, interrupted],
		examples: ['smtp-tui compare 25 587 --markdown', 'smtp-tui compare mail.example.org 25 587 --to postmaster@example.org --json'],
	},
	probe: {
		usage: ['smtp-tui probe [HOST]       every port at once, no mail sent, with a diagnosis', '                            (the embedded lab without HOST)'],
		intro: ['A probe waits 10 s for each answer unless --timeout says otherwise; a port that', 'stays silent is asked whether it speaks TLS from the first byte.'],
		sections: [['Options', ['probePorts', 'host', ...labMisbehaviour, ...tlsFlags, 'ehlo', 'timeout', 'connectTimeout', 'json']], ['Domain (DNS, and the MTA-STS policy over HTTPS)', ['domain', 'selector', 'resolver', 'mtaStsPort', 'ca']]],
		exits: [[0, 'a submission port (465, 587 or 2525) works; --domain: no record in error'], [3, 'no submission port works; --domain: DNS did not answer'], [4, '--domain: a record is in error'], usage],
		examples: ['smtp-tui probe', 'smtp-tui probe mail.example.org --ports 25,465,587', 'smtp-tui probe 127.0.0.1 --ports 25=10025,587=10587 --json', 'smtp-tui probe --domain example.com --selector s1'],
	},
	replay: {
		usage: ['smtp-tui replay FILE        play a recording back in the session screen', '                            (the transcript as text when not on a terminal)'],
		intro: ['A recording is made with --record FILE or w in the TUI. enter: the next step;', 'a: the rest at the recorded speed; q: quit.'],
		sections: [],
		exits: [[0, 'played (or printed) to the end, or quit with q'], [2, 'FILE cannot be read or is not a recording'], interrupted],
		examples: ['smtp-tui replay session.jsonl', 'smtp-tui replay session.jsonl | less'],
	},
	export: {
		usage: ['smtp-tui export FILE --format FORMAT   a recording as text, Markdown, JSON Lines,', '                            a Mermaid diagram, or the swaks / openssl command'],
		sections: [['Options', ['format']]],
		exits: [[0, 'printed'], [2, 'FILE cannot be read or is not a recording, or an unknown format']],
		examples: ['smtp-tui export session.jsonl --format markdown > session.md', 'smtp-tui export session.jsonl --format swaks'],
	},
	lab: {
		usage: ['smtp-tui lab [options]      the lab as a classroom server, with a live dashboard', '                            (one log line per event when not on a terminal)'],
		intro: ['It prints the command students paste (with --lab-ca when --ca-out is given).'],
		sections: [['Classroom lab', classroomFlags]],
		exits: [[0, 'stopped with q (dashboard), or Ctrl-C / SIGTERM (log lines)'], [130, 'Ctrl-C in the dashboard'], [2, 'bad input: a port in use, an address not on this machine, a bad --save-dir or --users file …']],
		examples: ['smtp-tui lab --listen 0.0.0.0 --ca-out ca.pem --users class.txt --save-dir mail/', 'smtp-tui --host 192.0.2.10 --port 10587 --lab-ca ca.pem --user student1 --to student1@lab.test   (a student)'],
	},
	lesson: {
		usage: ['smtp-tui lesson [NAME]      list the lessons, or run one (by name or number) in the TUI'],
		sections: [['Options', ['quiz']]],
		exits: interactiveCodes,
		examples: ['smtp-tui lesson', 'smtp-tui lesson 1'],
	},
	journey: {
		usage: ['smtp-tui journey            one message through submission (587), relay (25) and', '                            retrieval (POP3 995 or IMAP 993), step by step, in the lab'],
		sections: [['Options', ['retrieval', 'authFault']]],
		exits: interactiveCodes,
		examples: ['smtp-tui journey', 'smtp-tui journey --retrieval imap', 'smtp-tui journey --auth-fault dmarc-reject'],
	},
	check: {
		usage: ['smtp-tui check FILE.eml     check a message before real users see it: RFC 5322', '                            structure, MIME, bulk-sender rules, authentication results'],
		intro: ['Each finding has a severity (error, warning, info), one sentence and the RFC or', 'provider rule it comes from. Reads the file only: no DNS, no network.'],
		sections: [['Options', ['json', 'maxSize']]],
		exits: [[0, 'checked: no finding of severity error'], [4, 'checked: at least one error'], [2, 'FILE cannot be read, or bad input']],
		examples: ['smtp-tui check newsletter.eml', 'smtp-tui check mail/0A1B2C3D4E.eml --json'],
	},
	presets: {
		usage: ['smtp-tui presets            list the provider presets (host, ports, TLS, the catch)'],
		sections: [],
		exits: [[0, 'listed']],
		examples: ['smtp-tui presets', 'smtp-tui run --preset sendgrid --port 2525 --user apikey --password-env KEY --to you@example.org'],
	},
};

const overview = [
	'smtp-tui [options]          step through an SMTP session in the terminal (the TUI)',
	...pages.run!.usage, ...pages.probe!.usage, ...pages.replay!.usage,
	'smtp-tui export FILE --format text|markdown|jsonl|mermaid|swaks|openssl',
	...pages.lab!.usage, ...pages.lesson!.usage, ...pages.journey!.usage, ...pages.check!.usage, ...pages.presets!.usage, ...pages.compare!.usage,
];

pages.tui = {
	usage: overview,
	intro: [
		'With no --host, smtp-tui starts an embedded lab of local SMTP servers on 127.0.0.1',
		'that behave like ports 25, 465, 587 and 2525 (demo account alice / wonderland).',
		'Each command has its own help: smtp-tui COMMAND --help.',
	],
	sections: [
		['Target', targetFlags],
		['Conversation', conversationFlags],
		['Compare', ['compareTo', 'outside', 'markdown']],
		['Classroom lab (smtp-tui lab)', classroomFlags.filter(name => !labMisbehaviour.includes(name) && name !== 'saveDir')],
		['Probe', ['probePorts']],
		['Output (run, compare, probe)', ['json', 'explain', 'timings', 'record', 'quiz']],
	],
	exits: sessionCodes,
	examples: ['smtp-tui', ...pages.run!.examples.slice(0, 2), 'smtp-tui compare 25 587 --markdown', pages.run!.examples[2]!],
};

export const helpCommands = Object.keys(pages);

/** The help page of `command` ('tui' for smtp-tui itself), ready to print. */
export function helpText(command: string): string {
	const page = pages[command] ?? pages.tui!;
	const lines = ['', '  Usage', ...page.usage.map(line => (line.startsWith(' ') ? `      ${line}` : `    $ ${line}`))];
	if (page.intro) lines.push('', ...page.intro.map(line => `  ${line}`));
	for (const [title, names] of page.sections) lines.push('', `  ${title}`, ...names.map(name => `    ${flags[name]}`));
	lines.push('', `    ${flags.help}`);
	lines.push('', '  Exit codes', ...page.exits.map(([code, meaning]) => `    ${String(code).padEnd(4)} ${meaning}`));
	lines.push('', '  Examples', ...page.examples.map(line => `    $ ${line}`), '');
	return lines.join('\n') + '\n';
}
