// Bundles source/cli.tsx into one ESM file, dist/cli.js: the `smtp-tui` bin.
// A single bundle starts in about 200 ms; tsc's many-file output takes about 480 ms
// (see shared/design/STACK.md). Type checking is tsc's job (`npm run typecheck`).
import {build} from 'esbuild';
import {chmod, mkdir, writeFile} from 'node:fs/promises';

await mkdir('dist', {recursive: true});
// Ink imports react-devtools-core statically; it is only used when DEV=true.
await writeFile('dist/devtools-stub.js', 'export default {initialize() {}, connectToDevTools() {}};\n');

await build({
	entryPoints: ['source/cli.tsx'],
	outfile: 'dist/cli.js',
	bundle: true,
	platform: 'node',
	format: 'esm',
	target: 'node20',
	minify: true,
	legalComments: 'none',
	alias: {'react-devtools-core': './dist/devtools-stub.js'},
	define: {'process.env.NODE_ENV': '"production"'},
	banner: {
		js: "#!/usr/bin/env node\nimport {createRequire as __smtpTuiCreateRequire} from 'node:module';const require = __smtpTuiCreateRequire(import.meta.url);",
	},
	logLevel: 'warning',
});
await chmod('dist/cli.js', 0o755);
