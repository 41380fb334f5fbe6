// Compare ports: the same scenario on several ports at once, in lockstep, with the rows
// aligned by step so a row reads across as "what each port said to the same request".
import {compareRows, explainDifferences, type CellStatus, type ColumnSummary, type CompareReport, type CompareRow} from '../protocol/compare-report.js';
import type {TranscriptEntry} from '../protocol/transcript.js';
import {profileFor} from './profiles.js';
import {Session, type SessionOptions} from './session.js';

export type CompareScenario = {
	/** The ports being compared, as well-known numbers (25, 465, 587, 2525 or any). */
	ports: number[];
	/** Session options per port: host, real listening port, TLS trust. */
	sessionFor: (port: number) => SessionOptions;
	outside: string;
	own: string;
};

export type CompareCell = {
	status: CellStatus;
	/** The decisive server reply of this row (code, enhanced code, text), if any. */
	code?: number;
	enhanced?: string;
	text: string;
	/** Why the row does not apply to this port, or what went wrong. */
	note?: string;
	/** Transcript entries this row produced: [from, to) indexes into the column's session. */
	from: number;
	to: number;
	tls: boolean;
};

export class CompareColumn {
	readonly port: number;
	readonly session: Session;
	readonly cells = new Map<CompareRow, CompareCell>();
	private readonly own: string;

	constructor(port: number, options: SessionOptions, own: string) {
		this.port = port;
		this.session = new Session(options);
		this.own = own;
	}

	/** Performs this column's part of one row. */
	async advance(row: CompareRow): Promise<CompareCell> {
		const s = this.session;
		const from = s.entries.length;
		const cell = (status: CellStatus, note?: string): CompareCell => {
			const entries = s.entries.slice(from);
			const reply = [...entries].reverse().find(e => e.direction === 'server' && e.last);
			const error = entries.find(e => e.direction === 'error');
			return {
				status: error && status === 'done' ? 'failed' : status,
				code: reply?.code,
				enhanced: reply?.enhanced,
				text: reply ? reply.text : note ?? error?.text ?? '',
				note: note ?? error?.text,
				from,
				to: s.entries.length,
				tls: reply?.tls ?? s.state.tls,
			};
		};

		const result = this.describeEhlo(row, await this.perform(row, cell));
		this.cells.set(row, result);
		return result;
	}

	private async perform(row: CompareRow, cell: (status: CellStatus, note?: string) => CompareCell): Promise<CompareCell> {
		const s = this.session;
		if (s.state.ended && row !== 'banner') return cell('skipped', 'connection closed');
		const next = s.next();
		const stepIf = async (kinds: string[], note: string) => {
			if (!kinds.includes(next.kind)) return cell('skipped', note);
			const outcome = await s.step();
			return cell(outcome.ok ? 'done' : 'failed');
		};

		switch (row) {
			case 'banner':
				return stepIf(['connect'], 'already connected');
			case 'ehlo':
				return stepIf(['ehlo', 'helo'], 'no EHLO now');
			case 'auth-before-tls': {
				if (s.state.tls) return cell('skipped', 'encrypted from the first byte: there is no "before TLS"');
				if (s.state.ended) return cell('skipped', 'connection closed');
				// No credentials go out here: AUTH PLAIN without an initial response, and any
				// 334 is answered with "*" (cancel).
				await s.manual('AUTH PLAIN');
				if (s.entries.findLast(e => e.direction === 'server')?.code === 334) await s.manual('*');
				return cell('done');
			}

			case 'starttls':
				if (next.kind === 'starttls') return stepIf(['starttls'], '');
				if (s.state.tls) return cell('skipped', 'already TLS (implicit, from the first byte)');
				if (s.capabilitiesBeforeTls?.extensions.some(e => e.keyword === 'STARTTLS')) return cell('skipped', s.options.tls === 'none' ? 'offered, not used (--tls none)' : 'offered, not used');
				return cell('skipped', s.state.ended ? 'connection closed' : 'not offered');
			case 'ehlo-tls':
				return stepIf(['ehlo', 'helo'], s.state.starttlsDone ? 'no EHLO now' : 'no STARTTLS, so no second EHLO');
			case 'mail-without-auth': {
				if (s.state.authenticated) return cell('skipped', 'already logged in');
				if (s.state.ended) return cell('skipped', 'connection closed');
				// Try to hand over mail without logging in, then forget the attempt (RSET).
				const from = s.options.from;
				const mail = await s.manual(`MAIL FROM:<${from}>`);
				if (mail.ok) {
					await s.manual(`RCPT TO:<${this.own}>`);
					await s.manual('RSET');
				}

				return this.mailWithoutAuthCell(cell);
			}

			case 'auth':
				if (next.kind === 'auth' || next.kind === 'blocked') return stepIf(['auth', 'blocked'], '');
				return cell('skipped', s.options.credentials ? 'AUTH not needed now' : 'no login on this port');
			case 'mail':
				return stepIf(['mail'], 'stopped earlier');
			case 'rcpt-outside':
			case 'rcpt-own':
				return stepIf(['rcpt'], 'stopped earlier');
			case 'data':
				return stepIf(['data', 'blocked'], 'stopped earlier');
			case 'body':
				return stepIf(['body'], 'no DATA, no message');
			case 'quit':
				return stepIf(['quit'], 'connection closed');
		}
	}

