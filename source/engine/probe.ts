// Probe: every port of a host at once, without sending mail. Connect, banner, EHLO,
// STARTTLS where offered, EHLO again, QUIT; then a diagnosis in plain sentences.
import type {TlsFacts} from '../protocol/transcript.js';
import {describeCertError} from './connection.js';
import {profileFor} from './profiles.js';
import {Session, type SessionOptions} from './session.js';

export type ProbeTarget = {
	/** The port as the person thinks of it (25, 465, 587, 2525 …). */
	port: number;
	/** Where to connect (the same, unless mapped, e.g. to the lab's ephemeral ports). */
	options: SessionOptions;
};

export type ProbeRow = {
	port: number;
	label: string;
	status: 'open' | 'refused' | 'timeout' | 'error';
	latencyMs?: number;
	banner?: string;
	/** The lines of a banner that never finished ("220-" lines, never the last one), as received (untrusted). */
	unfinishedBanner?: string[];
	/** `unknown`: EHLO was never answered in full in clear, so whether STARTTLS is offered was not seen. */
	tls: 'implicit' | 'starttls' | 'none' | 'plaintext-on-implicit-port' | 'failed' | 'unknown';
	tlsProtocol?: string;
	/**
	 * The server sent bytes after its 220 to STARTTLS and before TLS began (the response-injection
	 * pattern): how many, and the note that says so, quoting their start (untrusted: shown escaped).
	 */
	starttlsInjection?: {bytes: number; note: string};
	certificate?: TlsFacts;
	authBeforeTls: string[];
	authAfterTls: string[];
	/** EHLO was answered inside TLS, so authAfterTls is known (else it is unknown, not empty). */
	tlsReached: boolean;
	size?: number;
	pipelining: boolean;
	smtputf8: boolean;
	chunking: boolean;
	error?: string;
};

export type ProbeReport = {host: string; rows: ProbeRow[]; diagnosis: string[]};

const implicitPorts = new Set([465, 2465]);

function has(session: Session, keyword: string): boolean {
	return session.state.capabilities?.extensions.some(e => e.keyword === keyword) ?? false;
}

async function drive(session: Session): Promise<void> {
	if (!(await session.step()).ok) return; // connect + banner
	await session.step(); // EHLO
	if (session.next().kind === 'starttls') {
		await session.step();
		if (session.next().kind === 'ehlo') await session.step();
	}

	if (!session.state.ended) await session.manual('QUIT');
}

function statusOf(session: Session): ProbeRow['status'] {
	if (session.state.connected) return 'open';
	const message = session.failureMessage ?? '';
	if (/refused/.test(message)) return 'refused';
	if (/no answer within|did not answer|did not finish/.test(message)) return 'timeout';
	return 'error';
}

export async function probePort(target: ProbeTarget): Promise<ProbeRow> {
	const named = implicitPorts.has(target.port);
	// Verification is reported, not enforced: a probe wants to see a bad certificate.
	const base: SessionOptions = {
		...target.options,
		tls: named ? 'implicit' : 'auto',
		profilePort: named ? 465 : 25,
		tlsOptions: {...target.options.tlsOptions, insecure: true},
		credentials: undefined,
		quitAfter: undefined,
	};
	let session = new Session(base);
	await drive(session);
	let implicit = implicitPorts.has(target.port);
	if (!implicit && /speaks TLS from the first byte/.test(session.failureMessage ?? '')) {
		// A silent port that answered a TLS hello: probe it as the implicit-TLS port it is.
		session.close();
		session = new Session({...base, tls: 'implicit', profilePort: 465});
		await drive(session);
		implicit = true;
	}

	let tls: ProbeRow['tls'] = implicit ? 'implicit' : 'none';
	if (implicit && !session.state.connected && /did not answer in TLS|closed the connection during the handshake/.test(session.failureMessage ?? '')) {
		// Does it speak plaintext SMTP on the implicit-TLS port?
		const plain = new Session({...base, tls: 'none', profilePort: 25});
		await drive(plain);
		if (plain.entries.some(e => e.direction === 'server' && e.code === 220)) {
			session.close();
			session = plain;
			tls = 'plaintext-on-implicit-port';
		} else {
			plain.close();
			tls = 'failed';
		}
	}

	session.close();
	const entries = session.entries;
	const started = entries[0]?.at ?? 0;
	const connected = entries.find(e => e.direction === 'info' && e.text.startsWith('Connected to'));
	const bannerLines = entries.filter(e => e.direction === 'server' && e.step === 'connect');
	// A banner counts once its last line came; the lines of one that never ended are kept apart.
	const bannerDone = bannerLines.some(e => e.last === true);
	const banner = bannerDone ? bannerLines[0] : undefined;
	const before = session.capabilitiesBeforeTls;
	if (!implicit && before?.extensions.some(e => e.keyword === 'STARTTLS')) tls = session.state.starttlsDone ? 'starttls' : 'failed';
	else if (!implicit && before === undefined) tls = 'unknown';
	const status = statusOf(session);
	const injection = entries.find(e => e.deviation === 'starttls-injection');
	return {
		port: target.port,
		label: profileFor(target.port)?.label ?? 'other',
		status,
		latencyMs: connected ? Math.round((connected.at - started) * 10) / 10 : undefined,
		banner: banner?.text,
		...(!bannerDone && bannerLines.length > 0 ? {unfinishedBanner: bannerLines.map(e => e.text)} : {}),
		tls: status === 'open' ? tls : 'none',
		tlsProtocol: session.tlsFacts?.protocol,
		...(injection ? {starttlsInjection: {bytes: Number(/^Discarded (\d+) bytes/.exec(injection.text)?.[1] ?? 0), note: injection.text}} : {}),
		certificate: session.tlsFacts,
		authBeforeTls: implicit && tls === 'implicit' ? [] : before?.auth ?? [],
		authAfterTls: session.state.tls ? session.state.capabilities?.auth ?? [] : [],
		tlsReached: session.state.tls && session.state.capabilities !== undefined,
		size: session.state.capabilities?.size,
		pipelining: has(session, 'PIPELINING'),
		smtputf8: has(session, 'SMTPUTF8'),
		chunking: has(session, 'CHUNKING'),
		error: session.failureMessage,
	};
}

