// Pick a port: the four well-known ones, with what each is for.
import React, {useState} from 'react';
import {Box, Text} from 'ink';
import {SelectList} from './select-list.js';
import {portTexts, whySeveralPorts} from '../protocol/explain.js';
import type {LabPort} from '../lab/index.js';
import {useInputActive, useScreenInput} from './screen-input.js';
import {safeOutput} from './terminal-text.js';
import {glyphs} from './glyphs.js';

export type PortPickerProps = {
	title: string;
	columns: number;
	initialPort?: LabPort;
	onPick: (port: LabPort) => void;
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

export function PortPicker({title, columns, initialPort = 587, onPick, onQuit, onCompare, onProbe, onInbox, onFaults, onJourney, onBack, isActive = true}: PortPickerProps) {
	const [highlighted, setHighlighted] = useState<LabPort>(initialPort);
	useScreenInput((input, key) => {
		if (input === 'q' || (key.ctrl && input === 'c')) onQuit();
		else if ((input === 'b' || key.escape || key.backspace || key.delete) && onBack) onBack();
		else if (input === 'c' && !key.ctrl && onCompare) onCompare();
		else if (input === 'p' && onProbe) onProbe();
		else if (input === 'i' && onInbox) onInbox();
		else if (input === 'f' && onFaults) onFaults();
		else if (input === 'j' && onJourney) onJourney();
	}, {isActive});
	const focused = useInputActive(isActive);
	const items = pickerPorts.map(port => ({label: `${String(port).padEnd(5)} ${portTexts[port].name}`, value: port}));
	const text = portTexts[highlighted];
	const panelWidth = Math.max(30, columns - 44);
	return (
		<Box flexDirection="column" width={columns}>
			<Box justifyContent="space-between">
				<Text bold>{safeOutput(title)}</Text>
				<Text dimColor>q quit</Text>
			</Box>
			<Box>
				<Box flexDirection="column" borderStyle={glyphs.border} width={40} paddingX={1}>
					<Text bold>Pick a port</Text>
					<SelectList isFocused={focused} items={items} initialIndex={pickerPorts.indexOf(initialPort)} onHighlight={item => setHighlighted(item.value)} onSelect={item => onPick(item.value)} />
				</Box>
				<Box flexDirection="column" borderStyle={glyphs.border} width={panelWidth} paddingX={1}>
					<Text bold>{highlighted} {glyphs.dot} {safeOutput(text.name)} ({safeOutput(text.rfc)})</Text>
					<Text wrap="wrap">{safeOutput(text.purpose)}</Text>
					<Text wrap="wrap"><Text bold>Who: </Text>{safeOutput(text.who)}</Text>
					<Text wrap="wrap"><Text bold>TLS: </Text>{safeOutput(text.tls)}</Text>
					<Text wrap="wrap"><Text bold>Expect: </Text>{safeOutput(text.expects)}</Text>
					<Text> </Text>
					<Text wrap="wrap" dimColor>{safeOutput(whySeveralPorts)}</Text>
				</Box>
			</Box>
			<Text dimColor>{glyphs.upDown} move  enter open{onCompare ? '  c compare' : ''}{onProbe ? '  p probe' : ''}{onInbox ? '  i inbox' : ''}{onFaults ? '  f faults' : ''}{onJourney ? '  j journey' : ''}{onBack ? '  b back' : ''}  q quit</Text>
		</Box>
	);
}
