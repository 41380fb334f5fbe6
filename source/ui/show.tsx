// Every full-screen Ink app smtp-tui shows goes through here, so Ctrl-C means the same on
// every screen: the app ends and the exit code is 130 (interrupted), whatever the screen
// itself does with the key.
import React, {type ReactElement, type ReactNode} from 'react';
import {render, useApp, useInput} from 'ink';
import {KeyRouterRoot} from './screen-input.js';

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

/** Renders `app` until it exits (or Ctrl-C); says whether Ctrl-C ended it. */
export async function showUntilExit(app: ReactElement): Promise<{interrupted: boolean}> {
	let interrupted = false;
	const instance = render(<CtrlC onCtrlC={() => {
		interrupted = true;
	}}><KeyRouterRoot>{app}</KeyRouterRoot></CtrlC>, {exitOnCtrlC: false});
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