	/** An EHLO cell says what matters for the comparison: AUTH and STARTTLS offered or not. */
	private describeEhlo(row: CompareRow, cell: CompareCell): CompareCell {
		const caps = this.session.state.capabilities;
		if ((row !== 'ehlo' && row !== 'ehlo-tls') || cell.status !== 'done' || !caps) return cell;
		const auth = caps.auth.length > 0 ? `AUTH ${caps.auth.join(' ')}` : 'no AUTH';
		const starttls = caps.extensions.some(e => e.keyword === 'STARTTLS') ? ' · STARTTLS' : '';
		return {...cell, text: `${cell.code ?? ''} ${auth}${starttls}`};
	}

	/** The probe's cell shows its decisive reply: the refusal, or the RCPT that was taken. */
	private mailWithoutAuthCell(cell: (status: CellStatus, note?: string) => CompareCell): CompareCell {
		const base = cell('done');
		const replies = this.session.entries.slice(base.from).filter(e => e.direction === 'server' && e.last);
		// Replies in order: MAIL, then (if MAIL was taken) RCPT and RSET.
		const [mail, rcpt] = replies;
		const decisive = mail && mail.code !== undefined && mail.code >= 400 ? mail : rcpt ?? mail;
		return {...base, code: decisive?.code, enhanced: decisive?.enhanced, text: decisive?.text ?? base.text};
	}

	summary(): ColumnSummary {
		const s = this.session;
		const replyOf = (row: CompareRow) => {
			const c = this.cells.get(row);
			return c?.code === undefined ? undefined : `${c.code}${c.enhanced ? ' ' + c.enhanced : ''}`;
		};

		const accepted = (row: CompareRow) => {
			const c = this.cells.get(row);
			return c?.status === 'done' && c.code !== undefined && c.code < 400;
		};

		const tlsEntries = s.entries.filter(e => e.direction === 'tls');
		const implicit = tlsEntries.length > 0 && tlsEntries[0]!.step === 'connect';
		const offeredStarttls = s.capabilitiesBeforeTls?.extensions.some(e => e.keyword === 'STARTTLS') ?? false;
		const triedStarttls = s.entries.some(e => e.direction === 'client' && e.step === 'starttls');
		const tls: ColumnSummary['tls'] = implicit ? 'implicit' : s.state.starttlsDone && s.state.tls ? 'starttls' : triedStarttls ? 'starttls-failed' : offeredStarttls ? 'starttls-not-used' : 'none';
		const before = implicit ? [] : s.capabilitiesBeforeTls?.auth ?? [];
		const after = s.state.tls ? s.state.capabilities?.auth ?? authSeenInTls(s.entries) : [];
		const probe = this.cells.get('mail-without-auth');
		const error = s.entries.find(e => e.direction === 'error' && !/No recipient was accepted/.test(e.text));
		return {
			port: this.port,
			label: profileFor(this.port)?.label ?? 'other',
			tls,
			authBeforeTls: before,
			authAfterTls: after,
			authBeforeTlsReply: implicit ? undefined : replyOf('auth-before-tls'),
			// Its decisive reply decides (as the table shows it): a connection lost afterwards, at the
			// RSET that forgets the attempt, does not turn a 250 into a refusal.
			mailWithoutAuth: {accepted: probe?.status !== 'skipped' && (probe?.code ?? 500) < 400, reply: replyOf('mail-without-auth')},
			relayOutside: {accepted: accepted('rcpt-outside'), reply: replyOf('rcpt-outside')},
			ownDomain: {accepted: accepted('rcpt-own'), reply: replyOf('rcpt-own')},
			messageAccepted: accepted('body'),
			totalMs: Math.round(s.elapsedMs),
			failure: error && this.cells.get('banner')?.status !== 'done' ? error.text : s.failureMessage && !/No recipient|refused with|failed with/.test(s.failureMessage) ? s.failureMessage : undefined,
		};
	}
}

