// The status line: target, TLS and AUTH state, step count and timing.
import React from 'react';
import {Box, Text} from 'ink';
import type {SessionLike} from '../engine/replay.js';
import {profileFor} from '../engine/profiles.js';
import {fit} from './transcript-pane.js';

export type StatusBarProps = {
	session: SessionLike;
	width: number;
	lastStepMs?: number;
};

export function statusText(session: SessionLike, lastStepMs?: number): string {
	const o = session.options;
	const port = o.profilePort ?? o.port;
	const profile = profileFor(port);
	const s = session.state;
	const tls = s.tls ? `🔒 ${session.tlsFacts?.protocol ?? 'TLS'}` : s.connected && !s.ended ? 'plaintext' : 'not connected';
	const auth = s.authenticated ? `authenticated as ${o.credentials?.user ?? '?'}` : 'not authenticated';
	const time = lastStepMs === undefined ? '' : ` · ${Math.round(lastStepMs)} ms`;
	const parts = [`${o.label ?? session.target}${profile ? ' ' + profile.label : ''}`, tls, auth, `step ${session.stepNumber}/${session.plannedSteps}${time}`];
	return parts.join(' · ');
}

export function StatusBar({session, width, lastStepMs}: StatusBarProps) {
	return (
		<Box width={width} justifyContent="space-between">
			<Text bold wrap="truncate">{fit(statusText(session, lastStepMs), width - 8)}</Text>
			<Text dimColor>? help</Text>
		</Box>
	);
}
