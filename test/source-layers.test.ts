// The layers of source/ (readme, Development; ../shared/design/ARCHITECTURE.md): which folder
// may import which, read from every import in every source file. protocol/ holds no socket,
// timer-free knowledge only; engine/ and lab/ know no React or Ink; the lab (and its barrel)
// loads no client code; the journey sits above engine and lab; setup/ (target resolution,
// recordings saved, the lab's log lines) is what commands and the UI share; commands never
// import the UI, and the UI never imports commands.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readdirSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../source');

type Layer = 'protocol' | 'engine' | 'lab' | 'journey' | 'export' | 'lessons' | 'checks' | 'setup' | 'commands' | 'ui' | 'types' | 'cli';

/** Which layers each layer may import (itself included). */
const allowed: Record<Layer, readonly Layer[]> = {
	protocol: ['protocol'],
	engine: ['engine', 'protocol'],
	lab: ['lab', 'protocol'],
	journey: ['journey', 'engine', 'lab', 'protocol'],
	export: ['export', 'protocol'],
	lessons: ['lessons', 'engine', 'protocol'],
	checks: ['checks', 'protocol'],
	setup: ['setup', 'protocol', 'engine', 'lab', 'export'],
	commands: ['commands', 'protocol', 'engine', 'lab', 'journey', 'export', 'lessons', 'checks', 'setup'],
	ui: ['ui', 'engine', 'protocol', 'export', 'lessons', 'lab', 'journey', 'checks', 'setup'],
	types: ['types'],
	cli: ['protocol', 'engine', 'lab', 'journey', 'export', 'lessons', 'checks', 'setup', 'commands', 'ui'],
};

/** Packages a layer must not load (the terminal and the network stay where they belong). */
const forbiddenPackages: Partial<Record<Layer, RegExp>> = {
	protocol: /^(node:)?(net|tls|dns|dgram|http|https|child_process)$|^react$|^ink($|\/)/,
	engine: /^react$|^ink($|\/)/,
	lab: /^react$|^ink($|\/)/,
	journey: /^react$|^ink($|\/)/,
	export: /^react$|^ink($|\/)/,
	lessons: /^react$|^ink($|\/)/,
	setup: /^react$|^ink($|\/)/,
	commands: /^react$|^ink($|\/)/,
};

function sourceFiles(dir: string): string[] {
	return readdirSync(dir).sort().flatMap(name => {
		const full = path.join(dir, name);
		return statSync(full).isDirectory() ? sourceFiles(full) : /\.tsx?$/.test(name) ? [full] : [];
	});
}

function layerOf(file: string): Layer {
	const relative = path.relative(root, file);
	return relative === 'cli.tsx' ? 'cli' : (relative.split(path.sep)[0] as Layer);
}

/** Every module a file imports: static imports, re-exports and import(). */
function importsOf(file: string): string[] {
	const text = readFileSync(file, 'utf8');
	const found = new Set<string>();
	for (const match of text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+'([^']+)'|^\s*import\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/gm)) found.add(match[1] ?? match[2] ?? match[3]!);
	return [...found];
}

/** A relative import as a source file (`.js` specifiers name `.ts`/`.tsx` files). */
function resolved(from: string, specifier: string): string | undefined {
	if (!specifier.startsWith('.')) return undefined;
	const base = path.resolve(path.dirname(from), specifier).replace(/\.js$/, '');
	for (const candidate of [`${base}.ts`, `${base}.tsx`, base]) {
		try {
			if (statSync(candidate).isFile()) return candidate;
		} catch {}
	}

	return undefined;
}

const files = sourceFiles(root);

test('every import in source/ goes where its layer may go; no layer loads a package it must not', () => {
	const offences: string[] = [];
	for (const file of files) {
		const layer = layerOf(file);
		const name = path.relative(root, file);
		for (const specifier of importsOf(file)) {
			const target = resolved(file, specifier);
			if (specifier.startsWith('.') && !target) {
				if (!specifier.endsWith('.json')) offences.push(`${name}: ${specifier} does not resolve`);
				continue;
			}

			if (!target) {
				if (forbiddenPackages[layer]?.test(specifier)) offences.push(`${name}: the ${layer} layer loads ${specifier}`);
				continue;
			}

			if (!target.startsWith(root)) continue; // package.json
			const to = layerOf(target);
			if (!allowed[layer].includes(to)) offences.push(`${name}: the ${layer} layer imports ${path.relative(root, target)} (${to})`);
		}
	}

	assert.deepEqual(offences, []);
});

test('the lab, its barrel included, loads no client code: nothing from engine/, journey/ or the SMTP client', () => {
	const seen = new Set<string>();
	const queue = [path.join(root, 'lab/index.ts')];
	while (queue.length > 0) {
		const file = queue.pop()!;
		if (seen.has(file)) continue;
		seen.add(file);
		for (const specifier of importsOf(file)) {
			const target = resolved(file, specifier);
			if (target) queue.push(target);
		}
	}

	const layers = new Set([...seen].map(file => layerOf(file)));
	assert.deepEqual([...layers].sort(), ['lab', 'protocol'], 'lab/index.ts and everything it loads are lab/ and protocol/ only');
	assert.ok(seen.size > 10, 'the walk followed the imports');
});

test('the journey layer imports engine and lab, and nothing in engine/, lab/ or protocol/ imports the journey', () => {
	const journeyImports = new Set(files.filter(file => layerOf(file) === 'journey').flatMap(file => importsOf(file).map(specifier => resolved(file, specifier)).filter((target): target is string => target !== undefined).map(target => layerOf(target))));
	assert.ok(journeyImports.has('engine') && journeyImports.has('lab'), 'the journey drives client sessions and labs');
	const below = files.filter(file => ['engine', 'lab', 'protocol', 'export', 'lessons'].includes(layerOf(file)));
	const up = below.flatMap(file => importsOf(file).map(specifier => resolved(file, specifier)).filter(target => target !== undefined && layerOf(target) === 'journey').map(() => path.relative(root, file)));
	assert.deepEqual(up, []);
});
