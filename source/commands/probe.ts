// `smtp-tui probe [HOST]`: every port at once, one block per port, then the diagnosis.
import {probe, submissionWorks, type ProbeReport, type ProbeRow, type ProbeTarget} from '../engine/probe.js';
import {describeCertError} from '../engine/connection.js';
import {probeDomain, type DomainRecord, type DomainReport} from '../engine/domain-probe.js';
import {exitCodes} from '../engine/exit-codes.js';
import {safeText} from '../protocol/safe-text.js';
import {renderJson, renderJsonLine} from '../export/jsonl.js';
import type {Lab} from '../lab/index.js';
import {labConfig, labPortList, parsePort, readCaFile, resolveTarget, UsageError, type TargetEnvironment, type TargetFlags} from './target.js';

export type PortMapping = {port: number; connect: number};

/** probe's default --timeout (connect, banner and every reply), in seconds. */
export const probeTimeoutSeconds = 10;

/** "25,465" or "25=10025,587=10587": the port as named, and where to connect. */
export function parsePortList(value: string | undefined, fallback: number[], what: '--ports' | 'compare' = '--ports'): PortMapping[] {
	if (value === undefined || value.trim() === '') return fallback.map(port => ({port, connect: port}));
	const flag = what === 'compare' ? 'A port' : '--ports';
	const mappings = value.split(',').map(part => part.trim()).filter(Boolean).map(part => {
		const [name, connect, extra] = part.split('=');
		const port = parsePort(name, flag);
		if (port === undefined || extra !== undefined || connect === '') {
			throw new UsageError(`${what === 'compare' ? 'compare takes ports' : '--ports takes a list'} like 25,465,587,2525 or 25=20025 (NAME=PORT: the profile of NAME, reached on PORT), not "${part}".`);
		}

		return {port, connect: connect === undefined ? port : parsePort(connect, flag)!};
	});
	if (new Set(mappings.map(m => m.port)).size !== mappings.length) throw new UsageError(what === 'compare' ? 'Name each port once.' : '--ports names a port twice.');
	return mappings;
}

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
			return `STARTTLS offered and working (${row.tlsProtocol ?? '?'})${certText}`;
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

	if (!row.banner) return [`${head} open, but no banner: ${safeText(row.error ?? '(none)')}`];
	const pad = ' '.repeat(6);
	const authBefore = row.tls === 'implicit' ? 'no "before" (TLS from the first byte)' : row.tls === 'unknown' ? 'unknown' : safeText(row.authBeforeTls.join(' ')) || 'none';
	return [
		`${head} open (${row.latencyMs ?? '?'} ms)  ${safeText(row.banner ?? '(no banner)')}`,
		`${pad}TLS: ${safeText(tlsText(row))}`,
		`${pad}AUTH before TLS: ${authBefore} · after TLS: ${row.tlsReached ? safeText(row.authAfterTls.join(' ')) || 'none' : 'unknown (TLS never started)'}`,
		`${pad}SIZE ${row.size ?? '-'} · PIPELINING ${yesNo(row.pipelining)} · SMTPUTF8 ${yesNo(row.smtputf8)} · CHUNKING ${yesNo(row.chunking)}`,
		// The error of an open port (a TLS failure already says it on the TLS line).
		...(row.error && row.tls !== 'failed' ? [`${pad}error: ${safeText(row.error)}`] : []),
	];
}

export function renderProbeText(report: ProbeReport): string {
	const lines: string[] = [`Probe of ${safeText(report.host)}`, ''];
	for (const row of report.rows) lines.push(...probeRowLines(row), '');
	if (report.diagnosis.length > 0) {
		lines.push('Diagnosis:');
		for (const sentence of report.diagnosis) lines.push(`  - ${safeText(sentence)}`);
	} else {
		lines.push('Diagnosis: nothing wrong found.');
	}

	return lines.join('\n') + '\n';
}

