// `smtp-tui run`: the whole plan without stopping, printed as it happens.
import {Session} from '../engine/session.js';
import {renderJsonLine} from '../export/jsonl.js';
import {renderTextEntry, type TextOptions} from '../export/text.js';
import {safeText} from '../protocol/safe-text.js';
import type {Target} from './target.js';

export type RunOutput = {
	write: (text: string) => void;
	/** Messages for the person (warnings, the final sentence) — stderr in the CLI. */
	note: (text: string) => void;
};

export type RunOptions = TextOptions & {json?: boolean};

/** Runs the session to its end and returns the exit code. `signal` aborts it (Ctrl-C). */
export async function runSession(target: Target, output: RunOutput, options: RunOptions, signal?: AbortSignal): Promise<number> {
	for (const warning of target.warnings) output.note(`warning: ${warning}`);
	const session = new Session(target.options);
	session.onEntry(entry => {
		if (options.json) output.write(renderJsonLine(entry) + '\n');
		else output.write(renderTextEntry(entry, options).join('\n') + '\n');
	});
	const abort = () => session.close();
	signal?.addEventListener('abort', abort);
	try {
		const code = await session.runToEnd();
		if (code !== 0 && session.failureMessage && options.json) {
			output.note(safeText(session.failureMessage));
		}

		return signal?.aborted ? 130 : code;
	} finally {
		signal?.removeEventListener('abort', abort);
		session.close();
		await target.lab?.close();
	}
}
