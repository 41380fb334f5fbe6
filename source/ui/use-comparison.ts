// Binds a Comparison to React: steps every column in lockstep without overlapping steps.
import {useCallback, useEffect, useRef, useState} from 'react';
import {Comparison, type CompareScenario} from '../engine/compare.js';

export type ComparisonControls = {
	comparison: Comparison;
	busy: boolean;
	/** Whether a step is in flight right now (newer than `busy` between frames). */
	busyNow: () => boolean;
	revision: number;
	step: () => Promise<void>;
	runAll: () => Promise<void>;
	restart: () => void;
};

export function useComparison(scenario: CompareScenario): ComparisonControls {
	const [comparison, setComparison] = useState(() => new Comparison(scenario));
	const [busy, setBusy] = useState(false);
	const [revision, setRevision] = useState(0);
	const running = useRef(false);

	useEffect(() => () => comparison.close(), [comparison]);

	const perform = useCallback(async (work: () => Promise<void>) => {
		if (running.current) return;
		running.current = true;
		setBusy(true);
		try {
			await work();
		} finally {
			running.current = false;
			setBusy(false);
			setRevision(r => r + 1);
		}
	}, []);

	const step = useCallback(async () => perform(async () => comparison.step()), [perform, comparison]);
	const runAll = useCallback(async () => perform(async () => {
		while (!comparison.done) {
			await comparison.step();
			setRevision(r => r + 1);
		}
	}), [perform, comparison]);
	const restart = useCallback(() => {
		if (running.current) return;
		setComparison(new Comparison(scenario));
		setRevision(r => r + 1);
	}, [scenario]);

	const busyNow = useCallback(() => running.current, []);
	return {comparison, busy, busyNow, revision, step, runAll, restart};
}
