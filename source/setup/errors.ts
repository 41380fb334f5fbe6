// The user's mistakes that end a command, apart from the code that finds them: cli.tsx
// catches these without loading target.ts and what it imports (the TUI's first frame does
// not need it; see the readme's benchmarks).

export class UsageError extends Error {
	override readonly name = 'UsageError';
}

/**
 * A delivery by MX that the recipient domain's MTA-STS policy (mode enforce) forbids: the MX
 * is not one the policy lists. Exit 29, like any TLS failure.
 */
export class MtaStsRefusal extends Error {
	override readonly name = 'MtaStsRefusal';
}
