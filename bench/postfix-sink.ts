// The lab-load figure's second baseline: a private Postfix on 127.0.0.1 whose smtpd takes every
// message into its own queue (cleanup writes and fsyncs a queue file, then the HOLD action
// keeps it there: nothing is delivered, so the figure is smtpd → queue only). Like
// test/support/postfix.ts it lives in one temp folder (config, queue, log), listens on
// loopback only and never sends anything outward; unlike it, one plain port and no SASL.
//
// Settings a 1,000-session load would otherwise trip on, set as a sized server would have
// them: the smtpd process limit (default 100) is the session count, so its listen backlog is
// as long too; in_flow_delay is 0 (with nothing delivered, cleanup would pause each message
// 1 s waiting for qmgr); the per-client connection limits are off (every client is 127.0.0.1).
//
// Postfix's master must start as root (it switches to the postfix user): without root or
// without Postfix the baseline is skipped, with the reason, never given a made-up number.
import {existsSync} from 'node:fs';
import {chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {readPid, startDaemon, waitForExit} from '../test/support/postfix.js';
import {freePort, waitForPort} from './processes.js';

const postfix = '/usr/sbin/postfix';

export type PostfixSink = {
	port: number;
	/** CPU of every Postfix process of this instance so far (reaped ones included), user + system. */
	cpuMs(): Promise<number>;
	/** Stops the instance and says how many messages its queue holds; removes the folder. */
	stop(): Promise<{queued: number}>;
	/** Stops it without counting, for the error paths. */
	kill(): Promise<void>;
};

/** Why the Postfix baseline cannot run here, or undefined when it can. */
export function postfixUnavailable(): string | undefined {
	if (!existsSync(postfix)) return `Postfix is not installed (${postfix}; \`bash bench/install.sh\` as root installs it)`;
	if (process.getuid?.() !== 0) return 'Postfix\'s master must start as root (it switches to the postfix user): run the bench as root for this baseline';
	return undefined;
}

async function postfixIds(): Promise<{uid: number; gid: number}> {
	const [passwd, group] = await Promise.all([readFile('/etc/passwd', 'utf8'), readFile('/etc/group', 'utf8')]);
	const id = (table: string) => Number(table.split('\n').find(line => line.startsWith('postfix:'))?.split(':')[2]);
	const ids = {uid: id(passwd), gid: id(group)};
	if (!Number.isInteger(ids.uid) || !Number.isInteger(ids.gid)) throw new Error('There is no postfix account: run `bash bench/install.sh` as root.');
	return ids;
}

function mainCf(dir: string): string {
	return `# Private bench instance written by bench/postfix-sink.ts.
compatibility_level = 3.6
queue_directory = ${dir}/q
data_directory = ${dir}/data
maillog_file = ${dir}/maillog
maillog_file_prefixes = ${dir}
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.postfix.test
mydestination =
mynetworks = 127.0.0.0/8
relay_domains = lab.test
alias_maps =
alias_database =
local_recipient_maps =
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
biff = no
# Everything accepted stays in the hold queue: nothing is delivered, nothing leaves.
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access static:HOLD
default_transport = discard
relay_transport = discard
in_flow_delay = 0
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
`;
}

function masterCf(port: number, processes: number): string {
	return [
		'# Private bench instance written by bench/postfix-sink.ts. chroot is off everywhere.',
		`127.0.0.1:${port} inet n - n - ${processes} smtpd`,
		'pickup    unix  n - n 60    1 pickup',
		'cleanup   unix  n - n -     0 cleanup',
		'qmgr      unix  n - n 300   1 qmgr',
		'rewrite   unix  - - n -     - trivial-rewrite',
		'bounce    unix  - - n -     0 bounce',
		'defer     unix  - - n -     0 bounce',
		'trace     unix  - - n -     0 bounce',
		'discard   unix  - - n -     - discard',
		'anvil     unix  - - n -     1 anvil',
		'scache    unix  - - n -     1 scache',
		'proxymap  unix  - - n -     - proxymap',
		'postlog   unix-dgram n - n - 1 postlogd',
		'',
	].join('\n');
}

/** utime + stime (+ those of reaped children) of every process in the master's process group. */
async function groupCpuMs(master: number): Promise<number> {
	let ticks = 0;
	for (const name of await readdir('/proc')) {
		if (!/^\d+$/.test(name)) continue;
		let stat: string;
		try {
			stat = await readFile(`/proc/${name}/stat`, 'utf8');
		} catch {
			continue; // gone meanwhile
		}

		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		// After the name: state ppid pgrp … utime(12) stime(13) cutime(14) cstime(15).
		if (Number(fields[2]) !== master) continue;
		ticks += Number(fields[11]) + Number(fields[12]);
		if (Number(name) === master) ticks += Number(fields[13]) + Number(fields[14]);
	}

	return ticks * 10;
}

async function countFiles(folder: string): Promise<number> {
	let count = 0;
	let entries;
	try {
		entries = await readdir(folder, {withFileTypes: true});
	} catch {
		return 0;
	}

	for (const entry of entries) count += entry.isDirectory() ? await countFiles(join(folder, entry.name)) : 1;
	return count;
}

/** Starts a private instance with `processes` smtpd processes at most; resolves once it greets. */
export async function startPostfixSink(processes: number): Promise<PostfixSink> {
	const [port, ids] = await Promise.all([freePort(), postfixIds()]);
	// Short path: Postfix's unix sockets live under it.
	const dir = await mkdtemp('/tmp/pfb-');
	let master: number | undefined;
	const kill = async () => {
		master ??= await readPid(join(dir, 'q', 'pid', 'master.pid')).catch(() => undefined);
		if (master !== undefined) {
			try {
				process.kill(master, 'SIGTERM'); // it passes the signal on to its process group
			} catch {
				// already gone
			}
		}

		await waitForExit(master);
		await rm(dir, {recursive: true, force: true, maxRetries: 3, retryDelay: 50});
	};

	try {
		await chmod(dir, 0o755);
		await Promise.all(['etc', 'q', 'data'].map(async sub => mkdir(join(dir, sub))));
		await chown(join(dir, 'data'), ids.uid, ids.gid);
		const files: Array<[string, string]> = [
			[join(dir, 'etc', 'main.cf'), mainCf(dir)],
			[join(dir, 'etc', 'master.cf'), masterCf(port, processes)],
		];
		await Promise.all(files.map(async ([path, text]) => writeFile(path, text)));
		// Postfix waits for config files younger than about a second: backdated, it starts at once.
		const past = new Date(Date.now() - 5000);
		await Promise.all([...files.map(([path]) => path), join(dir, 'etc')].map(async path => utimes(path, past, past)));
		await startDaemon(postfix, ['-c', join(dir, 'etc'), 'start'], join(dir, 'postfix-start.out'));
		master = await readPid(join(dir, 'q', 'pid', 'master.pid'));
		await waitForPort(port, 20_000, () => undefined);
	} catch (error) {
		const log = await readFile(join(dir, 'maillog'), 'utf8').catch(() => '');
		await kill();
		throw new Error(`The private Postfix did not start: ${error instanceof Error ? error.message : String(error)}\n${log.split('\n').slice(-10).join('\n')}`);
	}

	const pid = master;
	return {
		port,
		cpuMs: async () => groupCpuMs(pid),
		async stop() {
			const queued = await countFiles(join(dir, 'q', 'hold'));
			await kill();
			return {queued};
		},
		kill,
	};
}
