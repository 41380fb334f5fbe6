// The journey screen's own state as a pure reducer (in the style of @inkjs/ui's
// use-select-state): which leg is shown, how far its transcript is scrolled back, and the one
// sentence about a key that did nothing. What the journey itself is doing (sessions, the step
// in flight, where the message is) lives in journey/run.ts, not here. No I/O.
import type {LegIndex} from '../journey/run.js';

export type JourneyViewState = {
	leg: LegIndex;
	/** Transcript lines scrolled back from the newest (0: following the end). */
	scroll: number;
	/** Why the last key did nothing (a step refused while another was in flight), until the next key. */
	notice?: string;
	/** Bumped when the run changed (a step ended, a relay started): the screen draws again. */
	version: number;
};

export type JourneyAction =
	| {type: 'show-leg'; leg: LegIndex}
	| {type: 'next-leg'}
	| {type: 'previous-leg'}
	/** Scroll by `delta` lines (positive: back, towards older lines), at most `max` back. */
	| {type: 'scroll'; delta: number; max: number}
	| {type: 'notice'; text: string}
	| {type: 'key'}
	| {type: 'changed'};

export const initialJourneyViewState: JourneyViewState = {leg: 0, scroll: 0, version: 0};

export function journeyReducer(state: JourneyViewState, action: JourneyAction): JourneyViewState {
	switch (action.type) {
		case 'show-leg':
			return {...state, leg: action.leg, scroll: 0};
		case 'next-leg':
			return {...state, leg: ((state.leg + 1) % 3) as LegIndex, scroll: 0};
		case 'previous-leg':
			return {...state, leg: ((state.leg + 2) % 3) as LegIndex, scroll: 0};
		case 'scroll':
			return {...state, scroll: Math.max(0, Math.min(action.max, state.scroll + action.delta))};
		case 'notice':
			return {...state, notice: action.text};
		case 'key':
			return state.notice === undefined ? state : {...state, notice: undefined};
		case 'changed':
			return {...state, version: state.version + 1};
	}
}
