// The app's navigation bound to React: app-state.ts decides where each key leads; this hook
// runs the starts (a lab, a session, a comparison) and reports each outcome as an action.
import {useCallback, useReducer} from 'react';
import {appReducer, initialAppState, type AppAction, type AppState, type Screen} from './app-state.js';

export type AppNavigation = {
	state: AppState;
	dispatch: (action: AppAction) => void;
	back: () => void;
	/** Shows `screenFor(value)` once `start` resolves; its error, in one sentence, on `on` if it fails. */
	launch: <T>(start: Promise<T>, screenFor: (value: T) => Screen, on?: 'ports' | 'target') => void;
};

export function useAppNavigation(launchProps: Parameters<typeof initialAppState>[0]): AppNavigation {
	const [state, dispatch] = useReducer(appReducer, launchProps, initialAppState);
	const back = useCallback(() => dispatch({type: 'back'}), []);
	const launch = useCallback(<T>(start: Promise<T>, screenFor: (value: T) => Screen, on: 'ports' | 'target' = 'ports') => {
		start.then(
			value => dispatch({type: 'show', screen: screenFor(value)}),
			(error: Error) => dispatch({type: 'failed', on, error: error.message}),
		);
	}, []);
	return {state, dispatch, back, launch};
}
