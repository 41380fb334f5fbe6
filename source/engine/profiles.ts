// What each well-known port is for, and how smtp-tui behaves on it by default.

export type TlsMode = 'auto' | 'starttls' | 'implicit' | 'none';
export const tlsModes: TlsMode[] = ['auto', 'starttls', 'implicit', 'none'];

export type PortProfile = {
	port: number;
	label: string;
	/** How TLS starts on this port when --tls is auto. */
	tls: 'implicit' | 'starttls-required' | 'starttls-optional';
	/** Whether a session on this port normally logs in. */
	submission: boolean;
};

export const portProfiles: Record<25 | 465 | 587 | 2525, PortProfile> = {
	25: {port: 25, label: 'relay / MX', tls: 'starttls-optional', submission: false},
	465: {port: 465, label: 'submission, implicit TLS', tls: 'implicit', submission: true},
	587: {port: 587, label: 'submission, STARTTLS', tls: 'starttls-required', submission: true},
	2525: {port: 2525, label: 'alternative submission', tls: 'starttls-required', submission: true},
};

export function profileFor(port: number): PortProfile | undefined {
	return (portProfiles as Record<number, PortProfile | undefined>)[port];
}

/** The TLS mode `auto` stands for on a port: implicit on 465, STARTTLS where offered elsewhere. */
export function resolveTlsMode(mode: TlsMode, port: number): Exclude<TlsMode, 'auto'> | 'opportunistic' {
	if (mode !== 'auto') return mode;
	const profile = profileFor(port);
	if (profile?.tls === 'implicit') return 'implicit';
	if (profile?.tls === 'starttls-required') return 'starttls';
	return 'opportunistic';
}
