import {firstFrameFigure} from './first-frame.js';
import {table} from './figure.js';
import {mkdtemp} from 'node:fs/promises'; import os from 'node:os'; import {join} from 'node:path';
const scratch = await mkdtemp(join(os.tmpdir(), '20b-ff-'));
const rows = await firstFrameFigure({runs: Number(process.argv[2] ?? 10), scratch}).measure();
console.log(table(rows, [])); console.log('load', os.loadavg().map(x => x.toFixed(1)).join(' '));
