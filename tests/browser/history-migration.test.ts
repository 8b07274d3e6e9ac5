/**
 * The history schema's migrations in real IndexedDB: a database built and filled at each earlier
 * version is opened at the current one, and every record and index is checked afterwards.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deleteDB, openDB } from 'idb';
import { GENESIS_HASH, eventHash } from '$lib/history/chain';
import {
	openHistoryDb,
	searchText,
	trigrams,
	withIndexKeys,
	type EventRow,
	type HistoryDb,
	type SessionRow
} from '$lib/history/db';
import { verifySession } from '$lib/history/journal';
import { HistoryRecorder } from '$lib/history/recorder';

const opened: { name: string; db?: HistoryDb }[] = [];
afterEach(async () => {
	for (const entry of opened.splice(0)) {
		entry.db?.close();
		await deleteDB(entry.name);
	}
});

describe('history schema migrations', () => {
	it('opens a v1 database with fixture rows at v2 with no record lost and every index working', async () => {
		const name = `history-test-${crypto.randomUUID()}`;
		opened.push({ name });
		const v1 = await openHistoryDb(name, 1);
		// The shape v1 shipped with: two stores, one index each.
		expect([...v1.objectStoreNames].sort()).toEqual(['events', 'sessions']);
		expect([...v1.transaction('sessions').store.indexNames]).toEqual(['by-startedAt']);
		expect([...v1.transaction('events').store.indexNames]).toEqual(['by-session-seq']);
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
		expect(db.version).toBe(3);
		expect([...db.objectStoreNames].sort()).toEqual([
			'events',
			'outbox',
			'recordings',
			'sessions',
			'settings',
			'transfers'
		]);
		expect(await db.getAll('sessions')).toEqual(
			fixtureSessions.map((s) => withIndexKeys({ ...s, capabilities: [] } as SessionRow))
		);
		expect((await db.getAll('events')).map(({ id: _id, ...e }) => e)).toEqual(fixtureEvents);
		for (const s of fixtureSessions) expect(await verifySession(db, s.id)).toEqual({ ok: true });

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
			(
				await db.getAllFromIndex('events', 'by-session-seq', IDBKeyRange.bound(['b', 1], ['b', 2]))
			).map((e) => e.seq)
		).toEqual([1, 2]);

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

	it('opens a v2 database with fixture rows at v3: every row kept, new indexes and outbox owners', async () => {
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
		const outbox = events.map(({ id: _id, ...event }, i) => ({
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
		expect(db.version).toBe(3);
		expect(await db.getAll('sessions')).toEqual(
			sessions.map((s) => ({
				...s,
				capabilityKeys: s.capabilities.map((c) => [c, s.startedAt]),
				searchGrams: trigrams(searchText(s as SessionRow))
			}))
		);
		expect((await db.getAll('events')).map(({ id: _id, ...e }) => e)).toEqual(events);
		const owners: Record<string, string> = { a: 't1', b: 't2', c: 't1' };
		expect(await db.getAll('outbox')).toEqual(
			outbox.map((o) => ({ ...o, technicianId: owners[o.event.sessionId] }))
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
			(await db.getAllFromIndex('outbox', 'by-technician-due', of('t1'))).map(
				(o) => o.event.sessionId
			)
		).toEqual(['a', 'c']);
		// The trigram index finds a session by part of its site.
		expect(await db.getAllKeysFromIndex('sessions', 'by-gram', 'osl')).toEqual(['b']);
		await db.put('settings', 30, 'retentionDays');
		expect(await db.get('settings', 'retentionDays')).toBe(30);
	});
});
