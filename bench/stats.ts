// Small statistics for the bench: medians and percentiles of repeated runs. Medians,
// because the bench machine is noisy (2 cores shared with other work).

export function quantile(samples: readonly number[], q: number): number {
	if (samples.length === 0) throw new Error('No samples to summarise: the measurement produced nothing.');
	const sorted = [...samples].sort((a, b) => a - b);
	// Linear interpolation between the closest ranks.
	const position = (sorted.length - 1) * q;
	const lower = Math.floor(position);
	const upper = Math.ceil(position);
	return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

export const median = (samples: readonly number[]): number => quantile(samples, 0.5);

export const p95 = (samples: readonly number[]): number => quantile(samples, 0.95);

/** Rounds for display and JSON: enough digits to compare runs, not more. */
export function round(value: number, digits = 1): number {
	const factor = 10 ** digits;
	return Math.round(value * factor) / factor;
}
