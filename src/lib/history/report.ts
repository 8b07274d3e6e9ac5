/**
 * Service reports: one session (JSON with its whole event log, or CSV line items) and bulk
 * exports of a date range (one entry or row per session, read by cursor, never all at once).
 * Times are UTC ISO 8601, for other systems; the printable page shows them localised.
 */
import type { EventRow, HistoryDb, SessionRow } from './db';
import { EMPTY_FILTER, pageSessions } from './query';
import { readSession, type SessionRecord } from './session-record';
import { consentsOf, filesOf } from './timeline';
import { verifyEvents, type VerifyResult } from './verify';

export const REPORT_FORMAT = 'benchside-service-report';

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

function sessionFields(s: SessionRow) {
	return {
		sessionId: s.id,
		instrumentId: s.instrumentId,
		serial: s.serial,
		site: s.site,
		technicianId: s.technicianId,
		ticket: s.ticket ?? null,
		startedAt: iso(s.startedAt),
		endedAt: iso(s.endedAt),
		durationMs: s.endedAt === null ? null : s.endedAt - s.startedAt,
		outcome: s.outcome,
		capabilities: s.capabilities,
		// Kept since session names were recorded; null for sessions recorded before.
		instrumentName: s.instrumentName ?? null,
		model: s.model ?? null,
		technicianName: s.technicianName ?? null
	};
}

function items(record: SessionRecord) {
	const { events, transfers } = record;
	return {
		consents: consentsOf(events).map((c) => ({
			event: c.seq,
			at: iso(c.at),
			capability: c.capability,
			answer: c.state,
			scope: c.scope,
			reason: c.reason,
			signed: c.hasSignature,
			verifiedDuringSession: c.verifiedLive
		})),
		files: filesOf(events, transfers).map((f) => ({
			transferId: f.transferId,
			at: iso(f.at),
			name: f.name,
			direction: f.direction,
			size: f.size,
			sha256: f.sha256,
			state: f.state
		}))
	};
}

function chainFields(check: VerifyResult) {
	return check.ok
		? { intact: true as const, events: check.events }
		: { intact: false as const, brokenAtEvent: check.seq, reason: check.reason };
}

/** One session's report as JSON: the facts, consents, files, chain check and every event. */
export async function sessionReportJson(record: SessionRecord, exportedAt = Date.now()) {
	const check = await verifyEvents(record.events, record.session.agentKey);
	const report = {
		format: REPORT_FORMAT,
		version: 1,
		exportedAt: iso(exportedAt),
		session: sessionFields(record.session),
		chain: chainFields(check),
		...items(record),
		events: record.events.map((e: EventRow) => ({
			seq: e.seq,
			at: iso(e.at),
			type: e.type,
			data: e.data,
			prevHash: e.prevHash,
			hash: e.hash
		}))
	};
	return `${JSON.stringify(report, null, 2)}\n`;
}

/**
 * A CSV field (RFC 4180): quoted when it holds a comma, quote or line break. A field a
 * spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe:
 * file names and chat come from customers (OWASP, "CSV injection").
 */
