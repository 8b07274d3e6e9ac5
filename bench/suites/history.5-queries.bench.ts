/**
 * Session history at scale (issue 8), on the database the four seed suites wrote (10,000
 * sessions, 1,000,000 events): the list's first page, searches, opening a session, then insert
 * throughput in batches (with outbox rows), one event per transaction (the live path) and the
 * bare IndexedDB ceilings of this machine, a record per event and a block of events per record.
 * Deletes the database at the end.
 */
import { deleteDB } from 'idb';
import { BLOCK_SIZE, openHistoryDb, type HistoryDb } from '../../src/lib/history/db';
import { appendBatch, appendEvent, readHead, type BatchItem } from '../../src/lib/history/journal';
import {
	EMPTY_FILTER,
	countSessions,
	pageSessions,
	type HistoryFilter
} from '../../src/lib/history/query';
import { unsentEvents } from '../../src/lib/history/outbox';
import { readSession } from '../../src/lib/history/session-record';
import { median } from '../lib/measure';
import type { Report } from '../lib/types';
import {
	EVENTS_PER_SESSION,
	SEEDED_DB,
	SESSIONS,
	T0,
	bareIdb,
	events,
	seededDb,
	session,
	timed
} from './history/shared';

async function runs(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
	const ms: number[] = [];
	for (let i = 0; i < n; i++) ms.push((await timed(() => fn(i)))[0]);
	return ms;
}

export async function run(report: Report) {
	const seeded = await seededDb();
	let db: HistoryDb = seeded.db;
	try {
		report('history.seed.events', seeded.events, 'events');
		report('history.seed.blocks', await db.count('eventBlocks'), 'records');
		report('history.seed.sessions', await db.count('sessions'), 'sessions');
		report(
			'history.seed.events-per-s',
			(SESSIONS * EVENTS_PER_SESSION) / (seeded.seedMs / 1000),
			'events/s',
			'>= 20000'
		);

		// A fresh connection: nothing of the seeding cached in this one.
		db.close();
		db = await openHistoryDb(SEEDED_DB);
		const firstPage = (f: HistoryFilter) =>
			Promise.all([pageSessions(db, f, null, 50), countSessions(db, f)]);
		const [coldMs, [page]] = await timed(() => firstPage(EMPTY_FILTER));
		if (page.rows.length !== 50) throw new Error('first page is not 50 rows');
		report('history.list.first-page.cold.ms', coldMs, 'ms', '< 50');
		report(
			'history.list.first-page.ms',
			median(await runs(15, () => firstPage(EMPTY_FILTER))),
			'ms',
			'< 50'
		);
		{
			// Scrolled far down: page 40 resumed from where page 39 ended.
			let p = await pageSessions(db, EMPTY_FILTER, null, 50);
			for (let k = 0; k < 38; k++) p = await pageSessions(db, EMPTY_FILTER, p.next, 50);
			const at = p.next;
			report(
				'history.list.page-40.ms',
				median(await runs(15, () => pageSessions(db, EMPTY_FILTER, at, 50))),
				'ms'
			);
		}

		// Free text matching one session: candidates through the trigram index.
		const needle = { ...EMPTY_FILTER, text: 'inc-104240' };
		const [, found] = await timed(() => pageSessions(db, needle, null, 50));
		if (found.rows.length !== 1 || found.next !== null)
			throw new Error(`text search found ${found.rows.length}`);
		report('history.search.text.ms', median(await runs(9, () => firstPage(needle))), 'ms', '< 200');
		// A needle in 44 % of sessions (tech-1, tech-10 … tech-19): more candidates than single
		// reads pay for, so every row is read in one request and filtered.
		const broad = { ...EMPTY_FILTER, text: 'tech-1' };
		report(
			'history.search.text-broad.ms',
			median(await runs(5, () => firstPage(broad))),
			'ms',
			'< 200'
		);
		const nothing = { ...EMPTY_FILTER, text: 'no such ticket' };
		report(
			'history.search.text-none.ms',
			median(await runs(9, () => firstPage(nothing))),
			'ms',
			'< 200'
		);
		// Site (an index) with capability and a date range (applied while walking).
		const filtered: HistoryFilter = {
			...EMPTY_FILTER,
			site: 'CHU Lyon',
			capability: 'control',
			from: T0 + 30 * 86_400_000,
			to: T0 + 200 * 86_400_000
		};
		report(
			'history.search.filtered.ms',
			median(await runs(9, () => firstPage(filtered))),
			'ms',
			'< 200'
		);
		const bySerial = { ...EMPTY_FILTER, serial: session(4242).serial };
		report(
			'history.search.serial.ms',
			median(await runs(9, () => firstPage(bySerial))),
			'ms',
			'< 200'
		);

		// Opening a session: its row, its 100 events and its files, in one transaction.
		const opened = await runs(15, (i) => readSession(db, session((i * 653) % SESSIONS).id));
		report('history.open-session.ms', median(opened), 'ms');

		// Batches onto existing sessions, outbox rows included: 10 sessions × 100 events each
		// (a block and an outbox row per session).
		const rounds: number[] = [];
		for (let r = 0; r < 5; r++) {
			const items: BatchItem[] = [];
			for (let j = 0; j < 10; j++) {
				const s = session((r * 997 + j * 31) % SESSIONS);
				items.push({
					sessionId: s.id,
					head: await readHead(db, s.id),
					events: events(s, 100 + r * 100, 100)
				});
			}
			const [ms, result] = await timed(() => appendBatch(db, items));
			if (!result.ok) throw new Error(`batch failed: ${result.code}`);
			rounds.push(1000 / (ms / 1000));
		}
		report('history.insert.batch-outbox.events-per-s', median(rounds), 'events/s', '>= 20000');

		// The live path: one transaction per event, each awaited, as a session records.
		const s = session(SESSIONS - 1);
		let head = await readHead(db, s.id);
		const live = events(s, 1000, 200);
		const [liveMs] = await timed(async () => {
			for (const event of live) {
				const written = await appendEvent(db, s.id, head, event);
				if (!written.ok) throw new Error(written.code);
				head = written.head;
			}
		});
		report('history.insert.single.events-per-s', live.length / (liveMs / 1000), 'events/s');
		// The storage panel's count of unsent audit events (every 5 s while shown), over the
		// outbox the two paths above left: 50 block rows and 200 rows of one event.
		report('history.outbox.unsent.ms', median(await runs(15, () => unsentEvents(db))), 'ms');
		report('history.insert.bare-idb.events-per-s', await bareIdb(30_000), 'events/s');
		report(
			'history.insert.bare-idb-blocks.events-per-s',
			await bareIdb(100_000, BLOCK_SIZE),
			'events/s'
		);
	} finally {
		db.close();
		await deleteDB(SEEDED_DB);
	}
}
