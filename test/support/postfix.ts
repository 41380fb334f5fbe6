// A private Postfix (with Dovecot as its SASL backend) on 127.0.0.1, for interop tests.
// Everything lives in one temp folder: config, queue, logs, TLS material and delivered mail.
// Four listeners play the four port personalities of PROTOCOL.md §1 (see PEERS.md):
//   25   MX: optional STARTTLS, no AUTH, relaying to other domains refused.
//   587  submission: STARTTLS required, then AUTH PLAIN LOGIN; only authenticated clients.
//   2525 as 587.
//   465  submissions: implicit TLS, AUTH PLAIN LOGIN; only authenticated clients.
// Postfix and Dovecot must run as root (their packages made the postfix/dovecot users);
// .ci/install-peers.sh installs them.
import {execFile, spawn} from 'node:child_process';
import {readFileSync, rmSync} from 'node:fs';
import {access, chmod, chown, mkdir, mkdtemp, open, readFile, readdir, rm, stat, utimes, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {pickFreePorts, waitForGreeting} from './peers.js';

// Other harnesses took the free-port picker from here before test/support/peers.ts held it.
export {pickFreePorts} from './peers.js';

export type PostfixPorts = {25: number; 465: number; 587: number; 2525: number};

export type PostfixUser = {user: string; password: string};

export type PostfixInstance = {
	host: '127.0.0.1';
	/** The real port standing in for each well-known one. */
	ports: PostfixPorts;
	/** PEM of the throwaway CA that signed the server certificate. */
	ca: string;
	/** The same CA as a file, for clients that want a path (swaks, openssl s_client). */
	caFile: string;
	/** Name in the banner and in the certificate: 'mx.postfix.test'. */
	hostname: string;
	/** The domain Postfix accepts mail for without authentication: 'postfix.test'. */
	domain: string;
	/** Accounts Dovecot accepts for SASL. */
	users: PostfixUser[];
	/** Postfix's log (written by postlogd). */
	logFile: string;
	/** Dovecot's log (auth successes and failures). */
	dovecotLogFile: string;
	/** Maildir where mail for any address @postfix.test is delivered (messages appear in new/). */
	maildir: string;
	/** The instance's temp folder. */
	dir: string;
	/** Every delivered message, oldest first (by file name). */
	deliveredMessages(): Promise<string[]>;
	/** Waits until a delivered message contains `needle`, and returns it. Delivery is asynchronous. */
	waitForDelivered(needle: string, timeoutMs?: number): Promise<string>;
	/** Stops Postfix and Dovecot and removes the temp folder. Safe to call more than once. */
	stop(): Promise<void>;
};

const HOST = '127.0.0.1';
const HOSTNAME = 'mx.postfix.test';
const DOMAIN = 'postfix.test';
const USERS: PostfixUser[] = [{user: 'alice', password: 'wonderland'}];
const POSTFIX = '/usr/sbin/postfix';
const DOVECOT = '/usr/sbin/dovecot';
const OPENSSL = '/usr/bin/openssl';
const START_TIMEOUT_MS = 30_000;
const LOG_TAIL_LINES = 15;

type Layout = {
	dir: string;
	etc: string;
	queue: string;
	data: string;
	mail: string;
	maildir: string;
	dovecotBase: string;
	dovecotState: string;
	dovecotConf: string;
	usersFile: string;
	logFile: string;
	dovecotLogFile: string;
	caFile: string;
	caKey: string;
	certFile: string;
	keyFile: string;
};

type Ids = {postfixUid: number; postfixGid: number};

/** Starts a fresh instance; retries once if another process grabbed a port we picked. */
export async function startPostfix(): Promise<PostfixInstance> {
	await checkPrerequisites();
	try {
		return await startOnce();
	} catch (error) {
		if (error instanceof Error && error.message.includes('Address already in use')) return startOnce();
		throw error;
	}
}

async function startOnce(): Promise<PostfixInstance> {
	const deadline = Date.now() + START_TIMEOUT_MS;
	// Short path: Dovecot's and Postfix's unix sockets live under it (limit ~100 bytes).
	const dir = await mkdtemp('/tmp/pf-');
	const layout = makeLayout(dir);
	const pids: {postfix?: number; dovecot?: number} = {};
	// If the test process exits without calling stop(), do not leave daemons behind.
	const onExit = (): void => {
		killIfAlive(pids.postfix);
		killDovecot(pids.dovecot);
		rmSync(dir, {recursive: true, force: true});
	};
	process.once('exit', onExit);
	let stopping: Promise<void> | undefined;
	const stop = async (): Promise<void> => {
		stopping ??= stopInstance(layout, pids, onExit);
		return stopping;
	};

	try {
		const [free, ids] = await Promise.all([pickFreePorts(4), readIds(), prepareFolders(layout)]);
		const ports: PostfixPorts = {25: free[0], 465: free[1], 587: free[2], 2525: free[3]};
		// smtpd reads the certificate per connection, not at master start: make it meanwhile.
		const tlsMaterial = makeTlsMaterial(layout);
		await chownFolders(layout, ids);
		await writeConfigs(layout, ports, ids);
		// allSettled: a failure must not skip waiting for a daemon still starting (stop() would miss it).
		await settleAll([
			tlsMaterial,
			startDaemon(POSTFIX, ['-c', layout.etc, 'start'], join(layout.dir, 'postfix-start.out')),
			startDaemon(DOVECOT, ['-c', layout.dovecotConf], join(layout.dir, 'dovecot-start.out')),
		]);
		pids.postfix = await readPid(join(layout.queue, 'pid', 'master.pid'));
		pids.dovecot = await readPid(join(layout.dovecotBase, 'master.pid'));
		const ca = await readFile(layout.caFile, 'utf8');
		await Promise.all([
			waitForGreeting(ports[25], {deadline}),
			waitForGreeting(ports[587], {deadline}),
			waitForGreeting(ports[2525], {deadline}),
			waitForGreeting(ports[465], {deadline, tls: {ca, servername: HOSTNAME}}),
			waitForFile(join(layout.queue, 'private', 'auth'), deadline),
		]);
		return {
			host: HOST,
			ports,
			ca,
			caFile: layout.caFile,
			hostname: HOSTNAME,
			domain: DOMAIN,
			users: USERS.map(u => ({...u})),
			logFile: layout.logFile,
			dovecotLogFile: layout.dovecotLogFile,
			maildir: layout.maildir,
			dir,
			deliveredMessages: async () => deliveredMessages(layout.maildir),
			waitForDelivered: async (needle, timeoutMs = 10_000) => waitForDelivered(layout, needle, timeoutMs),
			stop,
		};
	} catch (error) {
		const logs = await logTails(layout);
		await stop();
		const reason = error instanceof Error ? error.message : String(error);
		throw new Error(`The private Postfix instance did not start: ${reason}\n${logs}`);
	}
}

async function checkPrerequisites(): Promise<void> {
	if (process.getuid?.() !== 0) {
		throw new Error('The Postfix harness must run as root, because Postfix and Dovecot switch users.');
	}
	for (const binary of [POSTFIX, DOVECOT, OPENSSL]) {
		try {
			await access(binary);
		} catch {
			throw new Error(`${binary} is missing: run .ci/install-peers.sh to install Postfix, Dovecot and openssl.`);
		}
	}
}

function makeLayout(dir: string): Layout {
	return {
		dir,
		etc: join(dir, 'etc'),
		queue: join(dir, 'q'),
		data: join(dir, 'data'),
		mail: join(dir, 'mail'),
		maildir: join(dir, 'mail', 'inbox'),
		dovecotBase: join(dir, 'dv'),
		dovecotState: join(dir, 'dvs'),
		dovecotConf: join(dir, 'dovecot.conf'),
		usersFile: join(dir, 'users'),
		logFile: join(dir, 'maillog'),
		dovecotLogFile: join(dir, 'dovecot.log'),
		caFile: join(dir, 'ca.pem'),
		caKey: join(dir, 'ca.key'),
		certFile: join(dir, 'cert.pem'),
		keyFile: join(dir, 'key.pem'),
	};
}

async function prepareFolders(layout: Layout): Promise<void> {
	// mkdtemp makes 0700; the postfix user must be able to walk into its queue and data folders.
	await chmod(layout.dir, 0o755);
	await Promise.all(
		[layout.etc, join(layout.queue, 'private'), layout.data, layout.mail, layout.dovecotBase, layout.dovecotState].map(
			async path => mkdir(path, {recursive: true}),
		),
	);
}

async function chownFolders(layout: Layout, ids: Ids): Promise<void> {
	// private/ is made now (as `postfix start` would make it) so Dovecot can put its
	// auth socket there while Postfix starts in parallel.
	const privateDir = join(layout.queue, 'private');
	await chown(privateDir, ids.postfixUid, ids.postfixGid);
	await chmod(privateDir, 0o700);
	await chown(layout.data, ids.postfixUid, ids.postfixGid);
	// virtual(8) delivers as the postfix user (virtual_uid_maps below).
	await chown(layout.mail, ids.postfixUid, ids.postfixGid);
}

async function readIds(): Promise<Ids> {
	const [passwd, group] = await Promise.all([readFile('/etc/passwd', 'utf8'), readFile('/etc/group', 'utf8')]);
	const field = (table: string, name: string): number => {
		const line = table.split('\n').find(l => l.startsWith(`${name}:`));
		const value = line === undefined ? Number.NaN : Number(line.split(':')[2]);
		if (!Number.isInteger(value)) {
			throw new Error(`There is no "${name}" account: run .ci/install-peers.sh to install Postfix.`);
		}
		return value;
	};
	return {postfixUid: field(passwd, 'postfix'), postfixGid: field(group, 'postfix')};
}

/** A throwaway CA and a server certificate for mx.postfix.test, localhost and 127.0.0.1 (EC P-256: fast). */
async function makeTlsMaterial(layout: Layout): Promise<void> {
	const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
	const csr = join(layout.dir, 'server.csr');
	const ext = join(layout.dir, 'server.ext');
	await Promise.all([
		run(OPENSSL, ['req', '-x509', ...ec, '-keyout', layout.caKey, '-out', layout.caFile, '-days', '2', '-subj', '/CN=smtp-tui throwaway test CA']),
		run(OPENSSL, ['req', '-new', ...ec, '-keyout', layout.keyFile, '-out', csr, '-subj', `/CN=${HOSTNAME}`]),
		writeFile(
			ext,
			[
				'basicConstraints = critical, CA:FALSE',
				'keyUsage = critical, digitalSignature',
				'extendedKeyUsage = serverAuth',
				`subjectAltName = DNS:${HOSTNAME}, DNS:localhost, IP:127.0.0.1`,
				'',
			].join('\n'),
		),
	]);
	await run(OPENSSL, [
		'x509', '-req', '-in', csr, '-CA', layout.caFile, '-CAkey', layout.caKey, '-set_serial', '2', '-days', '2', '-extfile', ext, '-out', layout.certFile,
	]);
}

async function writeConfigs(layout: Layout, ports: PostfixPorts, ids: Ids): Promise<void> {
	const files: [string, string][] = [
		[join(layout.etc, 'main.cf'), mainCf(layout, ids)],
		[join(layout.etc, 'master.cf'), masterCf(ports)],
		[layout.dovecotConf, dovecotConf(layout)],
		[layout.usersFile, USERS.map(u => `${u.user}:{PLAIN}${u.password}`).join('\n') + '\n'],
	];
	await Promise.all(files.map(async ([path, text]) => writeFile(path, text)));
	// Postfix waits for config files younger than about a second before using them
	// (PEERS.md): backdating saves ~1.5 s per start.
	const past = new Date(Date.now() - 5000);
	await Promise.all([...files.map(([path]) => path), layout.etc].map(async path => utimes(path, past, past)));
}

function mainCf(layout: Layout, ids: Ids): string {
	return `# Private test instance written by test/support/postfix.ts.
compatibility_level = 3.6
queue_directory = ${layout.queue}
data_directory = ${layout.data}
maillog_file = ${layout.logFile}
maillog_file_prefixes = ${layout.dir}
inet_interfaces = ${HOST}
inet_protocols = ipv4
myhostname = ${HOSTNAME}
mydomain = ${DOMAIN}
myorigin = $myhostname
biff = no

# Loopback only, no DNS, never anything outward: mail for other domains is discarded.
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
relayhost =
mynetworks =
mydestination =
relay_domains =
alias_maps =
alias_database =
local_recipient_maps =
default_transport = discard
relay_transport = discard
local_transport = discard

# Any address @${DOMAIN} lands in one Maildir.
virtual_mailbox_domains = ${DOMAIN}
virtual_mailbox_base = ${layout.mail}
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:${ids.postfixUid}
virtual_gid_maps = static:${ids.postfixGid}

# Unauthenticated clients may only send to ${DOMAIN} (no permit_mynetworks: every client is 127.0.0.1).
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination

smtpd_tls_chain_files = ${layout.keyFile}, ${layout.certFile}
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1

smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_sasl_auth_enable = no
`;
}

function masterCf(ports: PostfixPorts): string {
	const submission = [
		'  -o smtpd_sasl_auth_enable=yes',
		'  -o smtpd_tls_auth_only=yes',
		'  -o smtpd_client_restrictions=permit_sasl_authenticated,reject',
		'  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject',
	];
	const lines = [
		'# Private test instance written by test/support/postfix.ts. chroot is off everywhere.',
		`${HOST}:${ports[25]} inet n - n - - smtpd`,
		'  -o syslog_name=postfix/mx25',
		'  -o smtpd_tls_security_level=may',
		'  -o smtpd_sasl_auth_enable=no',
		`${HOST}:${ports[587]} inet n - n - - smtpd`,
		'  -o syslog_name=postfix/sub587',
		'  -o smtpd_tls_security_level=encrypt',
		...submission,
		`${HOST}:${ports[2525]} inet n - n - - smtpd`,
		'  -o syslog_name=postfix/alt2525',
		'  -o smtpd_tls_security_level=encrypt',
		...submission,
		`${HOST}:${ports[465]} inet n - n - - smtpd`,
		'  -o syslog_name=postfix/smtps465',
		'  -o smtpd_tls_wrappermode=yes',
		'  -o smtpd_tls_security_level=encrypt',
		...submission,
		'pickup    unix  n - n 60    1 pickup',
		'cleanup   unix  n - n -     0 cleanup',
		'qmgr      unix  n - n 300   1 qmgr',
		'tlsmgr    unix  - - n 1000? 1 tlsmgr',
		'rewrite   unix  - - n -     - trivial-rewrite',
		'bounce    unix  - - n -     0 bounce',
		'defer     unix  - - n -     0 bounce',
		'trace     unix  - - n -     0 bounce',
		'verify    unix  - - n -     1 verify',
		'flush     unix  n - n 1000? 0 flush',
		'proxymap  unix  - - n -     - proxymap',
		'proxywrite unix - - n -     1 proxymap',
		'showq     unix  n - n -     - showq',
		'error     unix  - - n -     - error',
		'retry     unix  - - n -     - error',
		'discard   unix  - - n -     - discard',
		'virtual   unix  - n n -     - virtual',
		'anvil     unix  - - n -     1 anvil',
		'scache    unix  - - n -     1 scache',
		'postlog   unix-dgram n - n - 1 postlogd',
		'',
	];
	return lines.join('\n');
}

function dovecotConf(layout: Layout): string {
	const name = layout.dir.split('/').pop() ?? 'pf';
	return `# Dovecot as Postfix's SASL backend only, written by test/support/postfix.ts.
base_dir = ${layout.dovecotBase}
state_dir = ${layout.dovecotState}
instance_name = ${name}
log_path = ${layout.dovecotLogFile}
protocols =
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
default_login_user = dovenull
default_internal_user = dovecot
# Every test client is 127.0.0.1, and Dovecot slows failed logins down: by auth_failure_delay
# (2 s), by a queue it flushes only every 500 ms even when that delay is 0, and by a per-IP
# penalty that grows to 15 s (anvil, below). A failed lookup falls through to a second passdb
# that only adds "nodelay" and still fails, so a wrong password is answered at once.
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${layout.usersFile}
  result_failure = continue-fail
}
passdb {
  driver = static
  args = nopassword=y nodelay=y
  # Never a success: this passdb only runs after the real one failed.
  result_success = return-fail
  result_failure = return-fail
  result_internalfail = return-fail
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
service auth {
  unix_listener ${join(layout.queue, 'private', 'auth')} {
    mode = 0660
    user = postfix
    group = postfix
  }
}
# No per-IP penalty: without this socket the auth process skips it.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
`;
}

async function waitForFile(path: string, deadline: number): Promise<void> {
	while (Date.now() < deadline) {
		try {
			await stat(path);
			return;
		} catch {
			await sleep(10);
		}
	}
	throw new Error(`${path} did not appear within ${START_TIMEOUT_MS / 1000} s`);
}

async function deliveredMessages(maildir: string): Promise<string[]> {
	const messages: string[] = [];
	for (const sub of ['new', 'cur']) {
		let names: string[];
		try {
			names = (await readdir(join(maildir, sub))).sort();
		} catch {
			continue; // the Maildir is made on first delivery
		}
		for (const name of names) messages.push(await readFile(join(maildir, sub, name), 'utf8'));
	}
	return messages;
}

async function waitForDelivered(layout: Layout, needle: string, timeoutMs: number): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const found = (await deliveredMessages(layout.maildir)).find(m => m.includes(needle));
		if (found !== undefined) return found;
		if (Date.now() >= deadline) {
			throw new Error(`No message containing ${JSON.stringify(needle)} was delivered within ${timeoutMs} ms.\n${await logTails(layout)}`);
		}
		await sleep(50);
	}
}

