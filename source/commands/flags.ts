// A fast path for the command line: meow (with the package-metadata checks it runs on
// every call) costs about as much as Node's own start, a third of a batch `run`. An
// argument list written the plain way — known flags spelled as documented (`--port 25`,
// `--port=25`, `--to a --to b`, `-4`), positionals that do not start with `-` — is parsed
// here to exactly what meow returns for it (test/cli/flags.test.ts compares the two on a
// corpus); anything else (other letter cases, `--no-…`, `--`, a value starting with `-`, a
// flag twice, an unknown flag) returns undefined and goes to meow, which stays the
// reference for every unusual spelling.

export type FlagSpec = Readonly<Record<string, Readonly<{type: 'string' | 'boolean'; isMultiple?: boolean; shortFlag?: string}>>>;

export type ParsedArguments = {
	input: string[];
	flags: Record<string, unknown>;
	/** meow's flags before short aliases are removed (what unknown-flag checks read). */
	unnormalizedFlags: Record<string, unknown>;
};

const kebab = (name: string) => name.replace(/[A-Z]/g, c => '-' + c.toLowerCase());

/** meow's defaults: every boolean false, every repeatable flag an empty list. */
function defaults(spec: FlagSpec): Record<string, unknown> {
	const flags: Record<string, unknown> = {};
	for (const [name, flag] of Object.entries(spec)) {
		if (flag.isMultiple) flags[name] = [];
		else if (flag.type === 'boolean') flags[name] = false;
	}

	return flags;
}

export function parsePlainArguments(argv: readonly string[], spec: FlagSpec): ParsedArguments | undefined {
	const byLong = new Map<string, string>();
	const byShort = new Map<string, string>();
	for (const [name, flag] of Object.entries(spec)) {
		byLong.set(kebab(name), name);
		if (flag.shortFlag !== undefined) byShort.set(flag.shortFlag, name);
	}

	const flags = defaults(spec);
	const given = new Set<string>();
	const input: string[] = [];
	for (let index = 0; index < argv.length; index++) {
		const argument = argv[index]!;
		if (!argument.startsWith('-')) {
			// yargs-parser reads an empty string as a positional too, but keep to the plain case.
			if (argument === '') return undefined;
			input.push(argument);
			continue;
		}

		const long = /^--([a-z\d][a-z\d-]*)(?:=(.*))?$/s.exec(argument);
		const short = /^-([a-z\d])$/.exec(argument);
		const name = long ? byLong.get(long[1]!) : short ? byShort.get(short[1]!) : undefined;
		if (name === undefined) return undefined;
		const flag = spec[name]!;
		if (!flag.isMultiple) {
			if (given.has(name)) return undefined;
			given.add(name);
		}

		let value: string | boolean;
		if (flag.type === 'boolean') {
			if (long?.[2] !== undefined) return undefined;
			value = true;
		} else if (long?.[2] === undefined) {
			const next = argv[index + 1];
			if (next === undefined || next === '' || next.startsWith('-')) return undefined;
			value = next;
			index++;
		} else {
			value = long[2];
			if (value === '') return undefined;
		}

		if (flag.isMultiple) (flags[name] as unknown[]).push(value);
		else flags[name] = value;
	}

	const unnormalizedFlags = {...flags};
	for (const [name, flag] of Object.entries(spec)) {
		if (flag.shortFlag !== undefined) unnormalizedFlags[flag.shortFlag] = flags[name];
	}

	return {input, flags, unnormalizedFlags};
}
