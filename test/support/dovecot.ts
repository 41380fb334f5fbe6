// A private Dovecot (dovecot-imapd + dovecot-pop3d from Debian) on 127.0.0.1, for interop tests
// of the project's IMAP and POP3 clients against a real server. Everything lives in one temp
// folder: config, state, log, TLS material and the users' Maildirs. Four listeners, as Dovecot
// ships them: IMAP 143 (STARTTLS) and 993 (implicit TLS), POP3 110 (STLS) and 995 (implicit
// TLS). Dovecot counts a connection whose two ends share an address as secure, so on loopback
// it allows a plaintext login before STARTTLS/STLS (disable_plaintext_auth does not apply; no
// setting of 2.3 changes that): the tests upgrade because the client chooses to. Mail is put
// into a Maildir by writing the file directly, as a delivery agent would.
// Dovecot must run as root (it switches to its own users); .ci/install-peers.sh installs it.
import {randomBytes} from 'node:crypto';
import {constants, rmSync} from 'node:fs';
import {access, chmod, chown, mkdir, mkdtemp, readFile, rename, rm, writeFile} from 'node:fs/promises';
import net from 'node:net';
import {join} from 'node:path';
import tls from 'node:tls';
import {makeLabCertificates} from '../../source/lab/ca.js';
import {killDovecot, pickFreePorts, readPid, sleep, startDaemon, waitForExit} from './postfix.js';

export type DovecotPorts = {imap: number; imaps: number; pop3: number; pop3s: number};

export type DovecotUser = {user: string; password: string};

export type DovecotInstance = {
	host: '127.0.0.1';
	ports: DovecotPorts;
	/** PEM of the throwaway CA that signed the server certificate. */
	ca: string;
	/** Named in the certificate: 'mail.dovecot.test'. */
	hostname: string;
	users: DovecotUser[];
	/** Dovecot's log. */
	logFile: string;
	dir: string;
	/** Puts a message into `user`'s Maildir (new/), as a delivery agent would; resolves with its file name. */
	deliver(user: string, raw: Buffer): Promise<string>;
	/** Stops Dovecot and removes the temp folder. Safe to call more than once. */
	stop(): Promise<void>;
};

const HOST = '127.0.0.1';
const HOSTNAME = 'mail.dovecot.test';
const USERS: DovecotUser[] = [{user: 'bob', password: 'builder'}, {user: 'carol', password: 'cards'}];
const DOVECOT = '/usr/sbin/dovecot';
const START_TIMEOUT_MS = 30_000;
/** Mail processes run as nobody (Dovecot refuses root, and its own users are for its internals). */
const MAIL_UID = 65_534;
const MAIL_GID = 65_534;

/** Starts a fresh instance. */
export async function startDovecot(): Promise<DovecotInstance> {
	if (process.getuid?.() !== 0) throw new Error('The Dovecot harness must run as root, because Dovecot switches users.');
	for (const binary of [DOVECOT, '/usr/lib/dovecot/imap', '/usr/lib/dovecot/pop3']) {
		try {
			await access(binary, constants.X_OK);
		} catch {
			throw new Error(`${binary} is missing: run .ci/install-peers.sh to install dovecot-imapd and dovecot-pop3d.`);
		}
	}

	// Short path: Dovecot's unix sockets live under it (limit about 100 bytes).
	const dir = await mkdtemp('/tmp/dv-');
	const base = join(dir, 'run');
	let pid: number | undefined;
	const onExit = (): void => {
		killDovecot(pid);
		rmSync(dir, {recursive: true, force: true});
	};

	process.once('exit', onExit);
	let stopping: Promise<void> | undefined;
	const stop = async (): Promise<void> => {
		stopping ??= (async () => {
			process.off('exit', onExit);
			pid ??= await readPid(join(base, 'master.pid')).catch(() => undefined);
			killDovecot(pid);
			await waitForExit(pid);
			await rm(dir, {recursive: true, force: true, maxRetries: 3, retryDelay: 50});
		})();
		return stopping;
	};

	try {
		const [free, material] = await Promise.all([pickFreePorts(4), makeLabCertificates(HOSTNAME, 'valid')]);
		const ports: DovecotPorts = {imap: free[0]!, imaps: free[1]!, pop3: free[2]!, pop3s: free[3]!};
		// The mail processes (as nobody) must reach their Maildirs inside the temp folder.
		await chmod(dir, 0o755);
		await Promise.all([mkdir(base), mkdir(join(dir, 'state')), mkdir(join(dir, 'mail'))]);
		for (const {user} of USERS) {
			for (const sub of ['', 'new', 'cur', 'tmp']) {
				const path = join(dir, 'mail', user, sub);
				await mkdir(path, {recursive: true});
				await chown(path, MAIL_UID, MAIL_GID);
			}
		}

		await Promise.all([
			writeFile(join(dir, 'cert.pem'), material.cert),
			writeFile(join(dir, 'key.pem'), material.key, {mode: 0o600}),
			writeFile(join(dir, 'users'), USERS.map(u => `${u.user}:{PLAIN}${u.password}`).join('\n') + '\n'),
			writeFile(join(dir, 'dovecot.conf'), dovecotConf(dir, ports)),
		]);
		await startDaemon(DOVECOT, ['-c', join(dir, 'dovecot.conf')], join(dir, 'dovecot-start.out'));
		const deadline = Date.now() + START_TIMEOUT_MS;
		// The master writes its pid file a moment after the starter returns.
		while (pid === undefined) {
			pid = await readPid(join(base, 'master.pid')).catch(() => undefined);
			if (pid === undefined && Date.now() >= deadline) throw new Error('Dovecot wrote no master.pid');
			if (pid === undefined) await sleep(20);
		}

		await Promise.all([
			waitForGreeting(ports.imap, false, '* OK', material.ca, deadline),
			waitForGreeting(ports.imaps, true, '* OK', material.ca, deadline),
			waitForGreeting(ports.pop3, false, '+OK', material.ca, deadline),
			waitForGreeting(ports.pop3s, true, '+OK', material.ca, deadline),
		]);
		return {
			host: HOST,
			ports,
			ca: material.ca,
			hostname: HOSTNAME,
			users: USERS.map(u => ({...u})),
			logFile: join(dir, 'dovecot.log'),
			dir,
			deliver: async (user, raw) => deliver(dir, user, raw),
			stop,
		};
	} catch (error) {
		const log = await readFile(join(dir, 'dovecot.log'), 'utf8').catch(() => '');
		await stop();
		throw new Error(`Dovecot did not start: ${(error as Error).message}${log ? `\n${log.split('\n').slice(-15).join('\n')}` : ''}`);
	}
}

