// Binds an engine Session to React: creates it, counts its entries (the transcript pane
// reads them windowed), and performs steps without overlapping them.
import {useCallback, useEffect, useReducer, useRef, useState} from 'react';
import {Session, type SessionOptions} from '../engine/session.js';
import {ReplaySession, type SessionLike} from '../engine/replay.js';
import type {TranscriptEntry} from '../protocol/transcript.js';
import {initialViewState, viewReducer, type ViewAction, type ViewState} from './session-view-state.js';

export type SessionControls = {
	session: SessionLike;
	view: ViewState;
	dispatch: (action: ViewAction) => void;
	/** Bumps whenever the session changes, so memoised views refresh. */
	revision: number;
	send: (override?: string) => Promise<void>;
	skip: () => void;
	runAll: () => Promise<void>;
	manual: (line: string) => Promise<void>;
	restart: () => void;
	/** Milliseconds the last step took. */
	lastStepMs?: number;
};

/** A live session, or a recording replayed through the same screen. */
function create(options: SessionOptions, replay?: readonly TranscriptEntry[]): SessionLike {
	return replay ? new ReplaySession(options, replay) : new Session(options);
}

export function useSession(options: SessionOptions, replay?: readonly TranscriptEntry[]): SessionControls {
	const [session, setSession] = useState(() => create(options, replay));
	const [view, dispatch] = useReducer(viewReducer, initialViewState);
	const [revision, setRevision] = useState(0);
	const [lastStepMs, setLastStepMs] = useState<number>();
	const busy = useRef(false);

	useEffect(() => {
		let pending = false;
		// Coalesce a burst of entries (a long EHLO, a message body) into one frame.
		const unsubscribe = session.onEntry(() => {
			if (pending) return;
			pending = true;
			setImmediate(() => {
				pending = false;
				dispatch({type: 'entries', count: session.entries.length});
				setRevision(r => r + 1);
			});
		});
		return () => {
			unsubscribe();
			session.close();
		};
	}, [session]);

	const perform = useCallback(async (work: () => Promise<unknown>) => {
		if (busy.current) return;
		busy.current = true;
		dispatch({type: 'busy', busy: true});
		const started = performance.now();
		try {
			await work();
		} finally {
			busy.current = false;
			setLastStepMs(performance.now() - started);
			dispatch({type: 'busy', busy: false});
			setRevision(r => r + 1);
		}
	}, []);

	const send = useCallback(async (override?: string) => {
		await perform(async () => {
			const outcome = await session.step(override);
			if (outcome.failure?.kind === 'local') dispatch({type: 'notice', text: outcome.failure.message});
		});
	}, [perform, session]);

	const runAll = useCallback(async () => {
		await perform(async () => {
			// A recording plays at its recorded speed; a live session goes as fast as it can.
			if (session instanceof ReplaySession) {
				await session.play();
				return;
			}

			while (!session.done) {
				const before = session.entries.length;
				const outcome = await session.step();
				if (outcome.failure?.kind === 'local' && session.entries.length === before) break;
			}
		});
	}, [perform, session]);

	const manual = useCallback(async (line: string) => {
		await perform(async () => {
			const outcome = await session.manual(line);
			if (outcome.failure?.kind === 'local') dispatch({type: 'notice', text: outcome.failure.message});
		});
	}, [perform, session]);

	const skip = useCallback(() => {
		if (busy.current) return;
		session.skip();
		setRevision(r => r + 1);
	}, [session]);

	const restart = useCallback(() => {
		if (busy.current) return;
		dispatch({type: 'reset'});
		setSession(create(options, replay));
	}, [options, replay]);

	return {session, view, dispatch, revision, send, skip, runAll, manual, restart, lastStepMs};
}
