// EHLO reply → capabilities (RFC 5321 §4.1.1.1), and what changed between two EHLOs, which is
// the lesson of STARTTLS and AUTH: the server's offer is different once the channel is secure.

import type {Reply} from './reply-parser.js';

export type Extension = {
	/** Upper-case keyword; for the pre-standard "AUTH=LOGIN PLAIN" form this is "AUTH". */
	keyword: string;
	params: string[];
	/** The line's text as received (after "250-"). */
	line: string;
	/** True for the pre-standard "AUTH=..." spelling. */
	legacy?: boolean;
};

export type Capabilities = {
	domain: string;
	greeting: string;
	extensions: Extension[];
	/** Upper-case SASL mechanism names from "AUTH x y" and legacy "AUTH=x y", de-duplicated. */
	auth: string[];
	/** SIZE limit, when numeric and greater than 0 (SIZE 0 means "no fixed limit", RFC 1870). */
	size?: number;
};

export type CapabilityDiff = {
	added: string[];
	removed: string[];
	/** Same keyword, different parameters (e.g. a longer AUTH list after STARTTLS). */
	changed: string[];
};

function words(text: string): string[] {
	return text.split(/\s+/).filter((word) => word.length > 0);
}

function parseExtension(line: string): Extension | undefined {
	const [first, ...rest] = words(line);
	if (first === undefined) {
		return undefined;
	}

	const equals = first.indexOf('=');
	// "AUTH=LOGIN PLAIN": the form Outlook-era servers sent alongside (or instead of) "AUTH LOGIN PLAIN".
	if (equals > 0 && first.slice(0, equals).toUpperCase() === 'AUTH') {
		const firstParam = first.slice(equals + 1);
		const params = firstParam ? [firstParam, ...rest] : rest;
		return {keyword: 'AUTH', params, line, legacy: true};
	}

	return {keyword: first.toUpperCase(), params: rest, line};
}

export function parseEhlo(reply: Reply): Capabilities {
	const [first = '', ...others] = reply.lines;
	const trimmed = first.trim();
	const space = trimmed.search(/\s/);
	const domain = space === -1 ? trimmed : trimmed.slice(0, space);
	const greeting = space === -1 ? '' : trimmed.slice(space).trim();

	const extensions: Extension[] = [];
	for (const line of others) {
		const extension = parseExtension(line);
		if (extension) {
			extensions.push(extension);
		}
	}

	const auth: string[] = [];
	for (const extension of extensions) {
		if (extension.keyword !== 'AUTH') {
			continue;
		}

		for (const mechanism of extension.params) {
			const upper = mechanism.toUpperCase();
			if (!auth.includes(upper)) {
				auth.push(upper);
			}
		}
	}

	const caps: Capabilities = {domain, greeting, extensions, auth};
	const sizeParam = extensions.find((extension) => extension.keyword === 'SIZE')?.params[0];
	if (sizeParam !== undefined && /^\d+$/.test(sizeParam) && Number(sizeParam) > 0) {
		caps.size = Number(sizeParam);
	}

	return caps;
}

export function hasExtension(caps: Capabilities, keyword: string): boolean {
	const wanted = keyword.toUpperCase();
	return caps.extensions.some((extension) => extension.keyword === wanted);
}

/** keyword → a comparable rendering of all its lines' parameters, in first-seen keyword order. */
function paramsByKeyword(caps: Capabilities): Map<string, string> {
	const byKeyword = new Map<string, string[]>();
	for (const extension of caps.extensions) {
		const rendered = `${extension.legacy ? '=' : ''}${extension.params.join(' ').toUpperCase()}`;
		const list = byKeyword.get(extension.keyword) ?? [];
		list.push(rendered);
		byKeyword.set(extension.keyword, list);
	}

	const result = new Map<string, string>();
	for (const [keyword, list] of byKeyword) {
		// AUTH mechanism order is the server's preference, but the set is what matters here.
		const normalized = keyword === 'AUTH' ? [...caps.auth].sort().join(' ') : list.sort().join('\n');
		result.set(keyword, normalized);
	}

	return result;
}

export function diffCapabilities(before: Capabilities, after: Capabilities): CapabilityDiff {
	const old = paramsByKeyword(before);
	const now = paramsByKeyword(after);
	const added = [...now.keys()].filter((keyword) => !old.has(keyword));
	const removed = [...old.keys()].filter((keyword) => !now.has(keyword));
	const changed = [...now.keys()].filter((keyword) => old.has(keyword) && old.get(keyword) !== now.get(keyword));
	return {added, removed, changed};
}

/** The keyword's current parameters, as the server now advertises them. */
function paramsOf(keyword: string, after: Capabilities): string[] {
	if (keyword === 'AUTH') {
		return after.auth;
	}

	return after.extensions.find((candidate) => candidate.keyword === keyword)?.params ?? [];
}

function withParams(keyword: string, after: Capabilities): string {
	return [keyword, ...paramsOf(keyword, after)].join(' ');
}

function changedTo(keyword: string, after: Capabilities): string {
	const params = paramsOf(keyword, after);
	return `${keyword} is now ${params.length > 0 ? params.join(' ') : 'without parameters'}`;
}

/** One line for the user, e.g. "AUTH PLAIN LOGIN appeared; STARTTLS went". */
export function describeDiff(diff: CapabilityDiff, after: Capabilities): string {
	const parts = [
		...diff.added.map((keyword) => `${withParams(keyword, after)} appeared`),
		...diff.removed.map((keyword) => `${keyword} went`),
		...diff.changed.map((keyword) => changedTo(keyword, after)),
	];
	return parts.length === 0 ? 'nothing changed' : parts.join('; ');
}
