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

export const devtoolsStub = 'export default {initialize() {}, connectToDevTools() {}};\n';
