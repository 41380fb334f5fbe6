// Bundles source/cli.tsx into dist/cli.js (the `smtp-tui` bin) plus lazily loaded chunks.
// A bundle starts in about 200 ms; tsc's many-file output takes about 480 ms (see
// shared/design/STACK.md). Type checking is tsc's job (`npm run typecheck`).
import {build} from 'esbuild';
import {chmod, mkdir, rm, writeFile} from 'node:fs/promises';
import {devtoolsStub, inkBundleOptions} from './bundle-options.mjs';
import {assertUpstream} from './check-upstream.mjs';

// Loudly, before anything is built: the lab's smtp-server hooks and the Ink patch need the
// exact dependency code they were written for.
assertUpstream();

await rm('dist', {recursive: true, force: true});
await mkdir('dist', {recursive: true});
await writeFile('dist/devtools-stub.js', devtoolsStub);
await build(inkBundleOptions({entryPoints: {cli: 'source/cli.tsx'}, outdir: 'dist', stub: './dist/devtools-stub.js'}));
await chmod('dist/cli.js', 0o755);
