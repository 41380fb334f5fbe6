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

/**
 * A message with 8-bit bytes that are not UTF-8 (latin1 é in the Subject, ï and ÿ in the body),
 * CRLF line ends and a line starting with a dot: what must come back byte for byte.
 */
export function eightBitMessage(fields: {from: string; to: string; messageId: string}): Buffer {
	return Buffer.concat([
		Buffer.from(`From: ${fields.from}\r\nTo: ${fields.to}\r\nSubject: caf`, 'latin1'),
		Buffer.from([0xe9]),
		Buffer.from(`\r\nMessage-ID: ${fields.messageId}\r\n\r\nna`, 'latin1'),
		Buffer.from([0xef, 0x76, 0x65, 0x20, 0xff]),
		Buffer.from('\r\n.a dotted line\r\nbye\r\n', 'latin1'),
	]);
}
