// Every full-screen Ink app smtp-tui shows goes through here, so Ctrl-C means the same on
// every screen: the app ends and the exit code is 130 (interrupted), whatever the screen
// itself does with the key.
import React, {type ReactElement, type ReactNode} from 'react';
import {render, useApp, useInput} from 'ink';
import {KeyRouterRoot} from './screen-input.js';
import {glyphs} from './glyphs.js';

export const interruptedExitCode = 130;

function CtrlC({onCtrlC, children}: {onCtrlC: () => void; children: ReactNode}) {
	const {exit} = useApp();
	// Ink with exitOnCtrlC off delivers Ctrl-C as input to every active handler, this one too.
	// Bytes read together arrive as one input ("xa\u0003" when typing outruns the screen),
	// and then Ink reports no ctrl key: the byte itself is looked for too.
	useInput((input, key) => {
		if ((key.ctrl && input === 'c') || input.includes('\u0003')) {
			onCtrlC();
			exit();
		}
	});
	return <>{children}</>;
}

/**
 * The terminal Ink writes to. On one without Unicode (glyphs.ts) the one glyph Ink draws by
 * itself, the `…` where it cuts a row too long for its box, is written as `.` (as wide): the
 * screens fit their text first, this is for what a layout still cuts.
 */
function terminal(): NodeJS.WriteStream {
	const stdout = process.stdout;
	if (glyphs.unicode) return stdout;
	return new Proxy(stdout, {
		get(target, property) {
			if (property === 'write') {
				return (chunk: unknown, ...rest: unknown[]) => (target.write as (...args: unknown[]) => boolean)(typeof chunk === 'string' ? chunk.replaceAll('\u2026', '.') : chunk, ...rest);
			}

			const value: unknown = Reflect.get(target, property, target);
			return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
		},
	});
}

/** Renders `app` until it exits (or Ctrl-C); says whether Ctrl-C ended it. */
export async function showUntilExit(app: ReactElement): Promise<{interrupted: boolean}> {
	let interrupted = false;
	const instance = render(<CtrlC onCtrlC={() => {
		interrupted = true;
	}}><KeyRouterRoot>{app}</KeyRouterRoot></CtrlC>, {exitOnCtrlC: false, stdout: terminal()});
	// A SIGINT (kill -INT, or Ctrl-C while the terminal is not in raw mode) ends it the same way.
	const onSigint = () => {
		interrupted = true;
		instance.unmount();
	};

	process.on('SIGINT', onSigint);
	try {
		await instance.waitUntilExit();
	} finally {
		process.off('SIGINT', onSigint);
		instance.cleanup();
	}

	return {interrupted};
}
