/**
 * The history schema's migrations in real IndexedDB: a database built and filled at each earlier
 * version is opened at the current one, and every record and index is checked afterwards.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deleteDB, openDB } from 'idb';
import { GENESIS_HASH, eventHash } from '$lib/history/chain';
import {
	HISTORY_VERSION,
	PARKED,
	openHistoryDb,
	searchText,
	trigrams,
	withIndexKeys,
	type EventRow,
	type HistoryDb,
	type OutboxRowV4,
	type SessionRow
} from '$lib/history/db';
import { AuditSyncer } from '$lib/history/audit-sync';
import type { HistoryDbV3 } from '$lib/history/db-v3';
import {
	appendBatch,
	appendEvent,
	readHead,
	sessionEvents,
	sessionRange,
	verifySession
} from '$lib/history/journal';
import { unsentEvents } from '$lib/history/outbox';
import { HistoryRecorder, markInterrupted } from '$lib/history/recorder';
import { verifyWholeSession } from '$lib/history/verify';

const opened: { name: string; db?: HistoryDb }[] = [];
afterEach(async () => {
	for (const entry of opened.splice(0)) {
		entry.db?.close();
		await deleteDB(entry.name);
	}
});

/** `n` chat events from `at` on, a millisecond apart. */
const lines = (n: number, at: number) =>
	Array.from({ length: n }, (_, k) => ({
		type: 'chat' as const,
		data: { from: 'technician' as const, messageId: 100 + k, text: `line ${k}` },
		at: at + k
	}));

