// The lab's inbox: every message the lab accepted, newest first, updating as messages arrive;
// enter opens one (envelope, headers, parts, body), v shows its raw source. Every view draws
// only the rows in sight, so a 10 MB message costs no more per frame than a short one.
import React, {useEffect, useMemo, useState} from 'react';
import {Box, Text} from 'ink';
import type {CheckReport} from '../checks/message-checks.js';
import type {CapturedMessage, Lab} from '../lab/index.js';
import {inboxFooter, inboxHelpKeys} from './inbox-keymap.js';
import {useKeyHelp} from './key-help.js';
import {checkViewLines, checksCached, formatSize, messageViewLines, parseCached, rawLine, rawLineStarts, type InboxMessage, type ViewLine} from './inbox-model.js';
import {inboxIndex, inboxReducer, initialInboxState, type InboxState} from './inbox-state.js';
import {fit} from './transcript-pane.js';
import {useInboxInput} from './use-inbox-input.js';
import {useReducerNow} from './use-reducer-now.js';
import {safeOutput} from './terminal-text.js';
import {glyphs} from './glyphs.js';

export type InboxScreenProps = {
	/** `stats`, when given, tells how many older messages the lab pruned from memory. */
	lab: Pick<Lab, 'inbox' | 'onMessage'> & Partial<Pick<Lab, 'stats'>>;
	columns: number;
	rows: number;
	/** esc / b on the list: back to where the inbox was opened from. */
	onBack: () => void;
	onQuit: () => void;
};

/** Rows taken by everything but the list or view: title, subtitle, footer, a spare row. */
const chromeRows = 4;

function columnWidths(width: number): {party: number} {
	return {party: Math.max(12, Math.min(30, Math.floor((width - 24) / 4)))};
}

function listHeader(width: number): string {
	const {party} = columnWidths(width);
	return `  ${'port'.padEnd(5)}${'  '} ${'from'.padEnd(party)} ${'to'.padEnd(party)} ${'size'.padStart(8)}  subject`;
}

function listRow(message: CapturedMessage, parsed: InboxMessage | undefined, width: number): string {
	const {party} = columnWidths(width);
	const from = fit(parsed?.from ?? glyphs.ellipsis, party).padEnd(party);
	const to = fit(parsed?.to ?? glyphs.ellipsis, party).padEnd(party);
	const lock = message.tls ? glyphs.lock : '  ';
	return `${String(message.port).padEnd(5)}${lock} ${from} ${to} ${formatSize(message.raw.length).padStart(8)}  ${parsed ? parsed.subject || '(no subject)' : glyphs.ellipsis}`;
}

function ViewRow({line, width}: {line: ViewLine; width: number}) {
	const text = fit(line.text, width) || ' ';
	if (line.tone === 'heading') return <Text bold wrap="truncate">{safeOutput(text)}</Text>;
	if (line.tone === 'dim') return <Text dimColor wrap="truncate">{safeOutput(text)}</Text>;
	if (line.tone === 'problem') return <Text color="red" wrap="truncate">{safeOutput(text)}</Text>;
	return <Text wrap="truncate">{safeOutput(text)}</Text>;
}

