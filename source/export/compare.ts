// Renders a port comparison for handouts (Markdown) and machines (JSON). All server text
// goes through safeText; Markdown table cells also escape pipes.
import type {ColumnSummary, CompareReport, CompareReportCell} from '../protocol/compare-report.js';
import {safeText} from '../protocol/safe-text.js';
import {renderJson} from './jsonl.js';

const maxCellText = 48;

function cellText(cell: CompareReportCell): string {
	if (cell.status === 'pending') return '…';
	if (cell.status === 'skipped') return `— ${cell.note ?? ''}`.trim();
	const lock = cell.tls ? '🔒 ' : '';
	const text = safeText(cell.text);
	const short = text.length > maxCellText ? text.slice(0, maxCellText - 1) + '…' : text;
	return `${lock}${short || safeText(cell.note ?? '')}`;
}

const md = (text: string) => text.replace(/\|/g, '\\|');

export function tlsLabel(summary: ColumnSummary): string {
	switch (summary.tls) {
		case 'implicit':
			return 'implicit TLS';
		case 'starttls':
			return 'STARTTLS';
		case 'starttls-failed':
			return 'STARTTLS failed';
		case 'starttls-not-used':
			return 'STARTTLS offered, not used';
		case 'none':
			return 'none';
	}
}

export function summaryCells(s: ColumnSummary): string[] {
	const verdict = (v: {accepted: boolean; reply?: string}) => (v.accepted ? `accepted (${v.reply ?? '?'})` : v.reply ? `refused (${v.reply})` : 'not tried');
	return [
		`${s.port} ${s.label}`,
		tlsLabel(s),
		s.authBeforeTls.join(' ') || (s.authBeforeTlsReply ? `none (${s.authBeforeTlsReply})` : 'none'),
		s.authAfterTls.join(' ') || 'none',
		verdict(s.relayOutside),
		verdict(s.mailWithoutAuth),
		s.messageAccepted ? 'yes' : 'no',
		`${s.totalMs} ms`,
	];
}

export const summaryHeadings = ['port', 'TLS', 'AUTH before TLS', 'AUTH after TLS', 'relay to outside', 'mail without login', 'message accepted', 'time'];

export function renderCompareMarkdown(report: CompareReport): string {
	const lines: string[] = [];
	lines.push(`## smtp-tui compare · ${md(safeText(report.target))} · ports ${report.ports.join(', ')}`, '');
	const heads = report.summaries.map(s => `${s.port} ${s.label}`);
	lines.push(`| step | ${heads.map(md).join(' | ')} |`, `|---|${heads.map(() => '---').join('|')}|`);
	for (const row of report.rows) {
		const label = row.differs ? `**${row.label}** ≠` : row.label;
		lines.push(`| ${label} | ${row.cells.map(c => md(cellText(c))).join(' | ')} |`);
	}

	lines.push('', '### Summary', '', `| ${summaryHeadings.join(' | ')} |`, `|${summaryHeadings.map(() => '---').join('|')}|`);
	for (const s of report.summaries) lines.push(`| ${summaryCells(s).map(c => md(safeText(c))).join(' | ')} |`);
	if (report.sentences.length > 0) {
		lines.push('');
		for (const sentence of report.sentences) lines.push(`- ${md(safeText(sentence))}`);
	}

	return lines.join('\n') + '\n';
}

export function renderCompareJson(report: CompareReport): string {
	return renderJson(report, 2) + '\n';
}

export {cellText as compareCellText};
