/**
 * The history list's queries: newest first, paged by an IDBCursor over the most selective index
 * the filter allows (each compound with startedAt, so every index walks in date order), never
 * loading all rows. The rest of the filter is a predicate applied while the cursor walks.
 */
import { unwrap, type IDBPIndex } from 'idb';
import type { Capability } from '$lib/protocol/messages';
import {
	searchText,
	trigrams,
	type HistoryDb,
	type HistorySchema,
	type SessionOutcome,
	type SessionRow
} from './db';

export interface HistoryFilter {
	/** Free text: part of the instrument id, serial, site, technician, ticket or session id. */
	text: string;
	instrumentId: string;
	serial: string;
	site: string;
	technicianId: string;
	/** Epoch ms, inclusive; null for open-ended. */
	from: number | null;
	to: number | null;
	outcome: SessionOutcome | '';
	capability: Capability | '';
}

export const EMPTY_FILTER: HistoryFilter = {
	text: '',
	instrumentId: '',
	serial: '',
	site: '',
	technicianId: '',
	from: null,
	to: null,
	outcome: '',
	capability: ''
};

/** Where a page ended: the index key and primary key of its last row. */
export interface PagePosition {
	key: IDBValidKey;
	id: string;
	/** Free-text search: the ids of the matches still to show, in order (found at page one). */
	following?: string[];
}

export interface SessionPage {
	rows: SessionRow[];
	/** Null when the walk reached the end: there is nothing after these rows. */
	next: PagePosition | null;
}

type IndexName =
	| 'by-startedAt'
	| 'by-serial'
	| 'by-instrumentId'
	| 'by-technicianId'
	| 'by-site'
	| 'by-capability'
	| 'by-outcome';

interface Plan {
	index: IndexName;
	lower: IDBValidKey;
	upper: IDBValidKey;
	/** The filters the index does not already apply. */
	rest: (s: SessionRow) => boolean;
	exact: boolean;
	/** Every filter at once, for candidates found through the trigram index. */
	all: (s: SessionRow) => boolean;
	/** The search text's trigrams: an index finds the sessions that hold them all. */
	grams: string[];
}

const trim = (s: string) => s.trim();

/** Picks the driving index: an exact field beats capability and outcome, which beat dates. */
export function plan(filter: HistoryFilter): Plan {
	const from = filter.from ?? -Infinity;
	const to = filter.to ?? Infinity;
	const fields: [IndexName, string, (s: SessionRow) => string | undefined][] = [
		['by-serial', trim(filter.serial), (s) => s.serial],
		['by-instrumentId', trim(filter.instrumentId), (s) => s.instrumentId],
		['by-technicianId', trim(filter.technicianId), (s) => s.technicianId],
		['by-site', trim(filter.site), (s) => s.site],
		['by-capability', filter.capability, () => undefined],
		['by-outcome', filter.outcome, (s) => s.outcome]
	];
	const driving = fields.find(([, value]) => value !== '');
	const checks: ((s: SessionRow) => boolean)[] = [];
	for (const [index, value, read] of fields) {
		if (value === '' || index === driving?.[0]) continue;
		if (index === 'by-capability') checks.push((s) => s.capabilities.includes(value as Capability));
		else checks.push((s) => read(s) === value);
	}
	const needle = filter.text.trim().toLowerCase();
	if (needle) checks.push((s) => searchText(s).includes(needle));
	const rest = (s: SessionRow) => checks.every((check) => check(s));
	const grams = trigrams(needle);
	const base = { rest, exact: !checks.length, grams };
	if (!driving) {
		const all = (s: SessionRow) => s.startedAt >= from && s.startedAt <= to && rest(s);
		return { ...base, index: 'by-startedAt', lower: from, upper: to, all };
	}
	const [index, value, read] = driving;
	const own =
		index === 'by-capability'
			? (s: SessionRow) => s.capabilities.includes(value as Capability)
			: (s: SessionRow) => read(s) === value;
	const all = (s: SessionRow) => s.startedAt >= from && s.startedAt <= to && own(s) && rest(s);
	return { ...base, index, lower: [value, from], upper: [value, to], all };
}

/**
 * Up to `limit` sessions matching `filter`, newest first, after `after` (the previous page's
 * `next`), in one read transaction. Where the browser has `getAllRecords` (Chromium 141+) the
 * walk reads records in growing chunks, one request each; elsewhere an IDBCursor steps through
 * them with raw requests. Either way no promise per row: a search that skips thousands of rows
 * is bound by how fast IndexedDB hands them over.
 */
