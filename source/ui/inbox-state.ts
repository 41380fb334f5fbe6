// The inbox screen's state as a pure reducer: which message is selected in the list (newest
// first), which view is open (list, message, raw source, checks) and how far it is scrolled. No I/O.

export type InboxMode = 'list' | 'message' | 'raw' | 'checks';

export type InboxState = {
	mode: InboxMode;
	/** Messages in the lab's inbox. */
	count: number;
	/** Selected row, 0 = the newest message; -1 while the inbox is empty. */
	cursor: number;
	/** First visible list row. */
	top: number;
	/** Rows the list or the open view shows. */
	height: number;
	/** Lines of the open view (message or raw source). */
	lines: number;
	/** First visible line of the open view. */
	scroll: number;
};

export type InboxAction =
	| {type: 'count'; count: number}
	| {type: 'resize'; height: number}
	| {type: 'lines'; lines: number}
	| {type: 'move'; delta: number}
	| {type: 'page'; direction: 1 | -1}
	| {type: 'home'}
	| {type: 'end'}
	| {type: 'open'}
	| {type: 'toggle-raw'}
	| {type: 'toggle-checks'}
	| {type: 'back'};

export const initialInboxState: InboxState = {mode: 'list', count: 0, cursor: -1, top: 0, height: 10, lines: 0, scroll: 0};

function listScrolled(state: InboxState): InboxState {
	const height = Math.max(1, state.height);
	let top = Math.min(state.top, Math.max(0, state.count - height));
	if (state.cursor >= 0) {
		if (state.cursor < top) top = state.cursor;
		if (state.cursor >= top + height) top = state.cursor - height + 1;
	}

	return {...state, top: Math.max(0, top)};
}

function selectRow(state: InboxState, cursor: number): InboxState {
	const clamped = Math.max(Math.min(cursor, state.count - 1), state.count > 0 ? 0 : -1);
	return listScrolled({...state, cursor: clamped});
}

function scrollTo(state: InboxState, scroll: number): InboxState {
	const last = Math.max(0, state.lines - Math.max(1, state.height));
	return {...state, scroll: Math.max(0, Math.min(scroll, last))};
}

/** Moves the list cursor, or scrolls the open view: the same keys do both. */
function moveBy(state: InboxState, delta: number): InboxState {
	return state.mode === 'list' ? selectRow(state, state.cursor + delta) : scrollTo(state, state.scroll + delta);
}

export function inboxReducer(state: InboxState, action: InboxAction): InboxState {
	switch (action.type) {
		case 'count': {
			// Newest first: new messages push the rest down, so keep the cursor on the message it
			// was on (the open message must not change under the reader).
			const added = Math.max(0, action.count - state.count);
			const cursor = state.cursor < 0 ? 0 : state.cursor + added;
			return selectRow({...state, count: action.count}, cursor);
		}

		case 'resize':
			return scrollTo(listScrolled({...state, height: action.height}), state.scroll);
		case 'lines':
			return scrollTo({...state, lines: action.lines}, state.scroll);
		case 'move':
			return moveBy(state, action.delta);
		case 'page':
			return moveBy(state, action.direction * Math.max(1, state.height - 1));
		case 'home':
			return state.mode === 'list' ? selectRow(state, 0) : scrollTo(state, 0);
		case 'end':
			return state.mode === 'list' ? selectRow(state, state.count - 1) : scrollTo(state, state.lines);
		case 'open':
			return state.mode === 'list' && state.cursor >= 0 ? {...state, mode: 'message', scroll: 0, lines: 0} : state;
		case 'toggle-raw':
			if (state.mode === 'list') return state;
			return {...state, mode: state.mode === 'raw' ? 'message' : 'raw', scroll: 0, lines: 0};
		case 'toggle-checks':
			if (state.mode === 'list') return state;
			return {...state, mode: state.mode === 'checks' ? 'message' : 'checks', scroll: 0, lines: 0};
		case 'back':
			return state.mode === 'raw' || state.mode === 'checks' ? {...state, mode: 'message', scroll: 0, lines: 0} : {...state, mode: 'list', scroll: 0, lines: 0};
	}
}

/** Index into the lab's inbox (oldest first) of list row `row` (newest first). */
export function inboxIndex(state: Pick<InboxState, 'count'>, row: number): number {
	return state.count - 1 - row;
}
