// What the classroom lab logs: its introduction for the instructor and one line per event;
// shared by `smtp-tui lab` and the dashboard.
import os from 'node:os';
import {quote} from 'shell-quote';
import type {ImapEvent, Lab, LabEvent, LabPort, Pop3Event} from '../lab/index.js';
import {safeText} from '../protocol/safe-text.js';
import {labPortList} from './target.js';

/** What the instructor reads first: where the lab listens and how students connect. */
export function classroomIntro(lab: Lab, caOut?: string): string[] {
	const ports = labPortList.filter(p => lab.ports[p]).map(p => `${p}→${lab.ports[p]}`).join(', ');
	return [
		`lab: listening on ${lab.host}: ${ports} (domain ${lab.domain}; never relays mail outward)`,
		`lab: accounts: ${safeText(lab.users.map(u => u.user).join(', '))}`,
		...(lab.mail ? [`lab: mailboxes (mail to each account's address): POP3 ${mailList(lab.mail.pop3.ports, [110, 995])}; IMAP ${mailList(lab.mail.imap.ports, [143, 993])}`] : []),
		caOut ? `lab: CA certificate written to ${caOut}` : 'lab: no CA file written, so students skip the certificate check (--ca-out FILE gives them the CA to trust)',
		`lab: students: ${safeText(studentCommand(lab, caOut))}`,
		...lab.faults.map(f => `lab: fault ${f.name}${f.value === undefined ? '' : `=${f.value}`} on ${f.ports === 'all' ? 'all ports' : f.ports.join(',')}`),
		...lab.attacks.map(a => `lab: DELIBERATELY VULNERABLE personality on: ${a}`),
	];
}

/** An address students can reach: the one listened on, or for 0.0.0.0 / :: this machine's first outside address. */
function reachableHost(listen: string): string {
	if (listen !== '0.0.0.0' && listen !== '::') return listen;
	const addresses = Object.values(os.networkInterfaces()).flat().filter((a): a is os.NetworkInterfaceInfo => a !== undefined && !a.internal);
	const found = addresses.find(a => a.family === 'IPv4') ?? (listen === '::' ? addresses.find(a => a.family === 'IPv6' && !a.address.startsWith('fe80:')) : undefined);
	return found?.address ?? (listen === '::' ? '::1' : '127.0.0.1');
}

/**
 * The command a student pastes: the TUI on the lab's submission port (587, else 2525, else
 * 465 with implicit TLS, else 25 without a login), logged in as the first account (the
 * password is asked without echo), trusting --ca-out's CA or, without one, --insecure.
 */
export function studentCommand(lab: Pick<Lab, 'host' | 'ports' | 'users' | 'domain'>, caOut?: string): string {
	const port = ([587, 2525, 465, 25] as LabPort[]).find(p => lab.ports[p]) ?? 587;
	const account = lab.users[0];
	const words = ['smtp-tui', '--host', reachableHost(lab.host), '--port', String(lab.ports[port] ?? '')];
	if (port === 465) words.push('--tls', 'implicit');
	words.push(...(caOut ? ['--lab-ca', caOut] : ['--insecure']));
	if (port !== 25 && account) words.push('--user', account.user);
	words.push('--to', account?.address ?? `bob@${lab.domain}`);
	// Plain words stay as typed (alice@lab.test, not alice\@lab.test); anything else is quoted.
	return words.map(word => (/^[\w@%+=:,./-]+$/.test(word) ? word : quote([word]))).join(' ');
}

function mailList(ports: Partial<Record<number, number>>, wanted: number[]): string {
	return wanted.filter(port => ports[port]).map(port => `${port}→${ports[port]}`).join(', ');
}

/** A POP3 or IMAP event worth a log line (logins, reads, flags; not every connect and close). */
export function mailEventLine(protocol: 'pop3' | 'imap', event: Pop3Event | ImapEvent): string | undefined {
	if (event.type === 'connect' || event.type === 'close') return undefined;
	const who = event.user === undefined ? '' : ` ${safeText(event.user.slice(0, 64))}`;
	return `lab: ${protocol} ${safeText(`${event.type} ${event.port} ${event.ip}`)}${who}${event.detail ? ` ${safeText(event.detail.slice(0, 200))}` : ''}`;
}

export function eventLine(event: LabEvent): string {
	return `lab: ${safeText(`${event.type} ${event.port} ${event.ip}`)}${event.detail ? ` ${safeText(event.detail)}` : ''}`;
}
