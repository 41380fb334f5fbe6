// Recordings: a session saved as JSON Lines — a header line, then one transcript entry per
// line. Entries already carry secrets masked, so a recording never holds a password.
import type {Direction, StepKind, TranscriptEntry} from '../protocol/transcript.js';
import {renderJsonLine} from './jsonl.js';

export type RecordingHeader = {
	type: 'smtp-tui-recording';
	version: 1;
	createdAt: string;
	/** "lab:587" or "host:port". */
	label: string;
	host: string;
	port: number;
	/** The well-known port whose behaviour applied (25, 465, 587, 2525). */
	profilePort: number;
	tls: string;
	ehlo: string;
	from: string;
	to: string[];
	user?: string;
	mechanism?: string;
};

export type Recording = {header: RecordingHeader; entries: TranscriptEntry[]};

export function renderRecording(recording: Recording): string {
	return [renderJsonLine(recording.header), ...recording.entries.map(entry => renderJsonLine(entry))].join('\n') + '\n';
}

export class RecordingError extends Error {
	override readonly name = 'RecordingError';
}

const directions = new Set<Direction>(['client', 'server', 'info', 'tls', 'error']);
const steps = new Set<StepKind>(['connect', 'ehlo', 'helo', 'starttls', 'auth', 'mail', 'rcpt', 'data', 'body', 'rset', 'noop', 'quit', 'manual']);

function checkEntry(value: unknown, line: number): TranscriptEntry {
	const e = value as Partial<TranscriptEntry> | null;
	const ok = e !== null && typeof e === 'object' && typeof e.seq === 'number' && directions.has(e.direction as Direction) && typeof e.text === 'string'
		&& steps.has(e.step as StepKind) && typeof e.stepIndex === 'number' && typeof e.at === 'number' && typeof e.tls === 'boolean' && typeof e.secret === 'boolean';
	if (!ok) throw new RecordingError(`Line ${line} of the recording is not a transcript entry.`);
	return e as TranscriptEntry;
}

/** Parses a recording; anything malformed is one sentence naming the line. */
export function parseRecording(text: string): Recording {
	const lines = text.split('\n').filter(line => line.trim() !== '');
	if (lines.length === 0) throw new RecordingError('The recording is empty.');
	const parse = (line: string, index: number): unknown => {
		try {
			return JSON.parse(line);
		} catch {
			throw new RecordingError(`Line ${index + 1} of the recording is not JSON.`);
		}
	};

	const header = parse(lines[0]!, 0) as Partial<RecordingHeader>;
	if (header?.type !== 'smtp-tui-recording') throw new RecordingError('This file is not an smtp-tui recording (its first line has no "type": "smtp-tui-recording").');
	if (header.version !== 1) throw new RecordingError(`This recording has version ${String(header.version)}; this smtp-tui reads version 1.`);
	const entries = lines.slice(1).map((line, index) => checkEntry(parse(line, index + 1), index + 2));
	return {header: header as RecordingHeader, entries};
}
