// The status line: target, TLS and AUTH state, step count and timing.
import React from 'react';
import {Box, Text} from 'ink';
import type {SessionLike} from '../engine/replay.js';
import {profileFor} from '../engine/profiles.js';
import {safeOutput, safeText, type SafeText} from './terminal-text.js';
import {fit} from './transcript-pane.js';
import {glyphs} from './glyphs.js';

export type StatusBarProps = {
	session: SessionLike;
	width: number;
	lastStepMs?: number;
};

/** The status line; the label, TLS version and user come from the peer or a recording: gated. */
export function statusText(session: SessionLike, lastStepMs?: number): SafeText {
	const o = session.options;
	const port = o.profilePort ?? o.port;
	const profile = profileFor(port);
	const s = session.state;
	const tls = s.tls ? `${glyphs.lockBadge}${session.tlsFacts?.protocol ?? 'TLS'}` : s.connected && !s.ended ? 'plaintext' : 'not connected';
	const auth = s.authenticated ? `authenticated as ${o.credentials?.user ?? '?'}` : 'not authenticated';
	const time = lastStepMs === undefined ? '' : ` ${glyphs.dot} ${Math.round(lastStepMs)} ms`;
	const parts = [`${o.label ?? session.target}${profile ? ' ' + profile.label : ''}`, tls, auth, `step ${session.stepNumber}/${session.plannedSteps}${time}`];
	return safeText(parts.join(` ${glyphs.dot} `));
}

export function StatusBar({session, width, lastStepMs}: StatusBarProps) {
	return (
		<Box width={width} justifyContent="space-between">
			<Text bold wrap="truncate">{safeOutput(fit(statusText(session, lastStepMs), width - 8))}</Text>
			<Text dimColor>? help</Text>
		</Box>
	);
}
