// The mail journey: one message through its three legs, each steppable — submission
// (alice's mail program → her provider, 587), relay (provider → recipient's MX, 25) and
// retrieval (bob's mail program ← his mailbox: POP3 on 995 or IMAP on 993, p / i or
// `smtp-tui journey --retrieval`) — with a diagram of where the message is now, the
// Received: lines it collects on the way, and the Explain pane for the selected line.
//
// Three parts, as @inkjs/ui's select: journey/run.ts holds the journey (sessions, the step in
// flight), journey-state.ts the screen's own state (a reducer), use-journey-input.ts the keys;
// this component only draws.
import React, {useEffect, useState} from 'react';
import {Box, Text} from 'ink';
import type {JourneyLab, JourneyRelay} from '../journey/index.js';
import {JourneyRun, type LegIndex, type Retrieval} from '../journey/run.js';
import {imapVersusPop3} from '../protocol/imap-explain.js';
import {safeOutput, safeText, showCrlf} from './terminal-text.js';
import {glyphs} from './glyphs.js';
import {ExplainPane} from './explain-pane.js';
import {explainEntry, type ExplainLine} from './explain-lines.js';
import {entryColor, entryMarker, fit} from './transcript-pane.js';
import {journeyFooter, journeyHelpKeys, useJourneyInput, useJourneyState} from './use-journey-input.js';
import {useKeyHelp} from './key-help.js';

const retrievalLeg: Record<Retrieval, {title: string; explain: string; hop: string}> = {
	pop3: {
		title: `3 Retrieval ${glyphs.dot} POP3 995`,
		explain: 'Retrieval: bob\'s mail program reads his mailbox with POP3 on 995 (TLS from the first byte). This leg is not SMTP at all. (i: read it with IMAP instead)',
		hop: ` ${glyphs.hrule}995 POP3${glyphs.arrow} `,
	},
	imap: {
		title: `3 Retrieval ${glyphs.dot} IMAP 993`,
		explain: 'Retrieval: bob\'s mail program reads his mailbox with IMAP on 993 (TLS from the first byte). This leg is not SMTP at all; unlike POP3, messages and their flags stay on the server, in folders. (p: POP3 instead)',
		hop: ` ${glyphs.hrule}993 IMAP${glyphs.arrow} `,
	},
};

function legsFor(retrieval: Retrieval) {
	return [
		{title: `1 Submission ${glyphs.dot} 587`, explain: 'Submission: alice\'s mail program logs in on 587 (STARTTLS first) and hands the message to her own provider, smtp.sender.test.'},
		{title: `2 Relay ${glyphs.dot} 25`, explain: `Relay: her provider delivers to the recipient domain's MX on port 25, server to server: STARTTLS if offered, no AUTH ${glyphs.dash} an MX takes mail for its own domain from anyone.`},
		retrievalLeg[retrieval],
	] as const;
}

const nodes = ['alice\'s client', 'smtp.sender.test', 'mx.receiver.test', 'bob\'s mailbox', 'bob\'s reader'];

/**
 * The receiving MX's checks, one line each: the verdict, the DNS questions it asked, and the
 * last sentence of why (the full explanation is in the relay's report).
 */
export function checkLines(relay: JourneyRelay | undefined, journey?: JourneyLab): string[] {
	const report = relay?.authentication;
	const mail = journey?.senderMail;
	const where = mail ? ` ${glyphs.dot} in her mailbox at ${journey.sender.hostname}: POP3 ${mail.pop3.host}:${mail.pop3.ports[995]} (TLS), IMAP ${mail.imap.host}:${mail.imap.ports[993]} (TLS), user alice` : '';
	const bounce = relay?.bounce ? [`bounce: ${relay.message.mailFrom} gets a DSN (Undelivered Mail Returned to Sender): ${relay.bounce.recipients.map(item => `${item.recipient} Status ${item.status}`).join(', ')}${where}`] : [];
	if (!report) return bounce;
	return [
		...bounce,
		`checks at ${report.mta} (end of DATA, before it answers):`,
		...report.checks.map(check => `${check.name}=${check.result} ${glyphs.dot} asked ${check.lookups.map(lookup => `${lookup.type} ${lookup.name}`).join(', ') || 'nothing'} ${glyphs.dot} ${check.explanation.at(-1) ?? ''}`),
	];
}

