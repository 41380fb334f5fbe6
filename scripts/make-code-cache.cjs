// Build only (scripts/build.mjs): `node scripts/make-code-cache.cjs run …` runs dist/batch.cjs
// as dist/cli.js does and, at exit, writes dist/batch.cache: the digests dist/cli.js checks
// (cacheHeader), then the V8 code cache of everything the session compiled, not only the top
// level. Not in dist, so the installed bin has no way to write a file.
'use strict';
const {readFileSync, writeFileSync} = require('node:fs');
const {join} = require('node:path');
const {Script} = require('node:vm');
const {cacheHeader, runBatch} = require('./cli-loader.cjs');

const file = join(__dirname, '..', 'dist', 'batch.cjs');
const source = readFileSync(file);
const script = new Script(source.toString('utf8'), {filename: file});
process.once('exit', () => {
	const data = script.createCachedData();
	writeFileSync(join(__dirname, '..', 'dist', 'batch.cache'), Buffer.concat([cacheHeader(source, data), data]));
});
runBatch(script, file);
