// Every key of the session screen, read from the one keymap table.
import React from 'react';
import {Box, Text} from 'ink';
import {sessionKeymap} from './keymap.js';
import {safeOutput} from '../protocol/safe-text.js';

export function HelpOverlay({width}: {width: number}) {
	return (
		<Box flexDirection="column" borderStyle="double" width={width} paddingX={1}>
			<Text bold>Keys (press ? or esc to close)</Text>
			{sessionKeymap.map(binding => (
				<Text key={binding.command}>
					<Text color="cyan">{safeOutput(binding.keys.padEnd(12))}</Text> {safeOutput(binding.help)}
				</Text>
			))}
			<Text dimColor>Markers: C client, S server, ~ inside TLS, 🔒 TLS handshake, ·· note, !! error.</Text>
		</Box>
	);
}
