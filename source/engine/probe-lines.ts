// The probe's report of one port as lines of text: shared by `smtp-tui probe` and the probe screen.
import type {ProbeRow} from './probe.js';
import {describeCertError} from './connection.js';
import {safeText} from '../protocol/safe-text.js';

function yesNo(value: boolean): string {
	return value ? 'yes' : 'no';
}

function tlsText(row: ProbeRow): string {
	const cert = row.certificate;
	const certText = cert ? ` · certificate ${cert.subject ?? '?'} from ${cert.issuer ?? '?'}, ${cert.authorized ? 'verified' : `NOT verified: ${describeCertError(cert.authorizationError, cert)}`}${cert.validTo ? `, valid to ${cert.validTo}` : ''}` : '';
	switch (row.tls) {
		case 'implicit':
			return `implicit TLS (${row.tlsProtocol ?? '?'})${certText}`;
		case 'starttls':
			return `STARTTLS offered and working (${row.tlsProtocol ?? '?'})${row.starttlsInjection ? `, but ${row.starttlsInjection.bytes} bytes came before TLS (injection, see below)` : ''}${certText}`;
		case 'plaintext-on-implicit-port':
			return 'none: plaintext on a port meant for implicit TLS';
		case 'failed':
			return `TLS failed${row.error ? `: ${row.error}` : ''}`;
		case 'none':
			return 'none offered';
		case 'unknown':
			return 'unknown (EHLO never finished)';
	}
}

/** The lines of one port's block: a head line, then TLS, AUTH and extensions. */
export function probeRowLines(row: ProbeRow): string[] {
	const head = `${String(row.port).padEnd(5)} ${safeText(row.label).padEnd(26)}`;
	if (row.status !== 'open') {
		return [`${head} ${row.status === 'refused' ? 'refused' : row.status === 'timeout' ? 'timed out' : 'error'}: ${safeText(row.error ?? '')}`];
	}

	const pad = ' '.repeat(6);
	if (!row.banner && row.unfinishedBanner) {
		return [`${head} open, but the banner never finished: ${safeText(row.error ?? '(no last line)')}`, ...row.unfinishedBanner.map(line => `${pad}<-  ${safeText(line)}`)];
	}

	if (!row.banner) return [`${head} open, but no banner: ${safeText(row.error ?? '(none)')}`];
	const authBefore = row.tls === 'implicit' ? 'no "before" (TLS from the first byte)' : row.tls === 'unknown' ? 'unknown' : safeText(row.authBeforeTls.join(' ')) || 'none';
	return [
		`${head} open (${row.latencyMs ?? '?'} ms)  ${safeText(row.banner ?? '(no banner)')}`,
		`${pad}TLS: ${safeText(tlsText(row))}`,
		...(row.starttlsInjection ? [`${pad}STARTTLS injection: ${safeText(row.starttlsInjection.note)}`] : []),
		`${pad}AUTH before TLS: ${authBefore} · after TLS: ${row.tlsReached ? safeText(row.authAfterTls.join(' ')) || 'none' : 'unknown (TLS never started)'}`,
		`${pad}SIZE ${row.size ?? '-'} · PIPELINING ${yesNo(row.pipelining)} · SMTPUTF8 ${yesNo(row.smtputf8)} · CHUNKING ${yesNo(row.chunking)}`,
		// The error of an open port (a TLS failure already says it on the TLS line).
		...(row.error && row.tls !== 'failed' ? [`${pad}error: ${safeText(row.error)}`] : []),
	];
}
