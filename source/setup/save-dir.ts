// --save-dir, checked before anything starts. Apart from target.ts so that the TUI can check
// it before its first frame without loading target.ts (see the readme's benchmarks).
import {UsageError} from './errors.js';
import type {TargetFlags} from './target.js';

/**
 * --save-dir, checked: the folder created and proven writable, as an absolute path; undefined
 * without the flag. It saves what the lab accepts, so it refuses a named host.
 */
export async function saveDirectory(flags: TargetFlags): Promise<string | undefined> {
	if (flags.saveDir === undefined) return undefined;
	const other = flags.host ? '--host' : flags.mx ? '--mx' : flags.resolver ? '--resolver' : flags.preset ? '--preset' : undefined;
	if (other) throw new UsageError(`--save-dir saves the messages the embedded lab accepts; it does not go with ${other}.`);
	if (flags.saveDir === '') throw new UsageError('--save-dir needs a folder name.');
	const {prepareSaveDir, SaveDirError} = await import('../lab/save.js');
	try {
		return await prepareSaveDir(flags.saveDir);
	} catch (error) {
		if (error instanceof SaveDirError) throw new UsageError(error.message);
		throw error;
	}
}
