// Compare ports side by side: one row per step of the same scenario, one column per port.
// Cells where the ports disagree are highlighted; the selected cell is explained below.
import React, {useMemo, useReducer} from 'react';
import {Box, Text} from 'ink';
import {compareRows} from '../protocol/compare-report.js';
import {safeOutput, safeText} from './terminal-text.js';
import type {CompareScenario} from '../engine/compare.js';
import {compareCellText, summaryCells, summaryHeadings} from '../export/compare.js';

/** summaryHeadings without port and time, short enough for 80 columns. */
const shortSummaryHeadings = ['TLS:', 'AUTH pre-TLS:', 'AUTH:', 'relay out:', 'no-login mail:', 'sent:'];
import {entryColor, entryMarker, fit} from './transcript-pane.js';
import {useComparison} from './use-comparison.js';
import {compareReducer, initialCompareView} from './compare-state.js';
import {useCompareInput} from './use-compare-input.js';
import {glyphs} from './glyphs.js';
import {helpKey, quitKey, screenFooter, useKeyHelp, type ScreenKey} from './key-help.js';

export type CompareScreenProps = {
	scenario: CompareScenario;
	target: string;
	columns: number;
	rows: number;
	onQuit: () => void;
	onBack?: () => void;
};

/** The compare screen's keys: its footer and its help overlay. */
function compareKeys(done: boolean, summary: boolean, back: boolean): ScreenKey[] {
	return [
		// Once every step ran, enter and a have nothing left to do: the footer leaves them out.
		{keys: 'enter/space', help: 'run the next step in every column at once', ...(done ? {} : {footer: 'enter step all'})},
		{keys: 'a', help: 'run every remaining step', ...(done ? {} : {footer: 'a run all'})},
		{keys: `${glyphs.arrows} [ ]`, help: 'select a cell (left/right, [ and ] page through the columns that do not fit)', footer: `${glyphs.arrows} select`},
		{keys: 'r', help: 'restart every column', footer: 'r restart'},
		{keys: 'v', help: 'the summary or the selected cell\'s details (once every step ran)', ...(done ? {footer: summary ? 'v cell details' : 'v summary'} : {})},
		...(back ? [{keys: 'b', help: 'back to the screen the comparison was opened from', footer: 'b back', keep: true}] : []),
		helpKey,
		{...quitKey, help: 'quit (closes every connection and the lab)'},
	];
}

const labelWidth = 18;
const minCellWidth = 22;

function classColor(code: number | undefined): string | undefined {
	const digit = Math.floor((code ?? 0) / 100);
	return digit === 2 ? 'green' : digit === 3 ? 'blue' : digit === 4 ? 'yellow' : digit === 5 ? 'red' : undefined;
}

