// The lab under load, in its own process so its CPU and memory are its own: started by the
// lab-load figure with `node --import tsx bench/lab-server.ts`. Prints {"port": N} once it
// listens; on SIGTERM prints {...lab.stats(), inbox: captured} as one JSON line and exits.
// Only port 25 (no TLS, no AUTH), with the connection limits raised far above the load:
// the defaults (200 connections, 20 per IP) would refuse most of 1,000 concurrent sessions.
import {startLab} from '../source/lab/index.js';

const lab = await startLab({
	host: '127.0.0.1',
	only: [25],
	limits: {maxClients: 2000, maxClientsPerIp: 2000},
});

process.stdout.write(JSON.stringify({port: lab.ports[25]}) + '\n');

process.once('SIGTERM', () => {
	// `inbox` is what was captured (lost = sent − inbox): kept in memory or pruned from it past
	// the newest 500; `messages` is the monitor's count of accepted messages, which should be the same.
	const stats = lab.stats();
	const report = {...stats, inbox: stats.inbox.messages + stats.inbox.pruned};
	// Exit only once the line is written: stdout is a pipe, and pipes are asynchronous.
	process.stdout.write(JSON.stringify(report) + '\n', () => {
		process.exit(0);
	});
});