export async function buildProbeTargets(flags: TargetFlags, mappings: PortMapping[], environment: TargetEnvironment): Promise<{targets: ProbeTarget[]; lab?: Lab}> {
	let lab: Lab | undefined;
	const shared: TargetEnvironment = {
		...environment,
		startLab: async () => {
			lab ??= await environment.startLab(labPortList, labConfig(flags));
			return lab;
		},
	};
	const targets: ProbeTarget[] = [];
	for (const mapping of mappings) {
		if (!flags.host && mapping.connect !== mapping.port) throw new UsageError('--ports with = mappings needs --host.');
		// No recipient, no login: a probe never sends mail.
		// A probe waits seconds, not RFC 5321's minutes, unless told otherwise.
		const timeout = flags.timeout ?? String(probeTimeoutSeconds);
		const target = await resolveTarget({...flags, timeout, lab: !flags.host, port: String(mapping.connect), quitAfter: 'ehlo', user: undefined, password: undefined, passwordEnv: undefined, passwordFile: undefined, tokenEnv: undefined, to: undefined}, shared);
		targets.push({port: mapping.port, options: target.options});
	}

	return {targets, lab};
}

export async function runProbe(flags: TargetFlags & {ports?: string; json?: boolean}, hostArgument: string | undefined, environment: TargetEnvironment, write: (text: string) => void): Promise<number> {
	if (hostArgument && flags.host && hostArgument !== flags.host) throw new UsageError('Give the host once: as an argument or with --host.');
	const host = hostArgument ?? flags.host;
	const mappings = parsePortList(flags.ports, labPortList);
	const {targets, lab} = await buildProbeTargets({...flags, host}, mappings, environment);
	try {
		const report = await probe(host ?? 'the embedded lab', targets);
		write(flags.json ? renderJsonLine(report) + '\n' : renderProbeText(report));
		return report.rows.some(submissionWorks) ? 0 : exitCodes.connect;
	} finally {
		await lab?.close();
	}
}

const statusMarks: Record<DomainRecord['status'], string> = {ok: 'ok     ', warning: 'warning', error: 'error  ', missing: 'missing'};

/** `probe --domain`: one block per record, what was found and what it means. */
export function renderDomainText(report: DomainReport): string {
	const lines = [`Mail records of ${safeText(report.domain)} (resolver ${safeText(report.resolver)}):`];
	for (const record of report.records) {
		lines.push('', `${record.kind.padEnd(8)} ${statusMarks[record.status]}  ${record.type} ${safeText(record.name)}  (${record.reference})`);
		for (const value of record.values) lines.push(`           ${safeText(value)}`);
		for (const sentence of record.meaning) lines.push(`         ↳ ${safeText(sentence)}`);
	}

	const errors = report.records.filter(record => record.status === 'error').length;
	lines.push('', errors === 0 ? 'No record is in error.' : `${errors} record${errors === 1 ? ' is' : 's are'} in error.`);
	return lines.join('\n') + '\n';
}

/** Exit code of `probe --domain` when a record is in error. */
export const domainErrorExit = 4;

export async function runDomainProbe(flags: {domain?: string; selector?: string; resolver?: string; json?: boolean; timeout?: string; mtaStsPort?: string; ca?: string}, hostArgument: string | undefined, write: (text: string) => void): Promise<number> {
	const domain = flags.domain?.trim() ?? '';
	if (hostArgument) throw new UsageError('probe --domain takes no HOST: it reads the domain\'s DNS (and its MTA-STS policy).');
	if (!/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}\.?$/i.test(domain)) throw new UsageError(`--domain takes a domain name (example.com), not "${flags.domain ?? ''}".`);
	if (flags.selector !== undefined && !/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/i.test(flags.selector)) throw new UsageError(`--selector takes a DKIM selector (e.g. google, s1), not "${flags.selector}".`);
	const seconds = flags.timeout === undefined ? 5 : Number(flags.timeout);
	if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) throw new UsageError(`--timeout takes seconds from 1 to 3600, not "${flags.timeout}".`);
	const mtaStsPort = parsePort(flags.mtaStsPort, '--mta-sts-port');
	const ca = flags.ca === undefined ? undefined : await readCaFile(flags.ca, '--ca');
	const report = await probeDomain(domain, {resolver: flags.resolver, selector: flags.selector, timeoutMs: seconds * 1000, mtaSts: {port: mtaStsPort, ca}});
	write(flags.json ? `${renderJson(report, 2)}\n` : renderDomainText(report));
	return report.records.some(record => record.status === 'error') ? domainErrorExit : 0;
}