export function CompareScreen({scenario, target, columns, rows, onQuit, onBack}: CompareScreenProps) {
	const controls = useComparison(scenario);
	const {comparison, busy, revision} = controls;
	// The selected cell and the bottom pane (the cell, or once every row ran the summary).
	const [view, dispatch] = useReducer(compareReducer, initialCompareView);
	const {bottom} = view;
	const cursor = view;
	const ports = comparison.columns.length;
	const visible = Math.max(1, Math.min(ports, Math.floor((columns - labelWidth - 1) / minCellWidth)));
	const page = Math.min(Math.max(0, cursor.column - visible + 1), ports - visible);
	const cellWidth = Math.floor((columns - labelWidth - 1) / visible) - 3;
	const report = useMemo(() => comparison.report(target), [comparison, target, revision]);

	const keys = compareKeys(comparison.done, bottom === 'summary' && comparison.done, onBack !== undefined);
	const help = useKeyHelp({keys, width: columns, height: rows - 3, back: 'esc/b back to the comparison'});
	useCompareInput({controls, dispatch, onQuit, onBack, help: help.handle});

	const shown = comparison.columns.slice(page, page + visible);
	const selectedColumn = comparison.columns[cursor.column];
	const selectedRow = compareRows[cursor.row]!;
	const cell = selectedColumn?.cells.get(selectedRow.row);
	const details = cell ? selectedColumn.session.entries.slice(cell.from, cell.to) : [];
	const lastReply = [...details].reverse().find(e => e.direction === 'server' && e.last);
	const showSummary = bottom === 'summary' && comparison.done;
	// Table and summary together need about 32 rows; below that the summary replaces the table.
	const tall = rows >= 32;
	const pageNote = ports > visible ? `  columns ${page + 1}${glyphs.range}${page + visible} of ${ports} (${glyphs.leftRight} to page)` : '';

	const table = (
		<Box flexDirection="column">
			<Text bold wrap="truncate">
				{safeOutput('step'.padEnd(labelWidth))}
				{safeOutput(shown.map(c => ` ${glyphs.rule} ${fit(`${c.port} ${c.summary().label}`, cellWidth).padEnd(cellWidth)}`).join(''))}
			</Text>
			{compareRows.map(({row, label}, rowIndex) => {
				const reportRow = report.rows[rowIndex]!;
				return (
					<Text key={row} wrap="truncate">
						<Text bold={reportRow.differs} color={reportRow.differs ? 'yellow' : undefined}>{safeOutput(fit(label + (reportRow.differs ? ` ${glyphs.notEqual}` : ''), labelWidth).padEnd(labelWidth))}</Text>
						{shown.map((column, index) => {
							const c = reportRow.cells[page + index]!;
							const selected = rowIndex === cursor.row && page + index === cursor.column;
							return (
								<Text key={column.port}>
									{' '}{glyphs.rule}{' '}
									<Text inverse={selected} color={c.status === 'skipped' ? 'gray' : classColor(c.code)} bold={reportRow.differs && c.status !== 'skipped'}>
										{safeOutput(fit(compareCellText(c), cellWidth).padEnd(cellWidth))}
									</Text>
								</Text>
							);
						})}
					</Text>
				);
			})}
		</Box>
	);

	const summary = (
		<Box flexDirection="column" borderStyle={glyphs.border} paddingX={1}>
			<Text bold>Summary</Text>
			{report.summaries.map(s => {
				const [port, ...values] = summaryCells(s);
				if (!tall) {
					// Short terminal: the facts under short headings, wrapped rather than cut.
					const short = values.slice(0, -1).map((value, i) => `${shortSummaryHeadings[i]} ${value}`);
					return (
						<Text key={s.port} wrap="wrap">
							<Text bold>{safeText(port ?? '')}</Text> {glyphs.dot} {safeText(short.join(` ${glyphs.dot} `))}
						</Text>
					);
				}

				// One wrapped line per port: "heading value" pairs never get cut off.
				const pairs = values.map((value, i) => `${summaryHeadings[i + 1]}: ${value}`);
				return (
					<Text key={s.port} wrap="wrap">
						<Text bold>{safeText(port ?? '')}</Text> {glyphs.dot} {safeText(pairs.join(` ${glyphs.dot} `))}
					</Text>
				);
			})}
			{report.sentences.map(sentence => <Text key={sentence} wrap="wrap">{glyphs.bullet} {safeText(sentence)}</Text>)}
		</Box>
	);

	return (
		<Box flexDirection="column" width={columns}>
			<Box justifyContent="space-between">
				<Text bold>compare {glyphs.dot} {safeText(target)} {glyphs.dot} step {comparison.rowIndex}/{compareRows.length}{busy ? safeOutput(` ${glyphs.dot} working${glyphs.ellipsis}`) : ''}{safeOutput(pageNote)}</Text>
				<Text dimColor>? help  q quit</Text>
			</Box>
			{help.overlay}
			{help.overlay || (showSummary && !tall) ? null : table}
			{help.overlay ? null : showSummary ? summary : (
				<Box flexDirection="column" borderStyle={glyphs.border} paddingX={1}>
					<Text bold>{safeOutput(selectedColumn ? `${selectedColumn.port} ${glyphs.dot} ${selectedRow.label}` : '')}{safeOutput(cell?.note && cell.status === 'skipped' ? ` ${glyphs.dash} ${safeText(cell.note)}` : '')}</Text>
					{details.length === 0 ? <Text dimColor>{cell ? 'Nothing was sent on this row.' : 'Not reached yet: enter advances every column by one step.'}</Text> : null}
					{details.slice(-4).map(entry => (
						<Text key={entry.seq} color={entryColor(entry)} wrap="truncate">{safeOutput(entryMarker(entry))} {safeOutput(fit(safeText(entry.text), columns - 8))}</Text>
					))}
					{(lastReply?.explain ?? []).slice(-2).map(note => <Text key={note} dimColor wrap="truncate">{safeOutput(fit(safeText(note), columns - 6))}</Text>)}
				</Box>
			)}
			{view.notice && !help.open ? <Text color="yellow" wrap="truncate">{safeOutput(fit(view.notice, columns))}</Text> : null}
			<Text dimColor>{safeOutput(help.open ? help.footer(columns) : screenFooter(keys, columns))}</Text>
		</Box>
	);
}
