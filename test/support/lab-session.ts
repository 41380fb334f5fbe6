// Options for a client Session on one of the lab's ports, as the TUI opens it: the lab's CA
// trusted, alice's login on the submission ports, a message from alice to bob.
import type {SessionOptions} from '../../source/engine/session.js';
import type {Lab, LabPort} from '../../source/lab/index.js';

export function labSessionOptions(lab: Lab, port: LabPort): SessionOptions {
	return {
		host: lab.host,
		port: lab.ports[port]!,
		profilePort: port,
		tls: 'auto',
		tlsOptions: {servername: lab.hostname, ca: lab.ca, insecure: false},
		ehlo: 'client.example',
		from: 'alice@lab.test',
		to: ['bob@lab.test'],
		credentials: port === 25 ? undefined : {user: 'alice', password: 'wonderland'},
		timeouts: {greeting: 10_000, command: 10_000},
	};
}
