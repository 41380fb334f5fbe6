// The session screen's view state as a pure reducer: which line is selected, what part of
// the transcript is visible, which overlay or input is open. No I/O here.

export type ViewMode = 'normal' | 'edit' | 'manual' | 'help' | 'tls';

export type ViewState = {
	/** Selected transcript entry, or -1 when there is none yet. */
	cursor: number;
	/** The cursor sticks to the newest line as lines arrive. */
	follow: boolean;
	/** First visible transcript row. */
	top: number;
	/** Rows the transcript pane shows. */
	height: number;
	/** Entries in the transcript. */
	count: number;
	mode: ViewMode;
	/** Text of the edit or manual input line. */
	input: string;
	/** Where the cursor is in `input`. */
	inputCursor: number;
	/** A step is being performed. */
	busy: boolean;
	/** One-line feedback under the Next pane (e.g. why an edit was refused). */
	notice?: string;
	/** The notice is about the step in flight ("still waiting"): it goes once the step is over. */
	noticeWhileBusy?: boolean;
};

export type ViewAction =
	| {type: 'entries'; count: number}
	| {type: 'resize'; height: number}
	| {type: 'move'; delta: number}
	| {type: 'page'; direction: 1 | -1}
	| {type: 'home'}
	| {type: 'end'}
	| {type: 'open'; mode: ViewMode; input?: string}
	| {type: 'close'}
	| {type: 'input'; value: string; cursor?: number}
	| {type: 'busy'; busy: boolean}
	/** `whileBusy`: true for a notice about the step in flight, taken away when it ends. */
	| {type: 'notice'; text?: string; whileBusy?: boolean}
	| {type: 'reset'};

export const initialViewState: ViewState = {
	cursor: -1,
	follow: true,
	top: 0,
	height: 10,
	count: 0,
	mode: 'normal',
	input: '',
	inputCursor: 0,
	busy: false,
};

/** Keeps the cursor inside the window, scrolling as little as possible. */
function scrolled(state: ViewState): ViewState {
	const height = Math.max(1, state.height);
	const maxTop = Math.max(0, state.count - height);
	let top = Math.min(state.top, maxTop);
	if (state.cursor >= 0) {
		if (state.cursor < top) top = state.cursor;
		if (state.cursor >= top + height) top = state.cursor - height + 1;
	}

	return {...state, top: Math.max(0, top)};
}

function moveTo(state: ViewState, cursor: number): ViewState {
	const last = state.count - 1;
	const clamped = Math.max(Math.min(cursor, last), state.count > 0 ? 0 : -1);
	return scrolled({...state, cursor: clamped, follow: clamped === last});
}

export function viewReducer(state: ViewState, action: ViewAction): ViewState {
	switch (action.type) {
		case 'entries': {
			const next = {...state, count: action.count};
			return next.follow ? moveTo(next, action.count - 1) : scrolled(next);
		}

		case 'resize':
			return scrolled({...state, height: action.height});
		case 'move':
			return moveTo(state, state.cursor + action.delta);
		case 'page':
			return moveTo(state, state.cursor + action.direction * Math.max(1, state.height - 1));
		case 'home':
			return moveTo(state, 0);
		case 'end':
			return moveTo(state, state.count - 1);
		case 'open':
			return {...state, mode: action.mode, input: action.input ?? '', inputCursor: (action.input ?? '').length, notice: undefined, noticeWhileBusy: undefined};
		case 'close':
			return {...state, mode: 'normal', input: '', inputCursor: 0};
		case 'input':
			// Without a cursor (a tab completion) the cursor goes to the end of the new text.
			return {...state, input: action.value, inputCursor: action.cursor ?? action.value.length};
		case 'busy': {
			// A new step starts with no notice; one that ends takes its "still waiting" with it.
			const clear = action.busy || state.noticeWhileBusy;
			return {...state, busy: action.busy, notice: clear ? undefined : state.notice, noticeWhileBusy: clear ? undefined : state.noticeWhileBusy};
		}

		case 'notice':
			return {...state, notice: action.text, noticeWhileBusy: action.whileBusy && action.text !== undefined ? true : undefined};
		case 'reset':
			return {...initialViewState, height: state.height};
	}
}

/** The slice of entry indexes the transcript pane draws. */
export function visibleRange(state: ViewState): {from: number; to: number} {
	return {from: state.top, to: Math.min(state.count, state.top + state.height)};
}
