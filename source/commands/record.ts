// Saving sessions: recordings (--record, w in the TUI) and every export at once (x).
import {mkdir, writeFile} from 'node:fs/promises';
import path from 'node:path';
import type {SessionOptions} from '../engine/session.js';
import type {SessionLike} from '../engine/replay.js';
import {resolveTlsMode, type TlsMode} from '../engine/profiles.js';
import {opensslCommand, swaksCommand, type ResolvedTls} from '../export/commands.js';
import {renderJsonLines} from '../export/jsonl.js';
import {renderMarkdown} from '../export/markdown.js';
import {renderMermaid} from '../export/mermaid.js';
import {renderRecording, type Recording, type RecordingHeader} from '../export/recording.js';
import {renderText} from '../export/text.js';

export function recordingHeader(options: SessionOptions, createdAt = new Date()): RecordingHeader {
	return {
		type: 'smtp-tui-recording',
		version: 1,
		createdAt: createdAt.toISOString(),
		label: options.label ?? `${options.host}:${options.port}`,
		host: options.host,
		port: options.port,
		profilePort: options.profilePort ?? options.port,
		tls: options.tls,
		ehlo: options.ehlo,
		from: options.from,
		to: options.to,
		user: options.credentials?.user,
		mechanism: options.mechanism,
	};
}

export function recordingOf(session: SessionLike): Recording {
	return {header: recordingHeader(session.options), entries: [...session.entries]};
}

export async function saveRecording(file: string, session: SessionLike): Promise<string> {
	await writeFile(file, renderRecording(recordingOf(session)), {mode: 0o600});
	return file;
}

export type ExportFormat = 'text' | 'markdown' | 'jsonl' | 'mermaid' | 'swaks' | 'openssl';
export const exportFormats: ExportFormat[] = ['text', 'markdown', 'jsonl', 'mermaid', 'swaks', 'openssl'];

/** What the engine did for the recorded TLS mode on the recorded port (auto resolves per port). */
function recordedTls(header: RecordingHeader): ResolvedTls {
	return resolveTlsMode(header.tls as TlsMode, header.profilePort);
}

export function renderExport(recording: Recording, format: ExportFormat): string {
	switch (format) {
		case 'text':
			return renderText(recording.entries, {explain: true});
		case 'markdown':
			return renderMarkdown(recording.entries, recording.header);
		case 'jsonl':
			return renderJsonLines(recording.entries);
		case 'mermaid':
			return renderMermaid(recording.entries, recording.header.label);
		case 'swaks':
			return swaksCommand(recording.header, recordedTls(recording.header)) + '\n';
		case 'openssl':
			return opensslCommand(recording.header, recordedTls(recording.header)) + '\n';
	}
}

const fileNames: Record<ExportFormat, string> = {text: 'transcript.txt', markdown: 'transcript.md', jsonl: 'transcript.jsonl', mermaid: 'sequence.mmd', swaks: 'swaks.sh', openssl: 'openssl.sh'};

/** Writes the recording and every export into a new folder; returns its path. */
export async function exportAll(folder: string, session: SessionLike): Promise<string> {
	const recording = recordingOf(session);
	await mkdir(folder, {recursive: true});
	await writeFile(path.join(folder, 'recording.jsonl'), renderRecording(recording));
	for (const format of exportFormats) await writeFile(path.join(folder, fileNames[format]), renderExport(recording, format));
	return folder;
}

/** A file name that says what and when: smtp-tui-lab-587-2026-11-29T06-40-12. */
export function stampedName(session: SessionLike, now = new Date()): string {
	const label = (session.options.label ?? session.target).replace(/[^\w.-]+/g, '-');
	return `smtp-tui-${label}-${now.toISOString().slice(0, 19).replace(/:/g, '-')}`;
}