function useParsed(messages: readonly CapturedMessage[]): ReadonlyMap<CapturedMessage, InboxMessage> {
	const [parsed, setParsed] = useState<ReadonlyMap<CapturedMessage, InboxMessage>>(new Map());
	useEffect(() => {
		let live = true;
		for (const message of messages) {
			if (parsed.has(message)) continue;
			void parseCached(message).then(result => {
				if (live) setParsed(previous => new Map(previous).set(message, result));
			});
		}

		return () => {
			live = false;
		};
		// `parsed` is read only to skip work already done.
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [messages]);
	return parsed;
}

function visibleMessages(lab: Pick<Lab, 'inbox'>, state: InboxState): CapturedMessage[] {
	const shown: CapturedMessage[] = [];
	const last = state.mode === 'list' ? Math.min(state.count, state.top + state.height) : state.cursor + 1;
	const first = state.mode === 'list' ? state.top : Math.max(0, state.cursor);
	for (let row = first; row < last; row++) {
		const message = lab.inbox[inboxIndex(state, row)];
		if (message) shown.push(message);
	}

	return shown;
}

export function InboxScreen({lab, columns, rows, onBack, onQuit}: InboxScreenProps) {
	const [state, dispatch, now] = useReducerNow(inboxReducer, initialInboxState);
	const height = Math.max(3, rows - chromeRows);
	const width = Math.max(20, columns - 2);

	useEffect(() => {
		dispatch({type: 'resize', height});
	}, [height]);

	useEffect(() => {
		dispatch({type: 'count', count: lab.inbox.length});
		return lab.onMessage(() => {
			dispatch({type: 'count', count: lab.inbox.length});
		});
	}, [lab]);

	const shown = visibleMessages(lab, state);
	const shownKey = shown.map(message => message.id).join(' ');
	// A new array only when the set of visible messages changes, so parsing starts once.
	// eslint-disable-next-line react-hooks/exhaustive-deps
	const visible = useMemo(() => shown, [shownKey]);
	const parsed = useParsed(visible);
	const selected = state.cursor >= 0 ? lab.inbox[inboxIndex(state, state.cursor)] : undefined;
	const selectedParsed = selected ? parsed.get(selected) : undefined;

	const messageLines = useMemo(
		() => (selected && selectedParsed ? messageViewLines(selected, selectedParsed, width) : [{text: `Parsing${glyphs.ellipsis}`, tone: 'dim' as const}]),
		[selected, selectedParsed, width],
	);
	const [checks, setChecks] = useState<{message: CapturedMessage; report: CheckReport} | undefined>(undefined);
	useEffect(() => {
		if (!selected || state.mode !== 'checks' || checks?.message === selected) return;
		let live = true;
		void checksCached(selected).then(report => {
			if (live) setChecks({message: selected, report});
		});
		return () => {
			live = false;
		};
	}, [selected, state.mode, checks]);
	const checkLines = useMemo(() => checkViewLines(checks?.message === selected ? checks?.report : undefined, width), [checks, selected, width]);
	const rawStarts = useMemo(() => (selected && state.mode === 'raw' ? rawLineStarts(selected.raw) : []), [selected, state.mode]);
	const lineCount = state.mode === 'message' ? messageLines.length : state.mode === 'raw' ? rawStarts.length : state.mode === 'checks' ? checkLines.length : 0;
	useEffect(() => {
		dispatch({type: 'lines', lines: lineCount});
	}, [lineCount]);

	const help = useKeyHelp({keys: inboxHelpKeys(state.mode), width: columns, height: state.height + 1, back: 'esc/b back to the inbox'});
	useInboxInput(now, dispatch, onBack, onQuit, help.handle);

	const pruned = lab.stats?.().inbox.pruned ?? 0;
	const count = `${state.count} message${state.count === 1 ? '' : 's'}${pruned > 0 ? ` (${pruned} older pruned from memory)` : ''}`;
	let subtitle: React.ReactNode;
	let body: React.ReactNode[];
	if (state.mode === 'list') {
		subtitle = <Text dimColor wrap="truncate">{safeOutput(fit(listHeader(width), columns))}</Text>;
		body = state.count === 0
			? [<Text key="empty" wrap="wrap">No messages yet. Open a session on a lab port and send the message (a runs every step); it shows up here. The lab keeps what it accepts in memory until smtp-tui quits.</Text>]
			: visible.map((message, offset) => {
				const row = state.top + offset;
				const chosen = row === state.cursor;
				return (
					<Text key={message.id} color={chosen ? 'cyan' : undefined} wrap="truncate">
						{chosen ? glyphs.pointer : ' '}{' '}{safeOutput(fit(listRow(message, parsed.get(message), width), width))}
					</Text>
				);
			});
	} else if (state.mode === 'message') {
		subtitle = <Text bold wrap="truncate">{safeOutput(fit(selectedParsed ? selectedParsed.subject || '(no subject)' : glyphs.ellipsis, columns))}</Text>;
		body = messageLines.slice(state.scroll, state.scroll + state.height).map((line, offset) => (
			<ViewRow key={state.scroll + offset} line={line} width={width} />
		));
	} else if (state.mode === 'checks') {
		subtitle = <Text bold wrap="truncate">{safeOutput(fit(`Checks: ${selectedParsed ? selectedParsed.subject || '(no subject)' : glyphs.ellipsis}`, columns))}</Text>;
		body = checkLines.slice(state.scroll, state.scroll + state.height).map((line, offset) => (
			<ViewRow key={state.scroll + offset} line={line} width={width} />
		));
	} else {
		const raw = selected?.raw ?? Buffer.alloc(0);
		subtitle = <Text bold wrap="truncate">{safeOutput(fit(`Raw source: ${rawStarts.length} lines, ${formatSize(raw.length)}, exactly as received (dot-stuffing undone)`, columns))}</Text>;
		const numberWidth = String(rawStarts.length).length;
		body = [];
		for (let index = state.scroll; index < Math.min(rawStarts.length, state.scroll + state.height); index++) {
			body.push(
				<Text key={index} wrap="truncate">
					<Text dimColor>{safeOutput(String(index + 1).padStart(numberWidth))} {glyphs.rule} </Text>
					{safeOutput(fit(rawLine(raw, rawStarts, index), width - numberWidth - 3))}
				</Text>,
			);
		}
	}

	const position = state.mode === 'list' ? '' : ` ${glyphs.dot} message ${state.cursor + 1} of ${state.count}${lineCount > state.height ? ` ${glyphs.dot} lines ${state.scroll + 1}${glyphs.range}${Math.min(lineCount, state.scroll + state.height)} of ${lineCount}` : ''}`;
	return (
		<Box flexDirection="column" width={columns}>
			<Text bold wrap="truncate">{safeOutput(fit(`inbox ${glyphs.dot} messages the lab accepted ${glyphs.dot} ${count}${position}`, columns))}</Text>
			{help.overlay ?? (
				<>
					{subtitle}
					<Box flexDirection="column" height={state.height}>
						{body}
					</Box>
				</>
			)}
			<Text dimColor wrap="truncate">{safeOutput(fit(help.open ? help.footer(columns) : inboxFooter(state.mode, columns), columns))}</Text>
		</Box>
	);
}
