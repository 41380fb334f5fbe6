// A list to choose from (the start screen's, the providers', the port picker's), drawn with
// the glyph table and through the terminal gate, its keys from useScreenInput (so a key
// pressed as the list appears is not lost): up/k and down/j move (round the ends), enter
// or a number 1-9 chooses; a letter its screen binds (`leave`) is the screen's alone. It replaces ink-select-input, whose own useInput binds late.
import React, {useRef, useState} from 'react';
import {Box, Text} from 'ink';
import {glyphs} from './glyphs.js';
import {useScreenInput} from './screen-input.js';
import {safeOutput} from './terminal-text.js';

export type SelectItem<V> = {label: string; value: V};

export type SelectListProps<V> = {
	items: Array<SelectItem<V>>;
	initialIndex?: number;
	/** False while another component has the keys. */
	isFocused?: boolean;
	onSelect: (item: SelectItem<V>) => void;
	onHighlight?: (item: SelectItem<V>) => void;
	/** Letters the screen binds itself (the port picker's `j` journey): the list leaves them alone, so one key does one thing. */
	leave?: readonly string[];
};

export function SelectList<V extends string | number>({items, initialIndex = 0, isFocused = true, onSelect, onHighlight, leave = []}: SelectListProps<V>) {
	const [highlighted, setHighlighted] = useState(Math.min(Math.max(0, initialIndex), items.length - 1));
	// Several keys in one read move on from where the one before left the pointer.
	const at = useRef(highlighted);
	useScreenInput((input, key) => {
		const last = items.length - 1;
		if (leave.includes(input)) return;
		if (key.return) {
			const item = items[at.current];
			if (item) onSelect(item);
			return;
		}

		if (/^[1-9]$/.test(input)) {
			const item = items[Number(input) - 1];
			if (item) onSelect(item);
			return;
		}

		let next: number;
		if (input === 'k' || key.upArrow) next = at.current === 0 ? last : at.current - 1;
		else if (input === 'j' || key.downArrow) next = at.current === last ? 0 : at.current + 1;
		else return;
		at.current = next;
		setHighlighted(next);
		onHighlight?.(items[next]!);
	}, {isActive: isFocused});
	return (
		<Box flexDirection="column">
			{items.map((item, index) => (
				<Box key={item.value}>
					<Box marginRight={1}>{index === highlighted ? <Text color="blue">{glyphs.pointer}</Text> : <Text> </Text>}</Box>
					<Text color={index === highlighted ? 'blue' : undefined}>{safeOutput(item.label)}</Text>
				</Box>
			))}
		</Box>
	);
}
