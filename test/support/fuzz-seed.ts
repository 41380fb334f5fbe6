// One seed for every property-based test of a run, printed so a failure replays:
// FUZZ_SEED=<n> node --import tsx --test test/…
export const fuzzSeed = Number(process.env.FUZZ_SEED ?? Date.now() % 2_147_483_647);

let printed = false;

/** fast-check parameters: the shared seed (printed once) and a bounded number of runs. */
export function fuzzParameters(numRuns = 200): {seed: number; numRuns: number} {
	if (!printed) {
		printed = true;
		process.stderr.write(`fuzz seed ${fuzzSeed} (replay with FUZZ_SEED=${fuzzSeed})\n`);
	}

	return {seed: fuzzSeed, numRuns};
}
