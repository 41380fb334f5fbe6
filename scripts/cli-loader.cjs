#!/usr/bin/env node
// The `smtp-tui` bin: scripts/build.mjs copies this file to dist/cli.js. It reads one thing,
// whether the first argument is `run`, only to choose which build of source/cli.tsx to load;
// cli.tsx then parses the whole command line as always.
//
// - `smtp-tui run …` loads dist/batch.cjs: cli.tsx and what `run` can need, bundled as one
//   classic script with no UI in it, compiled with the V8 code cache dist/batch.cache that the
//   build made by running one session. An ES module cannot use a code cache on Node 20, and
//   compiling is most of what a batch run costs above Node's own start (readme, Benchmarks).
// - Everything else loads dist/app.mjs, the ES-module build (Ink and yoga use top-level await).
//
// A cache V8 refuses (another Node or V8 version, other V8 flags, a damaged file) or a missing
// one is no error: V8 compiles from the source, as it would with no cache, and nothing is
// written. NODE_DEBUG=smtp-tui says which happened (test/cli/batch-loader.test.ts).
'use strict';
if (process.argv[2] === 'run') {
	const {readFileSync, writeFileSync} = require('node:fs');
	const {join} = require('node:path');
	const {Script} = require('node:vm');
	const file = join(__dirname, 'batch.cjs');
	const cacheFile = join(__dirname, 'batch.cache');
	// Set by the build only, for its one training session: write the cache at exit.
	const cacheOut = process.env.SMTP_TUI_BUILD_CODE_CACHE;
	let cachedData;
	if (!cacheOut) {
		try {
			cachedData = readFileSync(cacheFile);
		} catch {}
	}

	// The file is a function expression: the wrapper Node puts around a CommonJS module is
	// written by the build (bundle-options.mjs), so the source is read and compiled as it is.
	const script = new Script(readFileSync(file, 'utf8'), {filename: file, cachedData});
	// debuglog's own check of NODE_DEBUG costs more than this one.
	if (process.env.NODE_DEBUG) require('node:util').debuglog('smtp-tui')('batch code cache %s', cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'rejected' : 'accepted');
	if (cacheOut) process.once('exit', () => writeFileSync(cacheOut, script.createCachedData()));
	const batch = {exports: {}};
	script.runInThisContext().call(batch.exports, batch.exports, require, batch, file, __dirname);
} else {
	import('./app.mjs');
}