describe('history schema migrations', () => {
	it('opens a v1 database with fixture rows at v2 with no record lost and every index working', async () => {
		const name = `history-test-${crypto.randomUUID()}`;
		opened.push({ name });
		const v1 = await openHistoryDb(name, 1);
		// The shape v1 shipped with: two stores, one index each.
		expect([...v1.objectStoreNames].sort()).toEqual(['events', 'sessions']);
		expect([...v1.transaction('sessions').store.indexNames]).toEqual(['by-startedAt']);
		expect([...(v1 as unknown as HistoryDbV3).transaction('events').store.indexNames]).toEqual([
			'by-session-seq'
		]);
		v1.close();

		// Fixture rows as v1 wrote them (no `capabilities`), through an untyped handle.
		const fixtureSessions = [
			{
				id: 'a',
				instrumentId: 'ins-1',
				serial: 'S1',
				site: 'Lyon',
				technicianId: 't1',
				startedAt: 100,
				endedAt: 200,
				outcome: 'completed'
			},
			{
				id: 'b',
				instrumentId: 'ins-2',
				serial: 'S2',
				site: 'Oslo',
				technicianId: 't1',
				startedAt: 300,
				endedAt: 350,
				outcome: 'failed',
				ticket: 'T-9'
			},
			{
				id: 'c',
				instrumentId: 'ins-1',
				serial: 'S1',
				site: 'Lyon',
				technicianId: 't2',
				startedAt: 400,
				endedAt: null,
				outcome: 'open'
			}
		];
		const fixtureEvents: EventRow[] = [];
		for (const s of fixtureSessions) {
			let prev = GENESIS_HASH;
			for (let seq = 0; seq < 3; seq++) {
				const e = { sessionId: s.id, seq, at: s.startedAt + seq, type: 'chat', data: { seq } };
				const hash = await eventHash(prev, e);
				fixtureEvents.push({ ...e, prevHash: prev, hash });
				prev = hash;
			}
		}
		const raw = await openDB(name);
		for (const s of fixtureSessions) await raw.put('sessions', s);
		for (const e of fixtureEvents) await raw.add('events', e);
		raw.close();

		const db = await openHistoryDb(name);
		opened[opened.length - 1]!.db = db;
		expect(db.version).toBe(HISTORY_VERSION);
		expect([...db.objectStoreNames].sort()).toEqual([
			'eventBlocks',
			'outbox',
			'recordings',
			'sessions',
			'settings',
			'transfers'
		]);
		expect(await db.getAll('sessions')).toEqual(
			fixtureSessions.map((s) => withIndexKeys({ ...s, capabilities: [] } as SessionRow))
		);
		for (const s of fixtureSessions) {
			expect(await sessionEvents(db, s.id)).toEqual(
				fixtureEvents.filter((e) => e.sessionId === s.id)
			);
			expect(await verifySession(db, s.id)).toEqual({ ok: true });
		}
		// Each session's three events are one block now.
		expect(await db.getAllKeys('eventBlocks')).toEqual([
			['a', 0],
			['b', 0],
			['c', 0]
		]);

		const ids = (rows: { id: string }[]) => rows.map((r) => r.id);
		const all = IDBKeyRange.bound(['', -Infinity], ['\uffff', Infinity]);
		expect(
			ids(await db.getAllFromIndex('sessions', 'by-startedAt', IDBKeyRange.bound(250, 450)))
		).toEqual(['b', 'c']);
		expect(
			ids(
				await db.getAllFromIndex(
					'sessions',
					'by-instrumentId',
					IDBKeyRange.bound(['ins-1', -Infinity], ['ins-1', Infinity])
				)
			)
		).toEqual(['a', 'c']);
		expect(
			ids(
				await db.getAllFromIndex(
					'sessions',
					'by-technicianId',
					IDBKeyRange.bound(['t1', -Infinity], ['t1', Infinity])
				)
			)
		).toEqual(['a', 'b']);
		expect(
			ids(
				await db.getAllFromIndex(
					'sessions',
					'by-outcome',
					IDBKeyRange.bound(['open', -Infinity], ['open', Infinity])
				)
			)
		).toEqual(['c']);
		expect(await db.countFromIndex('sessions', 'by-outcome', all)).toBe(3);
		expect(
			(await db.getAll('eventBlocks', sessionRange('b'))).flatMap((b) => b.events.map((e) => e.seq))
		).toEqual([0, 1, 2]);

		// The new stores work on the migrated database: a recorder appends to it.
		const started = await HistoryRecorder.start(db, {
			sessionId: 'd',
			instrumentId: 'ins-3',
			serial: 'S3',
			site: 'Lyon',
			technicianId: 't1'
		});
		if (!started.ok) throw new Error(started.code);
		const recorder = started.recorder;
		expect((await recorder.chat('customer', 1, 'hello')).ok).toBe(true);
		expect(await db.countFromIndex('outbox', 'by-nextAttemptAt')).toBe(2);
	});

	it('opens a v2 database with fixture rows at v3 and on: every row kept, new indexes and outbox owners', async () => {
		const name = `history-test-${crypto.randomUUID()}`;
		opened.push({ name });
		const v2 = await openHistoryDb(name, 2);
		expect([...v2.transaction('sessions').store.indexNames].sort()).toEqual([
			'by-instrumentId',
			'by-outcome',
			'by-startedAt',
			'by-technicianId'
		]);
		v2.close();

		// Rows as v2 wrote them: no capabilityKeys, outbox rows without technicianId.
		const sessions = [
			{
				id: 'a',
				instrumentId: 'i1',
				serial: 'S1',
				site: 'Lyon',
				technicianId: 't1',
				startedAt: 100,
				endedAt: 200,
				outcome: 'completed',
				capabilities: ['view', 'control']
			},
			{
				id: 'b',
				instrumentId: 'i2',
				serial: 'S2',
				site: 'Oslo',
				technicianId: 't2',
				startedAt: 300,
				endedAt: null,
				outcome: 'open',
				capabilities: [],
				ticket: 'T-1'
			},
			{
				id: 'c',
				instrumentId: 'i1',
				serial: 'S1',
				site: 'Lyon',
				technicianId: 't1',
				startedAt: 500,
				endedAt: 600,
				outcome: 'failed',
				capabilities: ['control']
			}
		];
		const events: EventRow[] = [];
		for (const s of sessions) {
			const e = {
				sessionId: s.id,
				seq: 0,
				at: s.startedAt,
				type: 'connect-attempt',
				data: { attempt: 1 }
			};
			events.push({ ...e, prevHash: GENESIS_HASH, hash: await eventHash(GENESIS_HASH, e) });
		}
		const outbox = events.map((event, i) => ({
			id: `00000000-0000-4000-8000-00000000000${i}`,
			event,
			attempts: i,
			nextAttemptAt: event.at
		}));
		const transfers = [
			{
				sessionId: 'a',
				transferId: 1,
				direction: 'download',
				name: 'log.txt',
				size: 10,
				sha256: 'ab'.repeat(32),
				state: 'done'
			}
		];
		const recordings = [
			{
				sessionId: 'a',
				seq: 0,
				key: true,
				timestamp: 0,
				iv: new Uint8Array(12),
				ciphertext: new Uint8Array([1, 2, 3])
			}
		];
		const raw = await openDB(name);
		for (const s of sessions) await raw.put('sessions', s);
		for (const e of events) await raw.add('events', e);
		for (const o of outbox) await raw.put('outbox', o);
		for (const t of transfers) await raw.put('transfers', t);
		for (const r of recordings) await raw.put('recordings', r);
		raw.close();

		const db = await openHistoryDb(name);
		opened[opened.length - 1]!.db = db;
		expect(db.version).toBe(HISTORY_VERSION);
		expect(await db.getAll('sessions')).toEqual(
			sessions.map((s) => ({
				...s,
				capabilityKeys: s.capabilities.map((c) => [c, s.startedAt]),
				searchGrams: trigrams(searchText(s as SessionRow))
			}))
		);
		for (const e of events) expect(await sessionEvents(db, e.sessionId)).toEqual([e]);
		// v3 gave each row its technician; v4 made it a row of one event under the same id.
		const owners: Record<string, string> = { a: 't1', b: 't2', c: 't1' };
		expect(await db.getAll('outbox')).toEqual(
			outbox.map(({ id, event: { sessionId, ...event }, attempts, nextAttemptAt }) => ({
				id,
				technicianId: owners[sessionId],
				sessionId,
				events: [{ ...event, id }],
				attempts,
				nextAttemptAt,
				unsent: [owners[sessionId], 0, 1]
			}))
		);
		expect(await db.getAll('transfers')).toEqual(transfers);
		expect(await db.getAll('recordings')).toEqual(recordings);
		for (const s of sessions) expect(await verifySession(db, s.id)).toEqual({ ok: true });

		const ids = (rows: { id: string }[]) => rows.map((r) => r.id);
		const of = (v: string) => IDBKeyRange.bound([v, -Infinity], [v, Infinity]);
		expect(ids(await db.getAllFromIndex('sessions', 'by-serial', of('S1')))).toEqual(['a', 'c']);
		expect(ids(await db.getAllFromIndex('sessions', 'by-site', of('Oslo')))).toEqual(['b']);
		expect(ids(await db.getAllFromIndex('sessions', 'by-capability', of('control')))).toEqual([
			'a',
			'c'
		]);
		expect(
			(await db.getAllFromIndex('outbox', 'by-technician-due', of('t1'))).map((o) => o.sessionId)
		).toEqual(['a', 'c']);
		// The trigram index finds a session by part of its site.
		expect(await db.getAllKeysFromIndex('sessions', 'by-gram', 'osl')).toEqual(['b']);
		await db.put('settings', 30, 'retentionDays');
		expect(await db.get('settings', 'retentionDays')).toBe(30);
	});

	it('opens a v3 database at v4: every event in blocks, every outbox row kept with its ids, sessions go on', async () => {
		const name = `history-test-${crypto.randomUUID()}`;
		opened.push({ name });
		const v3 = await openHistoryDb(name, 3);
		expect([...v3.objectStoreNames]).toContain('events');
		v3.close();

		// v3 fixture: one row per event. 'long' has 250 events, 'open' is mid-way (7 events, still
		// open), 'gap' had its event 3 removed; their rows are written interleaved, as live
		// sessions on several tabs write them.
		const session = (id: string, technicianId: string, outcome: string, startedAt: number) =>
			withIndexKeys({
				id,
				instrumentId: `ins-${id}`,
				serial: 'S',
				site: 'Lyon',
				technicianId,
				startedAt,
				endedAt: outcome === 'open' ? null : startedAt + 1000,
				outcome,
				capabilities: []
			} as SessionRow);
		const sessions = [
			session('long', 't1', 'completed', 1000),
			session('open', 't1', 'open', 2000),
			session('gap', 't2', 'failed', 3000)
		];
		const counts: Record<string, number> = { long: 250, open: 7, gap: 6 };
		const chains: Record<string, EventRow[]> = {};
		for (const s of sessions) {
			let prev = GENESIS_HASH;
			chains[s.id] = [];
			for (let seq = 0; seq < counts[s.id]!; seq++) {
				const e = {
					sessionId: s.id,
					seq,
					at: s.startedAt + seq,
					type: 'chat',
					data: { from: 'customer', messageId: seq, text: `${s.id} ${seq}` }
				};
				const hash = await eventHash(prev, e);
				chains[s.id]!.push({ ...e, prevHash: prev, hash });
				prev = hash;
			}
		}
		const kept = (id: string) => chains[id]!.filter((e) => id !== 'gap' || e.seq !== 3);
		// Outbox rows as v3 wrote them: fresh, backing off, parked; two technicians.
		const v3Outbox = [
			...chains
				.long!.slice(245)
				.map((event, i) => ({ event, attempts: i, nextAttemptAt: 5000 + i })),
			...chains.open!.map((event) => ({ event, attempts: 0, nextAttemptAt: event.at })),
			{ event: chains.gap![5]!, attempts: 1, nextAttemptAt: Number.MAX_SAFE_INTEGER }
		].map((o) => ({
			...o,
			id: crypto.randomUUID(),
			technicianId: o.event.sessionId === 'gap' ? 't2' : 't1'
		}));
		const raw = await openDB(name);
		for (const s of sessions) await raw.put('sessions', s);
		for (let seq = 0; seq < 250; seq++)
			for (const id of ['gap', 'long', 'open'])
				if (seq < counts[id]! && !(id === 'gap' && seq === 3))
					await raw.add('events', chains[id]![seq]);
		for (const o of v3Outbox) await raw.put('outbox', o);
		raw.close();

		const db = await openHistoryDb(name);
		opened[opened.length - 1]!.db = db;
		expect(db.version).toBe(HISTORY_VERSION);
		expect([...db.objectStoreNames]).not.toContain('events');

		// No event lost: every session reads back exactly, in blocks of at most 100 consecutive
		// events (a gap starts a new block), and the chains verify where they did.
		for (const s of sessions) expect(await sessionEvents(db, s.id)).toEqual(kept(s.id));
		const blocks = await db.getAll('eventBlocks');
		expect(blocks.map((b) => [b.sessionId, b.firstSeq, b.events.length])).toEqual([
			['gap', 0, 3],
			['gap', 4, 2],
			['long', 0, 100],
			['long', 100, 100],
			['long', 200, 50],
			['open', 0, 7]
		]);
		expect(blocks.reduce((n, b) => n + b.events.length, 0)).toBe(250 + 7 + 5);
		expect(await verifySession(db, 'long')).toEqual({ ok: true });
		expect(await verifySession(db, 'open')).toEqual({ ok: true });
		expect(await verifySession(db, 'gap')).toEqual({ ok: false, brokenAt: 3, reason: 'seq-gap' });

		// No outbox row lost: each is a row of its one event, under the same key, and the event
		// keeps the v3 row's id as its idempotency id (the broker may hold it already).
		const outbox = await db.getAll('outbox');
		expect(outbox).toHaveLength(v3Outbox.length);
		for (const o of v3Outbox) {
			const { sessionId, ...event } = o.event;
			expect(outbox.find((r) => r.id === o.id)).toEqual({
				id: o.id,
				technicianId: o.technicianId,
				sessionId,
				events: [{ ...event, id: o.id }],
				attempts: o.attempts,
				nextAttemptAt: o.nextAttemptAt,
				unsent: [o.technicianId, o.nextAttemptAt === PARKED ? 1 : 0, 1]
			});
		}
		expect(await unsentEvents(db, 't1')).toEqual({ waiting: 12, parked: 0 });
		expect(await unsentEvents(db, 't2')).toEqual({ waiting: 0, parked: 1 });

		// The session migrated mid-way goes on: a live event, then a batch, chained on.
		const live = await appendEvent(db, 'open', await readHead(db, 'open'), {
			type: 'chat',
			data: { from: 'technician', messageId: 7, text: 'after the upgrade' },
			at: 2007
		});
		expect(live).toMatchObject({ ok: true, head: { seq: 7 } });
		const batch = await appendBatch(db, [
			{ sessionId: 'open', head: await readHead(db, 'open'), events: lines(120, 2100) }
		]);
		expect(batch).toMatchObject({ ok: true, heads: [{ seq: 127 }] });
		expect(await db.getAllKeys('eventBlocks', sessionRange('open'))).toEqual([
			['open', 0],
			['open', 7],
			['open', 8],
			['open', 108]
		]);
		expect(await verifySession(db, 'open')).toEqual({ ok: true });
		expect((await sessionEvents(db, 'open')).slice(0, 7)).toEqual(kept('open'));

		// The migrated rows reach the broker under their v3 ids, with the new rows, each once.
		const waiting = (await db.getAll('outbox'))
			.filter((r) => r.technicianId === 't1')
			.flatMap((r) => r.events.map((e) => e.id));
		const sent: string[] = [];
		const syncer = new AuditSyncer({
			db,
			technicianId: () => 't1',
			now: () => 10_000,
			broker: {
				signedIn: true,
				audit: async (batch) => {
					sent.push(...batch.events.map((e) => e.id));
					return { ok: true, value: { accepted: batch.events.map((e) => e.id), duplicates: [] } };
				}
			}
		});
		expect(await syncer.flush()).toEqual({ ok: true, sent: 12 + 1 + 120 });
		const v3Ids = v3Outbox.filter((o) => o.technicianId === 't1').map((o) => o.id);
		expect(waiting).toEqual(expect.arrayContaining(v3Ids));
		expect([...sent].sort()).toEqual([...waiting].sort());
		expect(await db.getAll('outbox')).toEqual([outbox.find((r) => r.technicianId === 't2')]);

		// At the next start it is closed as interrupted, ending with its last event (read from the
		// middle of the batch's second block).
		expect(await markInterrupted(db, () => 20_000)).toEqual(['open']);
		expect(await db.get('sessions', 'open')).toMatchObject({
			outcome: 'interrupted',
			endedAt: 2100 + 119
		});
		expect(await verifyWholeSession(db, 'open')).toMatchObject({ ok: true, events: 129 });
	});

	it('opens a v4 database at v5: every outbox row kept, its events counted by index', async () => {
		const name = `history-test-${crypto.randomUUID()}`;
		opened.push({ name });
		const v4 = await openHistoryDb(name, 4);
		expect([...v4.transaction('outbox').store.indexNames].sort()).toEqual([
			'by-nextAttemptAt',
			'by-technician-due'
		]);
		v4.close();
		// Rows as v4 wrote them: waiting, backing off and parked, of several events each, two
		// technicians (t1: 3 + 5 waiting, 2 parked; t2: 4 waiting, 1 + 6 parked).
		const event = (seq: number) => ({
			id: crypto.randomUUID(),
			seq,
			at: 1000 + seq,
			type: 'chat',
			data: { text: `line ${seq}` },
			prevHash: GENESIS_HASH,
			hash: 'ab'.repeat(32)
		});
		const row = (
			technicianId: string,
			sessionId: string,
			n: number,
			nextAttemptAt: number
		): OutboxRowV4 => ({
			id: crypto.randomUUID(),
			technicianId,
			sessionId,
			events: Array.from({ length: n }, (_, k) => event(k)),
			attempts: nextAttemptAt === 1000 ? 0 : 3,
			nextAttemptAt
		});
		const rows = [
			row('t1', 'a', 3, 1000),
			row('t1', 'a', 5, 9000),
			row('t1', 'b', 2, PARKED),
			row('t2', 'c', 4, 1000),
			row('t2', 'c', 1, PARKED),
			row('t2', 'd', 6, PARKED)
		];
		const raw = await openDB(name);
		for (const r of rows) await raw.put('outbox', r);
		raw.close();

		const db = await openHistoryDb(name);
		opened[opened.length - 1]!.db = db;
		expect(db.version).toBe(HISTORY_VERSION);
		// Every row kept as it was, with its key: technician, parked or not, how many events.
		const migrated = await db.getAll('outbox');
		expect(migrated).toHaveLength(rows.length);
		for (const r of rows)
			expect(migrated.find((m) => m.id === r.id)).toEqual({
				...r,
				unsent: [r.technicianId, r.nextAttemptAt === PARKED ? 1 : 0, r.events.length]
			});
		expect(await db.countFromIndex('outbox', 'by-unsent')).toBe(rows.length);
		expect(await unsentEvents(db, 't1')).toEqual({ waiting: 8, parked: 2 });
		expect(await unsentEvents(db, 't2')).toEqual({ waiting: 4, parked: 7 });
		expect(await unsentEvents(db, 't3')).toEqual({ waiting: 0, parked: 0 });
		expect(await unsentEvents(db)).toEqual({ waiting: 12, parked: 9 });
	});
});
