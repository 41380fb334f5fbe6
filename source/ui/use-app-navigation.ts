// The app's navigation bound to React: app-state.ts decides where each key leads; this hook
// runs the starts (a lab, a session, a comparison) and reports each outcome as an action.
// Keys pressed while a screen is replaced or started wait for the screen that comes next
// (the KeyRouter in screen-input.ts): they reach it in order, none is taken by the old one.
// A screen whose module is not loaded yet (screens.ts) is loaded first; keys wait for it too.
import {useCallback, useReducer, useRef} from 'react';
import {appReducer, initialAppState, type AppAction, type AppState, type Screen} from './app-state.js';
import {useKeyRouter} from './screen-input.js';
import {loadScreen, screenReady} from './screens.js';

export type AppNavigation = {
	state: AppState;
	dispatch: (action: AppAction) => void;
	back: () => void;
	/** Shows `screenFor(value)` once `start` resolves; its error, in one sentence, on `on` if it fails. */
	launch: <T>(start: Promise<T>, screenFor: (value: T) => Screen, on?: 'ports' | 'target') => void;
};

export function useAppNavigation(launchProps: Parameters<typeof initialAppState>[0]): AppNavigation {
	const [state, reduce] = useReducer(appReducer, launchProps, initialAppState);
	const keys = useKeyRouter();
	// The state after every action given so far (React's own is only current at its next
	// render): what the next action leads to is worked out from it.
	const latest = useRef(state);
	// Actions waiting for a screen's module to load, in order; keys wait with them.
	const waiting = useRef<Promise<void> | undefined>(undefined);
	const dispatch = useCallback((action: AppAction) => {
		const apply = (next: AppAction) => {
			latest.current = appReducer(latest.current, next);
			reduce(next);
			keys?.settle();
		};

		if (waiting.current === undefined && screenReady(appReducer(latest.current, action).screen)) {
			apply(action);
			return;
		}

		// The next screen's module is not loaded yet (screens.ts): load it, then show it.
		keys?.start();
		const after = (waiting.current ?? Promise.resolve()).then(async () => {
			try {
				await loadScreen(appReducer(latest.current, action).screen);
				apply(action);
			} catch (error) {
				apply({type: 'failed', on: 'target', error: `That screen could not be loaded: ${(error as Error).message}`});
			}
		}).finally(() => {
			if (waiting.current === after) waiting.current = undefined;
			keys?.started();
		});
		waiting.current = after;
	}, [keys]);
	const back = useCallback(() => dispatch({type: 'back'}), [dispatch]);
	const launch = useCallback(<T>(start: Promise<T>, screenFor: (value: T) => Screen, on: 'ports' | 'target' = 'ports') => {
		keys?.start();
		start.then(
			value => dispatch({type: 'show', screen: screenFor(value)}),
			(error: Error) => dispatch({type: 'failed', on, error: error.message}),
		).finally(() => keys?.started());
	}, [dispatch, keys]);
	return {state, dispatch, back, launch};
}