async function stopInstance(layout: Layout, pids: {postfix?: number; dovecot?: number}, onExit: () => void): Promise<void> {
	process.off('exit', onExit);
	pids.postfix ??= await readPid(join(layout.queue, 'pid', 'master.pid')).catch(() => undefined);
	pids.dovecot ??= await readPid(join(layout.dovecotBase, 'master.pid')).catch(() => undefined);
	// `postfix stop` is `kill MASTER_PID` followed by a check that usually runs before the master
	// has gone, and then sleeps a whole second: signal the master ourselves and watch it go
	// instead (on SIGTERM it signals its process group, i.e. every Postfix daemon of ours).
	if (pids.postfix === undefined) await run(POSTFIX, ['-c', layout.etc, 'stop']).catch(() => undefined);
	killIfAlive(pids.postfix);
	killDovecot(pids.dovecot);
	await Promise.all([waitForExit(pids.postfix), waitForExit(pids.dovecot)]);
	await rm(layout.dir, {recursive: true, force: true, maxRetries: 3, retryDelay: 50});
}

export async function readPid(path: string): Promise<number> {
	const pid = Number((await readFile(path, 'utf8')).trim());
	if (!Number.isInteger(pid) || pid <= 0) throw new Error(`${path} holds no process id`);
	return pid;
}

