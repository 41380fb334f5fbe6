// useReducer whose latest state can be read at once: keys arrive faster than frames, and the
// handler of the second key of a burst must see what the first one did (the view it opened),
// not the state of the last frame drawn.
import {useCallback, useRef, useState} from 'react';

export function useReducerNow<S, A>(reducer: (state: S, action: A) => S, initial: S): [state: S, dispatch: (action: A) => void, now: () => S] {
	const ref = useRef(initial);
	const [state, setState] = useState(initial);
	const dispatch = useCallback((action: A) => {
		ref.current = reducer(ref.current, action);
		setState(ref.current);
	}, [reducer]);
	const now = useCallback(() => ref.current, []);
	return [state, dispatch, now];
}
