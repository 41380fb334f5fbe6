// The mail journey: one message through its three legs, each steppable — submission
// (alice's mail program → her provider, 587), relay (provider → recipient's MX, 25) and
// retrieval (bob's mail program ← his mailbox, POP3 995) — with a diagram of where the
// message is now and the Received: lines it collects on the way.
import React, {useEffect, useRef, useState} from 'react';
import {Box, Text} from 'ink';
import {Pop3Session} from '../engine/pop3.js';
import {Session} from '../engine/session.js';
import type {JourneyLab, JourneyRelay} from '../journey/index.js';
import {safeOutput, safeText, showCrlf} from './terminal-text.js';
import type {TranscriptEntry} from '../protocol/transcript.js';
import {entryColor, entryMarker, fit} from './transcript-pane.js';
import {useScreenInput} from './screen-input.js';
import {glyphs} from './glyphs.js';

type Leg = 0 | 1 | 2;
type Steppable = {entries: TranscriptEntry[]; done: boolean; step: () => Promise<unknown>; peek: () => {lines: string[]; description: string}; close: () => void};

const legs = [
	{title: `1 Submission ${glyphs.dot} 587`, explain: 'Submission: alice\'s mail program logs in on 587 (STARTTLS first) and hands the message to her own provider, smtp.sender.test.'},
	{title: `2 Relay ${glyphs.dot} 25`, explain: `Relay: her provider delivers to the recipient domain's MX on port 25, server to server: STARTTLS if offered, no AUTH ${glyphs.dash} an MX takes mail for its own domain from anyone.`},
	{title: `3 Retrieval ${glyphs.dot} POP3 995`, explain: 'Retrieval: bob\'s mail program reads his mailbox with POP3 on 995 (TLS from the first byte). This leg is not SMTP at all.'},
] as const;

const nodes = ['alice\'s client', 'smtp.sender.test', 'mx.receiver.test', 'bob\'s mailbox', 'bob\'s reader'];
const hops = [` ${glyphs.hrule}587 SMTP${glyphs.arrow} `, ` ${glyphs.hrule}25 SMTP${glyphs.arrow} `, ` ${glyphs.hrule}stored${glyphs.hrule} `, ` ${glyphs.hrule}995 POP3${glyphs.arrow} `];

/** The relay hop seen as a leg: its session says when it is done. */
function asLeg(relay: JourneyRelay): Steppable {
	return {entries: relay.entries, get done() {
		return relay.session.done;
	}, step: async () => relay.step(), peek: () => relay.peek(), close: () => relay.close()};
}

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

export type JourneyScreenProps = {journey: JourneyLab; columns: number; rows: number; onQuit: () => void; onBack?: () => void};

/** The Received: header lines of a message, unfolded, topmost (latest hop) first. */
export function receivedLines(raw: string): string[] {
	const head = raw.split(/\r?\n\r?\n/)[0] ?? '';
	return head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/).filter(line => /^received:/i.test(line));
}

/** The messages in bob's mailbox, oldest first. */
function bobsMessages(journey: JourneyLab) {
	return journey.mailboxes.all().filter(message => message.user === 'bob');
}

