// Key sequences as a terminal sends them, for ink-testing-library's stdin.write(). Kept apart
// from test/support/pty.ts so component tests do not load node-pty and xterm.
export const keys = {
	enter: '\r',
	space: ' ',
	escape: '\u001B',
	tab: '\t',
	up: '\u001B[A',
	down: '\u001B[B',
	pageUp: '\u001B[5~',
	pageDown: '\u001B[6~',
	home: '\u001B[H',
	end: '\u001B[F',
	ctrlC: '\u0003',
} as const;
