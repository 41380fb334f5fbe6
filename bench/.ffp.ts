import {spawnProbe} from './pty-probe.js';
import {cliPath} from './first-frame.js';
const dir = process.argv[2]!;
const probe = spawnProbe(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval', '100', cliPath]);
const {at} = await probe.waitUntil(s => s.includes('where should the conversation go?'), 15000, 'first');
console.log('first frame', (at - probe.spawnedAt).toFixed(0));
probe.press('q'); await new Promise(r => setTimeout(r, 300)); probe.press('\u0003');
console.log('exit', await probe.exited);
