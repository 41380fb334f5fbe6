// The compare screen's keys: compareCommandFor() names the command, this hook performs it on
// the comparison and the view state. A step, a run or a restart asked for while a step is in
// flight is refused with a notice on screen, never dropped unseen and never run twice.
import {compareRows} from '../protocol/compare-report.js';
import {compareCommandFor, compareMove, type CompareAction} from './compare-state.js';
import type {ComparisonControls} from './use-comparison.js';
import type {Key} from 'ink';
import {useScreenInput} from './screen-input.js';

export type CompareInput = {
	controls: ComparisonControls;
	dispatch: (action: CompareAction) => void;
	onQuit: () => void;
	onBack?: () => void;
	/** The help overlay's keys first (key-help.tsx): true when it took the key. */
	help?: (input: string, key: Key) => boolean;
};

export function useCompareInput({controls, dispatch, onQuit, onBack, help}: CompareInput): void {
	useScreenInput((input, key) => {
		if (help?.(input, key)) return;
		const command = compareCommandFor(input, key);
		if (!command) return;
		const {comparison} = controls;
		const busy = controls.busyNow();
		const refuse = (what: string) => {
			dispatch({type: 'notice', text: `Still waiting for every column's reply: ${what} not done. Press it again once the step is in.`});
		};

		switch (command) {
			case 'quit':
				onQuit();
				break;
			case 'step':
				if (busy) refuse('enter');
				else void controls.step().then(() => dispatch({type: 'stepped', rowIndex: comparison.rowIndex, done: comparison.done}));
				break;
			case 'run-all':
				if (busy) refuse('a (run all)');
				else void controls.runAll().then(() => dispatch({type: 'summary'}));
				break;
			case 'restart':
				if (busy) refuse('r (restart)');
				else {
					controls.restart();
					dispatch({type: 'restart'});
				}

				break;
			case 'summary':
				dispatch({type: 'toggle-summary', done: comparison.done});
				break;
			case 'back':
				onBack?.();
				break;
			default: {
				const delta = compareMove(command);
				if (delta) dispatch({type: 'move', rows: compareRows.length, columns: comparison.columns.length, delta});
			}
		}
	});
}
