// `smtp-tui check FILE.eml [--json]`: the checks of one message file ("test before real users"),
// the same findings the inbox's Checks view shows. Reads the file, never the network.
import {constants, type Stats} from 'node:fs';
import {open, stat, type FileHandle} from 'node:fs/promises';
import type {CheckReport, Finding} from '../checks/message-checks.js';
import {checkMessage, defaultMaxSize} from '../checks/message-checks.js';
import {safeText} from '../protocol/safe-text.js';
import {renderJson} from '../export/jsonl.js';
import {UsageError} from '../setup/target.js';

/** Largest message file read (Gmail takes 25 MB, some servers 50 MB). */
const maxFileBytes = 64 * 1_048_576;

/** Exit code when a finding of severity error was found. */
export const checkErrorExit = 4;

export type CheckFlags = {json?: boolean; maxSize?: string};

function kindOf(info: Stats): string {
	if (info.isDirectory()) return 'a folder';
	if (info.isFIFO()) return 'a pipe (FIFO)';
	if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
	if (info.isSocket()) return 'a socket';
	return 'not a regular file';
}

/** At most maxFileBytes + 1 bytes of an open file: a file that grows while read stops there. */
async function readBounded(handle: FileHandle): Promise<Buffer> {
	const chunks: Buffer[] = [];
	let total = 0;
	while (total <= maxFileBytes) {
		const chunk = Buffer.alloc(Math.min(1_048_576, maxFileBytes + 1 - total));
		const {bytesRead} = await handle.read(chunk, 0, chunk.length, null);
		if (bytesRead === 0) break;
		chunks.push(chunk.subarray(0, bytesRead));
		total += bytesRead;
	}

	return Buffer.concat(chunks, total);
}

async function readMessage(file: string | undefined): Promise<Buffer> {
	if (!file) throw new UsageError('Name the message: smtp-tui check FILE.eml.');
	const tooBig = () => new UsageError(`The message "${file}" is over ${maxFileBytes / 1_048_576} MiB; smtp-tui checks messages up to ${maxFileBytes / 1_048_576} MiB.`);
	let handle: FileHandle | undefined;
	try {
		// stat before open: opening a FIFO would wait for a writer. O_NONBLOCK for the same reason,
		// should the path change between the two; fstat then checks what was really opened.
		const before = await stat(file);
		if (!before.isFile()) throw new UsageError(`Cannot read the message "${file}": it is ${kindOf(before)}; check reads regular files only.`);
		if (before.size > maxFileBytes) throw tooBig();
		handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
		const opened = await handle.stat();
		if (!opened.isFile()) throw new UsageError(`Cannot read the message "${file}": it is ${kindOf(opened)}; check reads regular files only.`);
		const raw = await readBounded(handle);
		if (raw.length > maxFileBytes) throw tooBig();
		return raw;
	} catch (error) {
		if (error instanceof UsageError) throw error;
		const code = (error as NodeJS.ErrnoException).code;
		throw new UsageError(`Cannot read the message "${file}": ${code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message}.`);
	} finally {
		await handle?.close();
	}
}

function parseMaxSize(value: string | undefined): number {
	if (value === undefined) return defaultMaxSize;
	if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 2 ** 40) throw new UsageError(`--max-size takes a number of bytes (e.g. 26214400), not "${value}".`);
	return Number(value);
}

const marks: Record<Finding['severity'], string> = {error: 'error  ', warning: 'warning', info: 'info   '};

/** The report as text: one finding a line, grouped, then the counts. */
export function renderCheckText(file: string, report: CheckReport): string {
	const lines = [`Checks of ${safeText(file)}:`];
	const auth = Object.entries(report.authentication);
	lines.push(auth.length > 0 && report.authenticationClaim ? `  authentication (${safeText(report.authenticationClaim.note)}): ${auth.map(([method, result]) => `${method}=${result}`).map(text => safeText(text)).join(' ')}` : '  authentication: no usable Authentication-Results: field');
	for (const group of ['structure', 'mime', 'bulk', 'authentication'] as const) {
		const mine = report.findings.filter(item => item.group === group);
		if (mine.length === 0) continue;
		lines.push(`  ${group}:`);
		for (const item of mine) lines.push(`    ${marks[item.severity]} ${item.rule}: ${safeText(item.message)} (${item.reference})`);
	}

	const {error, warning, info} = report.counts;
	lines.push(error + warning + info === 0 ? 'No findings: structure, MIME, bulk-sender rules and authentication all pass.' : `${error} error${error === 1 ? '' : 's'}, ${warning} warning${warning === 1 ? '' : 's'}, ${info} note${info === 1 ? '' : 's'}.`);
	return lines.join('\n') + '\n';
}

/** Runs the check; returns what to print and the exit code (0: no errors, 4: errors). */
export async function runCheck(file: string | undefined, flags: CheckFlags): Promise<{output: string; exitCode: number}> {
	const maxSize = parseMaxSize(flags.maxSize);
	const raw = await readMessage(file);
	const report = await checkMessage(raw, {maxSize});
	const output = flags.json ? `${renderJson({file, ...report}, 2)}\n` : renderCheckText(file!, report);
	return {output, exitCode: report.counts.error > 0 ? checkErrorExit : 0};
}
