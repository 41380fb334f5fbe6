// Types of zero-delay-server.mjs, for the bench.
export type ZeroDelayServer = {port: number; sessions: () => number; close: () => Promise<void>};
export declare function startZeroDelayServer(): Promise<ZeroDelayServer>;
