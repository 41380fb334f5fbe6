// A private Haraka (the Node SMTP server from npm, a devDependency) on 127.0.0.1, for interop
// tests: plugins instead of personalities, AUTH offered before TLS to loopback clients, its
// own reply texts. Started from its own package with `haraka -c DIR` and a config folder of
// the test's own (made by `haraka -i`, then rewritten); stop() ends it by its process id.
//   listen: 25, 587, 2525 (STARTTLS offered) and 465 (smtps_port: TLS on connect)
//   plugins: tls, auth/flat_file (PLAIN LOGIN CRAM-MD5), rcpt_to.in_host_list (haraka.test),
//   and a queue plugin written here that saves each message to the instance's folder.
import {execFile} from 'node:child_process';
import {mkdir, mkdtemp, writeFile} from 'node:fs/promises';
import {createRequire} from 'node:module';
import os from 'node:os';
import {dirname, join} from 'node:path';
import {makeLabCa} from '../../source/lab/ca.js';
import {peerProcess, pickFreePorts, readMessages, waitForMessage, waitForPorts, type PeerInstance, type PeerPorts, type PeerUser} from './peers.js';

const require = createRequire(import.meta.url);
const harakaBin = join(dirname(require.resolve('Haraka/package.json')), 'bin', 'haraka');
const HOST = '127.0.0.1';
const HOSTNAME = 'mx.haraka.test';
const DOMAIN = 'haraka.test';
const USERS: PeerUser[] = [{user: 'alice', password: 'wonderland'}];
const START_TIMEOUT_MS = 30_000;

export type HarakaInstance = PeerInstance;

export async function startHaraka(): Promise<HarakaInstance> {
	try {
		return await startOnce();
	} catch (error) {
		if (error instanceof Error && /EADDRINUSE|address already in use/i.test(error.message)) return startOnce();
		throw error;
	}
}

async function startOnce(): Promise<HarakaInstance> {
	const deadline = Date.now() + START_TIMEOUT_MS;
	const dir = await mkdtemp(join(os.tmpdir(), 'haraka-'));
	const queue = join(dir, 'queue');
	const peer = peerProcess(dir);
	const stop = peer.stop;
	try {
		const [free, tls] = await Promise.all([pickFreePorts(4), makeLabCa(HOSTNAME), initConfig(dir)]);
		const ports: PeerPorts = {25: free[0]!, 465: free[1]!, 587: free[2]!, 2525: free[3]!};
		const caFile = join(dir, 'ca.pem');
		await mkdir(queue);
		await writeConfig(dir, ports, tls, queue);
		await writeFile(caFile, tls.ca);
		const {exited} = peer.run(process.execPath, [harakaBin, '-c', dir], {...process.env, NODE_ENV: 'test'});
		await waitForPorts(ports, deadline, {ca: tls.ca, servername: HOSTNAME}, exited);
		const delivered = async () => readMessages(queue, name => name.endsWith('.eml'));
		return {
			host: HOST,
			ports,
			ca: tls.ca,
			caFile,
			hostname: HOSTNAME,
			domain: DOMAIN,
			users: USERS.map(u => ({...u})),
			deliveredMessages: delivered,
			waitForDelivered: async (needle, timeoutMs = 10_000) => waitForMessage(delivered, needle, timeoutMs, peer.output),
			stop,
		};
	} catch (error) {
		await stop();
		throw new Error(`The private Haraka did not start: ${error instanceof Error ? error.message : String(error)}\n--- haraka output ---\n${peer.output()}`);
	}
}

/** `haraka -i DIR`: the instance folder as Haraka lays it out. */
async function initConfig(dir: string): Promise<void> {
	await new Promise<void>((resolve, reject) => {
		execFile(process.execPath, [harakaBin, '-i', dir], {timeout: 15_000}, error => (error ? reject(error) : resolve()));
	});
}

async function writeConfig(dir: string, ports: PeerPorts, tls: {cert: string; key: string}, queue: string): Promise<void> {
	const config = join(dir, 'config');
	const user = USERS[0]!;
	const files: Array<[string, string]> = [
		['smtp.ini', `listen=${[ports[25], ports[587], ports[2525], ports[465]].map(port => `${HOST}:${port}`).join(',')}\nsmtps_port=${ports[465]}\nnodes=0\n`],
		// No DNS-based plugin (mail_from.is_resolvable is in the default list): loopback only.
		['plugins', 'tls\nauth/flat_file\nrcpt_to.in_host_list\nsave_queue\n'],
		['me', `${HOSTNAME}\n`],
		['host_list', `${DOMAIN}\n`],
		['auth_flat_file.ini', `[core]\nmethods=PLAIN,LOGIN,CRAM-MD5\nconstrain_sender=false\n\n[users]\n${user.user}=${user.password}\n`],
		['tls.ini', '[main]\nkey=tls_key.pem\ncert=tls_cert.pem\n'],
		['tls_key.pem', tls.key],
		['tls_cert.pem', tls.cert],
		['log.ini', '[main]\nlevel=notice\ntimestamps=false\n'],
	];
	await Promise.all(files.map(async ([name, text]) => writeFile(join(config, name), text)));
	// The queue plugin: each message as one file, named by the transaction's id.
	await writeFile(join(dir, 'plugins', 'save_queue.js'), `const fs = require('node:fs');
const path = require('node:path');
exports.hook_queue = function (next, connection) {
    const txn = connection?.transaction;
    if (!txn) return next();
    const ws = fs.createWriteStream(path.join(${JSON.stringify(queue)}, txn.uuid + '.eml'));
    ws.once('close', () => next(OK));
    txn.message_stream.pipe(ws);
};
// Mail from a logged-in client is "relaying": kept here too, never sent on.
exports.hook_queue_outbound = exports.hook_queue;
`);
}
