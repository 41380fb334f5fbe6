// What a benchmark figure is, how its target is judged, and how the results are shown.
// The runner (bench/index.ts) only iterates a list of Figure definitions; adding a figure
// (lab throughput vs aiosmtpd, four ports vs the slowest single port, …) means adding one
// definition, nothing else.
import {round} from './stats.js';

/**
 * A target is either a ratio to the baseline measured in the same run (preferred: the
 * machine is noisy, ratios survive that better than absolute times) or an absolute bound.
 */
export type Target =
	| {kind: 'ratio-at-most'; value: number}
	| {kind: 'ratio-at-least'; value: number}
	| {kind: 'at-most'; value: number}
	| {kind: 'below'; value: number};

/** One row of the table. `project` and `baseline` are medians unless the name says otherwise. */
export type Row = {
	name: string;
	unit: string;
	project: number;
	baseline?: number;
	/** project / baseline, when there is a baseline. */
	ratio?: number;
	/** Rows without a target are shown for context (e.g. a p95 beside a median). */
	target?: Target;
	ok?: boolean;
	/** Raw samples and settings, kept in the JSON for later comparison. */
	detail?: Record<string, unknown>;
	/**
	 * The samples `project` and `baseline` are medians of: the table shows their spread
	 * (min–max) beside each median, so noise is visible.
	 */
	samples?: {project: readonly number[]; baseline?: readonly number[]};
	/** Said in the result column: why a baseline is missing (skipped, never a made-up number). */
	note?: string;
};

export type Figure = {
	id: string;
	/** One line for the progress log. */
	title: string;
	measure: () => Promise<Row[]>;
};

/** Builds a row and judges it against its target. */
export function row(fields: Omit<Row, 'ratio' | 'ok'>): Row {
	const ratio = fields.baseline === undefined || fields.baseline === 0 ? undefined : fields.project / fields.baseline;
	const ok = fields.target === undefined ? undefined : meets(fields.target, fields.project, ratio);
	return {...fields, ratio, ok};
}

function meets(target: Target, value: number, ratio: number | undefined): boolean {
	switch (target.kind) {
		case 'ratio-at-most':
			if (ratio === undefined) throw new Error('A ratio target needs a baseline measured in the same run.');
			return ratio <= target.value;
		case 'ratio-at-least':
			if (ratio === undefined) throw new Error('A ratio target needs a baseline measured in the same run.');
			return ratio >= target.value;
		case 'at-most':
			return value <= target.value;
		case 'below':
			return value < target.value;
	}
}

export function describeTarget(target: Target | undefined, unit: string): string {
	if (target === undefined) return '-';
	switch (target.kind) {
		case 'ratio-at-most':
			return `≤ ${target.value}×`;
		case 'ratio-at-least':
			return `≥ ${target.value}×`;
		case 'at-most':
			return `≤ ${target.value} ${unit}`;
		case 'below':
			return `< ${target.value} ${unit}`;
	}
}

const shown = (value: number) => String(round(value, value < 100 ? 1 : 0));
const number = (value: number | undefined, unit: string) => (value === undefined ? '-' : `${shown(value)} ${unit}`.trimEnd());

/** The median and, over two or more samples, their range: `12.3 s (11.9–14.0)`. */
function withSpread(value: number | undefined, unit: string, samples: readonly number[] | undefined): string {
	if (value === undefined || samples === undefined || samples.length < 2) return number(value, unit);
	return `${number(value, unit)} (${shown(Math.min(...samples))}–${shown(Math.max(...samples))})`;
}

export type Failure = {figure: string; message: string};

/** The markdown table: one line per row, misses marked MISS, failed figures marked ERROR. */
export function table(rows: readonly Row[], failures: readonly Failure[]): string {
	const lines = ['| figure | smtp-tui | baseline | ratio | target | result |', '|---|---:|---:|---:|---|---|'];
	for (const r of rows) {
		const ratio = r.ratio === undefined ? '-' : `${round(r.ratio, 2).toFixed(2)}×`;
		const verdict = r.ok === undefined ? '-' : r.ok ? 'ok' : '**MISS**';
		const result = r.note === undefined ? verdict : `${verdict === '-' ? '' : `${verdict}; `}${r.note.replaceAll('|', '\\|')}`;
		const project = withSpread(r.project, r.unit, r.samples?.project);
		const baseline = withSpread(r.baseline, r.unit, r.samples?.baseline);
		lines.push(`| ${r.name} | ${project} | ${baseline} | ${ratio} | ${describeTarget(r.target, r.unit)} | ${result} |`);
	}

	for (const failure of failures) {
		lines.push(`| ${failure.figure} | - | - | - | - | **ERROR**: ${failure.message.split('\n')[0]!.replaceAll('|', '\\|')} |`);
	}

	return lines.join('\n');
}
