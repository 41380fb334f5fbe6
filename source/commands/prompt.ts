// A password prompt that does not echo what is typed (run and the TUI, on a terminal).
// Read in raw mode straight from the terminal, without readline: readline's keypress
// decoder stays attached to stdin for good and starves Ink, which reads the same stdin
// right after (the TUI ignored every key typed after the prompt).
import {UsageError} from '../setup/errors.js';

/** Ctrl-C at the prompt: the person chose to stop (exit 130, as for Ctrl-C anywhere). */
export class PromptInterrupted extends Error {
	override readonly name = 'PromptInterrupted';
}

export async function promptHidden(question: string, input: NodeJS.ReadStream, output: NodeJS.WriteStream): Promise<string> {
	output.write(question);
	const wasRaw = input.isRaw;
	input.setRawMode?.(true);
	let typed: string[] = [];
	let detach = () => undefined as void;
	try {
		return await new Promise<string>((resolve, reject) => {
			const noPassword = () => reject(new UsageError('No password was typed.'));
			let done = false;
			const finish = (settle: () => void) => {
				done = true;
				settle();
			};

			/** One typed character; false when the rest of the chunk is not the password's. */
			const onKey = (char: string): boolean => {
				switch (char) {
					case '\r':
					case '\n':
						finish(() => resolve(typed.join('')));
						return false;
					case '\u0003':
						finish(() => reject(new PromptInterrupted('interrupted at the password prompt')));
						return false;
					case '\u0004': // Ctrl-D on an empty line ends the input, as at a shell prompt.
						if (typed.length === 0) finish(noPassword);
						return typed.length > 0;
					case '\u001B': // An escape sequence (an arrow key) is not part of a password.
						return false;
					case '\u007F':
					case '\b':
						typed = typed.slice(0, -1);
						return true;
					case '\u0015': // Ctrl-U: start again.
						typed = [];
						return true;
					default:
						if (char >= ' ') typed.push(char);
						return true;
				}
			};

			const onReadable = () => {
				let chunk: Buffer | string | null;
				while (!done && (chunk = input.read() as Buffer | string | null) !== null) {
					for (const char of String(chunk)) if (!onKey(char)) break;
				}
			};

			input.on('readable', onReadable);
			input.once('end', noPassword);
			detach = () => {
				input.off('readable', onReadable);
				input.off('end', noPassword);
			};
		});
	} finally {
		detach();
		// Leave stdin paused, in a state from which the next 'readable' listener (Ink's)
		// starts reading again (without this resume/pause pair the TUI got no key and ended at
		// once), and not holding the process open (`run` ends; Ink refs stdin again itself).
		input.resume();
		input.pause();
		input.unref?.();
		input.setRawMode?.(wasRaw ?? false);
		output.write('\n');
	}
}