export function csvField(value: string | number | boolean | null): string {
	if (value === null) return '';
	let text = String(value);
	if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
	return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const csvLine = (fields: (string | number | boolean | null)[]) =>
	`${fields.map(csvField).join(',')}\r\n`;

/** Spreadsheets read a BOM as "this is UTF-8" (site names have accents). */
const BOM = '\ufeff';

const SESSION_COLUMNS = [
	'session_id',
	'serial',
	'instrument_id',
	'site',
	'technician',
	'ticket',
	'started_at',
	'ended_at',
	'duration_s',
	'outcome',
	'capabilities',
	'instrument_name',
	'model',
	'technician_name'
];

function sessionCells(s: SessionRow) {
	const f = sessionFields(s);
	return [
		f.sessionId,
		f.serial,
		f.instrumentId,
		f.site,
		f.technicianId,
		f.ticket,
		f.startedAt,
		f.endedAt,
		f.durationMs === null ? null : Math.round(f.durationMs / 1000),
		f.outcome,
		f.capabilities.join(' '),
		f.instrumentName,
		f.model,
		f.technicianName
	];
}

const ITEM_COLUMNS = [
	'item',
	'event',
	'at',
	'capability',
	'answer',
	'signed',
	'file',
	'direction',
	'size',
	'sha256',
	'state'
];

/**
 * One session as CSV line items: a `session` row, then a row per consent answer and per file,
 * each repeating the session's columns so that a spreadsheet filter keeps them together.
 */
export function sessionReportCsv(record: SessionRecord): string {
	return BOM + csvLine([...SESSION_COLUMNS, ...ITEM_COLUMNS]) + csvRows(record);
}

function csvRows(record: SessionRecord): string {
	const cells = sessionCells(record.session);
	const { consents, files } = items(record);
	let out = csvLine([
		...cells,
		'session',
		null,
		null,
		null,
		null,
		null,
		null,
		null,
		null,
		null,
		null
	]);
	for (const c of consents)
		out += csvLine([
			...cells,
			'consent',
			c.event + 1,
			c.at,
			c.capability,
			c.answer,
			c.signed,
			null,
			null,
			null,
			null,
			null
		]);
	for (const f of files)
		out += csvLine([
			...cells,
			'file',
			null,
			f.at,
			null,
			null,
			null,
			f.name,
			f.direction,
			f.size,
			f.sha256,
			f.state
		]);
	return out;
}

/** Sessions started in [from, to], newest first: pages of the list's own cursor walk. */
async function* sessionsBetween(
	db: HistoryDb,
	from: number,
	to: number
): AsyncGenerator<SessionRow> {
	const filter = { ...EMPTY_FILTER, from, to };
	let page = await pageSessions(db, filter, null, 200);
	for (;;) {
		for (const s of page.rows) yield s;
		if (!page.next) return;
		page = await pageSessions(db, filter, page.next, 200);
	}
}

export interface BulkExport {
	parts: string[];
	sessions: number;
}

/**
 * Every session started in [from, to] (epoch ms, inclusive) as one file: JSON (each session
 * with its consents and files, without the event log) or CSV (the line items of each).
 */
export async function bulkExport(
	db: HistoryDb,
	format: 'json' | 'csv',
	from: number,
	to: number,
	exportedAt = Date.now()
): Promise<BulkExport> {
	const parts: string[] = [];
	let sessions = 0;
	if (format === 'csv') parts.push(BOM + csvLine([...SESSION_COLUMNS, ...ITEM_COLUMNS]));
	else
		parts.push(
			`{"format":${JSON.stringify(REPORT_FORMAT)},"version":1,"exportedAt":"${iso(exportedAt)}",` +
				`"from":"${iso(from)}","to":"${iso(to)}","sessions":[`
		);
	for await (const session of sessionsBetween(db, from, to)) {
		const record = await readSession(db, session.id);
		if (!record) continue;
		if (format === 'csv') parts.push(csvRows(record));
		else
			parts.push(
				`${sessions ? ',' : ''}\n${JSON.stringify({ session: sessionFields(record.session), ...items(record) })}`
			);
		sessions++;
	}
	if (format === 'json') parts.push('\n]}\n');
	return { parts, sessions };
}

/** Hands a file to the browser's downloads. */
export function download(parts: BlobPart[], type: string, filename: string): void {
	const url = URL.createObjectURL(new Blob(parts, { type }));
	const a = document.createElement('a');
	a.href = url;
	a.download = filename;
	a.rel = 'noopener';
	document.body.append(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/** A file name that every file system takes: `benchside-<what>-<yyyy-mm-dd>.<ext>`. */
export function reportFilename(what: string, at: number, ext: 'json' | 'csv'): string {
	const safe = what.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60);
	return `benchside-${safe}-${new Date(at).toISOString().slice(0, 10)}.${ext}`;
}
