// One seed for every fuzz test of a run, so a run is the same every time and a failure
// replays: FUZZ_SEED=<n> npm test (or node --import tsx --test test/…) runs another seed,
// and every fuzz test prints the one it used. The default is fixed, never the clock.
export const defaultFuzzSeed = 306_735;

/** The seed in FUZZ_SEED (a whole number), else the fixed default; nonsense is refused, never ignored. */
export function seedFrom(text: string | undefined): number {
	if (text === undefined || text.trim() === '') return defaultFuzzSeed;
	const seed = Number(text);
	if (!Number.isSafeInteger(seed) || seed < 0 || seed > 2_147_483_647) throw new Error(`FUZZ_SEED must be a whole number from 0 to 2147483647, not ${JSON.stringify(text)}.`);
	return seed;
}

export const fuzzSeed = seedFrom(process.env.FUZZ_SEED);

let printed = false;

/** fast-check parameters: the shared seed (printed once) and a bounded number of runs. */
export function fuzzParameters(numRuns = 200): {seed: number; numRuns: number} {
	if (!printed) {
		printed = true;
		process.stderr.write(`fuzz seed ${fuzzSeed} (replay with FUZZ_SEED=${fuzzSeed})\n`);
	}

	return {seed: fuzzSeed, numRuns};
}
