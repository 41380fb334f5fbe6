// The compare screen's view state as a pure reducer: the selected cell, what the bottom pane
// shows (the cell's details or the summary) and a one-line notice. No I/O here.

export type CompareView = {
	row: number;
	column: number;
	/** The bottom pane: the selected cell, or (once every row ran) the summary. */
	bottom: 'details' | 'summary';
	/** Why the last key did nothing (a step was still in flight). */
	notice?: string;
};

export type CompareAction =
	/** Move the selection, kept inside a table of `rows` by `columns`. */
	| {type: 'move'; rows: number; columns: number; delta: readonly [number, number]}
	/** A step ended: the selection follows the row that just ran; the summary shows once done. */
	| {type: 'stepped'; rowIndex: number; done: boolean}
	| {type: 'summary'}
	| {type: 'toggle-summary'; done: boolean}
	| {type: 'restart'}
	| {type: 'notice'; text?: string};

export const initialCompareView: CompareView = {row: 0, column: 0, bottom: 'details'};

export function compareReducer(state: CompareView, action: CompareAction): CompareView {
	switch (action.type) {
		case 'move': {
			const row = Math.min(action.rows - 1, Math.max(0, state.row + action.delta[0]));
			const column = Math.min(action.columns - 1, Math.max(0, state.column + action.delta[1]));
			return {...state, row: Math.max(0, row), column: Math.max(0, column), bottom: 'details', notice: undefined};
		}

		case 'stepped':
			return {...state, row: Math.max(0, action.rowIndex - 1), bottom: action.done ? 'summary' : state.bottom, notice: undefined};
		case 'summary':
			return {...state, bottom: 'summary', notice: undefined};
		case 'toggle-summary':
			return action.done ? {...state, bottom: state.bottom === 'summary' ? 'details' : 'summary'} : state;
		case 'restart':
			return initialCompareView;
		case 'notice':
			return {...state, notice: action.text};
	}
}

export type CompareCommand = 'quit' | 'step' | 'run-all' | 'restart' | 'summary' | 'back' | 'up' | 'down' | 'left' | 'right';

/** The compare screen's keys (the footer lists them). */
export function compareCommandFor(input: string, key: {return?: boolean; ctrl?: boolean; upArrow?: boolean; downArrow?: boolean; leftArrow?: boolean; rightArrow?: boolean}): CompareCommand | undefined {
	if (input === 'q' || (key.ctrl && input === 'c')) return 'quit';
	if (key.return || input === ' ') return 'step';
	if (input === 'a') return 'run-all';
	if (input === 'r') return 'restart';
	if (input === 'v') return 'summary';
	if (input === 'b') return 'back';
	if (key.upArrow) return 'up';
	if (key.downArrow) return 'down';
	if (key.leftArrow || input === '[') return 'left';
	if (key.rightArrow || input === ']') return 'right';
	return undefined;
}

const moves: Partial<Record<CompareCommand, readonly [number, number]>> = {up: [-1, 0], down: [1, 0], left: [0, -1], right: [0, 1]};

/** How far a command moves the selection (rows, columns), if it is a move. */
export function compareMove(command: CompareCommand): readonly [number, number] | undefined {
	return moves[command];
}