export async function pageSessions(
	db: HistoryDb,
	filter: HistoryFilter,
	after: PagePosition | null = null,
	limit = 50
): Promise<SessionPage> {
	const p = plan(filter);
	// Free text goes through the trigram index, unless page one found the needle too common:
	// then it walks in date order (fills a page soon) and its positions carry no `following`.
	if (p.grams.length && (after === null || after.following)) {
		const page = await byGrams(db, p, after, limit);
		if (page) return page;
	}
	let upper = p.upper;
	if (after) {
		// Resuming: nothing newer than where the last page stopped (rows equal to it are skipped).
		if (indexedDB.cmp(after.key, upper) < 0) upper = after.key;
		if (indexedDB.cmp(p.lower, upper) > 0) return { rows: [], next: null };
	}
	const index = unwrap(db.transaction('sessions').store.index(p.index));
	const walk = 'getAllRecords' in index ? byChunks : byCursor;
	return walk(index as RecordsIndex, p, IDBKeyRange.bound(p.lower, upper), after, limit);
}

/** Above this many candidates, a date-ordered walk fills a page sooner than reading them. */
const MAX_CANDIDATES = 1000;

/**
 * Free text of three characters or more: the rarest of its trigrams (counted by the index)
 * names the candidates, which are read by id and checked against the whole filter. Every
 * session whose text holds the needle holds each of its trigrams, so none is missed. The
 * first page sorts all matches by date; later pages read the next ids it handed on.
 */
async function byGrams(
	db: HistoryDb,
	p: Plan,
	after: PagePosition | null,
	limit: number
): Promise<SessionPage | null> {
	const tx = db.transaction('sessions');
	if (after?.following) {
		// Later pages: the ids the first page found, read `limit` at a time.
		const ids = after.following.slice(0, limit);
		const rows = (await Promise.all(ids.map((id) => tx.store.get(id)))).filter(
			(s): s is SessionRow => s !== undefined && p.all(s)
		);
		return gramPage(rows, after.following.slice(limit));
	}
	const grams = tx.store.index('by-gram');
	const counts = await Promise.all(p.grams.map((g) => grams.count(g)));
	const fewest = Math.min(...counts);
	if (fewest > MAX_CANDIDATES) return null;
	const rarest = p.grams[counts.indexOf(fewest)]!;
	const ids = await grams.getAllKeys(rarest);
	const candidates = await Promise.all(ids.map((id) => tx.store.get(id)));
	const rows = candidates.filter((s): s is SessionRow => s !== undefined && p.all(s));
	rows.sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
	return gramPage(
		rows.slice(0, limit),
		rows.slice(limit).map((s) => s.id)
	);
}

function gramPage(rows: SessionRow[], following: string[]): SessionPage {
	const last = rows.at(-1);
	return {
		rows,
		next: last && following.length ? { key: last.startedAt, id: last.id, following } : null
	};
}

/** `IDBIndex.getAllRecords` (Chromium 141+), not yet in TypeScript's DOM types. */
interface RecordsIndex extends IDBIndex {
	getAllRecords(options: {
		query: IDBKeyRange;
		count: number;
		direction: 'prev';
	}): IDBRequest<{ key: IDBValidKey; primaryKey: IDBValidKey; value: SessionRow }[]>;
}

/** Whether a record at (key, id) was on an earlier page. */
const seenBefore = (after: PagePosition | null, key: IDBValidKey, id: string) =>
	!!after && indexedDB.cmp(key, after.key) === 0 && id >= after.id;

function byCursor(
	index: IDBIndex,
	p: Plan,
	range: IDBKeyRange,
	after: PagePosition | null,
	limit: number
): Promise<SessionPage> {
	return new Promise((resolve, reject) => {
		const rows: SessionRow[] = [];
		const request = index.openCursor(range, 'prev');
		request.onerror = () => reject(request.error ?? new Error('history cursor failed'));
		request.onsuccess = () => {
			const cursor = request.result;
			if (!cursor) return resolve({ rows, next: null });
			const id = cursor.primaryKey as string;
			// Equal keys come in descending primary key order: those >= after.id were on a page.
			if (!seenBefore(after, cursor.key, id)) {
				const row = cursor.value as SessionRow;
				if (p.rest(row)) rows.push(row);
				if (rows.length >= limit) return resolve({ rows, next: { key: cursor.key, id } });
			}
			cursor.continue();
		};
	});
}

