/**
 * Shared by the history suites: the seeded database (10,000 sessions of 100 events, written
 * over four suites so that each stays under the runner's 150 s on two busy cores) and the
 * deterministic sessions and events in it.
 */
import { openDB, deleteDB, unwrap } from 'idb';
import type { HistoryEvent } from '../../../src/lib/history/chain';
import { openHistoryDb, type HistoryDb, type SessionRow } from '../../../src/lib/history/db';
import { EMPTY_HEAD, appendBatch, type BatchItem } from '../../../src/lib/history/journal';
import { CAPABILITIES } from '../../../src/lib/protocol/messages';

/** One name for the seeded database, kept between the suites of one run. */
export const SEEDED_DB = 'bench-history-seeded';
export const SEED_PARTS = 4;

export const SESSIONS = 10_000;
export const EVENTS_PER_SESSION = 100;
const SITES = [
	'Zentrallabor Basel',
	'CHU Lyon',
	'Riverside Core Lab',
	'Oslo Universitetssykehus',
	'Leeds Pathology'
];
export const T0 = Date.UTC(2025, 0, 1);

export function session(i: number): SessionRow {
	const startedAt = T0 + i * 45 * 60_000;
	return {
		id: `bench-${String(i).padStart(5, '0')}`,
		instrumentId: `ins-${i % 400}`,
		serial: `SN-${String((i * 7919) % 4000).padStart(4, '0')}`,
		site: SITES[i % SITES.length]!,
		technicianId: `tech-${i % 25}`,
		startedAt,
		endedAt: null,
		outcome: 'open',
		capabilities: CAPABILITIES.filter((_, c) => (i >> c) & 1),
		...(i % 10 === 0 ? { ticket: `INC-${100000 + i}` } : {})
	};
}

export function events(
	s: SessionRow,
	from: number,
	count: number
): (HistoryEvent & { at: number })[] {
	const out: (HistoryEvent & { at: number })[] = [];
	for (let k = from; k < from + count; k++) {
		const at = s.startedAt + k * 5000;
		out.push(
			k % 10 === 0
				? { type: 'consent-requested', data: { capability: 'control', scope: 'session' }, at }
				: {
						type: 'chat',
						data: {
							from: k % 2 ? 'customer' : 'technician',
							messageId: k,
							text: `Message ${k} about the pump`
						},
						at
					}
		);
	}
	return out;
}

export async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
	const t = performance.now();
	const value = await fn();
	return [performance.now() - t, value];
}

/** Sessions per transaction while seeding: 5,000 events each. */
const SESSIONS_PER_BATCH = 50;

/**
 * Seeds part `part` (0-based) of SEED_PARTS through `appendBatch` (hash chain and head checks,
 * no outbox rows: a history the audit sync has long emptied) and returns the busy time. Part 0
 * starts from an empty database. The time is kept in the database for the last suite.
 */
export async function seedPart(part: number): Promise<number> {
	if (part === 0) await deleteDB(SEEDED_DB);
	const db = await openHistoryDb(SEEDED_DB);
	try {
		const per = SESSIONS / SEED_PARTS;
		let busy = 0;
		for (let i = part * per; i < (part + 1) * per; i += SESSIONS_PER_BATCH) {
			const items: BatchItem[] = [];
			for (let j = i; j < i + SESSIONS_PER_BATCH; j++) {
				const s = session(j);
				items.push({
					sessionId: s.id,
					head: EMPTY_HEAD,
					create: s,
					events: events(s, 0, EVENTS_PER_SESSION)
				});
			}
			const [ms, result] = await timed(() => appendBatch(db, items, { outbox: false }));
			if (!result.ok) throw new Error(`seed failed: ${result.code} ${result.message}`);
			busy += ms;
		}
		const before = (await db.get('settings', 'bench-seed-ms')) as number | undefined;
		await db.put('settings', (before ?? 0) + busy, 'bench-seed-ms');
		return busy;
	} finally {
		db.close();
	}
}

/** Every event stored, counted block by block (500 blocks a read). */
export async function countEvents(db: HistoryDb): Promise<number> {
	let count = 0;
	let after: IDBKeyRange | null = null;
	for (;;) {
		const blocks = await db.getAll('eventBlocks', after, 500);
		const last = blocks.at(-1);
		if (!last) return count;
		for (const b of blocks) count += b.events.length;
		after = IDBKeyRange.lowerBound([last.sessionId, last.firstSeq], true);
	}
}

/** The seeded database and its event count, or an error that says how to make it. */
export async function seededDb(): Promise<{ db: HistoryDb; seedMs: number; events: number }> {
	const db = await openHistoryDb(SEEDED_DB);
	const count = await countEvents(db);
	const seedMs = (await db.get('settings', 'bench-seed-ms')) as number | undefined;
	if (count < SESSIONS * EVENTS_PER_SESSION || seedMs === undefined) {
		db.close();
		throw new Error(
			'the history database is not seeded: run `npm run bench -- history` (all its suites)'
		);
	}
	return { db, seedMs, events: count };
}

/**
 * The ceiling on this machine: the same event rows (hashed beforehand) added to a bare
 * auto-increment store with no index, 1,000 per transaction, raw requests; with `perRecord`,
 * as blocks of that many events (schema v4's layout), still 1,000 events per transaction.
 */
export async function bareIdb(rows: number, perRecord = 1): Promise<number> {
	const name = `bench-history-bare-${crypto.randomUUID()}`;
	const db = await openDB(name, 1, {
		upgrade: (d) => void d.createObjectStore('events', { autoIncrement: true })
	});
	try {
		const s = session(0);
		const sample = events(s, 0, 1000).map((e, seq) => ({
			...e,
			sessionId: s.id,
			seq,
			prevHash: 'a'.repeat(64),
			hash: 'b'.repeat(64)
		}));
		let busy = 0;
		for (let done = 0; done < rows; done += sample.length) {
			const t = performance.now();
			const tx = db.transaction('events', 'readwrite', { durability: 'relaxed' });
			const store = unwrap(tx.store);
			const batch = sample.map((row) => ({ ...row, seq: row.seq + done }));
			if (perRecord === 1) for (const row of batch) store.add(row);
			else
				for (let i = 0; i < batch.length; i += perRecord)
					store.add({
						sessionId: s.id,
						firstSeq: batch[i]!.seq,
						events: batch.slice(i, i + perRecord)
					});
			await tx.done;
			busy += performance.now() - t;
		}
		return rows / (busy / 1000);
	} finally {
		db.close();
		await deleteDB(name);
	}
}
