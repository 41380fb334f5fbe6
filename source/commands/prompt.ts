// A password prompt that does not echo what is typed (for `run` on a terminal).
import {Writable} from 'node:stream';
import readline from 'node:readline';
import {UsageError} from './target.js';

/** Ctrl-C at the prompt: the person chose to stop (exit 130, as for Ctrl-C anywhere). */
export class PromptInterrupted extends Error {
	override readonly name = 'PromptInterrupted';
}

export async function promptHidden(question: string, input: NodeJS.ReadStream, output: NodeJS.WriteStream): Promise<string> {
	output.write(question);
	const muted = new Writable({
		write(_chunk, _encoding, callback) {
			callback();
		},
	});
	const rl = readline.createInterface({input, output: muted, terminal: true});
	try {
		return await new Promise<string>((resolve, reject) => {
			rl.once('line', resolve);
			rl.once('SIGINT', () => reject(new PromptInterrupted('interrupted at the password prompt')));
			// The input ended (Ctrl-D, or a closed terminal) before a line was typed.
			rl.once('close', () => reject(new UsageError('No password was typed.')));
		});
	} finally {
		output.write('\n');
		rl.close();
	}
}
