// The TLS details after a handshake: version, cipher, certificate, verification.
import React from 'react';
import {Box, Text} from 'ink';
import {safeOutput, safeText} from './terminal-text.js';
import type {TlsFacts} from '../protocol/transcript.js';
import {describeCertError} from '../engine/connection.js';
import {glyphs} from './glyphs.js';

export function TlsPanel({facts, width}: {facts?: TlsFacts; width: number}) {
	return (
		<Box flexDirection="column" borderStyle={glyphs.borderOverlay} width={width} paddingX={1}>
			<Text bold>TLS (press t or esc to close)</Text>
			{facts ? (
				<>
					<Text>version      {safeText(facts.protocol)}</Text>
					<Text>cipher       {safeText(facts.cipher)}</Text>
					<Text>server name  {safeText(facts.servername ?? '(none sent)')}</Text>
					<Text>subject      {safeText(facts.subject ?? '?')}</Text>
					<Text>issuer       {safeText(facts.issuer ?? '?')}</Text>
					<Text wrap="wrap">names        {safeText(facts.subjectAltNames.join(', ') || 'none')}</Text>
					<Text>valid from   {safeText(facts.validFrom ?? '?')}</Text>
					<Text>valid to     {safeText(facts.validTo ?? '?')}</Text>
					<Text wrap="wrap">SHA-256      {safeText(facts.fingerprint256 ?? '?')}</Text>
					<Text color={facts.authorized ? 'green' : 'yellow'}>
						{safeOutput(facts.authorized ? 'verified: the chain and the host name check out' : `NOT verified: ${safeText(describeCertError(facts.authorizationError, facts))}`)}
					</Text>
				</>
			) : (
				<Text dimColor>No TLS yet on this connection. On 587/2525 it starts with STARTTLS; on 465 from the first byte.</Text>
			)}
		</Box>
	);
}
