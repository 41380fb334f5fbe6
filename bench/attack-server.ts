// The lab with its default limits, all four ports, in its own process so its memory is its
// own: started by the under-attack figure with `node --import tsx bench/attack-server.ts`.
// Prints {"ports": {...}, "ca": PEM} once it listens; on SIGTERM prints its stats (with
// `captured`: every message accepted, kept in memory or pruned from it) as one JSON line.
import {startLab} from '../source/lab/index.js';

const lab = await startLab({host: '127.0.0.1'});

process.stdout.write(JSON.stringify({ports: lab.ports, ca: lab.ca}) + '\n');

process.once('SIGTERM', () => {
	const stats = lab.stats();
	const report = {...stats, captured: stats.inbox.messages + stats.inbox.pruned};
	process.stdout.write(JSON.stringify(report) + '\n', () => {
		process.exit(0);
	});
});