async function byChunks(
	index: RecordsIndex,
	p: Plan,
	range: IDBKeyRange,
	after: PagePosition | null,
	limit: number
): Promise<SessionPage> {
	const rows: SessionRow[] = [];
	let position = after;
	let query = range;
	// An unfiltered walk needs exactly `limit` rows; a filtered one reads more, more each time.
	let count = p.exact ? limit + 1 : 100;
	for (;;) {
		const records = await result(index.getAllRecords({ query, count, direction: 'prev' }));
		let fresh = 0;
		for (const record of records) {
			const id = record.primaryKey as string;
			if (seenBefore(position, record.key, id)) continue;
			fresh++;
			position = { key: record.key, id };
			if (p.rest(record.value)) rows.push(record.value);
			if (rows.length >= limit) return { rows, next: position };
		}
		if (records.length < count) return { rows, next: null };
		// The next chunk starts at the last key read (inclusive: ties are skipped by id). A chunk
		// of nothing new means more rows share one key than it holds: read a bigger one.
		if (position) query = IDBKeyRange.bound(p.lower, position.key);
		count = fresh === 0 || !p.exact ? Math.min(count * 2, 2000) : count;
	}
}

function result<T>(request: IDBRequest<T>): Promise<T> {
	return new Promise((resolve, reject) => {
		request.onsuccess = () => resolve(request.result);
		request.onerror = () => reject(request.error ?? new Error('history read failed'));
	});
}

/** The number of matches when an index alone answers the filter; null when only a walk would. */
export async function countSessions(db: HistoryDb, filter: HistoryFilter): Promise<number | null> {
	const p = plan(filter);
	if (!p.exact) return null;
	return db.countFromIndex('sessions', p.index, IDBKeyRange.bound(p.lower, p.upper));
}

/** The newest session of a value of a `[value, startedAt]` index. */
async function newestOf(
	index: IDBPIndex<HistorySchema, ['sessions'], 'sessions', SuggestIndex>,
	value: string
): Promise<SessionRow | undefined> {
	const range = IDBKeyRange.bound([value, -Infinity], [value, Infinity]);
	return (await index.openCursor(range, 'prev'))?.value;
}

type SuggestIndex = 'by-serial' | 'by-site' | 'by-technicianId' | 'by-instrumentId';

/** A filter suggestion: the value the filter matches, and the name a person knows it by. */
export interface Suggestion {
	value: string;
	label?: string;
}

/** What a filter on an id applies, for what was typed into it, and the names it could mean. */
export interface TypedId {
	/** The id to filter on: the typed text itself unless it names one offered id. */
	value: string;
	/** Offered ids whose names contain the typed text, when there are several: which one? */
	several: Suggestion[];
}

/**
 * Reads what was typed where an id is filtered on (Technician, Instrument ID) against the ids
 * offered with their names: an offered id stands for itself; a whole name, or part of one name
 * (case aside), for its id. Part of several names is left as typed (it matches no id) and
 * returns those names, so the page can ask which one. Ids are matched whole, never in part.
 */
export function resolveTypedId(typed: string, offered: readonly Suggestion[]): TypedId {
	const text = typed.trim();
	if (text === '' || offered.some((s) => s.value === text)) return { value: text, several: [] };
	const name = text.toLowerCase();
	const whole = offered.find((s) => s.label?.toLowerCase() === name);
	if (whole) return { value: whole.value, several: [] };
	const part = offered.filter((s) => s.label?.toLowerCase().includes(name));
	if (part.length === 1) return { value: part[0]!.value, several: [] };
	return { value: text, several: part };
}

/**
 * Distinct values of a field for the filter's suggestions (at most `max`, in key order). With
 * `label`, each value is named from its newest session (an id by the name kept with it).
 */
export async function distinctValues(
	db: HistoryDb,
	index: SuggestIndex,
	label?: (s: SessionRow) => string | undefined,
	max = 200
): Promise<Suggestion[]> {
	const values: Suggestion[] = [];
	const store = db.transaction('sessions').store.index(index);
	// Jump past every key of a value at once: one step per distinct value, not per session.
	for (let cursor = await store.openKeyCursor(); cursor && values.length < max;) {
		const [value] = cursor.key as [string, number];
		const name = label && (await newestOf(store, value).then((s) => (s ? label(s) : undefined)));
		values.push(name ? { value, label: name } : { value });
		cursor = await cursor.continue([value, Infinity]);
	}
	return values;
}
