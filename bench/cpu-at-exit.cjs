// Preloaded (NODE_OPTIONS=--require) into a process the bench times: at exit it writes its
// own CPU time, user + system in milliseconds, to SMTP_TUI_BENCH_CPU_FILE. On a shared
// machine a wall time also counts the wait for a core; CPU time does not.
const {writeFileSync} = require('node:fs');

const file = process.env.SMTP_TUI_BENCH_CPU_FILE;
if (file) {
	process.on('exit', () => {
		const {user, system} = process.cpuUsage();
		writeFileSync(file, String((user + system) / 1000));
	});
}
