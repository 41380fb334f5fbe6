// Every key of the session screen, read from the one keymap table.
import React from 'react';
import {Box, Text} from 'ink';
import {sessionKeymap} from './keymap.js';
import {safeOutput} from './terminal-text.js';
import {glyphs} from './glyphs.js';

export function HelpOverlay({width}: {width: number}) {
	return (
		<Box flexDirection="column" borderStyle={glyphs.borderOverlay} width={width} paddingX={1}>
			<Text bold>Keys (press ? or esc to close)</Text>
			{sessionKeymap.map(binding => (
				<Text key={binding.command}>
					<Text color="cyan">{safeOutput(binding.keys.padEnd(12))}</Text> {safeOutput(binding.help)}
				</Text>
			))}
			<Text dimColor>Markers: C client, S server, ~ inside TLS, {glyphs.lock} TLS handshake, {glyphs.note} note, !! error.</Text>
		</Box>
	);
}
