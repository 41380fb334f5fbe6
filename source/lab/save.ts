// Saving what the lab accepts (`--save-dir DIR`): each message as DIR/<time>-<id>.eml, the raw
// bytes exactly as received, with a .json sidecar holding the envelope. Files are written
// under a temporary name and renamed into place, so a reader never sees half a file.
//
// When a file exists. The lab calls its onMessage listeners synchronously, right before it
// sends `250 2.0.0 Ok: queued as <ID>`, so a save always *starts* before the client hears
// 250; the writing itself is asynchronous, so the 250 may reach the client before the file is
// on disk. What makes "nothing is lost" true is flush(): it resolves once every save started so
// far has finished (renamed into place, or reported to onError). Callers close the lab first
// (after which nothing more can be accepted) and then await flush() before the process ends.

import {createHash, randomBytes} from 'node:crypto';
import {mkdir, open, rename, rm} from 'node:fs/promises';
import path from 'node:path';
import type {Lab} from './index.js';
import type {CapturedMessage} from './types.js';

/** The save folder cannot be used; a local error (the user's folder), one sentence. */
export class SaveDirError extends Error {
	override readonly name = 'SaveDirError';
	readonly blame = 'local' as const;
}

/** What the .json sidecar holds: the envelope and facts the .eml itself does not carry. */
export type SavedEnvelope = {
	id: string;
	port: number;
	listenPort: number;
	mailFrom: string;
	rcptTo: string[];
	tls: boolean;
	/** The authenticated user, or null when the client did not log in. */
	user: string | null;
	/** ISO 8601, UTC. */
	receivedAt: string;
	/** Bytes in the .eml. */
	size: number;
	/** SHA-256 of the .eml's bytes, hex. */
	sha256: string;
};

/** Unsubscribes when called; flush() waits for every save started so far. */
export type SaveDirHandle = (() => void) & {flush: () => Promise<void>};

function reason(error: unknown): string {
	const code = (error as NodeJS.ErrnoException).code;
	switch (code) {
		case 'EACCES':
		case 'EPERM':
			return 'permission denied';
		case 'ENOTDIR':
			return 'part of the path is a file, not a folder';
		case 'EEXIST':
			return 'it is a file, not a folder';
		case 'EROFS':
			return 'the file system is read-only';
		case 'ENOSPC':
			return 'the disk is full';
		case 'EDQUOT':
			return 'the disk quota is used up';
		default:
			return (error as Error).message.replace(/\.$/, '');
	}
}

/** Creates `dir` if needed and proves it writable (a probe file written and removed). */
export async function prepareSaveDir(dir: string): Promise<string> {
	const absolute = path.resolve(dir);
	try {
		await mkdir(absolute, {recursive: true});
		const probe = path.join(absolute, `.smtp-tui-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
		const handle = await open(probe, 'wx');
		await handle.close();
		await rm(probe);
	} catch (error) {
		throw new SaveDirError(`Cannot save messages in "${dir}": ${reason(error)}.`);
	}

	return absolute;
}

/** `2024-05-01T10-00-00.000Z-0A1B2C3D4E`: sorts by time; no ':' (not allowed on Windows). */
export function savedBaseName(message: CapturedMessage): string {
	const time = message.receivedAt.toISOString().replaceAll(':', '-');
	// The lab's IDs are hex; anything else must not steer the file name out of the folder.
	const id = message.id.replace(/[^\w-]/g, '_');
	return `${time}-${id}`;
}

export function envelopeOf(message: CapturedMessage): SavedEnvelope {
	return {
		id: message.id,
		port: message.port,
		listenPort: message.listenPort,
		mailFrom: message.mailFrom,
		rcptTo: [...message.rcptTo],
		tls: message.tls,
		user: message.user ?? null,
		receivedAt: message.receivedAt.toISOString(),
		size: message.raw.length,
		sha256: createHash('sha256').update(message.raw).digest('hex'),
	};
}

/** Writes `data` to a hidden temporary file in `dir`, synced, and returns its path. */
async function writeTemporary(dir: string, finalName: string, data: Buffer | string): Promise<string> {
	const temporary = path.join(dir, `.${finalName}.${randomBytes(4).toString('hex')}.tmp`);
	const handle = await open(temporary, 'wx');
	try {
		await handle.writeFile(data);
		// Synced before the rename, so the name never points at an incomplete file even after
		// a crash of the machine.
		await handle.sync();
	} catch (error) {
		await handle.close();
		await rm(temporary, {force: true});
		throw error;
	}

	await handle.close();
	return temporary;
}

/**
 * Saves one message: `<dir>/<base>.eml` (the raw bytes, exactly) and `<dir>/<base>.json`
 * (the envelope). Both are written to temporary names first; the .json is renamed into place
 * before the .eml, so whoever sees an .eml also finds its sidecar.
 */
export async function saveMessage(dir: string, message: CapturedMessage): Promise<{eml: string; json: string}> {
	const base = savedBaseName(message);
	const eml = path.join(dir, `${base}.eml`);
	const json = path.join(dir, `${base}.json`);
	const written: string[] = [];
	try {
		const emlTemporary = await writeTemporary(dir, `${base}.eml`, message.raw);
		written.push(emlTemporary);
		const jsonTemporary = await writeTemporary(dir, `${base}.json`, JSON.stringify(envelopeOf(message), null, '\t') + '\n');
		written.push(jsonTemporary);
		await rename(jsonTemporary, json);
		await rename(emlTemporary, eml);
	} catch (error) {
		await Promise.all(written.map(async file => rm(file, {force: true})));
		throw error;
	}

	return {eml, json};
}

/**
 * Saves every message `lab` accepts from now on into `dir` (already prepared). A failed save
 * is reported to `onError` in one sentence and never reaches the SMTP session. Call the
 * result to stop; await its flush() before the process ends.
 */
export function attachSaveDir(lab: Pick<Lab, 'onMessage'>, dir: string, onError: (message: string) => void): SaveDirHandle {
	const pending = new Set<Promise<void>>();
	const unsubscribe = lab.onMessage(message => {
		// Started here, synchronously, i.e. before the lab sends its 250.
		const saving = saveMessage(dir, message).then(
			() => undefined,
			(error: unknown) => {
				try {
					onError(`Could not save message ${message.id} in "${dir}": ${reason(error)}.`);
				} catch {}
			},
		);
		pending.add(saving);
		void saving.finally(() => pending.delete(saving));
	});
	const flush = async () => {
		// Saves that start while waiting are waited for too.
		while (pending.size > 0) await Promise.all(pending);
	};

	return Object.assign(() => {
		unsubscribe();
	}, {flush});
}
