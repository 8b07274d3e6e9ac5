/**
 * Batch appends in real IndexedDB: the chain they write verifies with the WebCrypto hash the
 * live path uses, each event gets its outbox row, and a batch on a moved head writes nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deleteDB } from 'idb';
import { eventHash, eventHashSync } from '$lib/history/chain';
import { openHistoryDb, type HistoryDb, type SessionRow } from '$lib/history/db';
import {
	EMPTY_HEAD,
	appendBatch,
	readHead,
	sessionEvents,
	verifySession
} from '$lib/history/journal';

const opened: { name: string; db: HistoryDb }[] = [];
afterEach(async () => {
	for (const { name, db } of opened.splice(0)) {
		db.close();
		await deleteDB(name);
	}
});

const row = (id: string, technicianId = 't1'): SessionRow => ({
	id,
	instrumentId: 'ins-1',
	serial: 'S1',
	site: 'Lyon',
	technicianId,
	startedAt: 1000,
	endedAt: null,
	outcome: 'open',
	capabilities: ['view']
});
const chat = (n: number) =>
	Array.from({ length: n }, (_, i) => ({
		type: 'chat' as const,
		data: { from: 'customer' as const, messageId: i, text: `line ${i} é ✓` },
		at: 1000 + i
	}));

describe('appendBatch', () => {
	it('writes chains that verify, with an outbox row per event, all or nothing', async () => {
		const name = `history-batch-${crypto.randomUUID()}`;
		const db = await openHistoryDb(name);
		opened.push({ name, db });
		const created = await appendBatch(db, [
			{ sessionId: 'a', head: EMPTY_HEAD, create: row('a'), events: chat(40) },
			{ sessionId: 'b', head: EMPTY_HEAD, create: row('b', 't2'), events: chat(3) }
		]);
		expect(created.ok).toBe(true);
		// verifySession recomputes every hash with WebCrypto: the sync hash is the same hash.
		expect(await verifySession(db, 'a')).toEqual({ ok: true });
		expect(await verifySession(db, 'b')).toEqual({ ok: true });
		const first = (await sessionEvents(db, 'a'))[0]!;
		expect(eventHashSync(first.prevHash, first)).toBe(await eventHash(first.prevHash, first));
		expect(await db.count('outbox')).toBe(43);
		expect((await db.getAll('outbox')).filter((o) => o.technicianId === 't2')).toHaveLength(3);
		expect((await db.get('sessions', 'a'))?.capabilityKeys).toEqual([['view', 1000]]);

		// Appending on: the chain continues across batches.
		const more = await appendBatch(
			db,
			[{ sessionId: 'a', head: await readHead(db, 'a'), events: chat(5) }],
			{
				outbox: false
			}
		);
		expect(more).toMatchObject({ ok: true, heads: [{ seq: 44 }] });
		expect(await verifySession(db, 'a')).toEqual({ ok: true });
		expect(await db.count('outbox')).toBe(43);

		// A stale head (another writer moved it) for one item: the whole batch writes nothing.
		const events = await db.count('events');
		const stale = await appendBatch(db, [
			{ sessionId: 'b', head: await readHead(db, 'b'), events: chat(2) },
			{ sessionId: 'a', head: { seq: 3, hash: first.hash }, events: chat(2) }
		]);
		expect(stale).toMatchObject({ ok: false, code: 'chain-conflict' });
		expect(await db.count('events')).toBe(events);
		expect(await db.count('outbox')).toBe(43);
	});
});