const submissionPorts = new Set([465, 587, 2525, 2465, 2587]);

/** A submission port "works" when it answered with a banner and can be encrypted. */
export function submissionWorks(row: ProbeRow): boolean {
	return submissionPorts.has(row.port) && row.status === 'open' && row.banner?.startsWith('220') === true && (row.tls === 'implicit' || row.tls === 'starttls');
}

export function diagnose(host: string, rows: ProbeRow[]): string[] {
	const out: string[] = [];
	const answered = rows.filter(r => r.status === 'open' && r.banner?.startsWith('220'));
	const port25 = rows.find(r => r.port === 25);
	const submitted = answered.filter(r => submissionPorts.has(r.port)).map(r => r.port);
	if (port25 && port25.status !== 'open' && submitted.length > 0) {
		const what = port25.status === 'timeout' ? 'timed out' : port25.status === 'refused' ? 'was refused' : 'failed';
		out.push(`Port 25 ${what} while ${submitted.join(' and ')} answered: your network probably blocks outbound port 25 (common on residential ISPs); use ${submitted.includes(587) ? 587 : submitted[0]} or 465 for submission.`);
	}

	for (const row of rows) {
		if (row.status !== 'open') continue;
		if (!row.banner && row.unfinishedBanner) {
			const code = row.unfinishedBanner[0]!.slice(0, 3);
			out.push(`Port ${row.port} began a banner but never finished it (${row.unfinishedBanner.length} "${code}-" lines, never the last one): a client may not speak before the banner ends, so no mail program can use this port (a stuck server, or a tarpit that drips lines).`);
			continue;
		}

		if (!row.banner) {
			const hint = row.port === 25 ? ': a firewall or proxy may be intercepting SMTP' : ' (and it does not speak TLS from the first byte either)';
			out.push(`Port ${row.port} accepted the connection but sent no banner${hint}.`);
			continue;
		}

		if (row.tls === 'unknown') {
			out.push(`Port ${row.port} sent its banner but never a whole EHLO reply${row.error ? ` (${row.error.replace(/\.$/, '')})` : ''}: whether it offers STARTTLS or AUTH is unknown.`);
			continue;
		}

		if (row.starttlsInjection) {
			out.push(`Port ${row.port} sent ${row.starttlsInjection.bytes} bytes after its 220 to STARTTLS and before TLS began: the STARTTLS response-injection pattern (a broken or compromised server, or something on the path injecting); smtp-tui discarded them, but a client that reads them as replies inside TLS can be fooled by them.`);
		}

		if (row.authBeforeTls.length > 0 && row.port !== 25) {
			out.push(`Port ${row.port} offers AUTH (${row.authBeforeTls.join(' ')}) before TLS: a password sent there travels readable; a client must STARTTLS first.`);
		}

		if (row.tls === 'plaintext-on-implicit-port') {
			out.push(`Port ${row.port} answered in plaintext: it is not implicit TLS, so a client set to "SSL/TLS" will fail there; use STARTTLS settings or another port.`);
		}

		if (submissionPorts.has(row.port) && row.tls === 'none') {
			out.push(`Port ${row.port} offers no STARTTLS: submitting there would send the password unencrypted.`);
		}

		const cert = row.certificate;
		if (cert && !cert.authorized) {
			if (cert.authorizationError === 'ERR_TLS_CERT_ALTNAME_INVALID') {
				out.push(`The certificate on port ${row.port} does not name ${cert.servername ?? host}; it covers ${cert.subjectAltNames.join(', ') || cert.subject || 'no names'}.`);
			} else {
				out.push(`The certificate on port ${row.port} did not verify: ${describeCertError(cert.authorizationError, cert)}; subject ${cert.subject ?? '?'}, issuer ${cert.issuer ?? '?'}.`);
			}
		}
	}

	if (answered.length === 0) out.push(`No port of ${host} answered with an SMTP banner: check the host name, and whether a firewall blocks outbound SMTP.`);
	else if (!rows.some(submissionWorks)) out.push('No submission port (465, 587, 2525) works with TLS here.');
	return out;
}

export async function probe(host: string, targets: ProbeTarget[]): Promise<ProbeReport> {
	const rows = await Promise.all(targets.map(async target => probePort(target)));
	return {host, rows, diagnosis: diagnose(host, rows)};
}
