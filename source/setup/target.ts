// Turns command-line flags into session options: validates every value (one sentence per
// mistake), reads passwords from the environment or a file, and starts the embedded lab
// when no --host is given.
import net from 'node:net';
import os from 'node:os';
import {basename} from 'node:path';
import * as commands from '../protocol/commands.js';
import {buildMessage, decodeTextBody} from '../protocol/message.js';
import {LocalInputError} from '../protocol/errors.js';
import {findPreset, presetHost, presetPort, presets} from '../protocol/presets.js';
import type {SaslCredentials} from '../protocol/sasl.js';
import {quitAfterValues, type QuitAfter} from '../protocol/smtp-plan.js';
import {profileFor, tlsModes, type TlsMode} from '../engine/profiles.js';
import type {SessionOptions} from '../engine/session.js';
import {lookupMx, parseResolver, type MxResult} from '../engine/mx.js';
import type {MtaStsResult} from '../engine/mta-sts.js';
import type {Lab, LabPort} from '../lab/index.js';
import {certificateVariants, type CertificateVariant} from '../lab/ca.js';
import {parseFault, type Fault} from '../lab/faults.js';
import {attackNames, type AttackName} from '../lab/attacks.js';
import {MtaStsRefusal, UsageError} from './errors.js';

export {MtaStsRefusal, UsageError} from './errors.js';
export {saveDirectory} from './save-dir.js';

export type TargetFlags = {
	host?: string;
	/** Use the embedded lab even where an MX lookup would otherwise happen. */
	lab?: boolean;
	/** Deliver like a mail server: look up the recipient domain's MX. */
	mx?: boolean;
	resolver?: string;
	preset?: string;
	region?: string;
	/** The certificate the lab serves: valid, expired, wrong-host, … */
	labCert?: string;
	/** Save every message the lab accepts into this folder (.eml + .json). */
	saveDir?: string;
	/** Lab faults, e.g. "587:greylist=30" (repeatable). */
	fault?: string[];
	/** Opt-in, deliberately vulnerable lab personalities (repeatable). */
	attack?: string[];
	/** Sessions start in quiz mode. */
	quiz?: boolean;
	/** A classroom lab's CA file: trusted, and its name (mx.lab.test) checked. */
	labCa?: string;
	/** Save the session as a recording to this file (run at the end; the TUI with w). */
	record?: string;
	port?: string;
	tls?: string;
	ehlo?: string;
	from?: string;
	to?: string[];
	user?: string;
	password?: string;
	passwordEnv?: string;
	passwordFile?: string;
	tokenEnv?: string;
	auth?: string;
	quitAfter?: string;
	timeout?: string;
	connectTimeout?: string;
	insecure?: boolean;
	insecureAuth?: boolean;
	ca?: string;
	servername?: string;
	header?: string[];
	subject?: string;
	body?: string;
	bodyFile?: string;
	ipv4?: boolean;
	ipv6?: boolean;
	localAddress?: string;
};

export type TargetEnvironment = {
	env: Record<string, string | undefined>;
	/** Asks for a password without echo; absent when there is no terminal. */
	promptPassword?: (question: string) => Promise<string>;
	/** Starts the lab (lazily imported by the caller, so remote sessions never load it). */
	startLab: (only: LabPort[], config?: LabConfig) => Promise<Lab>;
	/** Test-only (API): where a delivery by MX fetches the recipient domain's MTA-STS policy (a loopback HTTPS server). */
	mtaSts?: {port?: number; ca?: string};
};

export type Target = {
	options: SessionOptions;
	lab?: Lab;
	/** Said once before the session starts (e.g. a password given on the command line). */
	warnings: string[];
	/** Said when TLS fails (exit 29) under an enforced MTA-STS policy: which policy required it. */
	tlsPolicy?: string;
};

export const labPortList: LabPort[] = [25, 465, 587, 2525];
export const defaultPort = 587;

export function parsePort(value: string | undefined, flag = '--port'): number | undefined {
	if (value === undefined || value === '') return undefined;
	if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65_535) {
		throw new UsageError(`${flag} must be a whole number from 1 to 65535, not "${value}".`);
	}

	return Number(value);
}

