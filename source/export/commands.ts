// "Copy as command": the swaks and openssl s_client lines that reproduce a session's
// target and options. The password is never written: it comes from $SMTP_PASSWORD.
import type {RecordingHeader} from './recording.js';

const quote = (value: string) => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`);

export function swaksCommand(h: RecordingHeader): string {
	const parts = ['swaks', '--server', quote(h.host), '--port', String(h.port), '--ehlo', quote(h.ehlo), '--from', quote(h.from)];
	for (const to of h.to) parts.push('--to', quote(to));
	const tls = h.tls === 'implicit' || (h.tls === 'auto' && h.profilePort === 465) ? '--tlsc' : h.tls === 'none' ? '' : h.tls === 'starttls' || (h.tls === 'auto' && h.profilePort !== 25) ? '--tls' : '--tls-optional';
	if (tls) parts.push(tls);
	if (h.user) parts.push('--auth', h.mechanism ?? 'PLAIN', '--auth-user', quote(h.user), '--auth-password', '"$SMTP_PASSWORD"');
	return parts.join(' ');
}

export function opensslCommand(h: RecordingHeader): string {
	const implicit = h.tls === 'implicit' || (h.tls === 'auto' && h.profilePort === 465);
	const target = h.host.includes(':') ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`;
	return implicit ? `openssl s_client -connect ${quote(target)} -crlf -quiet` : `openssl s_client -starttls smtp -connect ${quote(target)} -crlf -quiet`;
}
