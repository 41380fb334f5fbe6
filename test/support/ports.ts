// Free ports for tests that start the classroom lab at a base port.
import net from 'node:net';

/** What the classroom lab listens on, as offsets from its base port: SMTP, then POP3 and IMAP. */
export const classroomPorts = [25, 465, 587, 2525, 110, 995, 143, 993];

export async function free(port: number): Promise<boolean> {
	return new Promise(resolve => {
		const server = net.createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
	});
}

/** A base port whose classroom lab ports (base + each of classroomPorts) are all free. */
export async function freeBase(): Promise<number> {
	for (let i = 0; i < 50; i++) {
		const base = 20_000 + Math.floor(Math.random() * 30_000);
		if ((await Promise.all(classroomPorts.map(async port => free(base + port)))).every(Boolean)) return base;
	}

	throw new Error('no free base port');
}
