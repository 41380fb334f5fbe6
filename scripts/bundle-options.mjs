// The one way this project bundles an Ink app with esbuild, shared by the build and by the
// benchmark's hello-world baseline so both are "bundled the same way".
// - react-devtools-core: Ink imports it statically; aliased to a stub (only used with DEV=true).
// - a banner defines `require` (a CommonJS dependency calls require("assert")).
// - NODE_ENV is production; code splitting keeps what a dynamic import() loads (the lab,
//   the UI) out of the start-up path until it is used.
/**
 * Ink 6 builds a new cache of measured and tokenized lines for every frame, so moving a
 * selection re-tokenizes the whole screen (about 60% of a key press in the profile). This
 * keeps one cache across frames — most lines do not change between frames — and starts it
 * afresh when it grows past a bound. The cached values are only read, never changed.
 */
/**
 * The build fails if the patch does not apply exactly once: a changed marker (below), or an
 * Ink that moved output.js so that nothing matched (onEnd). scripts/check-upstream.mjs checks
 * the installed Ink version and the marker before the build starts.
 */
const inkOutputCachePlugin = {
	name: 'ink-output-cache',
	setup(build) {
		let patched = 0;
		build.onStart(() => {
			patched = 0;
		});
		build.onEnd(result => {
			if (result.errors.length === 0 && patched !== 1) {
				throw new Error(`the ink-output-cache patch applied to ${patched} files instead of ink/build/output.js once: review the plugin in scripts/bundle-options.mjs.`);
			}
		});
		build.onLoad({filter: /[\\/]ink[\\/]build[\\/]output\.js$/}, async args => {
			patched++;
			const {readFile} = await import('node:fs/promises');
			const source = await readFile(args.path, 'utf8');
			const marker = 'caches = new OutputCaches();';
			if (!source.includes(marker)) throw new Error('ink/build/output.js changed: review the ink-output-cache plugin.');
			const contents = source.replace(marker, 'caches = sharedOutputCaches();')
				+ '\nlet sharedCaches;\nfunction sharedOutputCaches() {\n\tif (!sharedCaches || sharedCaches.styledChars.size > 20000 || sharedCaches.widths.size > 40000) sharedCaches = new OutputCaches();\n\treturn sharedCaches;\n}\n';
			return {contents, loader: 'js'};
		});
	},
};

export function inkBundleOptions({entryPoints, outdir, stub}) {
	return {
		plugins: [inkOutputCachePlugin],
		entryPoints,
		outdir,
		bundle: true,
		splitting: true,
		chunkNames: 'chunks/[name]-[hash]',
		platform: 'node',
		format: 'esm',
		target: 'node20',
		minify: true,
		legalComments: 'none',
		jsx: 'automatic',
		alias: {'react-devtools-core': stub},
		define: {'process.env.NODE_ENV': '"production"'},
		banner: {
			js: "#!/usr/bin/env node\nimport {createRequire as __inkBundleCreateRequire} from 'node:module';const require = __inkBundleCreateRequire(import.meta.url);",
		},
		logLevel: 'warning',
	};
}

// The dynamic imports of source/cli.tsx that `smtp-tui run` never reaches: the other
// commands, and the UI (Ink, React). In dist/batch.cjs each is a module that throws, so
// reaching one from `run` is an internal error, not a silently different program.
const notInBatch = /^\.\/(ui\/[\w-]+|commands\/(check|compare|journey|lab|presets|probe|replay)|lessons\/index)\.js$/;

export const batchPrologue = '(function (exports, require, module, __filename, __dirname) {"use strict";';

/**
 * dist/batch.cjs (see scripts/cli-loader.cjs): source/cli.tsx as one CommonJS script for
 * `smtp-tui run`, so that V8 can use a code cache for it; what `run` loads only when asked
 * (meow, the lab, the recording schema, the MTA-STS lookup) is inside it, unrun until used.
 * The build fails if any UI package gets in.
 */
export function batchBundleOptions({entry, outfile}) {
	return {
		plugins: [{
			name: 'batch-only',
			setup(build) {
				build.onResolve({filter: notInBatch}, args => args.importer.endsWith('cli.tsx') ? {path: args.path, namespace: 'not-in-batch'} : undefined);
				build.onLoad({filter: /.*/, namespace: 'not-in-batch'}, args => ({contents: `throw new Error(${JSON.stringify(`${args.path} is not in the batch build (scripts/bundle-options.mjs)`)});`, loader: 'js'}));
				build.onResolve({filter: /^(ink|react|react\/.*|yoga-layout|ink-.*)$/}, args => {
					throw new Error(`${args.importer} imports ${args.path} into dist/batch.cjs: \`smtp-tui run\` must not load the UI (scripts/bundle-options.mjs).`);
				});
			},
		}],
		entryPoints: [entry],
		outfile,
		bundle: true,
		platform: 'node',
		format: 'cjs',
		target: 'node20',
		// import() of a built-in (node:tls) becomes require(): a script compiled by vm.Script has
		// no module loader to import with (scripts/build.mjs checks that none is left).
		supported: {'dynamic-import': false},
		minify: true,
		legalComments: 'none',
		jsx: 'automatic',
		define: {'process.env.NODE_ENV': '"production"', 'import.meta': 'importMeta'},
		// The wrapper Node puts around a CommonJS module, written here so that the loader compiles
		// the file as it is read; strict mode first, as ES modules are (scripts/build.mjs checks
		// it is the function's first statement); then what import.meta holds in the ES-module
		// build (meow asks for it, libmime is required from it).
		banner: {js: `${batchPrologue}const importMeta = {url: require('node:url').pathToFileURL(__filename).href};`},
		footer: {js: '})'},
		logLevel: 'warning',
	};
}

export const devtoolsStub = 'export default {initialize() {}, connectToDevTools() {}};\n';
