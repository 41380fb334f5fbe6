// The shape of a port comparison as plain data, and the plain-words reading of it. Pure:
// the engine fills it, renderers (Markdown, JSON, the TUI) read it.

export type CompareRow =
	| 'banner'
	| 'ehlo'
	| 'auth-before-tls'
	| 'starttls'
	| 'ehlo-tls'
	| 'mail-without-auth'
	| 'auth'
	| 'mail'
	| 'rcpt-outside'
	| 'rcpt-own'
	| 'data'
	| 'body'
	| 'quit';

export const compareRows: Array<{row: CompareRow; label: string}> = [
	{row: 'banner', label: 'banner'},
	{row: 'ehlo', label: 'EHLO'},
	{row: 'auth-before-tls', label: 'AUTH before TLS'},
	{row: 'starttls', label: 'STARTTLS'},
	{row: 'ehlo-tls', label: 'EHLO in TLS'},
	{row: 'mail-without-auth', label: 'mail w/o login'},
	{row: 'auth', label: 'AUTH'},
	{row: 'mail', label: 'MAIL FROM'},
	{row: 'rcpt-outside', label: 'RCPT outside'},
	{row: 'rcpt-own', label: 'RCPT own domain'},
	{row: 'data', label: 'DATA'},
	{row: 'body', label: 'message'},
	{row: 'quit', label: 'QUIT'},
];

export type CellStatus = 'pending' | 'done' | 'skipped' | 'failed';

export type ColumnSummary = {
	port: number;
	label: string;
	/** `starttls-failed`: tried and refused, or the handshake failed; `starttls-not-used`: offered, not tried (--tls none). */
	tls: 'implicit' | 'starttls' | 'starttls-failed' | 'starttls-not-used' | 'none';
	authBeforeTls: string[];
	authAfterTls: string[];
	/** Reply to AUTH attempted before TLS: "530 5.7.0", or a note. */
	authBeforeTlsReply?: string;
	/** Reply when mail was attempted without logging in. */
	mailWithoutAuth: {accepted: boolean; reply?: string};
	relayOutside: {accepted: boolean; reply?: string};
	ownDomain: {accepted: boolean; reply?: string};
	messageAccepted: boolean;
	totalMs: number;
	failure?: string;
};

export type CompareReportCell = {port: number; status: CellStatus; code?: number; enhanced?: string; text: string; note?: string; tls: boolean};

export type CompareReport = {
	/** "lab" or the host compared. */
	target: string;
	ports: number[];
	rows: Array<{row: CompareRow; label: string; differs: boolean; cells: CompareReportCell[]}>;
	summaries: ColumnSummary[];
	/** Plain-words explanation of the differences, once the scenario is done. */
	sentences: string[];
};

const list = (ports: number[]) => ports.length <= 1 ? String(ports[0] ?? '') : `${ports.slice(0, -1).join(', ')} and ${ports.at(-1)}`;

/** Two or three sentences that explain the differences in plain words. */
export function explainDifferences(summaries: ColumnSummary[]): string[] {
	const sentences: string[] = [];
	const demandTls = summaries.filter(s => s.tls === 'starttls' && s.authBeforeTls.length === 0 && s.authAfterTls.length > 0).map(s => s.port);
	if (demandTls.length > 0) sentences.push(`${list(demandTls)} ${demandTls.length > 1 ? 'demand' : 'demands'} STARTTLS before AUTH: login is offered only once the connection is encrypted.`);
	const implicit = summaries.filter(s => s.tls === 'implicit').map(s => s.port);
	if (implicit.length > 0) sentences.push(`${list(implicit)} ${implicit.length > 1 ? 'are' : 'is'} encrypted from the first byte (implicit TLS), so there is no STARTTLS step.`);
	const relay = summaries.filter(s => !s.relayOutside.accepted && s.ownDomain.accepted && s.authAfterTls.length === 0 && s.authBeforeTls.length === 0).map(s => s.port);
	if (relay.length > 0) sentences.push(`${list(relay)} ${relay.length > 1 ? 'accept' : 'accepts'} mail only for the server's own domain and never ${relay.length > 1 ? 'offer' : 'offers'} AUTH: ${relay.length > 1 ? 'they are' : 'it is'} where other servers deliver, not where you submit.`);
	const submission = summaries.filter(s => !s.mailWithoutAuth.accepted && s.relayOutside.accepted).map(s => s.port);
	if (submission.length > 0) sentences.push(`${list(submission)} refuse${submission.length > 1 ? '' : 's'} mail until you log in, then relay${submission.length > 1 ? '' : 's'} it anywhere.`);
	const clearAuth = summaries.filter(s => s.authBeforeTls.length > 0).map(s => s.port);
	if (clearAuth.length > 0) sentences.push(`Warning: ${list(clearAuth)} ${clearAuth.length > 1 ? 'offer' : 'offers'} AUTH before TLS, where a password would travel readable.`);
	const failed = summaries.filter(s => s.failure).map(s => `${s.port}: ${s.failure}`);
	sentences.push(...failed);
	return sentences;
}
