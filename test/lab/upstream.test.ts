// The build's guard on the dependency code the lab's hooks and the Ink patch rely on
// (scripts/check-upstream.mjs): quiet on the installed versions, loud on any change.
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {assertUpstream, expectedVersions, reliedOn, upstreamProblems} from '../../scripts/check-upstream.mjs';

const installed = (path: string) => readFileSync(join('node_modules', path), 'utf8');

test('the installed smtp-server and Ink are the ones the lab hooks and the build patch were written for', () => {
	assert.deepEqual(upstreamProblems(), []);
	assert.deepEqual(expectedVersions, {'smtp-server': '3.21.6', ink: '6.8.0'});
	const pinned = JSON.parse(readFileSync('package.json', 'utf8')) as {dependencies: Record<string, string>};
	for (const [name, version] of Object.entries(expectedVersions)) assert.equal(pinned.dependencies[name], version, `${name} pinned exactly`);
});

test('a new version, or any relied-on piece of code changed, fails loudly and says who depends on it', () => {
	const bumped = (path: string) => (path === 'smtp-server/package.json' ? installed(path).replace('"version": "3.21.6"', '"version": "3.22.0"') : installed(path));
	assert.throws(() => {
		assertUpstream(bumped);
	}, /smtp-server is 3\.22\.0, but the lab's hooks and the build's patch were written for 3\.21\.6/);

	for (const {file, pieces} of reliedOn) {
		for (const {code} of pieces) {
			// The first token of the piece renamed: as a refactoring upstream would.
			const token = /[\w$]+/.exec(code)![0];
			const changed = (path: string) => (path === file ? installed(path).replaceAll(token, `${token}Renamed`) : installed(path));
			const problems = upstreamProblems(changed);
			assert.ok(problems.some(problem => problem.includes(file) && problem.includes(code)), `${file}: ${code}`);
		}
	}

	const noGreetingDelay = (path: string) => installed(path).replace('setTimeout(() => this.connectionReady(), 100)', 'setImmediate(() => this.connectionReady())');
	assert.match(upstreamProblems(noGreetingDelay).join('\n'), /greetAtOnce\(\)/, 'a smtp-server that greets at once by itself is noticed too');
});