function killIfAlive(pid: number | undefined, signal: NodeJS.Signals = 'SIGTERM'): void {
	if (pid === undefined) return;
	try {
		process.kill(pid, signal);
	} catch {
		// already gone
	}
}

/**
 * Dovecot's master answers SIGTERM with a shutdown loop that takes about a second. This
 * instance keeps no state worth a clean shutdown, so end its whole process group at once
 * (the master leads its own group; its children are in it).
 */
export function killDovecot(pid: number | undefined): void {
	if (pid === undefined) return;
	try {
		process.kill(-pid, 'SIGKILL');
	} catch {
		killIfAlive(pid, 'SIGKILL');
	}
}

/** Dead or a zombie: both daemons are reparented to PID 1, which may reap them late. */
function isGone(pid: number): boolean {
	let stat: string;
	try {
		stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	} catch {
		return true;
	}
	const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
	return state === 'Z' || state === 'X';
}

export async function waitForExit(pid: number | undefined): Promise<void> {
	if (pid === undefined) return;
	const deadline = Date.now() + 5000;
	while (!isGone(pid)) {
		if (Date.now() >= deadline) {
			killIfAlive(pid, 'SIGKILL');
			return;
		}
		await sleep(10);
	}
}

async function logTails(layout: Layout): Promise<string> {
	const tail = async (label: string, path: string): Promise<string> => {
		try {
			const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
			// Retried connections can push the first (telling) complaint out of the tail: keep those too.
			const complaints = [...new Set(lines.filter(l => /\b(fatal|panic|error|warning)\b/i.test(l)))].slice(0, 10);
			const shown = complaints.length > 0 ? `--- first complaints in ${label} ---\n${complaints.join('\n')}\n` : '';
			return `${shown}--- last lines of ${label} (${path}) ---\n${lines.slice(-LOG_TAIL_LINES).join('\n')}`;
		} catch {
			return `--- ${label}: no log at ${path} ---`;
		}
	};
	return [await tail('maillog', layout.logFile), await tail('dovecot log', layout.dovecotLogFile)].join('\n');
}

