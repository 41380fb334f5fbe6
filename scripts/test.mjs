// Runs every test file under test/ with Node's own test runner.
// Node 20's --test neither expands globs nor finds .tsx files by itself, so list them here.
import {readdirSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {spawnSync} from 'node:child_process';

const only = process.argv.slice(2);
const files = [];
const walk = dir => {
	for (const name of readdirSync(dir).sort()) {
		const path = join(dir, name);
		if (statSync(path).isDirectory()) walk(path);
		else if (/\.test\.tsx?$/.test(name)) files.push(path);
	}
};
walk('test');
const selected = only.length > 0 ? files.filter(f => only.some(o => f.includes(o))) : files;
if (selected.length === 0) {
	console.error('No test files matched.');
	process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...selected], {stdio: 'inherit'});
process.exit(result.status ?? 1);
