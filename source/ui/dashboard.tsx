// The classroom dashboard: who is connected, sessions, messages, faults hit, per port,
// and the latest events, refreshed twice a second.
import React, {useEffect, useState} from 'react';
import {Box, Text, useApp} from 'ink';
import type {Lab, LabEvent, LabStats} from '../lab/index.js';
import {imapPorts, pop3Ports} from '../lab/index.js';
import {classroomIntro, eventLine, mailEventLine} from '../setup/classroom-lines.js';
import {labPortList} from '../setup/target.js';
import {fit} from './transcript-pane.js';
import {useTerminalSize} from './use-terminal-size.js';
import {safeOutput} from './terminal-text.js';
import {glyphs} from './glyphs.js';
import {useScreenInput} from './screen-input.js';

const shownEvents = 12;

const megabytes = (bytes: number) => `${(bytes / 1_000_000).toFixed(1)} MB`;

/** How often the hardening limits acted (the readme's Limits section says what each one is). */
export function limitsLine(hit: LabStats['limitsHit']): string {
	return `limits: ${hit.refused} connections refused ${glyphs.dot} ${hit.timeout} dropped for taking too long ${glyphs.dot} ${hit['auth-delay']} failed logins delayed ${glyphs.dot} ${hit['auth-rate']} logins refused for their rate`;
}

/** The in-memory inbox against its bounds, and how many older messages were pruned from it. */
export function inboxLine(inbox: LabStats['inbox'], limits: Lab['limits']): string {
	const pruned = inbox.pruned === 0 ? 'none pruned' : `${inbox.pruned} older pruned from memory (--save-dir keeps them on disk)`;
	return `inbox: ${inbox.messages}/${limits.maxInboxMessages} messages, ${megabytes(inbox.bytes)}/${megabytes(limits.maxInboxBytes)} ${glyphs.dot} ${pruned}`;
}

/** All accounts' mailboxes (POP3, IMAP) against the same bounds, and how many of their oldest were pruned. */
export function mailboxesLine(mailboxes: NonNullable<LabStats['mailboxes']>, limits: Lab['limits']): string {
	const pruned = mailboxes.pruned === 0 ? 'none pruned' : `${mailboxes.pruned} older pruned`;
	return `mailboxes: ${mailboxes.messages}/${limits.maxInboxMessages} messages, ${megabytes(mailboxes.bytes)}/${megabytes(limits.maxInboxBytes)} ${glyphs.dot} ${pruned}`;
}

/** Each listening personality and where it listens: SMTP's, then POP3's and IMAP's (with mailboxes). */
function listening(lab: Lab): Array<[keyof LabStats['perPort'], number]> {
	const rows: Array<[keyof LabStats['perPort'], number | undefined]> = labPortList.map(port => [port, lab.ports[port]]);
	if (lab.mail) {
		for (const port of pop3Ports) rows.push([port, lab.mail.pop3.ports[port]]);
		for (const port of imapPorts) rows.push([port, lab.mail.imap.ports[port]]);
	}

	return rows.filter((row): row is [keyof LabStats['perPort'], number] => row[1] !== undefined && row[1] !== 0);
}

export function Dashboard({lab, caOut, onExit}: {lab: Lab; caOut?: string; onExit: () => void}) {
	const {exit} = useApp();
	const {columns} = useTerminalSize();
	const [stats, setStats] = useState(() => lab.stats());
	// Each event as its log line (lab: …), POP3's and IMAP's logins and reads among them.
	const [events, setEvents] = useState<string[]>([]);
	useEffect(() => {
		const timer = setInterval(() => setStats(lab.stats()), 500);
		const add = (line: string | undefined) => {
			if (line !== undefined) setEvents(previous => [...previous.slice(-(shownEvents - 1)), line]);
		};

		// Counts follow each event at once (and the timer catches anything between events).
		const unsubscribe = [
			lab.onEvent((event: LabEvent) => {
				add(eventLine(event));
				setStats(lab.stats());
			}),
		];
		if (lab.mail) {
			unsubscribe.push(
				lab.mail.pop3.onEvent(event => add(mailEventLine('pop3', event))),
				lab.mail.imap.onEvent(event => add(mailEventLine('imap', event))),
			);
		}

		return () => {
			clearInterval(timer);
			for (const stop of unsubscribe) stop();
		};
	}, [lab]);
	useScreenInput((input, key) => {
		if (input === 'q' || (key.ctrl && input === 'c')) {
			onExit();
			exit();
		}
	});

	const faults = Object.entries(stats.faultsHit).filter(([, n]) => n > 0).map(([name, n]) => `${name} ${n}`).join(` ${glyphs.dot} `) || 'none';
	return (
		<Box flexDirection="column" width={columns}>
			<Text bold>smtp-tui lab {glyphs.dot} classroom server {glyphs.dot} {stats.connectionsNow} connected {glyphs.dot} {stats.sessionsTotal} sessions {glyphs.dot} {stats.messages} messages</Text>
			{classroomIntro(lab, caOut).map(line => <Text key={line} dimColor wrap="truncate">{safeOutput(fit(line.replace(/^lab: /, ''), columns))}</Text>)}
			<Box flexDirection="column" borderStyle={glyphs.border} paddingX={1}>
				<Text bold>{safeOutput('port'.padEnd(8))}{safeOutput('listens on'.padEnd(14))}{safeOutput('connected'.padEnd(12))}{safeOutput('sessions'.padEnd(12))}messages</Text>
				{listening(lab).map(([port, listen]) => {
					const p = stats.perPort[port];
					return <Text key={port}>{safeOutput(String(port).padEnd(8))}{safeOutput(String(listen).padEnd(14))}{safeOutput(String(p.connectionsNow).padEnd(12))}{safeOutput(String(p.sessions).padEnd(12))}{p.messages}</Text>;
				})}
				<Text>faults hit: {safeOutput(faults)}</Text>
				<Text>{safeOutput(limitsLine(stats.limitsHit))}</Text>
				<Text>{safeOutput(inboxLine(stats.inbox, lab.limits))}</Text>
				{stats.mailboxes ? <Text>{safeOutput(mailboxesLine(stats.mailboxes, lab.limits))}</Text> : null}
			</Box>
			<Box flexDirection="column" borderStyle={glyphs.border} paddingX={1}>
				<Text bold>Latest events</Text>
				{events.length === 0 ? <Text dimColor>Nothing yet: waiting for students.</Text> : events.map((line, index) => (
					// eslint-disable-next-line react/no-array-index-key
					<Text key={index} wrap="truncate">{safeOutput(fit(line.replace(/^lab: /, ''), columns - 4))}</Text>
				))}
			</Box>
			<Text dimColor>q stop the lab</Text>
		</Box>
	);
}
