// Figure 1: time from spawn to the first screen, smtp-tui vs a hello-world Ink app
// bundled the same way (esbuild, one minified ESM file, production React), interleaved.
import {mkdir, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {build} from 'esbuild';
// @ts-expect-error: a plain .mjs build script without type declarations.
import {devtoolsStub, inkBundleOptions} from '../scripts/bundle-options.mjs';
import {row, type Figure} from './figure.js';
import {spawnProbe} from './pty-probe.js';
import {median} from './stats.js';

export const cliPath = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const helloSource = fileURLToPath(new URL('fixtures/hello.tsx', import.meta.url));
const helloGlyphsSource = fileURLToPath(new URL('fixtures/hello-glyphs.tsx', import.meta.url));

/**
 * Bundles a hello-world app (bench/fixtures/hello.tsx unless told) into `directory` with the
 * build's own esbuild options: one bundle per directory, so each app has its own chunks.
 */
export async function bundleHello(directory: string, source = helloSource): Promise<string> {
	await mkdir(directory, {recursive: true});
	const stub = join(directory, 'devtools-stub.js');
	await writeFile(stub, devtoolsStub);
	await build(inkBundleOptions({entryPoints: {hello: source}, outdir: directory, stub}));
	return join(directory, 'hello.js');
}

/** Milliseconds from spawn until `text` is on a completely drawn screen. */
async function firstFrame(script: string, args: readonly string[], text: string): Promise<number> {
	const probe = spawnProbe(process.execPath, [script, ...args]);
	try {
		const {at} = await probe.waitUntil(screen => screen.includes(text), 15_000, `"${text}" from ${script}`);
		return at - probe.spawnedAt;
	} finally {
		probe.kill();
		// The next run must not share the CPU with this one.
		await probe.exited;
	}
}

export function firstFrameFigure(options: {runs: number; scratch: string}): Figure {
	return {
		id: 'first-frame',
		title: `time to first frame (${options.runs} runs each, interleaved)`,
		async measure() {
			const hello = await bundleHello(join(options.scratch, 'hello'));
			const helloGlyphs = await bundleHello(join(options.scratch, 'hello-glyphs'), helloGlyphsSource);
			const project = () => firstFrame(cliPath, [], 'where should the conversation go?');
			const baseline = () => firstFrame(hello, [], 'hello');
			const glyphsBaseline = () => firstFrame(helloGlyphs, [], '❯ hello');
			// One unmeasured run each: the first spawn pays for a cold page cache.
			await project();
			await baseline();
			await glyphsBaseline();
			const projectSamples: number[] = [];
			const baselineSamples: number[] = [];
			const glyphsSamples: number[] = [];
			for (let run = 0; run < options.runs; run++) {
				projectSamples.push(await project());
				baselineSamples.push(await baseline());
				glyphsSamples.push(await glyphsBaseline());
			}

			return [
				row({
					name: `Time to first frame (median of ${options.runs})`,
					unit: 'ms',
					project: median(projectSamples),
					baseline: median(baselineSamples),
					target: {kind: 'ratio-at-most', value: 1.05},
					samples: {project: projectSamples, baseline: baselineSamples},
					detail: {projectSamples, baselineSamples, baselineIs: 'hello-world Ink app, same esbuild settings'},
				}),
				row({
					name: 'Time to first frame vs the hello app drawing a border and ❯ · … ↑↓, as the start screen does (context)',
					unit: 'ms',
					project: median(projectSamples),
					baseline: median(glyphsSamples),
					samples: {project: projectSamples, baseline: glyphsSamples},
					detail: {glyphsSamples, baselineIs: 'bench/fixtures/hello-glyphs.tsx, same esbuild settings'},
				}),
			];
		},
	};
}
