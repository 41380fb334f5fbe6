// Bundles source/cli.tsx twice (see scripts/cli-loader.cjs, copied to dist/cli.js, the
// `smtp-tui` bin, which picks one):
// - dist/app.mjs plus lazily loaded chunks: the ES-module build every command but `run` uses.
// - dist/batch.cjs: the same entry as one classic script holding only what `run` can reach,
//   and dist/batch.cache, its V8 code cache, made here by one `run` against a local server.
// A bundle starts in about 200 ms; tsc's many-file output takes about 480 ms (see
// shared/design/STACK.md). Type checking is tsc's job (`npm run typecheck`).
import {build} from 'esbuild';
import {spawn} from 'node:child_process';
import {chmod, copyFile, mkdir, readFile, rm, writeFile} from 'node:fs/promises';
import {batchBundleOptions, batchPrologue, devtoolsStub, inkBundleOptions} from './bundle-options.mjs';
import {assertUpstream} from './check-upstream.mjs';
import {startZeroDelayServer} from './zero-delay-server.mjs';

// Loudly, before anything is built: the lab's smtp-server hooks and the Ink patch need the
// exact dependency code they were written for.
assertUpstream();

await rm('dist', {recursive: true, force: true});
await mkdir('dist', {recursive: true});
// dist/*.js are CommonJS (the bin), the ES-module build is .mjs.
await writeFile('dist/package.json', '{"type": "commonjs"}\n');
await writeFile('dist/devtools-stub.mjs', devtoolsStub);
await build({...inkBundleOptions({entryPoints: {app: 'source/cli.tsx'}, outdir: 'dist', stub: './dist/devtools-stub.mjs'}), outExtension: {'.js': '.mjs'}});
const batch = await build({...batchBundleOptions({entry: 'source/cli.tsx', outfile: 'dist/batch.cjs'}), metafile: true});
if (!(await readFile('dist/batch.cjs', 'utf8')).startsWith(batchPrologue)) throw new Error('dist/batch.cjs does not start with its wrapper and "use strict": see batchBundleOptions.');
for (const {path, kind} of batch.metafile.outputs['dist/batch.cjs'].imports) {
	if (kind === 'dynamic-import') throw new Error(`dist/batch.cjs still imports ${path} with import(), which fails in the code-cached script: see batchBundleOptions.`);
}

await copyFile('scripts/cli-loader.cjs', 'dist/cli.js');
await chmod('dist/cli.js', 0o755);
await makeCodeCache();

/**
 * One `run` against a zero-delay server on loopback, by scripts/make-code-cache.cjs, writes
 * dist/batch.cache (the functions a session compiles, not only the top level, behind the
 * digests dist/cli.js checks); a second, by dist/cli.js, must accept it and print what the
 * ES-module build prints. Any difference fails the build.
 */
async function makeCodeCache() {
	const server = await startZeroDelayServer();
	try {
		const args = ['run', '--host', '127.0.0.1', '--port', String(server.port), '--tls', 'none', '--from', 'build@example.test', '--to', 'cache@example.test'];
		// The check's message has a fixed date and Message-ID, so both builds print the same bytes.
		const fixed = [...args, '--header', 'Date: Tue, 1 Dec 2026 00:00:00 +0000', '--header', 'Message-ID: <code-cache@example.test>'];
		const run = async (entry, args, env) => {
			const child = await spawnAsync(process.execPath, [entry, ...args], env);
			if (child.status !== 0) throw new Error(`the code-cache run of ${entry} exited with ${child.status}:\n${child.stdout}${child.stderr}`);
			return child;
		};

		await run('scripts/make-code-cache.cjs', args, {});
		const batch = await run('dist/cli.js', fixed, {NODE_DEBUG: 'smtp-tui'});
		const app = await run('dist/app.mjs', fixed, {});
		if (!/batch code cache accepted/.test(batch.stderr)) throw new Error(`dist/batch.cache was not accepted by the Node that made it:\n${batch.stderr}`);
		if (batch.stdout !== app.stdout || batch.stdout === '') throw new Error(`dist/batch.cjs and dist/app.mjs print different sessions:\n${batch.stdout}\n---\n${app.stdout}`);
		const cache = await readFile('dist/batch.cache');
		if (cache.length === 0) throw new Error('dist/batch.cache is empty.');
	} finally {
		await server.close();
	}
}

/** Not spawnSync: that would stop the zero-delay server in this process from answering. */
async function spawnAsync(command, args, env) {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', chunk => (stdout += chunk));
		child.stderr.on('data', chunk => (stderr += chunk));
		child.once('error', reject);
		child.once('close', status => resolve({status, stdout, stderr}));
	});
}