function dovecotConf(dir: string, ports: DovecotPorts): string {
	return `# A private IMAP and POP3 server, written by test/support/dovecot.ts.
base_dir = ${join(dir, 'run')}
state_dir = ${join(dir, 'state')}
instance_name = ${dir.split('/').pop() ?? 'dv'}
log_path = ${join(dir, 'dovecot.log')}
protocols = imap pop3
listen = ${HOST}
ssl = yes
ssl_cert = <${join(dir, 'cert.pem')}
ssl_key = <${join(dir, 'key.pem')}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = ${MAIL_UID}
mail_location = maildir:${join(dir, 'mail')}/%u
# Every test client is 127.0.0.1: no delay after a failed login, no per-IP penalty (anvil).
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${join(dir, 'users')}
}
userdb {
  driver = static
  args = uid=${MAIL_UID} gid=${MAIL_GID} home=${join(dir, 'mail')}/%u
}
service imap-login {
  inet_listener imap {
    port = ${ports.imap}
  }
  inet_listener imaps {
    port = ${ports.imaps}
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = ${ports.pop3}
  }
  inet_listener pop3s {
    port = ${ports.pop3s}
    ssl = yes
  }
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
`;
}

/** Writes the message into tmp/ and renames it into new/ (the Maildir way: it appears whole). */
async function deliver(dir: string, user: string, raw: Buffer): Promise<string> {
	const name = `${Date.now()}.${randomBytes(6).toString('hex')}.${HOSTNAME}`;
	const temporary = join(dir, 'mail', user, 'tmp', name);
	await writeFile(temporary, raw);
	await chown(temporary, MAIL_UID, MAIL_GID);
	await rename(temporary, join(dir, 'mail', user, 'new', name));
	return name;
}

/** Connects until the port answers with `greeting` (after the handshake for implicit TLS). */
async function waitForGreeting(port: number, implicitTls: boolean, greeting: string, ca: string, deadline: number): Promise<void> {
	let lastError: unknown;
	while (Date.now() < deadline) {
		try {
			await readGreetingOnce(port, implicitTls, greeting, ca);
			return;
		} catch (error) {
			lastError = error;
			await sleep(50);
		}
	}

	throw new Error(`port ${port} gave no "${greeting}" greeting within ${START_TIMEOUT_MS / 1000} s (last: ${lastError instanceof Error ? lastError.message : String(lastError)})`);
}

async function readGreetingOnce(port: number, implicitTls: boolean, greeting: string, ca: string): Promise<void> {
	return new Promise((resolve, reject) => {
		const socket = implicitTls ? tls.connect({host: HOST, port, ca, servername: HOSTNAME}) : net.connect({host: HOST, port});
		let text = '';
		const finish = (error?: Error): void => {
			clearTimeout(timer);
			socket.removeAllListeners('data');
			socket.destroy();
			if (error) reject(error);
			else resolve();
		};

		const timer = setTimeout(() => finish(new Error('timed out waiting for the greeting')), 3000);
		socket.setEncoding('latin1');
		socket.on('data', (chunk: string) => {
			text += chunk;
			if (!text.includes('\r\n')) return;
			finish(text.startsWith(greeting) ? undefined : new Error(`unexpected greeting ${JSON.stringify(text.slice(0, 80))}`));
		});
		socket.on('error', error => finish(error));
		socket.on('close', () => finish(new Error('connection closed before the greeting')));
	});
}
