// A private Exim 4 on 127.0.0.1, for interop tests: a server that works differently from
// Postfix (no enhanced status codes, "relay not permitted", CRAM-MD5, PIPECONNECT, its own
// TLS-on-connect port). Debian's exim4-daemon-light conflicts with the postfix package, so
// .ci/install-peers.sh unpacks it (apt-get download + dpkg -x) into `eximRoot` instead of
// installing it, and creates the Debian-exim user it is built to run as.
// Everything else lives in one temp folder: config, spool, logs, TLS material, delivered mail.
//   25   MX: optional STARTTLS, no AUTH, mail for exim.test only ("550 relay not permitted").
//   587  submission: STARTTLS, then AUTH PLAIN LOGIN CRAM-MD5; relays once logged in.
//   2525 as 587.
//   465  TLS on connect (tls_on_connect_ports), AUTH as on 587.
// Exim must run as root (it switches to Debian-exim itself); -bdf keeps the daemon in the
// foreground as our child, so stop() ends it by its process id.
import {access, chmod, chown, mkdir, mkdtemp, readFile, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {makeLabCa} from '../../source/lab/ca.js';
import {peerProcess, pickFreePorts, readMessages, waitForMessage, waitForPorts, type PeerInstance, type PeerPorts, type PeerUser} from './peers.js';

export const eximRoot = process.env.SMTP_TUI_EXIM_ROOT ?? '/opt/smtp-tui-peers/exim4';
export const eximBinary = join(eximRoot, 'usr/sbin/exim4');
const HOST = '127.0.0.1';
const HOSTNAME = 'mx.exim.test';
const DOMAIN = 'exim.test';
const EXIM_USER = 'Debian-exim';
const USERS: PeerUser[] = [{user: 'alice', password: 'wonderland'}];
const START_TIMEOUT_MS = 30_000;

export type EximInstance = PeerInstance & {
	/** Exim's mainlog. */
	logFile: string;
};

export async function startExim(): Promise<EximInstance> {
	try {
		await access(eximBinary);
	} catch {
		throw new Error(`Exim is not unpacked at ${eximRoot} (run .ci/install-peers.sh as root).`);
	}

	try {
		return await startOnce();
	} catch (error) {
		if (error instanceof Error && /Address already in use/.test(error.message)) return startOnce();
		throw error;
	}
}

async function startOnce(): Promise<EximInstance> {
	const deadline = Date.now() + START_TIMEOUT_MS;
	const dir = await mkdtemp('/tmp/exim-');
	const spool = join(dir, 'spool');
	const log = join(dir, 'log');
	const mail = join(dir, 'mail');
	const peer = peerProcess(dir);
	const stop = peer.stop;
	const logFile = join(log, 'mainlog');
	try {
		const [free, tls] = await Promise.all([pickFreePorts(4), makeLabCa(HOSTNAME)]);
		const ports: PeerPorts = {25: free[0]!, 465: free[1]!, 587: free[2]!, 2525: free[3]!};
		// mkdtemp makes the folder 0700; Exim works in it as Debian-exim.
		await chmod(dir, 0o755);
		await Promise.all([spool, log, mail].map(async folder => mkdir(folder, {recursive: true})));
		const {uid, gid} = await userIds(EXIM_USER);
		await Promise.all([spool, log, mail].map(async folder => chown(folder, uid, gid)));
		const caFile = join(dir, 'ca.pem');
		await Promise.all([
			writeFile(caFile, tls.ca),
			writeFile(join(dir, 'cert.pem'), tls.cert),
			// Exim reads the key after switching to its own user.
			writeFile(join(dir, 'key.pem'), tls.key, {mode: 0o644}),
			writeFile(join(dir, 'exim.conf'), eximConf(dir, ports)),
		]);
		const {exited} = peer.run(eximBinary, ['-C', join(dir, 'exim.conf'), '-bdf']);
		await waitForPorts(ports, deadline, {ca: tls.ca, servername: HOSTNAME}, exited);
		const delivered = async () => readMessages(join(mail, 'new'));
		return {
			host: HOST,
			ports,
			ca: tls.ca,
			caFile,
			hostname: HOSTNAME,
			domain: DOMAIN,
			users: USERS.map(u => ({...u})),
			logFile,
			deliveredMessages: delivered,
			waitForDelivered: async (needle, timeoutMs = 10_000) => waitForMessage(delivered, needle, timeoutMs, async () => tail(logFile)),
			stop,
		};
	} catch (error) {
		const logs = await tail(logFile);
		await stop();
		throw new Error(`The private Exim did not start: ${error instanceof Error ? error.message : String(error)}\n${logs}`);
	}
}

/** The whole configuration: one file, every path in the instance's folder, loopback only. */
function eximConf(dir: string, ports: PeerPorts): string {
	const user = USERS[0]!;
	const all = [ports[25], ports[465], ports[587], ports[2525]].join(' : ');
	return `# Written by test/support/exim.ts for one test run.
exim_path = ${eximBinary}
keep_environment =
spool_directory = ${join(dir, 'spool')}
log_file_path = ${join(dir, 'log')}/%slog
pid_file_path = ${join(dir, 'exim.pid')}
primary_hostname = ${HOSTNAME}
qualify_domain = ${DOMAIN}
domainlist local_domains = ${DOMAIN}
local_interfaces = ${HOST}
daemon_smtp_ports = ${all}
tls_on_connect_ports = ${ports[465]}
tls_advertise_hosts = *
tls_certificate = ${join(dir, 'cert.pem')}
tls_privatekey = ${join(dir, 'key.pem')}
smtputf8_advertise_hosts = *
chunking_advertise_hosts = *
pipelining_connect_advertise_hosts = *
# No DNS, no ident: loopback only.
host_lookup =
rfc1413_hosts =
# AUTH only inside TLS, and never on the MX port (as Postfix's personalities).
auth_advertise_hosts = \${if and {{!eq{$tls_in_cipher}{}}{!eq{$received_port}{${ports[25]}}}}{*}{}}
acl_smtp_rcpt = acl_check_rcpt

begin acl
acl_check_rcpt:
  accept  authenticated = *
  accept  condition = \${if eq{$received_port}{${ports[25]}}}
          domains = +local_domains
  deny    message = relay not permitted

begin routers
# Never relay for real: mail for other domains (after login) is discarded.
outside:
  driver = redirect
  domains = ! +local_domains
  data = :blackhole:
local:
  driver = accept
  domains = +local_domains
  transport = maildir

begin transports
maildir:
  driver = appendfile
  directory = ${join(dir, 'mail')}
  maildir_format
  user = ${EXIM_USER}
  envelope_to_add
  return_path_add

begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and {{eq{$auth2}{${user.user}}}{eq{$auth3}{${user.password}}}}}
  server_set_id = $auth2
login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = Username:: : Password::
  server_condition = \${if and {{eq{$auth1}{${user.user}}}{eq{$auth2}{${user.password}}}}}
  server_set_id = $auth1
cram:
  driver = cram_md5
  public_name = CRAM-MD5
  server_secret = \${if eq{$auth1}{${user.user}}{${user.password}}fail}
  server_set_id = $auth1
`;
}

async function userIds(name: string): Promise<{uid: number; gid: number}> {
	const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find(l => l.startsWith(`${name}:`));
	if (!line) throw new Error(`the user ${name} does not exist (run .ci/install-peers.sh as root)`);
	const [, , uid, gid] = line.split(':');
	return {uid: Number(uid), gid: Number(gid)};
}

async function tail(path: string): Promise<string> {
	try {
		return `--- last lines of ${path} ---\n${(await readFile(path, 'utf8')).trimEnd().split('\n').slice(-15).join('\n')}`;
	} catch {
		return `--- no log at ${path} ---`;
	}
}
