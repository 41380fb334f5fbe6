// The app's navigation bound to React: app-state.ts decides where each key leads; this hook
// runs the starts (a lab, a session, a comparison) and reports each outcome as an action.
// Keys pressed while a screen is replaced or started wait for the screen that comes next
// (the KeyRouter in screen-input.ts): they reach it in order, none is taken by the old one.
import {useCallback, useReducer} from 'react';
import {appReducer, initialAppState, type AppAction, type AppState, type Screen} from './app-state.js';
import {useKeyRouter} from './screen-input.js';

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
	const dispatch = useCallback((action: AppAction) => {
		reduce(action);
		keys?.settle();
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
