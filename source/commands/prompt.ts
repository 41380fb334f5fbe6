// A password prompt that does not echo what is typed (for `run` on a terminal).
import {Writable} from 'node:stream';
import readline from 'node:readline';

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
			rl.once('SIGINT', () => reject(new Error('cancelled')));
			rl.once('close', () => reject(new Error('cancelled')));
		});
	} finally {
		output.write('\n');
		rl.close();
	}
}
