// Faults that break email authentication on purpose, each the cause of a real "my mail goes to
// spam" question. Pure data: journey.ts applies them (in DNS through zone.ts, or to the message
// the sender's provider relays), and each flips exactly the result its `expect` says.

export type AuthFaultName = 'spf-not-listed' | 'footer-after-signing' | 'unaligned-from' | 'dmarc-reject' | 'no-ptr';

export const authFaultNames: AuthFaultName[] = ['spf-not-listed', 'footer-after-signing', 'unaligned-from', 'dmarc-reject', 'no-ptr'];

export type AuthFaultText = {
	/** What the fault does, in one line for people. */
	summary: string;
	/** What the receiving MX then finds (everything else stays pass). */
	expect: string;
};

export const authFaultText: Record<AuthFaultName, AuthFaultText> = {
	'spf-not-listed': {
		summary: "sender.test's SPF record lists only 192.0.2.25, not the server that really sends (a provider added, the record not updated)",
		expect: 'spf=fail; DKIM still passes aligned, so dmarc=pass: DMARC needs only one of the two',
	},
	'footer-after-signing': {
		summary: 'a footer ("Sent from the lab") is appended to the body after the DKIM signature was made, as a gateway or list would',
		expect: 'dkim=neutral (body hash did not verify); SPF still passes aligned, so dmarc=pass',
	},
	'unaligned-from': {
		summary: 'the message says From: …@brand.test, a domain the provider neither signs for nor sends for (DMARC p=none)',
		expect: 'spf=pass and dkim=pass for sender.test, but neither aligns with brand.test: dmarc=fail, delivered (p=none)',
	},
	'dmarc-reject': {
		summary: 'as unaligned-from, and brand.test publishes DMARC p=reject',
		expect: 'dmarc=fail with p=reject: the MX refuses the message with 550 5.7.26, as Gmail does',
	},
	'no-ptr': {
		summary: 'the PTR record of the sending address is missing: the address does not name its server',
		expect: 'iprev=permerror (Gmail and Yahoo require forward-confirmed reverse DNS of bulk senders)',
	},
};

export function isAuthFaultName(name: string): name is AuthFaultName {
	return (authFaultNames as string[]).includes(name);
}

/** The footer the footer-after-signing fault appends. */
export const labFooter = '\r\n--\r\nSent from the lab. Unsubscribe: reply STOP.\r\n';

/** Rewrites the domain of the From: header's address(es) to `domain` (the unaligned-from fault). */
export function rewriteFromDomain(message: Buffer, domain: string): Buffer {
	const text = message.toString('utf8');
	const end = text.search(/\r?\n\r?\n/);
	const head = end === -1 ? text : text.slice(0, end);
	const rest = end === -1 ? '' : text.slice(end);
	const rewritten = head.replace(/^(From:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)/im, field => field.replace(/@[A-Za-z0-9.-]+/g, `@${domain}`));
	return Buffer.from(rewritten + rest, 'utf8');
}
