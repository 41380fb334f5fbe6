// Pick a port: the four well-known ones, with what each is for.
import React, {useState} from 'react';
import {Box, Text} from 'ink';
import {SelectList} from './select-list.js';
import {portTexts, whySeveralPorts} from '../protocol/explain.js';
import type {LabPort} from '../lab/index.js';
import wrapAnsi from 'wrap-ansi';
import {useInputActive, useScreenInput} from './screen-input.js';
import {asShown, safeOutput} from './terminal-text.js';
import {glyphs} from './glyphs.js';
import {helpKey, quitKey, screenFooter, useKeyHelp, type ScreenKey} from './key-help.js';

export type PortPickerProps = {
	title: string;
	columns: number;
	/** The window's rows (default: room for everything); the explanation gives up what does not fit. */
	rows?: number;
	/** Rows something drawn below the picker takes (compare's port chooser). */
	below?: number;
	initialPort?: LabPort;
	onPick: (port: LabPort) => void;
	/** The pointer moved (the app opens the picker on it again when a screen goes back to it). */
	onHighlight?: (port: LabPort) => void;
	onQuit: () => void;
	/** b, Esc or Backspace: back to the start screen. */
	onBack?: () => void;
	/** The `c` key: compare ports side by side. */
	onCompare?: () => void;
	/** The `p` key: probe every port. */
	onProbe?: () => void;
	/** The `i` key: the lab's inbox. */
	onInbox?: () => void;
	/** The `f` key: the lab's fault menu. */
	onFaults?: () => void;
	/** The `j` key: the mail journey. */
	onJourney?: () => void;
	/** False while another component (the compare port chooser) has the keys. */
	isActive?: boolean;
};

export const pickerPorts: LabPort[] = [25, 465, 587, 2525];

/** The picker's keys: its footer and its help overlay (the keys it has handlers for). */
function pickerKeys(has: {compare: boolean; probe: boolean; inbox: boolean; faults: boolean; journey: boolean; back: boolean}): ScreenKey[] {
	return [
		// With the journey, j is the journey's alone (the list leaves it): k still moves up.
		{keys: has.journey ? `${glyphs.upDown}/k` : `${glyphs.upDown}/k j`, help: 'move between the ports (1-4 opens one at once)', footer: `${glyphs.upDown} move`},
		{keys: 'enter', help: 'open a session on the highlighted port', footer: 'enter open'},
		...(has.compare ? [{keys: 'c', help: 'compare ports side by side (the same scenario on each)', footer: 'c compare'}] : []),
		...(has.probe ? [{keys: 'p', help: 'probe every port at once, no mail sent, with a diagnosis', footer: 'p probe'}] : []),
		...(has.inbox ? [{keys: 'i', help: 'inbox: the messages the lab accepted', footer: 'i inbox'}] : []),
		...(has.faults ? [{keys: 'f', help: 'the lab\'s fault menu (greylisting, tarpits, too big, ...)', footer: 'f faults'}] : []),
		...(has.journey ? [{keys: 'j', help: 'follow one message\'s whole journey (submission, relay, retrieval)', footer: 'j journey'}] : []),
		...(has.back ? [{keys: 'b/esc/Bksp', help: 'back to the start screen', footer: 'b back', keep: true}] : []),
		helpKey,
		quitKey,
	];
}

/** Rows a paragraph takes wrapped at `width` (as Ink wraps it). */
function rowsOf(text: string, width: number): number {
	return wrapAnsi(asShown(text), Math.max(1, width), {hard: true, trim: false}).split('\n').length;
}

