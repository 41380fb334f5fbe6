// Binds an engine Session to React: creates it, counts its entries (the transcript pane
// reads them windowed), and performs steps one at a time, never two at once on a session.
//
// Keys can arrive faster than frames: the view state is kept in a ref that every dispatch
// updates at once, so the handler of the next key already sees what the last key did (the
// mode it opened, the letter it typed), even before React has drawn it.
import {useCallback, useEffect, useRef, useState} from 'react';
import {Session, type SessionOptions} from '../engine/session.js';
import {ReplaySession, type SessionLike} from '../engine/replay.js';
import type {TranscriptEntry} from '../protocol/transcript.js';
import {initialViewState, viewReducer, type ViewAction, type ViewState} from './session-view-state.js';

export type SessionControls = {
	session: SessionLike;
	view: ViewState;
	/** The view as the last dispatch left it (newer than `view` between frames). */
	viewNow: () => ViewState;
	dispatch: (action: ViewAction) => void;
	/** Bumps whenever the session changes, so memoised views refresh. */
	revision: number;
	/** Whether a step is in flight right now. */
	/** A step is in flight, or (given when a key was pressed) was in flight when it was pressed. */
	busyNow: (pressedAt?: number) => boolean;
	/** The session as it is now (newer than `session` between a restart and its frame). */
	sessionNow: () => SessionLike;
	send: (override?: string) => Promise<void>;
	skip: () => void;
	runAll: () => Promise<void>;
	/** Queued behind a step in flight: a line typed by hand is never dropped. */
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
	const viewRef = useRef<ViewState>(initialViewState);
	const [view, setView] = useState<ViewState>(initialViewState);
	const [revision, setRevision] = useState(0);
	const [lastStepMs, setLastStepMs] = useState<number>();
	const sessionRef = useRef(session);
	sessionRef.current = session;
	// Work on the current session, one item after another; `pending` counts what is queued.
	const queue = useRef<{session: SessionLike; tail: Promise<void>; pending: number; idleSince?: number}>({session, tail: Promise.resolve(), pending: 0});

	const dispatch = useCallback((action: ViewAction) => {
		viewRef.current = viewReducer(viewRef.current, action);
		setView(viewRef.current);
	}, []);

	useEffect(() => {
		let pending = false;
		// Coalesce a burst of entries (a long EHLO, a message body) into one frame.
		const unsubscribe = session.onEntry(() => {
			if (pending) return;
			pending = true;
			setImmediate(() => {
				pending = false;
				if (sessionRef.current !== session) return;
				dispatch({type: 'entries', count: session.entries.length});
				setRevision(r => r + 1);
			});
		});
		return () => {
			unsubscribe();
			session.close();
		};
	}, [session, dispatch]);

	const perform = useCallback(async (work: (s: SessionLike) => Promise<unknown>) => {
		if (queue.current.session !== sessionRef.current) queue.current = {session: sessionRef.current, tail: Promise.resolve(), pending: 0};
		const q = queue.current;
		q.pending++;
		if (q.pending === 1) dispatch({type: 'busy', busy: true});
		const run = q.tail.then(async () => {
			const started = performance.now();
			try {
				await work(q.session);
			} finally {
				q.pending--;
				// A restart replaced the session meanwhile: its screen state is not ours to touch.
				if (queue.current === q) {
					setLastStepMs(performance.now() - started);
					// The step's last lines are drawn in the same frame that says it is over.
					dispatch({type: 'entries', count: q.session.entries.length});
					if (q.pending === 0) {
						q.idleSince = performance.now();
						dispatch({type: 'busy', busy: false});
					}
					setRevision(r => r + 1);
				}
			}
		});
		q.tail = run.catch(() => undefined);
		await run;
	}, [dispatch]);

	const busyNow = useCallback((pressedAt?: number) => queue.current.session === sessionRef.current && (queue.current.pending > 0 || (pressedAt !== undefined && (queue.current.idleSince ?? 0) > pressedAt)), []);

	const send = useCallback(async (override?: string) => {
		await perform(async s => {
			const outcome = await s.step(override);
			if (outcome.failure?.kind === 'local') dispatch({type: 'notice', text: outcome.failure.message});
		});
	}, [perform, dispatch]);

	const runAll = useCallback(async () => {
		await perform(async s => {
			// A recording plays at its recorded speed; a live session goes as fast as it can.
			if (s instanceof ReplaySession) {
				await s.play();
				return;
			}

			while (!s.done && sessionRef.current === s) {
				const before = s.entries.length;
				const outcome = await s.step();
				if (outcome.failure?.kind === 'local' && s.entries.length === before) break;
			}
		});
	}, [perform]);

	const manual = useCallback(async (line: string) => {
		await perform(async s => {
			const outcome = await s.manual(line);
			if (outcome.failure?.kind === 'local') dispatch({type: 'notice', text: outcome.failure.message});
		});
	}, [perform, dispatch]);

	const skip = useCallback(() => {
		if (busyNow()) return;
		sessionRef.current.skip();
		setRevision(r => r + 1);
	}, [busyNow]);

	// Allowed while a step is in flight (a server that never answers must not trap anyone):
	// the old session is closed, which ends its pending read.
	const restart = useCallback(() => {
		dispatch({type: 'reset'});
		const next = create(options, replay);
		sessionRef.current = next;
		queue.current = {session: next, tail: Promise.resolve(), pending: 0};
		setSession(next);
	}, [options, replay, dispatch]);

	return {session, view, viewNow: () => viewRef.current, dispatch, revision, busyNow, sessionNow: () => sessionRef.current, send, skip, runAll, manual, restart, lastStepMs};
}
