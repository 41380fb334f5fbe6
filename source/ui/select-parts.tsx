// ink-select-input's indicator and item, drawn with the glyph table and through the terminal
// gate (its own indicator is a Unicode pointer on every terminal, and its item draws the label
// as given). Spread into a <SelectInput {...selectParts} />.
import React from 'react';
import {Box, Text} from 'ink';
import {glyphs} from './glyphs.js';
import {safeOutput} from './terminal-text.js';

function Indicator({isSelected = false}: {readonly isSelected?: boolean}) {
	return <Box marginRight={1}>{isSelected ? <Text color="blue">{glyphs.pointer}</Text> : <Text> </Text>}</Box>;
}

function Item({isSelected = false, label}: {readonly isSelected?: boolean; readonly label: string}) {
	return <Text color={isSelected ? 'blue' : undefined}>{safeOutput(label)}</Text>;
}

export const selectParts = {indicatorComponent: Indicator, itemComponent: Item};
