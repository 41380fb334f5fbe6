// `smtp-tui probe [HOST]`: every port at once, one block per port, then the diagnosis.
import {probe, submissionWorks, type ProbeReport} from '../engine/probe.js';
import {probeDomain, type DomainRecord, type DomainReport} from '../engine/domain-probe.js';
import {exitCodes} from '../engine/exit-codes.js';
import {safeText} from '../protocol/safe-text.js';
import {renderJson, renderJsonLine} from '../export/jsonl.js';
import {labPortList, parsePort, readCaFile, UsageError, type TargetEnvironment, type TargetFlags} from '../setup/target.js';
import {probeRowLines} from '../engine/probe-lines.js';
import {buildProbeTargets, parsePortList} from '../setup/probe-targets.js';

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
