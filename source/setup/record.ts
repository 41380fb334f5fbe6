// Saving sessions: recordings (--record, w in the TUI) and every export at once (x).
import {mkdir, open, rm, stat, writeFile} from 'node:fs/promises';
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

/** Why a file cannot be written, in a few words. */
export function writeFailure(error: unknown): string {
	switch ((error as NodeJS.ErrnoException).code) {
		case 'ENOENT':
			return 'its folder does not exist';
		case 'ENOTDIR':
			return 'part of the path is a file, not a folder';
		case 'EISDIR':
			return 'it is a folder';
		case 'EACCES':
		case 'EPERM':
			return 'permission denied';
		case 'EROFS':
			return 'the file system is read-only';
		case 'ENOSPC':
			return 'the disk is full';
		default:
			return (error as Error).message.replace(/\.$/, '');
	}
}

/**
 * --record FILE, checked before anything connects: a regular file that can be written, or a
 * new one in a folder that can be written (created and removed again to be sure). Returns
 * the sentence that says why not, or undefined.
 */
export async function recordFileProblem(file: string): Promise<string | undefined> {
	const cannot = (why: string) => `Cannot write the recording to "${file}": ${why}.`;
	if (file === '') return '--record needs a file name.';
	const existing = await stat(file).catch(() => undefined);
	if (existing?.isDirectory()) return cannot('it is a folder');
	// A device or a pipe (/dev/full, /dev/stdout) is no place for a recording to be read back from.
	if (existing && !existing.isFile()) return cannot('it is not a regular file');
	try {
		if (existing) {
			await (await open(file, 'r+')).close();
		} else {
			await (await open(file, 'wx')).close();
			await rm(file);
		}
	} catch (error) {
		return cannot(writeFailure(error));
	}

	return undefined;
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

/** Session options that describe a recording (nothing connects with them). */
export function replayOptions(recording: Recording): SessionOptions {
	const h = recording.header;
	return {
		host: h.host,
		port: h.port,
		profilePort: h.profilePort,
		tls: (['auto', 'starttls', 'implicit', 'none'].includes(h.tls) ? h.tls : 'auto') as SessionOptions['tls'],
		tlsOptions: {insecure: false},
		ehlo: h.ehlo,
		from: h.from,
		to: h.to,
		credentials: h.user ? {user: h.user} : undefined,
		label: `replay of ${h.label}`,
	};
}