export type JourneyScreenProps = {
	journey: JourneyLab;
	columns: number;
	rows: number;
	onQuit: () => void;
	onBack?: () => void;
	/** How leg 3 reads the mailbox at first (p / i change it until leg 3 starts); default POP3. */
	retrieval?: Retrieval;
};

/** The Received: header lines of a message, unfolded, topmost (latest hop) first. */
export function receivedLines(raw: string): string[] {
	const head = raw.split(/\r?\n\r?\n/)[0] ?? '';
	return head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/).filter(line => /^received:/i.test(line));
}

/** The Explain pane before a leg has a line: for IMAP, how it differs from POP3. */
function idleExplain(leg: LegIndex, retrieval: Retrieval): ExplainLine[] {
	const first: ExplainLine = {text: 'Nothing yet: enter steps this leg.', tone: 'dim'};
	if (leg !== 2 || retrieval !== 'imap') return [first];
	return [first, {text: 'IMAP, unlike POP3:', tone: 'heading'}, ...imapVersusPop3.map(item => ({text: `${item.summary} (${item.rfc})`}))];
}

/** Columns of the Explain pane beside the transcript (its border not counted). */
function explainWidth(columns: number): number {
	return columns >= 110 ? 36 : 28;
}

export function JourneyScreen({journey, columns, rows, onQuit, onBack, retrieval}: JourneyScreenProps) {
	// One run per screen: a second visit (b, then j) is a new run that shows its own message.
	const [run] = useState(() => new JourneyRun(journey, {retrieval}));
	useEffect(() => () => run.close(), [run]);
	const handle = useJourneyState();
	const {state} = handle;
	const legs = legsFor(run.retrieval);
	const leg: LegIndex = state.leg;
	const target = run.peekLeg(leg);
	const busy = run.busy;

	const raw = run.message?.toString('utf8');
	const received = (raw ? receivedLines(raw) : []).slice(0, 3).map(line => safeText(line));
	// Received: lines wrap (never cut); the transcript gives up the rows they need.
	// Below 30 rows (80×24) the leg's sentence and each Received: line take one row (the
	// Explain pane and leg 3's transcript show them whole); above, they wrap, never cut.
	const tight = rows < 30;
	const receivedRows = tight ? received.length : received.reduce((sum, line) => sum + Math.max(1, Math.ceil(line.length / Math.max(10, columns - 4))), 0);
	const checks = leg === 1 ? checkLines(run.relay, journey) : [];
	const legExplainRows = tight ? 1 : Math.ceil(legs[leg].explain.length / Math.max(10, columns));
	const height = Math.max(3, rows - 14 - legExplainRows - Math.max(1, receivedRows) - checks.length);
	const entries = target?.entries ?? [];
	const room = Math.max(1, height - 1);
	const maxScroll = Math.max(0, entries.length - room);
	const help = useKeyHelp({keys: journeyHelpKeys(onBack !== undefined), width: columns, height: rows - 2, back: 'esc/b back to the journey'});
	useJourneyInput({...handle, run, maxScroll, onQuit, onBack, help: help.handle});

	const back = Math.min(state.scroll, maxScroll);
	const shown = entries.slice(Math.max(0, entries.length - room - back), entries.length - back);
	const earlier = entries.length - back - shown.length;
	// The selected line is the newest one in view: ↑/↓ move it and the window together.
	const selected = shown.at(-1);
	const sideWidth = explainWidth(columns);
	const transcriptWidth = columns - sideWidth - 4;
	const preview = target?.peek();
	const at = run.position;
	// Narrower than the whole diagram (80 columns): the hops are arrows and alice's client is "alice".
	const narrow = columns < 110;
	const hops = narrow ? Array.from({length: 4}, () => ` ${glyphs.arrow} `) : [` ${glyphs.hrule}587 SMTP${glyphs.arrow} `, ` ${glyphs.hrule}25 SMTP${glyphs.arrow} `, ` ${glyphs.hrule}stored${glyphs.hrule} `, retrievalLeg[run.retrieval].hop];
	const shownNodes = narrow ? ['alice', ...nodes.slice(1)] : nodes;
	const next = target?.done && !busy && leg < 2 ? `This leg is over: enter goes on to leg ${leg + 2}, ${legs[leg + 1]!.title}.`
		: target?.done && !busy ? `The journey is complete: ${onBack ? 'b goes back, ' : ''}q quits.`
			: leg === 2 && !target ? `enter starts leg 3 with ${run.retrieval === 'imap' ? 'IMAP' : 'POP3'} (p POP3, i IMAP: choose before it starts)`
				: preview ? preview.description : 'nothing yet';

	return (
		<Box flexDirection="column" width={columns}>
			<Text bold wrap="truncate">{safeOutput(`journey ${glyphs.dot} alice@sender.test ${glyphs.arrow} bob@receiver.test${busy ? ` ${glyphs.dot} working${glyphs.ellipsis}` : ''}`)}{state.notice ? <Text color="yellow">{safeOutput(` ${glyphs.dot} ${state.notice}`)}</Text> : null}</Text>
			{help.overlay ?? (
				<>
					<Text wrap="truncate">
						{shownNodes.map((node, index) => (
							<Text key={node}>
								<Text inverse={index === at} bold={index === at} color={index <= at ? 'green' : undefined}>{safeOutput(index === at ? `${glyphs.selected}${node}` : node)}</Text>
								{index < hops.length ? <Text dimColor>{safeOutput(hops[index]!)}</Text> : null}
							</Text>
						))}
					</Text>
					<Text>
						{legs.map((l, index) => <Text key={l.title} inverse={index === leg} bold={index === leg}>{safeOutput(` ${l.title} `)}</Text>)}
					</Text>
					<Text wrap={tight ? 'truncate-end' : 'wrap'} dimColor>{safeOutput(legs[leg].explain)}</Text>
					<Box>
						<Box flexDirection="column" borderStyle={glyphs.border} height={height + 2} width={transcriptWidth + 2}>
							{leg === 1 && !run.relay ? <Text dimColor>The relay starts later: finish leg 1 first (smtp.sender.test must accept the message).</Text> : null}
							<Text dimColor wrap="truncate">{safeOutput(fit(earlier > 0 || back > 0 ? `${earlier} earlier line${earlier === 1 ? '' : 's'} (${glyphs.up}/k)${back > 0 ? ` ${glyphs.dot} ${back} later (${glyphs.down}/j)` : ''}` : 'the whole leg is shown', transcriptWidth - 2))}</Text>
							{shown.map(entry => (
								<Text key={entry.seq} color={entryColor(entry)} wrap="truncate">{safeOutput(entry === selected && back > 0 ? glyphs.selected : '')}{safeOutput(entryMarker(entry))} {safeOutput(fit(safeText(entry.text), transcriptWidth - 4))}</Text>
							))}
						</Box>
						<ExplainPane lines={selected ? explainEntry(selected, entries) : idleExplain(leg, run.retrieval)} width={sideWidth} height={height} />
					</Box>
					{checks.map((line, index) => (
						<Text key={`check-${index}`} color={index === 0 ? 'magenta' : /^\w+=pass /.test(line) ? 'green' : 'yellow'} wrap="truncate">{index === 0 ? '' : '  '}{safeOutput(fit(safeText(line), columns - 2))}</Text>
					))}
					<Box flexDirection="column" borderStyle={glyphs.border} paddingX={1}>
						<Text bold>Next: <Text dimColor>{safeOutput(fit(next, columns - 12))}</Text></Text>
						{(preview?.lines ?? []).slice(0, 1).map(line => <Text key={line} color="cyan" wrap="truncate">{safeOutput(fit(showCrlf(safeText(line)), columns - 4))}</Text>)}
					</Box>
					<Box flexDirection="column" borderStyle={glyphs.border} paddingX={1}>
						<Text bold wrap="truncate-end">Received: lines ({received.length}) {glyphs.dash} each server adds one at the top; read them bottom-up to follow the hops</Text>
						{received.length === 0 ? <Text dimColor>None yet: the message has not reached bob's mailbox.</Text> : received.map(line => <Text key={line} wrap={tight ? 'truncate-end' : 'wrap'}>{safeOutput(line)}</Text>)}
					</Box>
				</>
			)}
			<Text dimColor wrap="truncate">{safeOutput(fit(help.open ? help.footer(columns) : journeyFooter({back: onBack !== undefined, choosing: run.retrievalOpen}, columns), columns))}</Text>
		</Box>
	);
}