export function PortPicker({title, columns, rows = 200, below = 0, initialPort = 587, onPick, onHighlight, onQuit, onCompare, onProbe, onInbox, onFaults, onJourney, onBack, isActive = true}: PortPickerProps) {
	const [highlighted, setHighlighted] = useState<LabPort>(initialPort);
	const text = portTexts[highlighted];
	const panelWidth = Math.max(30, columns - 40);
	const innerWidth = panelWidth - 4;
	// What explains the port, most needed first: as many paragraphs as the window has rows for
	// (title, borders, footer and a spare row taken; the port list needs 5); the help overlay
	// has them all.
	const paragraphs = [
		{bold: '', text: text.purpose},
		{bold: 'Who: ', text: text.who},
		{bold: 'TLS: ', text: text.tls},
		{bold: 'Expect: ', text: text.expects},
		{bold: '', text: whySeveralPorts, dim: true, gap: true},
	];
	const room = Math.max(5, rows - below - 5);
	let used = 1; // the heading
	const shown: typeof paragraphs = [];
	for (const paragraph of paragraphs) {
		const needs = rowsOf(paragraph.bold + paragraph.text, innerWidth) + (paragraph.gap ? 1 : 0);
		if (used + needs > room - (shown.length + 1 < paragraphs.length ? 1 : 0)) break;
		shown.push(paragraph);
		used += needs;
	}

	const cut = shown.length < paragraphs.length;
	const keys = pickerKeys({compare: Boolean(onCompare), probe: Boolean(onProbe), inbox: Boolean(onInbox), faults: Boolean(onFaults), journey: Boolean(onJourney), back: Boolean(onBack)});
	const help = useKeyHelp({keys, notes: [`${highlighted} ${glyphs.dot} ${text.name} (${text.rfc})`, ...paragraphs.map(paragraph => paragraph.bold + paragraph.text)], width: columns, height: Math.max(5, rows - below - 3), back: 'esc/b back to the ports'});
	useScreenInput((input, key) => {
		if (help.handle(input, key)) return;
		if (input === 'q' || (key.ctrl && input === 'c')) onQuit();
		else if ((input === 'b' || key.escape || key.backspace || key.delete) && onBack) onBack();
		else if (input === 'c' && !key.ctrl && onCompare) onCompare();
		else if (input === 'p' && onProbe) onProbe();
		else if (input === 'i' && onInbox) onInbox();
		else if (input === 'f' && onFaults) onFaults();
		else if (input === 'j' && onJourney) onJourney();
	}, {isActive});
	const focused = useInputActive(isActive && !help.open);
	const items = pickerPorts.map(port => ({label: `${String(port).padEnd(5)} ${portTexts[port].name}`, value: port}));
	return (
		<Box flexDirection="column" width={columns}>
			<Box justifyContent="space-between">
				<Text bold wrap="truncate">{safeOutput(title)}</Text>
				<Text dimColor>? help  q quit</Text>
			</Box>
			{help.overlay}
			<Box display={help.open ? 'none' : 'flex'}>
				<Box flexDirection="column" borderStyle={glyphs.border} width={40} paddingX={1}>
					<Text bold>Pick a port</Text>
					<SelectList isFocused={focused} items={items} initialIndex={pickerPorts.indexOf(initialPort)} onHighlight={item => {
						setHighlighted(item.value);
						onHighlight?.(item.value);
					}} onSelect={item => onPick(item.value)} leave={onJourney ? ['j'] : []} />
				</Box>
				<Box flexDirection="column" borderStyle={glyphs.border} width={panelWidth} paddingX={1}>
					<Text bold>{highlighted} {glyphs.dot} {safeOutput(text.name)} ({safeOutput(text.rfc)})</Text>
					{shown.map(paragraph => (
						<Box key={paragraph.bold + paragraph.text} flexDirection="column">
							{paragraph.gap ? <Text> </Text> : null}
							<Text wrap="wrap" dimColor={paragraph.dim}>{paragraph.bold ? <Text bold>{safeOutput(paragraph.bold)}</Text> : null}{safeOutput(paragraph.text)}</Text>
						</Box>
					))}
					{cut ? <Text dimColor>(more: ? help)</Text> : null}
				</Box>
			</Box>
			{below > 0 && !help.open ? null : <Text dimColor>{safeOutput(help.open ? help.footer(columns) : screenFooter(keys, columns))}</Text>}
		</Box>
	);
}