/** EHLO capabilities are reset after QUIT-less endings; read AUTH from the TLS EHLO lines instead. */
function authSeenInTls(entries: readonly TranscriptEntry[]): string[] {
	const line = entries.find(e => e.direction === 'server' && e.tls && /^250[- ]AUTH[ =]/i.test(e.text));
	return line ? line.text.slice(9).trim().split(/\s+/).map(m => m.toUpperCase()) : [];
}

export class Comparison {
	readonly columns: CompareColumn[];
	/** Rows completed so far. */
	rowIndex = 0;
	private stepping = false;

	constructor(scenario: CompareScenario) {
		this.columns = scenario.ports.map(port => {
			const options = scenario.sessionFor(port);
			return new CompareColumn(port, {...options, to: [scenario.outside, scenario.own], quitAfter: undefined}, scenario.own);
		});
	}

	get done(): boolean {
		return this.rowIndex >= compareRows.length;
	}

	/** Advances every column by one row, concurrently. */
	async step(): Promise<void> {
		if (this.done) return;
		if (this.stepping) return;
		this.stepping = true;
		try {
			const {row} = compareRows[this.rowIndex]!;
			await Promise.all(this.columns.map(async column => column.advance(row)));
			this.rowIndex++;
		} finally {
			this.stepping = false;
		}
	}

	/**
	 * Runs every remaining row. Each column goes through the rows at its own pace (its rows
	 * depend only on its own session), so the whole takes as long as the slowest column,
	 * not the sum of every row's slowest cell as stepping in lockstep would.
	 */
	async runToEnd(): Promise<void> {
		if (this.done || this.stepping) return;
		this.stepping = true;
		try {
			const rows = compareRows.slice(this.rowIndex);
			await Promise.all(this.columns.map(async column => {
				for (const {row} of rows) await column.advance(row);
			}));
			this.rowIndex = compareRows.length;
		} finally {
			this.stepping = false;
		}
	}

	close(): void {
		for (const column of this.columns) column.session.close();
	}

	summaries(): ColumnSummary[] {
		return this.columns.map(column => column.summary());
	}

	/** A plain-data snapshot for renderers (Markdown, JSON, the TUI's summary). */
	report(target: string): CompareReport {
		const differing = this.differingRows();
		const summaries = this.summaries();
		return {
			target,
			ports: this.columns.map(c => c.port),
			rows: compareRows.map(({row, label}) => ({
				row,
				label,
				differs: differing.has(row),
				cells: this.columns.map(c => {
					const cell = c.cells.get(row);
					return {port: c.port, status: cell?.status ?? 'pending', code: cell?.code, enhanced: cell?.enhanced, text: cell?.text ?? '', note: cell?.note, tls: cell?.tls ?? false};
				}),
			})),
			summaries,
			sentences: this.done ? explainDifferences(summaries) : [],
		};
	}

	/** Rows where the ports answered differently (by reply class or code). */
	differingRows(): Set<CompareRow> {
		const differing = new Set<CompareRow>();
		for (const {row} of compareRows) {
			const signatures = new Set(this.columns.map(c => {
				const cell = c.cells.get(row);
				// EHLO cells differ by what they offer (AUTH, STARTTLS), not by their 250.
				const offer = row === 'ehlo' || row === 'ehlo-tls' ? cell?.text : '';
				return cell ? `${cell.status}:${cell.code ?? ''}:${offer}` : 'pending';
			}));
			if (signatures.size > 1) differing.add(row);
		}

		return differing;
	}
}
