// Exit codes name the step that failed, after swaks' table so its users read them alike.
import type {StepKind} from '../protocol/transcript.js';

export const exitCodes = {
	ok: 0,
	internal: 1,
	usage: 2,
	connect: 3,
	timeout: 6,
	banner: 21,
	ehlo: 22,
	mail: 23,
	rcpt: 24,
	data: 25,
	body: 26,
	quit: 27,
	auth: 28,
	tls: 29,
	command: 30,
	ehloAfterTls: 32,
	interrupted: 130,
} as const;

export type ExitCodeName = keyof typeof exitCodes;

export const exitCodeTable: Array<{code: number; meaning: string}> = [
	{code: 0, meaning: 'the conversation completed as planned'},
	{code: 1, meaning: 'an internal error in smtp-tui (please report it)'},
	{code: 2, meaning: 'bad command-line input, or the TUI was started without a terminal'},
	{code: 3, meaning: 'could not connect (refused, unreachable, unknown host)'},
	{code: 6, meaning: 'the server did not answer in time'},
	{code: 21, meaning: 'no usable banner (closed, refused with 554, or not SMTP)'},
	{code: 22, meaning: 'EHLO/HELO refused'},
	{code: 23, meaning: 'MAIL FROM refused, or a UTF-8 address without SMTPUTF8'},
	{code: 24, meaning: 'no recipient accepted'},
	{code: 25, meaning: 'DATA refused'},
	{code: 26, meaning: 'the message was not accepted after the final dot'},
	{code: 27, meaning: 'QUIT answered with an error'},
	{code: 28, meaning: 'AUTH failed, or AUTH (or the --auth mechanism) not offered'},
	{code: 29, meaning: 'TLS failed: STARTTLS missing or refused, handshake or certificate failure, or an enforced MTA-STS policy refuses the MX'},
	{code: 30, meaning: 'the connection closed, or a reply was broken, during RSET, NOOP or a command typed by hand that is none of the steps above'},
	{code: 32, meaning: 'EHLO after the TLS upgrade refused'},
];

export function exitCodeForStep(step: StepKind, afterTls: boolean): number {
	switch (step) {
		case 'connect':
			return exitCodes.banner;
		case 'ehlo':
		case 'helo':
			return afterTls ? exitCodes.ehloAfterTls : exitCodes.ehlo;
		case 'starttls':
			return exitCodes.tls;
		case 'auth':
			return exitCodes.auth;
		case 'mail':
			return exitCodes.mail;
		case 'rcpt':
			return exitCodes.rcpt;
		case 'data':
			return exitCodes.data;
		case 'body':
			return exitCodes.body;
		case 'quit':
			return exitCodes.quit;
		case 'rset':
		case 'noop':
		case 'manual':
			return exitCodes.command;
		default:
			return exitCodes.internal;
	}
}