export function JourneyScreen({journey, columns, rows, onQuit, onBack}: JourneyScreenProps) {
	const submission = useRef(new Session(journey.submissionOptions(587)));
	const pop3 = useRef<Pop3Session | undefined>(undefined);
	// A second run on the same journey lab: the earlier run's relay and bob's earlier messages
	// are not this run's; only what starts or arrives after this screen opened is shown.
	const [relay, setRelay] = useState<JourneyRelay | undefined>(undefined);
	const bobsAtStart = useRef(bobsMessages(journey).length);
	const [leg, setLeg] = useState<Leg>(0);
	// Transcript lines scrolled back from the newest (0: following the end).
	const [scroll, setScroll] = useState(0);
	const [busy, setBusy] = useState(false);
	const [, setTick] = useState(0);

	useEffect(() => journey.onRelay(started => setRelay(started)), [journey]);
	useEffect(() => journey.onEvent(() => setTick(t => t + 1)), [journey]);
	useEffect(() => () => {
		submission.current.close();
		pop3.current?.close();
	}, []);

	const current = (): Steppable | undefined => {
		if (leg === 0) return submission.current;
		if (leg === 1) return relay && asLeg(relay);
		// This run's message is the next one in bob's mailbox, not message 1.
		pop3.current ??= new Pop3Session(journey.retrievalOptions(995, {retrieve: bobsAtStart.current + 1}));
		return pop3.current;
	};

	const stepOnce = async (all: boolean) => {
		const target = current();
		if (!target || busy) return;
		setBusy(true);
		try {
			// A leg is a dozen steps at most; the bound keeps a stuck peer from spinning here.
			for (let i = 0; i < 40; i++) {
				await target.step(); // eslint-disable-line no-await-in-loop
				setTick(t => t + 1);
				if (!all || target.done) break;
			}
		} finally {
			setBusy(false);
			setTick(t => t + 1);
		}
	};

	const showLeg = (next: (l: Leg) => Leg) => {
		setLeg(next);
		setScroll(0);
	};

	useScreenInput((input, key) => {
		if (input === 'q' || (key.ctrl && input === 'c')) onQuit();
		else if ((input === 'b' || key.escape) && onBack) onBack();
		else if (input === '1' || input === '2' || input === '3') showLeg(() => (Number(input) - 1) as Leg);
		else if (key.tab || key.rightArrow) showLeg(l => ((l + 1) % 3) as Leg);
		else if (key.leftArrow) showLeg(l => ((l + 2) % 3) as Leg);
		else if (key.upArrow || input === 'k') setScroll(s => s + 1);
		else if (key.downArrow || input === 'j') setScroll(s => Math.max(0, s - 1));
		else if (key.return || input === ' ') {
			// At the end of a leg enter goes on to the next one (even while the last step's frame
			// is still settling: the leg is over, so nothing is running on it).
			const target = current();
			if (target?.done && leg < 2) showLeg(l => (l + 1) as Leg);
			else void stepOnce(false);
		}
		else if (input === 'a') void stepOnce(true);
	});

	// Where the message is now.
	const queued = submission.current.entries.some(e => e.step === 'body' && e.code === 250);
	const delivered = relay?.state === 'delivered';
	const retrieved = pop3.current?.retrieved !== undefined;
	const at = retrieved ? 4 : delivered ? 3 : relay && relay.state !== 'waiting' ? 2 : queued ? 1 : 0;
	const diagram = nodes.map((node, index) => (
		<Text key={node}>
			<Text inverse={index === at} bold={index === at} color={index <= at ? 'green' : undefined}>{safeOutput(index === at ? `${glyphs.selected}${node}` : node)}</Text>
			{index < hops.length ? <Text dimColor>{safeOutput(hops[index])}</Text> : null}
		</Text>
	));

	const target = current();
	const entries = target?.entries ?? [];
	const raw = pop3.current?.retrieved?.toString('utf8') ?? bobsMessages(journey).slice(bobsAtStart.current).at(-1)?.raw.toString('utf8');
	const received = (raw ? receivedLines(raw) : []).slice(0, 3).map(line => safeText(line));
	// Received: lines wrap (never cut); the transcript gives up the rows they need.
	const receivedRows = received.reduce((sum, line) => sum + Math.max(1, Math.ceil(line.length / Math.max(10, columns - 4))), 0);
	const height = Math.max(4, rows - 18 - Math.max(1, receivedRows));
	const checks = leg === 1 ? checkLines(relay, journey) : [];
	const room = Math.max(1, height - checks.length - 1);
	const back = Math.min(scroll, Math.max(0, entries.length - room));
	const shown = entries.slice(Math.max(0, entries.length - room - back), entries.length - back);
	const earlier = entries.length - back - shown.length;
	const preview = target?.peek();

	return (
		<Box flexDirection="column" width={columns}>
			<Text bold>journey {glyphs.dot} alice@sender.test {glyphs.arrow} bob@receiver.test{busy ? safeOutput(` ${glyphs.dot} working${glyphs.ellipsis}`) : ''}</Text>
			<Text wrap="truncate">{diagram}</Text>
			<Text>
				{legs.map((l, index) => <Text key={l.title} inverse={index === leg} bold={index === leg}>{safeOutput(` ${l.title} `)}</Text>)}
			</Text>
			<Text wrap="wrap" dimColor>{safeOutput(legs[leg].explain)}</Text>
			<Box flexDirection="column" borderStyle={glyphs.border} height={height + 2}>
				{leg === 1 && !relay ? <Text dimColor>The relay starts once smtp.sender.test has accepted the message: finish leg 1 first.</Text> : null}
				<Text dimColor wrap="truncate">{safeOutput(fit(earlier > 0 || back > 0 ? `${earlier} earlier line${earlier === 1 ? '' : 's'} (${glyphs.up}/k)${back > 0 ? ` ${glyphs.dot} ${back} later (${glyphs.down}/j)` : ''}` : 'the whole leg is shown', columns - 6))}</Text>
				{shown.map(entry => (
					<Text key={entry.seq} color={entryColor(entry)} wrap="truncate">{safeOutput(entryMarker(entry))} {safeOutput(fit(safeText(entry.text), columns - 6))}</Text>
				))}
				{checks.map((line, index) => (
					<Text key={`check-${index}`} color={index === 0 ? 'magenta' : /^\w+=pass /.test(line) ? 'green' : 'yellow'} wrap="truncate">{index === 0 ? '' : '  '}{safeOutput(fit(safeText(line), columns - 6))}</Text>
				))}
			</Box>
			<Box flexDirection="column" borderStyle={glyphs.border} paddingX={1}>
				<Text bold>Next: <Text dimColor>{safeOutput(fit(target?.done && !busy && leg < 2 ? `This leg is over: enter goes on to leg ${leg + 2}, ${legs[leg + 1]!.title}.` : target?.done && !busy ? 'The journey is complete: b goes back, q quits.' : preview ? preview.description : 'nothing yet', columns - 12))}</Text></Text>
				{(preview?.lines ?? []).slice(0, 1).map(line => <Text key={line} color="cyan" wrap="truncate">{safeOutput(fit(showCrlf(safeText(line)), columns - 4))}</Text>)}
			</Box>
			<Box flexDirection="column" borderStyle={glyphs.border} paddingX={1}>
				<Text bold>Received: lines ({received.length}) {glyphs.dash} each server adds one at the top; read them bottom-up to follow the hops</Text>
				{received.length === 0 ? <Text dimColor>None yet: the message has not reached bob's mailbox.</Text> : received.map(line => <Text key={line} wrap="wrap">{safeOutput(line)}</Text>)}
			</Box>
			<Text dimColor>enter step  a run the leg  1 2 3 / tab choose the leg  {glyphs.upDown}/k j scroll{onBack ? '  b back' : ''}  q quit</Text>
		</Box>
	);
}
