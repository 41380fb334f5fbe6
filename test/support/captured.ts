// A message as a lab captured it, for tests that deliver into mailboxes (POP3, IMAP).
import type {CapturedMessage} from '../../source/lab/index.js';

let sequence = 0;

/** A message received on port 25 over TLS from smtp.sender.test; `over` replaces any field (`id` for a fixed queue ID). */
export function capturedMessage(rcptTo: string[], raw: string | Buffer, over: Partial<CapturedMessage> = {}): CapturedMessage {
	sequence++;
	return {
		id: `ABCDEF${String(sequence).padStart(4, '0')}`,
		port: 25,
		listenPort: 2525,
		mailFrom: 'alice@sender.test',
		rcptTo,
		tls: true,
		receivedAt: new Date('2026-11-29T10:00:00Z'),
		helo: 'smtp.sender.test',
		remoteAddress: '127.0.0.1',
		transmission: 'ESMTPS',
		raw: typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw,
		...over,
	};
}
