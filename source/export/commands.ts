// "Copy as command": the swaks and openssl s_client lines that reproduce a session's
// target and options. The password is never written: it comes from $SMTP_PASSWORD.
//
// A recording is untrusted, so every value from it is quoted for POSIX shells by shell-quote:
// pasted, the command does exactly what it says and nothing else. A value holding a control or
// bidi character cannot be printed safely nor pasted as what it seems, so no command is made
// for it; a shell comment says why.
import {quote} from 'shell-quote';
import {hasUnsafe} from '../protocol/safe-text.js';
import type {RecordingHeader} from './recording.js';

/** The TLS behaviour the engine gives the recorded mode on the recorded port. */
export type ResolvedTls = 'implicit' | 'starttls' | 'opportunistic' | 'none';

/** Without the engine's port profiles: 465 is implicit TLS, 587 requires STARTTLS, the rest is opportunistic. */
function fallbackTls(h: RecordingHeader): ResolvedTls {
	if (h.tls !== 'auto') return h.tls as ResolvedTls;
	return h.profilePort === 465 ? 'implicit' : h.profilePort === 587 ? 'starttls' : 'opportunistic';
}

/**
 * Why no command can be made from these values, if one cannot. Quoting keeps the shell from
 * reading a value as code, but not the program from reading it as an option: swaks takes a
 * quoted `--pipe=…` after `--server` as its own --pipe (run a program), `--output-file=…` as
 * a file to write and `--attach=@FILE` as a file to send, so no value may begin with `-`.
 */
function refused(h: RecordingHeader, values: Record<string, string | undefined>): string | undefined {
	for (const [field, value] of Object.entries(values)) {
		if (value === undefined) continue;
		if (hasUnsafe(value)) return `# smtp-tui: no command exported: the recording's ${field} holds a control or bidi character (a pasted command would not do what it shows).`;
		if (/^\s*-/.test(value)) return `# smtp-tui: no command exported: the recording's ${field} begins with "-", which the program would read as an option of its own, not as the ${field}.`;
	}

	return undefined;
}

// swaks: --tls requires STARTTLS, --tls-optional-strict uses it when offered (and fails if the
// handshake fails, as the engine does), --tls-on-connect is TLS from the first byte.
const swaksTls: Record<ResolvedTls, string | undefined> = {implicit: '--tls-on-connect', starttls: '--tls', opportunistic: '--tls-optional-strict', none: undefined};

export function swaksCommand(h: RecordingHeader, tls: ResolvedTls = fallbackTls(h)): string {
	const why = refused(h, {host: h.host, 'EHLO name': h.ehlo, sender: h.from, 'user name': h.user, mechanism: h.mechanism, ...Object.fromEntries(h.to.map((to, i) => [`recipient ${i + 1}`, to]))});
	if (why) return why;
	const args = ['swaks', '--server', h.host, '--port', String(h.port), '--ehlo', h.ehlo, '--from', h.from];
	for (const to of h.to) args.push('--to', to);
	const flag = swaksTls[tls];
	if (flag) args.push(flag);
	if (h.user) args.push('--auth', h.mechanism ?? 'PLAIN', '--auth-user', h.user);
	// The one part left to the shell on purpose: the password comes from the environment.
	return `${quote(args)}${h.user ? ' --auth-password "$SMTP_PASSWORD"' : ''}`;
}

export function opensslCommand(h: RecordingHeader, tls: ResolvedTls = fallbackTls(h)): string {
	const why = refused(h, {host: h.host});
	if (why) return why;
	const target = h.host.includes(':') ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`;
	const starttls = tls === 'implicit' ? [] : ['-starttls', 'smtp'];
	return quote(['openssl', 's_client', ...starttls, '-connect', target, '-crlf', '-quiet']);
}
