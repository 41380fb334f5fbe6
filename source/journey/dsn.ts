// A delivery status notification (RFC 3464, in a multipart/report, RFC 6522): what the
// sender's provider sends back to alice when the receiving MX refuses her message for good
// (a 5xx reply). The wording of the human part follows Postfix's bounce(8) messages.

import {randomBytes} from 'node:crypto';

export type BounceFacts = {
	/** The provider that tried to deliver (Reporting-MTA). */
	reportingMta: string;
	/** The server that refused (Remote-MTA). */
	remoteMta: string;
	/** Who gets the notification: the original envelope sender. */
	to: string;
	/** The sender's queue ID of the message that bounced. */
	queueId: string;
	arrival: Date;
	/** Each refused recipient with the reply that refused it. */
	failures: Array<{recipient: string; code: number; enhanced: string; text: string}>;
	/** The original message (its header is returned, not its body). */
	original: Buffer;
};

export type Bounce = {
	/** The notification as it would be stored: header and multipart/report body, CRLF lines. */
	raw: Buffer;
	/** One per recipient, as in the message/delivery-status part. */
	recipients: Array<{recipient: string; action: 'failed'; status: string; diagnostic: string}>;
};

function headerOf(message: Buffer): string {
	const text = message.toString('utf8');
	const end = text.search(/\r?\n\r?\n/);
	return (end === -1 ? text : text.slice(0, end)).replace(/\r?\n/g, '\r\n');
}

/** Builds the DSN for the refused recipients of one message. */
export function buildBounce(facts: BounceFacts): Bounce {
	const boundary = `${facts.queueId}.${randomBytes(6).toString('hex')}/${facts.reportingMta}`;
	const recipients = facts.failures.map(failure => ({
		recipient: failure.recipient,
		action: 'failed' as const,
		status: failure.enhanced,
		diagnostic: `smtp; ${failure.code} ${failure.enhanced} ${failure.text}`,
	}));
	const human = [
		`This is the mail system at host ${facts.reportingMta}.`,
		'',
		'I\'m sorry to have to inform you that your message could not',
		'be delivered to one or more recipients. It\'s attached below.',
		'',
		...facts.failures.map(failure => `<${failure.recipient}>: host ${facts.remoteMta} said: ${failure.code} ${failure.enhanced} ${failure.text}`),
	];
	const status = [
		`Reporting-MTA: dns; ${facts.reportingMta}`,
		`X-Postfix-Queue-ID: ${facts.queueId}`,
		`Arrival-Date: ${facts.arrival.toUTCString().replace('GMT', '+0000')}`,
		...recipients.flatMap(item => ['', `Final-Recipient: rfc822; ${item.recipient}`, `Action: ${item.action}`, `Status: ${item.status}`, `Remote-MTA: dns; ${facts.remoteMta}`, `Diagnostic-Code: ${item.diagnostic}`]),
	];
	const lines = [
		`From: Mail Delivery System <MAILER-DAEMON@${facts.reportingMta}>`,
		`To: ${facts.to}`,
		'Subject: Undelivered Mail Returned to Sender',
		`Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
		`Message-ID: <${facts.queueId}.${randomBytes(4).toString('hex')}@${facts.reportingMta}>`,
		'Auto-Submitted: auto-replied',
		'MIME-Version: 1.0',
		`Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
		'',
		'This is a MIME-encapsulated message.',
		'',
		`--${boundary}`,
		'Content-Description: Notification',
		'Content-Type: text/plain; charset=utf-8',
		'',
		...human,
		'',
		`--${boundary}`,
		'Content-Description: Delivery report',
		'Content-Type: message/delivery-status',
		'',
		...status,
		'',
		`--${boundary}`,
		'Content-Description: Undelivered Message Headers',
		'Content-Type: text/rfc822-headers',
		'',
		headerOf(facts.original),
		'',
		`--${boundary}--`,
		'',
	];
	return {raw: Buffer.from(lines.join('\r\n'), 'utf8'), recipients};
}
