// A scripted SMTP server on 127.0.0.1 that answers every command at once: no greeting
// delay (smtp-server waits 100 ms), no TLS, no AUTH. It takes the server out of a
// whole-session timing, so what is left is the client's own cost.
// Plain JavaScript (types in zero-delay-server.d.mts): the bench uses it, and so does the
// build, which runs one batch session against it to make the code cache (scripts/build.mjs).
import net from 'node:net';

const ehloReply = ['250-mx.bench.test', '250-PIPELINING', '250-SIZE 10240000', '250-8BITMIME', '250-ENHANCEDSTATUSCODES', '250 SMTPUTF8'].join('\r\n');

/** The reply to one command line, or undefined while inside DATA. */
function reply(line) {
	const verb = line.split(' ', 1)[0].toUpperCase();
	switch (verb) {
		case 'EHLO':
			return ehloReply;
		case 'HELO':
			return '250 mx.bench.test';
		case 'MAIL':
			return '250 2.1.0 Ok';
		case 'RCPT':
			return '250 2.1.5 Ok';
		case 'DATA':
			return '354 End data with <CR><LF>.<CR><LF>';
		case 'RSET':
		case 'NOOP':
			return '250 2.0.0 Ok';
		case 'QUIT':
			return '221 2.0.0 Bye';
		default:
			return '502 5.5.2 Error: command not recognized';
	}
}

function serve(socket, onSession) {
	socket.setNoDelay(true);
	socket.on('error', () => socket.destroy());
	let buffer = '';
	let inData = false;
	socket.write('220 mx.bench.test ESMTP bench\r\n');
	socket.on('data', chunk => {
		buffer += chunk.toString('latin1');
		let out = '';
		let quit = false;
		let index;
		while (!quit && (index = buffer.indexOf('\r\n')) >= 0) {
			const line = buffer.slice(0, index);
			buffer = buffer.slice(index + 2);
			if (inData) {
				if (line === '.') {
					inData = false;
					out += '250 2.0.0 Ok: queued as BENCH\r\n';
				}

				continue;
			}

			const answer = reply(line);
			out += answer + '\r\n';
			if (answer.startsWith('354')) inData = true;
			if (answer.startsWith('221')) quit = true;
		}

		// Pipelined commands get their replies in one write, as a real server would.
		if (out) socket.write(out);
		if (quit) {
			onSession();
			socket.end();
		}
	});
}

/** @returns {Promise<import('./zero-delay-server.d.mts').ZeroDelayServer>} */
export async function startZeroDelayServer() {
	let sessions = 0;
	const sockets = new Set();
	const server = net.createServer(socket => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
		serve(socket, () => sessions++);
	});
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', resolve);
	});
	const {port} = server.address();
	return {
		port,
		sessions: () => sessions,
		close: async () => {
			for (const socket of sockets) socket.destroy();
			await new Promise(resolve => server.close(() => resolve()));
		},
	};
}