/**
 * Runs a command that leaves a daemon behind. The daemon inherits the command's stdout and
 * stderr, so waiting for those to close (as execFile does) would wait for the daemon to end:
 * send them to a file and wait for the command's own exit instead.
 */
export async function startDaemon(file: string, args: string[], outFile: string): Promise<void> {
	const out = await open(outFile, 'w');
	try {
		const child = spawn(file, args, {stdio: ['ignore', out.fd, out.fd]});
		const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
		const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
			child.once('error', reject);
			child.once('exit', (c, s) => resolve([c, s]));
		}).finally(() => clearTimeout(timer));
		if (code !== 0) {
			const output = (await readFile(outFile, 'utf8')).trim();
			throw new Error(`${file} ${args.join(' ')} failed (${signal ?? `exit ${code}`}): ${output || 'no output'}`);
		}
	} finally {
		await out.close();
	}
}

async function run(file: string, args: string[], timeoutMs = 15_000): Promise<string> {
	return new Promise((resolve, reject) => {
		execFile(file, args, {timeout: timeoutMs}, (error, stdout, stderr) => {
			if (error === null) resolve(stdout);
			else reject(new Error(`${file} ${args.join(' ')} failed: ${(stderr || error.message).trim()}`));
		});
	});
}

/** Like Promise.all, but waits for every promise before throwing the first failure. */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
	const failed = (await Promise.allSettled(promises)).find(r => r.status === 'rejected');
	if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
}

export async function sleep(ms: number): Promise<void> {
	return new Promise(resolve => setTimeout(resolve, ms));
}
