// Types of check-upstream.mjs, for the tests that import it.
export declare const expectedVersions: Record<string, string>;
export declare const reliedOn: Array<{file: string; pieces: Array<{code: string; why: string}>}>;
export declare function upstreamProblems(read?: (path: string) => string): string[];
export declare function assertUpstream(read?: (path: string) => string): void;
