// The one way this project bundles an Ink app with esbuild, shared by the build and by the
// benchmark's hello-world baseline so both are "bundled the same way".
// - react-devtools-core: Ink imports it statically; aliased to a stub (only used with DEV=true).
// - a banner defines `require` (a CommonJS dependency calls require("assert")).
// - NODE_ENV is production; code splitting keeps what a dynamic import() loads (the lab,
//   the UI) out of the start-up path until it is used.
export function inkBundleOptions({entryPoints, outdir, stub}) {
	return {
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