function parseSeconds(value: string | undefined, flag: string): number | undefined {
	if (value === undefined || value === '') return undefined;
	const n = Number(value);
	if (!Number.isFinite(n) || n < 0.001 || n > 3600) {
		throw new UsageError(`${flag} takes a number of seconds from 0.001 to 3600, not "${value}".`);
	}

	return Math.round(n * 1000);
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
	if (value === undefined || value === '') return undefined;
	const lower = value.toLowerCase();
	if (!(allowed as readonly string[]).includes(lower)) {
		throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, not "${value}".`);
	}

	return lower as T;
}

function capitalize(text: string): string {
	return text.charAt(0).toUpperCase() + text.slice(1);
}

async function mtaStsFor(domain: string, resolverFlag: string | undefined, timeoutMs: number, test?: {port?: number; ca?: string}): Promise<MtaStsResult> {
	// node:dns, node:fs/promises and node:dgram load where a flag needs them (--mx, a file,
	// --local-address): a direct `run` does without them (see the readme's benchmarks).
	const {Resolver} = (await import('node:dns')).promises;
	const resolver = new Resolver({timeout: timeoutMs, tries: 2});
	if (resolverFlag) resolver.setServers([parseResolver(resolverFlag)]);
	// Loaded for an MX delivery only: with node:https and mailauth's policy parser it is no
	// part of a direct `run` (see the readme's benchmarks).
	const {lookupMtaSts} = await import('../engine/mta-sts.js');
	return lookupMtaSts(domain, {resolver, timeoutMs, ...test});
}

/** A PEM CA file given to `flag`, read and checked: one sentence if it holds no certificate. */
export async function readCaFile(path: string, flag: string): Promise<string> {
	const ca = await readTextFile(path, 'CA certificate');
	if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`The file "${path}" given to ${flag} holds no PEM certificate.`);
	return ca;
}

async function readTextFile(path: string, what: string): Promise<string> {
	return (await readBytes(path, what)).toString('utf8');
}

async function readBytes(path: string, what: string): Promise<Buffer> {
	const {readFile} = await import('node:fs/promises');
	try {
		return await readFile(path);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		const reason = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message;
		throw new UsageError(`Cannot read the ${what} file "${path}": ${reason}.`);
	}
}

/** Checks a value with the protocol's own builders so bad input is refused before connecting. */
function check(build: () => string): void {
	try {
		build();
	} catch (error) {
		if (error instanceof LocalInputError) throw new UsageError(error.message);
		throw error;
	}
}

function defaultEhloName(): string {
	const name = os.hostname();
	return /^[a-z\d]([a-z\d-]*[a-z\d])?(\.[a-z\d]([a-z\d-]*[a-z\d])?)*$/i.test(name) ? name : 'localhost';
}

/** The envelope sender when none is given for a remote server: smtp-tui@ the EHLO name (this machine's). */
export function defaultSender(ehlo = defaultEhloName()): string {
	return `smtp-tui@${ehlo}`;
}

async function readSecret(flags: TargetFlags, environment: TargetEnvironment, warnings: string[]): Promise<string | undefined> {
	if (flags.passwordEnv) {
		const value = environment.env[flags.passwordEnv];
		if (value === undefined || value === '') throw new UsageError(`The environment variable ${flags.passwordEnv} (from --password-env) is not set.`);
		return value;
	}

	if (flags.passwordFile) {
		// The first line, without its line break (what `echo secret > file` writes).
		const [first = ''] = (await readTextFile(flags.passwordFile, 'password')).split(/\r?\n/, 1);
		if (first === '') throw new UsageError(`The password file "${flags.passwordFile}" has nothing on its first line.`);
		return first;
	}

	if (flags.password !== undefined) {
		warnings.push('A password given with --password shows in your shell history and the process list; prefer --password-env VAR or --password-file FILE.');
		return flags.password;
	}

	return undefined;
}

/** --preset NAME fills in the provider's host, port and TLS mode; says what catches people out. */
function applyPreset(flags: TargetFlags, warnings: string[]): {flags: TargetFlags; lines: string[]} {
	if (!flags.preset) {
		if (flags.region) throw new UsageError('--region goes with --preset (ses, mailgun).');
		return {flags, lines: []};
	}

	const preset = findPreset(flags.preset);
	if (!preset) throw new UsageError(`Unknown preset "${flags.preset}"; the presets are ${presets.map(p => p.name).join(', ')}.`);
	if (flags.host) throw new UsageError('--preset sets the host; leave out --host.');
	if (flags.region && !preset.regions) throw new UsageError(`${preset.title} has no regions; leave out --region.`);
	const host = presetHost(preset, flags.region);
	if (!host) {
		const known = preset.regions?.hosts ? Object.keys(preset.regions.hosts).join(', ') : `a region name like ${preset.regions?.default ?? ''}`;
		throw new UsageError(`--region "${flags.region}" is not a region of ${preset.title} (use ${known}).`);
	}

	const port = parsePort(flags.port) ?? preset.defaultPort;
	const known = presetPort(preset, port);
	if (!known) warnings.push(`${preset.title} does not list port ${port}; it offers ${preset.ports.map(p => p.port).join(', ')}.`);
	const lines = [`Preset ${preset.title}: ${host}, ports ${preset.ports.map(p => `${p.port} ${p.tls === 'implicit' ? 'implicit TLS' : 'STARTTLS'}`).join(', ')}; AUTH ${preset.auth.join(' ')}.`, preset.note];
	if (preset.user && !flags.user) lines.push(`Log in with --user: ${preset.user}.`);
	return {flags: {...flags, host, port: String(port), tls: flags.tls ?? known?.tls}, lines};
}

/**
 * --host as typed: an IPv6 literal may come in brackets ([::1]); a literal must agree with
 * -4 / -6. Returns the host without brackets.
 */
function checkHost(host: string | undefined, family: 4 | 6 | undefined): string | undefined {
	if (host === undefined) return undefined;
	const bracketed = /^\[(.*)\]$/.exec(host);
	if (bracketed && !net.isIPv6(bracketed[1]!)) throw new UsageError(`--host "${host}": brackets are for IPv6 addresses, like [::1].`);
	const bare = bracketed ? bracketed[1]! : host;
	if (bare === '') throw new UsageError('--host needs a host name or address.');
	const literal = net.isIP(bare);
	if (literal && family && literal !== family) throw new UsageError(`-${family} asks for IPv${family}, but --host ${host} is an IPv${literal} address.`);
	return bare;
}

/** --local-address: an IP address of this machine, of the family the connection uses. */
async function checkLocalAddress(address: string | undefined, host: string | undefined, family: 4 | 6 | undefined): Promise<void> {
	if (address === undefined) return;
	const own = net.isIP(address);
	if (!own) throw new UsageError(`--local-address takes an IP address of this machine, not "${address}".`);
	if (family && own !== family) throw new UsageError(`-${family} asks for IPv${family}, but --local-address ${address} is an IPv${own} address.`);
	const remote = host === undefined ? 0 : net.isIP(host);
	if (remote && remote !== own) throw new UsageError(`--local-address ${address} is an IPv${own} address and cannot reach the IPv${remote} address ${host}.`);
	// Binding a UDP socket to it is the kernel's own answer to "is this address mine?".
	const {createSocket} = await import('node:dgram');
	const socket = createSocket(own === 6 ? 'udp6' : 'udp4');
	try {
		await new Promise<void>((resolve, reject) => {
			socket.once('error', reject);
			socket.bind(0, address, () => resolve());
		});
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		throw new UsageError(code === 'EADDRNOTAVAIL' ? `--local-address ${address} is not an address of this machine.` : `--local-address ${address} cannot be used: ${(error as Error).message}.`);
	} finally {
		socket.close();
	}
}

export async function resolveTarget(givenFlags: TargetFlags, environment: TargetEnvironment): Promise<Target> {
	const warnings: string[] = [];
	if (givenFlags.ipv4 && givenFlags.ipv6) throw new UsageError('Choose one of -4 and -6, not both.');
	const family = givenFlags.ipv4 ? 4 : givenFlags.ipv6 ? 6 : undefined;
	const {flags, lines: presetLines} = applyPreset({...givenFlags, host: checkHost(givenFlags.host, family)}, warnings);
	const explicitPort = parsePort(flags.port);
	const outside = (flags.to ?? []).some(address => domainOf(address) !== labDomain);
	if (flags.host && (flags.mx || flags.resolver)) throw new UsageError('--mx and --resolver find the host from the recipient; leave out --host.');
	if (flags.lab && (flags.mx || flags.resolver)) throw new UsageError('--lab and --mx (or --resolver) exclude each other.');
	// Without --host, port 25 to an outside recipient means: deliver as a mail server would.
	const mx = !flags.host && !flags.lab && (flags.mx || flags.resolver !== undefined || (explicitPort === 25 && outside));
	const useLab = !flags.host && !mx;
	const port = explicitPort ?? (mx ? 25 : defaultPort);
	if (flags.resolver) {
		try {
			parseResolver(flags.resolver);
		} catch (error) {
			throw new UsageError((error as Error).message);
		}
	}

	if (useLab && !labPortList.includes(port as LabPort)) {
		throw new UsageError(`The embedded lab has ports ${labPortList.join(', ')}; ${port} is not one of them (use --host to reach another server).`);
	}

	const tls: TlsMode = oneOf(flags.tls, tlsModes, '--tls') ?? 'auto';
	const quitAfter: QuitAfter | undefined = oneOf(flags.quitAfter, quitAfterValues, '--quit-after');
	const timeout = parseSeconds(flags.timeout, '--timeout');
	const connectTimeout = parseSeconds(flags.connectTimeout, '--connect-timeout') ?? timeout;
	await checkLocalAddress(flags.localAddress, useLab ? '127.0.0.1' : flags.host, family);
	if (flags.passwordEnv && flags.passwordFile) throw new UsageError('Choose one of --password-env and --password-file, not both.');

	const ehlo = flags.ehlo ?? (useLab ? 'client.example' : defaultEhloName());
	if (mx && !flags.to?.length) throw new UsageError('An MX lookup needs a recipient: --to ADDRESS.');
	const to = flags.to && flags.to.length > 0 ? flags.to : useLab ? ['bob@lab.test'] : [];
	const needsRecipient = !quitAfter || ['data'].includes(quitAfter);
	if (to.length === 0 && needsRecipient) {
		throw new UsageError('Say who the message is for with --to ADDRESS (or stop earlier with --quit-after).');
	}

	check(() => commands.ehlo(ehlo));
	for (const address of to) check(() => commands.rcptTo(address));
	const from = flags.from ?? (useLab ? 'alice@lab.test' : defaultSender(ehlo));
	check(() => commands.mailFrom(from));
	// The message itself: a line break in --subject or a header is refused here, before connecting.
	if (flags.header) for (const header of flags.header) checkHeader(header);
	check(() => buildMessage({from, to, subject: flags.subject, headers: flags.header}));

	let body: string | Uint8Array | undefined = flags.body;
	if (flags.bodyFile) {
		if (body !== undefined) throw new UsageError('Choose one of --body and --body-file, not both.');
		// Read as bytes: UTF-8 text becomes the text body; anything else (an image, a PDF, Latin-1
		// text) is attached byte for byte, never decoded into U+FFFD replacement characters.
		const bytes = await readBytes(flags.bodyFile, 'body');
		body = decodeTextBody(bytes) ?? bytes;
	}

	if (flags.ca && flags.labCa) throw new UsageError('Choose one of --ca and --lab-ca, not both.');
	if (flags.labCa && !flags.host) throw new UsageError('--lab-ca is for reaching a classroom lab on another machine: add --host.');
	const caFile = flags.labCa ?? flags.ca;
	const ca = caFile ? await readCaFile(caFile, flags.labCa ? '--lab-ca' : '--ca') : undefined;

	// Credentials: explicit ones, or for the lab's submission ports the demo account.
	let credentials: SaslCredentials | undefined;
	const secret = await readSecret(flags, environment, warnings);
	const token = flags.tokenEnv ? environment.env[flags.tokenEnv] : undefined;
	if (flags.tokenEnv && !token) throw new UsageError(`The environment variable ${flags.tokenEnv} (from --token-env) is not set.`);
	if (flags.user !== undefined) {
		if (/[\r\n\0]/.test(flags.user)) throw new UsageError('The --user value contains a line break or NUL.');
		credentials = {user: flags.user, password: secret, token};
	} else if (secret !== undefined || token !== undefined) {
		throw new UsageError('A password or token was given but no --user.');
	}

	let lab: Lab | undefined;
	if (useLab) {
		lab = await environment.startLab([port as LabPort], labConfig(flags));
		const demo = lab.users.find(u => u.user === (credentials?.user ?? 'alice'));
		if (!credentials && profileFor(port)?.submission) credentials = {user: 'alice', password: demo?.password};
		else if (credentials && credentials.password === undefined && !credentials.token && demo) credentials.password = demo.password;
	}

	if (credentials && credentials.password === undefined && !credentials.token) {
		if (!environment.promptPassword) {
			throw new UsageError(`No password for ${credentials.user}: use --password-env VAR or --password-file FILE (there is no terminal to ask on).`);
		}

		credentials.password = await environment.promptPassword(`Password for ${credentials.user}: `);
	}

	const mechanism = flags.auth?.toUpperCase();
	if (mechanism && !['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'].includes(mechanism)) {
		throw new UsageError(`--auth must be one of PLAIN, LOGIN, CRAM-MD5, XOAUTH2, not "${flags.auth}".`);
	}

	let route: MxResult | undefined;
	if (mx) {
		const domain = domainOf(to[0]!);
		if (!domain) throw new UsageError(`The recipient "${to[0]}" has no domain to look up.`);
		route = await lookupMx(domain, {resolver: flags.resolver, timeoutMs: connectTimeout ?? 10_000, family});
	}

	// RFC 8461 §5: a sender honours the recipient domain's MTA-STS policy. enforce: only an MX
	// the policy lists, only over STARTTLS with a certificate that verifies for it.
	let enforced: {sentence: string} | undefined;
	let effectiveTls = tls;
	const policyLines: string[] = [];
	if (route) {
		const domain = domainOf(to[0]!);
		const sts = await mtaStsFor(domain, flags.resolver, connectTimeout ?? 10_000, environment.mtaSts);
		const mxHost = route.host.replace(/\.$/, '');
		if (sts.status === 'none') {
			policyLines.push(`MTA-STS: ${domain} publishes no policy (no _mta-sts TXT record), so STARTTLS is opportunistic: used if offered, certificate not required to verify.`);
		} else if (sts.status === 'error') {
			policyLines.push(`MTA-STS: ${domain} announces a policy, but ${sts.problem}; with no cached copy a sender treats the domain as having none, so STARTTLS stays opportunistic.`);
		} else {
			const name = `the MTA-STS policy of ${domain} (${sts.url}, id ${sts.id}, mode ${sts.policy.mode})`;
			const {explainPolicy, mxAllowed} = await import('../engine/mta-sts.js');
			policyLines.push(...explainPolicy(sts).map(line => `MTA-STS: ${line}`));
			const allowed = mxAllowed(mxHost, sts.policy);
			if (sts.policy.mode === 'enforce') {
				if (!allowed) throw new MtaStsRefusal(`${capitalize(name)} lists the MX patterns ${sts.policy.mx.join(', ')}; ${mxHost} matches none of them, so a sender must not deliver there.`);
				effectiveTls = 'starttls';
				enforced = {sentence: `${capitalize(name)} requires STARTTLS with a certificate that verifies for ${mxHost}; this delivery did not get one, so a sender must not deliver.`};
				policyLines.push(`MTA-STS: enforce, and ${mxHost} is a listed MX: STARTTLS is required and its certificate must verify for ${mxHost} (else exit 29).`);
			} else if (sts.policy.mode === 'testing') {
				policyLines.push(`MTA-STS: testing only: ${mxHost} ${allowed ? 'is' : 'is not'} a listed MX; delivery goes on with opportunistic STARTTLS either way (a sender would report a mismatch by TLS-RPT).`);
			}
		}
	}

	const timeouts = timeout === undefined ? {} : {greeting: timeout, command: timeout, mail: timeout, rcpt: timeout, data: timeout, body: timeout};
	const options: SessionOptions = {
		host: lab ? lab.host : route ? route.address : flags.host!,
		port: lab ? lab.ports[port as LabPort]! : port,
		tls: effectiveTls,
		tlsOptions: {
			// A classroom lab's certificate names mx.lab.test, not the instructor's address.
			servername: flags.servername ?? (lab ? lab.hostname : flags.labCa ? 'mx.lab.test' : route && route.host !== route.address ? route.host : undefined),
			ca: lab ? lab.ca : ca,
			// An enforced policy wants a certificate that verifies, whatever --insecure says.
			insecure: enforced ? false : flags.insecure ?? false,
		},
		ehlo,
		from,
		to,
		credentials,
		mechanism,
		insecureAuth: flags.insecureAuth ?? false,
		quitAfter,
		timeouts: {...timeouts, ...(connectTimeout === undefined ? {} : {connect: connectTimeout})},
		headers: flags.header,
		subject: flags.subject,
		body,
		bodyName: flags.bodyFile ? basename(flags.bodyFile) : undefined,
		family,
		localAddress: flags.localAddress,
		label: lab ? `lab:${port}` : `${route ? route.host : flags.host}:${port}`,
		// The lab listens on an ephemeral port; the profile is the one it imitates. A
		// delivery found by MX is server-to-server, whatever the port.
		profilePort: route ? 25 : port,
		preamble: [...presetLines, ...(route?.lines ?? []), ...policyLines],
	};
	if (flags.header) for (const header of flags.header) checkHeader(header);
	return {options, lab, warnings, tlsPolicy: enforced?.sentence};
}

const labDomain = 'lab.test';

/** How the lab should misbehave, on purpose: its certificate, faults and attack personalities. */
export type LabConfig = {certificate?: CertificateVariant; faults?: Fault[]; attacks?: AttackName[]};

/** --lab-cert, --fault and --attack, checked: one sentence for each mistake. */
export function labConfig(flags: TargetFlags): LabConfig {
	const given = [flags.labCert !== undefined && '--lab-cert', flags.fault?.length && '--fault', flags.attack?.length && '--attack'].filter(Boolean);
	if (given.length === 0) return {};
	if (flags.host) throw new UsageError(`${given.join(' and ')} change${given.length > 1 ? '' : 's'} the embedded lab; leave out --host.`);
	const certificate = flags.labCert === undefined ? undefined : oneOf(flags.labCert, certificateVariants, '--lab-cert');
	let faults: Fault[] | undefined;
	try {
		faults = flags.fault?.map(spec => parseFault(spec));
	} catch (error) {
		throw new UsageError((error as Error).message);
	}

	const attacks = flags.attack?.map(name => oneOf(name, attackNames, '--attack')!);
	return {certificate, faults, attacks};
}

function domainOf(address: string): string {
	const at = address.lastIndexOf('@');
	return at < 0 ? '' : address.slice(at + 1).replace(/>$/, '').toLowerCase();
}

function checkHeader(header: string): void {
	if (/[\r\n\0]/.test(header)) throw new UsageError(`The header "${header.replace(/[\r\n\0]/g, ' ')}" contains a line break or NUL.`);
	if (!/^[!-9;-~]+:\s?/.test(header)) throw new UsageError(`--header takes "Name: value", not "${header}".`);
}

/** A port as named and the port connected to (`587=2587` in --ports and compare). */
export type PortMapping = {port: number; connect: number};

export type CompareFlags = TargetFlags & {outside?: string};
