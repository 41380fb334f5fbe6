// `smtp-tui run`: the whole plan without stopping, printed as it happens.
import {Session} from '../engine/session.js';
import {renderJsonLine} from '../export/jsonl.js';
import {renderTextEntry, type TextOptions} from '../export/text.js';
import {safeText} from '../protocol/safe-text.js';
import {exitCodes} from '../engine/exit-codes.js';
import type {SaveDirHandle} from '../lab/save.js';
import {UsageError, type Target} from '../setup/target.js';

export type RunOutput = {
	write: (text: string) => void;
	/** Messages for the person (warnings, the final sentence) — stderr in the CLI. */
	note: (text: string) => void;
};

export type RunOptions = TextOptions & {
	json?: boolean;
	record?: string;
	/** Save every message the lab accepts here: a folder already checked by saveDirectory(). */
	saveDir?: string;
};

/** --save-dir: starts saving what the lab accepts; refused when this run does not use the lab. */
async function startSaving(target: Target, saveDir: string | undefined, onError: (message: string) => void): Promise<SaveDirHandle | undefined> {
	if (saveDir === undefined) return undefined;
	if (!target.lab) throw new UsageError('--save-dir saves the messages the embedded lab accepts, and this run does not use the lab (add --lab to use it).');
	const {attachSaveDir} = await import('../lab/save.js');
	return attachSaveDir(target.lab, saveDir, onError);
}

/** Runs the session to its end and returns the exit code. `signal` aborts it (Ctrl-C). */
export async function runSession(target: Target, output: RunOutput, options: RunOptions, signal?: AbortSignal): Promise<number> {
	for (const warning of target.warnings) output.note(`warning: ${warning}`);
	let saveFailed = false;
	const saving = await startSaving(target, options.saveDir, message => {
		saveFailed = true;
		output.note(message);
	});
	const session = new Session(target.options);
	session.onEntry(entry => {
		if (options.json) output.write(renderJsonLine(entry) + '\n');
		else output.write(renderTextEntry(entry, options).join('\n') + '\n');
	});
	const abort = () => session.close('Interrupted by the user (Ctrl-C); smtp-tui closed the connection.');
	signal?.addEventListener('abort', abort);
	try {
		const code = await session.runToEnd();
		let recordFailed = false;
		if (options.record) {
			// Loaded only to record: the recording schema (zod) is no part of a plain run.
			const {saveRecording, writeFailure} = await import('../setup/record.js');
			try {
				await saveRecording(options.record, session);
			} catch (error) {
				recordFailed = true;
				output.note(`Could not write the recording to "${options.record}": ${writeFailure(error)}.`);
			}
		}

		if (code !== 0 && session.failureMessage && options.json) {
			output.note(safeText(session.failureMessage));
		}

		if (code === exitCodes.tls && target.tlsPolicy) output.note(safeText(target.tlsPolicy));

		const result = signal?.aborted ? 130 : code;
		// The lab saved each message (started) before its 250, so by now every save has begun.
		await saving?.flush();
		// The conversation went as planned but what was asked to be kept on disk was not.
		return (saveFailed || recordFailed) && result === 0 ? exitCodes.usage : result;
	} finally {
		signal?.removeEventListener('abort', abort);
		session.close();
		try {
			await target.lab?.close();
		} finally {
			// On the way out by an error too: nothing the lab accepted is left half-written.
			await saving?.flush();
		}
	}
}
