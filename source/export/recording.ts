// Recordings: a session saved as JSON Lines — a header line, then one transcript entry per
// line. Entries already carry secrets masked, so a recording never holds a password.
import * as z from 'zod/mini';
import type {Direction, TranscriptEntry, TranscriptStep} from '../protocol/transcript.js';
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

// The schema a recording must meet: recordings are shared files, so every field is checked for
// its type, its size and, where it has a fixed set, its value; what comes out is built from the
// schema (unknown fields dropped), never the object as read.
const text = (max: number) => z.string().check(z.maxLength(max));
const optionalText = (max: number) => z.optional(text(max));
const count = (max: number) => z.int().check(z.gte(0), z.lte(max));

/** Longest transcript line kept in a recording (a message line may be long; a reply line is < 1 KiB). */
const maxLine = 1_000_000;
const maxNote = 10_000;

const tlsFactsSchema = z.object({
	protocol: text(64),
	cipher: text(256),
	authorized: z.boolean(),
	authorizationError: optionalText(256),
	subject: optionalText(maxNote),
	issuer: optionalText(maxNote),
	subjectAltNames: z.array(text(1024)).check(z.maxLength(1000)),
	validFrom: optionalText(64),
	validTo: optionalText(64),
	fingerprint256: optionalText(256),
	servername: optionalText(255),
});

const steps = ['connect', 'ehlo', 'helo', 'starttls', 'auth', 'mail', 'rcpt', 'data', 'body', 'rset', 'noop', 'quit', 'manual', 'pop-capa', 'pop-stls', 'pop-user', 'pop-pass', 'pop-stat', 'pop-list', 'pop-retr', 'pop-quit', 'imap-capability', 'imap-starttls', 'imap-login', 'imap-list', 'imap-select', 'imap-fetch', 'imap-store', 'imap-logout'] as const satisfies readonly TranscriptStep[];

const entrySchema = z.object({
	seq: count(Number.MAX_SAFE_INTEGER),
	direction: z.enum(['client', 'server', 'info', 'tls', 'error'] as const satisfies readonly Direction[]),
	text: text(maxLine),
	step: z.enum(steps),
	stepIndex: count(Number.MAX_SAFE_INTEGER),
	at: z.number().check(z.gte(0), z.lte(1e12)),
	tls: z.boolean(),
	secret: z.boolean(),
	decoded: optionalText(maxLine),
	code: z.optional(z.int().check(z.gte(100), z.lte(999))),
	enhanced: z.optional(z.string().check(z.regex(/^[245]\.\d{1,3}\.\d{1,3}$/))),
	last: z.optional(z.boolean()),
	tlsFacts: z.optional(tlsFactsSchema),
	deviation: optionalText(maxNote),
	explain: z.optional(z.array(text(maxNote)).check(z.maxLength(100))),
});

const headerSchema = z.object({
	type: z.literal('smtp-tui-recording'),
	version: z.literal(1),
	createdAt: z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/)),
	label: text(300),
	host: text(255),
	port: z.int().check(z.gte(1), z.lte(65_535)),
	profilePort: z.int().check(z.gte(1), z.lte(65_535)),
	tls: z.enum(['auto', 'starttls', 'implicit', 'none']),
	ehlo: text(255),
	from: text(320),
	to: z.array(text(320)).check(z.maxLength(1000)),
	user: optionalText(255),
	// RFC 4422 §3.1: a mechanism name is 1 to 20 of A-Z, 0-9, - and _.
	mechanism: z.optional(z.string().check(z.regex(/^[A-Za-z\d_-]{1,20}$/))),
});

/** Most lines (entries) a recording may hold. */
const maxEntries = 1_000_000;

/** One sentence for the first problem zod found: which line, which field, what is wrong. */
function describeIssue(line: number, error: z.core.$ZodError): RecordingError {
	const issue = error.issues[0];
	const field = issue?.path.map(String).join('.') ?? '';
	const what = issue?.code === 'invalid_type' ? `must be ${issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}`
		: issue?.code === 'too_big' ? `is too ${issue.origin === 'string' ? 'long' : issue.origin === 'array' ? 'long a list' : 'large'} (at most ${String(issue.maximum)})`
			: issue?.code === 'too_small' ? `is too small (at least ${String(issue.minimum)})`
				: issue?.code === 'invalid_value' ? `must be one of ${issue.values.map(v => JSON.stringify(v)).join(', ')}`
					: issue?.code === 'invalid_format' ? 'has the wrong form'
						: 'is not valid';
	const where = line === 1 ? 'The recording\'s header (line 1)' : `Line ${line} of the recording`;
	return new RecordingError(field === '' ? `${where} is not a JSON object.` : `${where} is not valid: "${field}" ${what}.`);
}

/** Parses a recording; anything malformed is one sentence naming the line and the field. */
export function parseRecording(text: string): Recording {
	const lines = text.split('\n').filter(line => line.trim() !== '');
	if (lines.length === 0) throw new RecordingError('The recording is empty.');
	if (lines.length > maxEntries + 1) throw new RecordingError(`The recording has more than ${maxEntries} entries.`);
	const parse = (line: string, index: number): unknown => {
		try {
			return JSON.parse(line);
		} catch {
			throw new RecordingError(`Line ${index + 1} of the recording is not JSON.`);
		}
	};

	const first = parse(lines[0]!, 0) as {type?: unknown; version?: unknown} | null;
	if (first === null || typeof first !== 'object' || first.type !== 'smtp-tui-recording') throw new RecordingError('This file is not an smtp-tui recording (its first line has no "type": "smtp-tui-recording").');
	if (first.version !== 1) throw new RecordingError(`This recording has version ${typeof first.version === 'number' ? first.version : 'unknown'}; this smtp-tui reads version 1.`);
	const header = headerSchema.safeParse(first);
	if (!header.success) throw describeIssue(1, header.error);
	const entries = lines.slice(1).map((line, index) => {
		const entry = entrySchema.safeParse(parse(line, index + 1));
		if (!entry.success) throw describeIssue(index + 2, entry.error);
		return entry.data as TranscriptEntry;
	});
	return {header: header.data as RecordingHeader, entries};
}
