// The journey's DNS zones, as data: what a real provider and a real receiving domain publish.
// The lab's DNS server (lab/dns.ts) serves them on loopback; the relay's MX lookup, the
// receiver's SPF / DKIM / DMARC / iprev checks and a student's `dig` all read these records.
//
//   sender.test              MX 10 smtp.sender.test
//   smtp.sender.test         A  127.0.0.1            (the provider's outbound server)
//   sender.test              TXT "v=spf1 a:smtp.sender.test -all"
//   lab2026._domainkey.sender.test  TXT "v=DKIM1; k=rsa; p=…"
//   _dmarc.sender.test       TXT "v=DMARC1; p=none; adkim=r; aspf=r"
//   1.0.0.127.in-addr.arpa   PTR smtp.sender.test     (forward-confirmed reverse DNS)
//   receiver.test            MX 10 mx.receiver.test
//   mx.receiver.test         A  127.0.0.1
//   brand.test               (a From: domain nobody authenticated: _dmarc only)

import type {DnsRecord} from '../lab/dns.js';
import {reverseName} from '../lab/dns.js';

export type ZoneFacts = {
	/** The address every lab listener binds (the relay connects from it too). */
	host: string;
	senderDomain: string;
	senderHostname: string;
	receiverDomain: string;
	receiverHostname: string;
	dkimSelector: string;
	/** Base64 of the DKIM public key (SubjectPublicKeyInfo, DER), as `p=` publishes it. */
	dkimPublicKey: string;
	/** The domain a non-aligned From: uses (the unaligned-from and dmarc-reject faults). */
	brandDomain: string;
	/** What the zone is changed by (the auth faults that live in DNS). */
	spfNotListed?: boolean;
	noPtr?: boolean;
	brandReject?: boolean;
};

/** An address no lab listener uses (TEST-NET-1, RFC 5737): what the SPF record lists under the spf-not-listed fault. */
export const unlistedAddress = '192.0.2.25';

export function journeyZones(facts: ZoneFacts): string[] {
	return [facts.senderDomain, facts.receiverDomain, facts.brandDomain, reverseName(facts.host).split('.').slice(-2).join('.')];
}

export function journeyRecords(facts: ZoneFacts): DnsRecord[] {
	const addressType = facts.host.includes(':') ? 'AAAA' : 'A';
	const records: DnsRecord[] = [
		{name: facts.senderDomain, type: 'MX', exchange: facts.senderHostname, priority: 10},
		{name: facts.senderHostname, type: addressType, address: facts.host},
		{
			name: facts.senderDomain,
			type: 'TXT',
			text: facts.spfNotListed ? `v=spf1 ip4:${unlistedAddress} -all` : `v=spf1 a:${facts.senderHostname} -all`,
		},
		{name: `${facts.dkimSelector}._domainkey.${facts.senderDomain}`, type: 'TXT', text: `v=DKIM1; k=rsa; p=${facts.dkimPublicKey}`},
		{name: `_dmarc.${facts.senderDomain}`, type: 'TXT', text: `v=DMARC1; p=none; adkim=r; aspf=r; rua=mailto:dmarc-reports@${facts.senderDomain}`},
		{name: facts.receiverDomain, type: 'MX', exchange: facts.receiverHostname, priority: 10},
		{name: facts.receiverHostname, type: addressType, address: facts.host},
		{name: facts.receiverDomain, type: 'TXT', text: `v=spf1 mx -all`},
		{name: `_dmarc.${facts.receiverDomain}`, type: 'TXT', text: 'v=DMARC1; p=reject'},
		{name: `_dmarc.${facts.brandDomain}`, type: 'TXT', text: `v=DMARC1; p=${facts.brandReject ? 'reject' : 'none'}`},
	];
	if (!facts.noPtr) records.push({name: reverseName(facts.host), type: 'PTR', target: facts.senderHostname});
	return records;
}
