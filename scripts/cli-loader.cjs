#!/usr/bin/env node
// The `smtp-tui` bin: scripts/build.mjs copies this file to dist/cli.js. It reads one thing,
// whether the first argument is `run`, only to choose which build of source/cli.tsx to load;
// cli.tsx then parses the whole command line as always.
//
// - `smtp-tui run …` loads dist/batch.cjs: cli.tsx and what `run` can need, bundled as one
//   classic script with no UI in it, compiled with the V8 code cache dist/batch.cache that the
//   build made by running one session (scripts/make-code-cache.cjs). An ES module cannot use a
//   code cache on Node 20, and compiling is most of what a batch run costs above Node's own
//   start (readme, Benchmarks).
// - Everything else loads dist/app.mjs, the ES-module build (Ink and yoga use top-level await).
//
// dist/batch.cache starts with the SHA-256 of the batch.cjs it was made from and the SHA-256
// of the V8 cache after them (cacheHeader). Release V8 checks only a cache's version, flags
// and source length, not its bytes: a damaged cache it accepts can abort V8, crash Node or
// run code of an older batch.cjs of the same length. So V8 gets the cache only when both
// digests match the bytes on disk. A cache that does not (rejected: digest), one V8 refuses
// (another Node or V8 version, other V8 flags) or a missing one is no error: V8 compiles from
// the source, as it would with no cache, and nothing is written. NODE_DEBUG=smtp-tui says
// which happened (test/cli/batch-loader.test.ts).
'use strict';
// Required (not run) by scripts/make-code-cache.cjs, which shares cacheHeader and runBatch.
if (require.main !== module) module.exports = {cacheHeader, runBatch};
else if (process.argv[2] === 'run') {
	const {readFileSync} = require('node:fs');
	const {join} = require('node:path');
	const {Script} = require('node:vm');
	const file = join(__dirname, 'batch.cjs');
	const source = readFileSync(file);
	let stored;
	try {
		stored = readFileSync(join(__dirname, 'batch.cache'));
	} catch {}

	let cachedData;
	let fate = 'absent';
	if (stored !== undefined) {
		const data = stored.subarray(64);
		if (cacheHeader(source, data).equals(stored.subarray(0, 64))) cachedData = data;
		else fate = 'rejected: digest';
	}

	// The file is a function expression: the wrapper Node puts around a CommonJS module is
	// written by the build (bundle-options.mjs), so the source is read and compiled as it is.
	const script = new Script(source.toString('utf8'), {filename: file, cachedData});
	if (cachedData !== undefined) fate = script.cachedDataRejected ? 'rejected by V8' : 'accepted';
	// debuglog's own check of NODE_DEBUG costs more than this one.
	if (process.env.NODE_DEBUG) require('node:util').debuglog('smtp-tui')('batch code cache %s', fate);
	runBatch(script, file);
} else {
	import('./app.mjs');
}

/** The 64 bytes before the V8 cache in dist/batch.cache: SHA-256 of the script, then of the cache. */
function cacheHeader(source, data) {
	const {createHash} = require('node:crypto');
	return Buffer.concat([createHash('sha256').update(source).digest(), createHash('sha256').update(data).digest()]);
}

/** Runs the compiled dist/batch.cjs as Node runs a CommonJS module. */
function runBatch(script, file) {
	const batch = {exports: {}};
	script.runInThisContext().call(batch.exports, batch.exports, require, batch, file, require('node:path').dirname(file));
}
