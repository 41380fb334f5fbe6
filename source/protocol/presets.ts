// Provider presets: where the big mail providers take submissions, and what catches
// people out. Data only; add a provider by adding an entry.

export type PresetPort = {port: number; tls: 'starttls' | 'implicit'};

export type Preset = {
	name: string;
	aliases: string[];
	title: string;
	/** Host name; `{region}` is replaced by --region (or the default region). */
	host: string;
	regions?: {default: string; hosts?: Record<string, string>; pattern?: RegExp};
	ports: PresetPort[];
	defaultPort: number;
	/** Mechanisms the provider accepts, best first. */
	auth: string[];
	/** What to log in with, when it is not simply the account address. */
	user?: string;
	note: string;
};

export const presets: Preset[] = [
	{
		name: 'gmail',
		aliases: ['google', 'workspace'],
		title: 'Gmail / Google Workspace',
		host: 'smtp.gmail.com',
		ports: [{port: 587, tls: 'starttls'}, {port: 465, tls: 'implicit'}],
		defaultPort: 587,
		auth: ['XOAUTH2', 'PLAIN', 'LOGIN'],
		user: 'your full address',
		note: 'Needs OAuth2 (XOAUTH2) or an app password (with 2-step verification); the account password gets 535 5.7.8.',
	},
	{
		name: 'office365',
		aliases: ['outlook', 'microsoft', 'exchange-online'],
		title: 'Outlook / Office 365 (Exchange Online)',
		host: 'smtp.office365.com',
		ports: [{port: 587, tls: 'starttls'}],
		defaultPort: 587,
		auth: ['XOAUTH2', 'LOGIN'],
		user: 'your full address',
		note: 'SMTP AUTH must be enabled for the mailbox; Microsoft is retiring basic auth, so OAuth2 (XOAUTH2) is the lasting way. Only 587 with STARTTLS.',
	},
	{
		name: 'ses',
		aliases: ['amazon-ses', 'aws'],
		title: 'Amazon SES',
		host: 'email-smtp.{region}.amazonaws.com',
		regions: {default: 'us-east-1', pattern: /^[a-z]{2}(-gov)?-[a-z]+-\d$/},
		ports: [{port: 587, tls: 'starttls'}, {port: 2587, tls: 'starttls'}, {port: 465, tls: 'implicit'}, {port: 2465, tls: 'implicit'}, {port: 25, tls: 'starttls'}],
		defaultPort: 587,
		auth: ['PLAIN', 'LOGIN'],
		user: 'the SMTP user name from the SES console (not your AWS access key)',
		note: 'Use SES SMTP credentials, not AWS access keys; 2587 and 2465 exist for networks that block 587 and 465. --region picks the endpoint.',
	},
	{
		name: 'sendgrid',
		aliases: ['twilio-sendgrid'],
		title: 'SendGrid',
		host: 'smtp.sendgrid.net',
		ports: [{port: 587, tls: 'starttls'}, {port: 2525, tls: 'starttls'}, {port: 465, tls: 'implicit'}, {port: 25, tls: 'starttls'}],
		defaultPort: 587,
		auth: ['PLAIN', 'LOGIN'],
		user: 'apikey',
		note: 'The user name is literally "apikey" and the password is an API key; 2525 works where 587 is blocked.',
	},
	{
		name: 'mailgun',
		aliases: [],
		title: 'Mailgun',
		host: 'smtp.mailgun.org',
		regions: {default: 'us', hosts: {us: 'smtp.mailgun.org', eu: 'smtp.eu.mailgun.org'}},
		ports: [{port: 587, tls: 'starttls'}, {port: 2525, tls: 'starttls'}, {port: 465, tls: 'implicit'}, {port: 25, tls: 'starttls'}],
		defaultPort: 587,
		auth: ['PLAIN', 'LOGIN'],
		user: 'the SMTP login of your sending domain (e.g. postmaster@mg.example.com)',
		note: 'SMTP credentials belong to a sending domain; EU accounts use smtp.eu.mailgun.org (--region eu); 2525 works where 587 is blocked.',
	},
	{
		name: 'postmark',
		aliases: [],
		title: 'Postmark',
		host: 'smtp.postmarkapp.com',
		ports: [{port: 587, tls: 'starttls'}, {port: 2525, tls: 'starttls'}, {port: 25, tls: 'starttls'}],
		defaultPort: 587,
		auth: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
		user: 'your server API token (the password is the same token)',
		note: 'User name and password are both the server API token; 2525 is offered where 587 is blocked.',
	},
	{
		name: 'brevo',
		aliases: ['sendinblue'],
		title: 'Brevo (formerly Sendinblue)',
		host: 'smtp-relay.brevo.com',
		ports: [{port: 587, tls: 'starttls'}, {port: 2525, tls: 'starttls'}, {port: 465, tls: 'implicit'}],
		defaultPort: 587,
		auth: ['PLAIN', 'LOGIN'],
		user: 'the SMTP login shown in the Brevo console',
		note: 'Log in with the SMTP login and an SMTP key, not the account password; 2525 works where 587 is blocked.',
	},
	{
		name: 'mailtrap',
		aliases: ['mailtrap-sandbox'],
		title: 'Mailtrap sandbox (testing inbox)',
		host: 'sandbox.smtp.mailtrap.io',
		ports: [{port: 587, tls: 'starttls'}, {port: 2525, tls: 'starttls'}, {port: 25, tls: 'starttls'}, {port: 465, tls: 'implicit'}],
		defaultPort: 587,
		auth: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
		user: 'the inbox\'s SMTP user name',
		note: 'A testing inbox: nothing reaches real recipients. Credentials belong to one inbox; 2525 works where 587 is blocked.',
	},
];

export function findPreset(name: string): Preset | undefined {
	const wanted = name.trim().toLowerCase();
	return presets.find(p => p.name === wanted || p.aliases.includes(wanted));
}

/** The host for a preset and region; undefined when the region is not one it knows. */
export function presetHost(preset: Preset, region?: string): string | undefined {
	const regions = preset.regions;
	if (!regions) return region === undefined ? preset.host : undefined;
	const chosen = (region ?? regions.default).toLowerCase();
	if (regions.hosts) return regions.hosts[chosen];
	if (regions.pattern && !regions.pattern.test(chosen)) return undefined;
	return preset.host.replace('{region}', chosen);
}

export function presetPort(preset: Preset, port: number): PresetPort | undefined {
	return preset.ports.find(p => p.port === port);
}
