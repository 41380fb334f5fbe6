// The fast command-line path gives exactly what meow gives for the plainly written
// argument lists it accepts, and refuses (undefined: meow decides) everything else.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import meow from 'meow';
import {parsePlainArguments, type FlagSpec} from '../../source/commands/flags.js';

// The kinds of flag smtp-tui has: string, boolean, repeatable, short aliases, camelCase
// names with several humps and with digits.
const spec = {
	host: {type: 'string'},
	port: {type: 'string'},
	lab: {type: 'boolean'},
	to: {type: 'string', isMultiple: true},
	header: {type: 'string', isMultiple: true},
	ipv4: {type: 'boolean', shortFlag: '4'},
	ipv6: {type: 'boolean', shortFlag: '6'},
	mtaStsPort: {type: 'string'},
	authFailureDelayMax: {type: 'string'},
	insecureAuth: {type: 'boolean'},
	subject: {type: 'string'},
	help: {type: 'boolean', shortFlag: 'h'},
	version: {type: 'boolean'},
} as const satisfies FlagSpec;

function viaMeow(argv: string[]) {
	const result = meow({importMeta: import.meta, argv, pkg: {name: 'smtp-tui', version: '0.0.0'}, allowUnknownFlags: true, autoHelp: false, autoVersion: false, flags: spec});
	return {input: result.input, flags: {...result.flags}, unnormalizedFlags: {...result.unnormalizedFlags}};
}

const plain: string[][] = [
	[],
	['run'],
	['run', '--host', '127.0.0.1', '--port', '2525', '--to', 'a@b.test'],
	['run', '--port=25', '--to=a@b.test', '--to', 'c@d.test', '-4', '--lab'],
	['compare', '25', '587', '--mta-sts-port', '8443', '--auth-failure-delay-max=3'],
	['probe', 'mail.example.test', '-6', '--insecure-auth'],
	['run', '--subject', 'true', '--header', 'X-A: 1', '--header=X-B: two words=3'],
	['run', '--subject', 'Grüße, 123', '--port', '0025'],
	['export', 'file.jsonl', '--help'],
	['--version'],
	['-h'],
];

const unusual: string[][] = [
	['run', '--PORT', '25'],
	['run', '--Port=25'],
	['run', '--no-lab'],
	['run', '--lab=false'],
	['run', '--port', '25', '--port', '26'],
	['run', '--port'],
	['run', '--port', '-5'],
	['run', '--port='],
	['run', '--subject', ''],
	['run', '--', '--port', '25'],
	['run', '--unknown', 'x'],
	['run', '-46'],
	['run', '-x'],
	['run', '--maxClients', '3'],
	['run', '-'],
	['run', ''],
];

test('plain argument lists parse to exactly what meow returns', () => {
	for (const argv of plain) {
		const fast = parsePlainArguments(argv, spec);
		assert.ok(fast, `${JSON.stringify(argv)} takes the fast path`);
		assert.deepEqual({input: fast.input, flags: fast.flags, unnormalizedFlags: fast.unnormalizedFlags}, viaMeow(argv), JSON.stringify(argv));
	}
});

test('anything unusual is left to meow', () => {
	for (const argv of unusual) assert.equal(parsePlainArguments(argv, spec), undefined, JSON.stringify(argv));
});
