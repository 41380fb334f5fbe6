// `smtp-tui replay FILE` and `smtp-tui export FILE --format F`: recordings read back.
import {readFile, stat} from 'node:fs/promises';
import {parseRecording, RecordingError, type Recording} from '../export/recording.js';
import {exportFormats, renderExport, type ExportFormat} from '../setup/record.js';
import {UsageError} from '../setup/target.js';

/** Largest recording file read. */
const maxRecordingBytes = 256 * 1_048_576;

export async function readRecording(file: string | undefined): Promise<Recording> {
	if (!file) throw new UsageError('Name the recording: smtp-tui replay FILE (made with --record FILE or w in the TUI).');
	let text: string;
	try {
		// A recording is untrusted input: refuse one too big to be a session before reading it.
		const {size} = await stat(file);
		if (size > maxRecordingBytes) throw new UsageError(`The recording "${file}" is ${Math.round(size / 1_048_576)} MiB; smtp-tui reads recordings up to ${maxRecordingBytes / 1_048_576} MiB.`);
		text = await readFile(file, 'utf8');
	} catch (error) {
		if (error instanceof UsageError) throw error;
		const code = (error as NodeJS.ErrnoException).code;
		throw new UsageError(`Cannot read the recording "${file}": ${code === 'ENOENT' ? 'it does not exist' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message}.`);
	}

	try {
		return parseRecording(text);
	} catch (error) {
		if (error instanceof RecordingError) throw new UsageError(`${file}: ${error.message}`);
		throw error;
	}
}

export function parseFormat(value: string | undefined): ExportFormat {
	const format = (value ?? 'text').toLowerCase();
	if (!(exportFormats as string[]).includes(format)) throw new UsageError(`--format must be one of ${exportFormats.join(', ')}, not "${value}".`);
	return format as ExportFormat;
}

export async function runExport(file: string | undefined, format: string | undefined): Promise<string> {
	const chosen = parseFormat(format);
	return renderExport(await readRecording(file), chosen);
}
