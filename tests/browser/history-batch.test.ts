/**
 * Batch appends in real IndexedDB: the chain they write verifies with the WebCrypto hash the
 * live path uses; events land in blocks of at most 100 with one outbox row per block; a tampered
 * event inside a block is named exactly; two writers racing on one head leave one chain; and a
 * batch on a moved head, or one that runs out of space, writes nothing.
 */
import { describe, expect, it } from 'vitest';
import { eventHash, eventHashSync } from '$lib/history/chain';
import { BLOCK_SIZE, type HistoryDb, type SessionRow } from '$lib/history/db';
import {
	EMPTY_HEAD,
	appendBatch,
	appendEvent,
	readHead,
	sessionEvents,
	sessionRange,
	verifySession
} from '$lib/history/journal';
import { verifyWholeSession } from '$lib/history/verify';
import { scratchHistory } from './history/scratch';
import { editStoredEvent } from './history/tamper';

const { freshDb } = scratchHistory('history-batch');

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
const chat = (n: number, from = 0) =>
	Array.from({ length: n }, (_, k) => ({
		type: 'chat' as const,
		data: { from: 'customer' as const, messageId: from + k, text: `line ${from + k} é ✓` },
		at: 1000 + from + k
	}));

/** The blocks of a session as [firstSeq, seqs…]: what IndexedDB holds, record by record. */
async function blocksOf(db: HistoryDb, sessionId: string) {
	return (await db.getAll('eventBlocks', sessionRange(sessionId))).map((b) => ({
		firstSeq: b.firstSeq,
		seqs: b.events.map((e) => e.seq)
	}));
}
const run = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

describe('appendBatch', () => {
	it('writes chains that verify, with an outbox row per block, all or nothing', async () => {
		const db = await freshDb();
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
		expect(await blocksOf(db, 'a')).toEqual([{ firstSeq: 0, seqs: run(0, 40) }]);
		const outbox = await db.getAll('outbox');
		expect(outbox.map((o) => [o.sessionId, o.technicianId, o.events.length]).sort()).toEqual([
			['a', 't1', 40],
			['b', 't2', 3]
		]);
		expect((await db.get('sessions', 'a'))?.capabilityKeys).toEqual([['view', 1000]]);

		// Appending on: the chain continues across batches, in a block of its own.
		const more = await appendBatch(
			db,
			[{ sessionId: 'a', head: await readHead(db, 'a'), events: chat(5, 40) }],
			{ outbox: false }
		);
		expect(more).toMatchObject({ ok: true, heads: [{ seq: 44 }] });
		expect(await verifySession(db, 'a')).toEqual({ ok: true });
		expect((await blocksOf(db, 'a')).map((b) => b.firstSeq)).toEqual([0, 40]);
		expect(await db.count('outbox')).toBe(2);

		// A stale head (another writer moved it) for one item: the whole batch writes nothing.
		const blocks = await db.getAll('eventBlocks');
		const stale = await appendBatch(db, [
			{ sessionId: 'b', head: await readHead(db, 'b'), events: chat(2, 3) },
			{ sessionId: 'a', head: { seq: 3, hash: first.hash }, events: chat(2) }
		]);
		expect(stale).toMatchObject({ ok: false, code: 'chain-conflict' });
		expect(await db.getAll('eventBlocks')).toEqual(blocks);
		expect(await db.count('outbox')).toBe(2);
	});

	it('cuts a batch longer than a block into blocks of 100, and live events follow as blocks of one', async () => {
		expect(BLOCK_SIZE).toBe(100);
		const db = await freshDb();
		const written = await appendBatch(db, [
			{ sessionId: 'long', head: EMPTY_HEAD, create: row('long'), events: chat(250) }
		]);
		expect(written).toMatchObject({ ok: true, heads: [{ seq: 249 }] });
		expect(await blocksOf(db, 'long')).toEqual([
			{ firstSeq: 0, seqs: run(0, 100) },
			{ firstSeq: 100, seqs: run(100, 200) },
			{ firstSeq: 200, seqs: run(200, 250) }
		]);
		// One outbox row per block, holding that block's events, each with its own audit id.
		const stored = await db.getAll('eventBlocks', sessionRange('long'));
		const outbox = (await db.getAll('outbox')).sort((x, y) => x.events[0]!.seq - y.events[0]!.seq);
		expect(outbox.map((o) => o.events.map(({ id: _id, ...e }) => e))).toEqual(
			stored.map((b) => b.events)
		);
		expect(outbox.map((o) => o.nextAttemptAt)).toEqual([1000, 1100, 1200]);
		const ids = outbox.flatMap((o) => o.events.map((e) => e.id));
		expect(new Set(ids).size).toBe(250);
		expect(ids.every((id) => /^[0-9a-f-]{36}$/.test(id))).toBe(true);

		// The chain runs across block boundaries: 99 → 100 and 199 → 200 link up.
		const events = await sessionEvents(db, 'long');
		expect(events.map((e) => e.seq)).toEqual(run(0, 250));
		expect(events[100]!.prevHash).toBe(events[99]!.hash);
		expect(events[200]!.prevHash).toBe(events[199]!.hash);

		// A live event after a partial block: its own block, the 50-event one is not rewritten.
		const live = await appendEvent(db, 'long', await readHead(db, 'long'), {
			type: 'error',
			data: { code: 'x', message: 'live' },
			at: 5000
		});
		expect(live).toMatchObject({ ok: true, head: { seq: 250 } });
		expect((await blocksOf(db, 'long')).slice(2)).toEqual([
			{ firstSeq: 200, seqs: run(200, 250) },
			{ firstSeq: 250, seqs: [250] }
		]);
		const more = await appendBatch(db, [
			{ sessionId: 'long', head: await readHead(db, 'long'), events: chat(120, 251) }
		]);
		expect(more).toMatchObject({ ok: true, heads: [{ seq: 370 }] });
		expect((await blocksOf(db, 'long')).map((b) => [b.firstSeq, b.seqs.length])).toEqual([
			[0, 100],
			[100, 100],
			[200, 50],
			[250, 1],
			[251, 100],
			[351, 20]
		]);
		expect(await verifyWholeSession(db, 'long')).toMatchObject({ ok: true, events: 371 });
		expect(await db.count('outbox')).toBe(6);
	});

	it('names the exact event edited or removed in the middle of a block', async () => {
		const db = await freshDb();
		await appendBatch(db, [
			{ sessionId: 'edited', head: EMPTY_HEAD, create: row('edited'), events: chat(250) },
			{ sessionId: 'cut', head: EMPTY_HEAD, create: row('cut'), events: chat(250) }
		]);
		const key = await editStoredEvent(db, 'edited', 150, (e) => ({
			...e,
			data: { from: 'customer', messageId: 150, text: 'I agreed to everything' }
		}));
		// The record touched is the block of 100–199; the break is reported at 150, not 100.
		expect(key).toEqual(['edited', 100]);
		expect(await verifySession(db, 'edited')).toEqual({
			ok: false,
			brokenAt: 150,
			reason: 'hash-mismatch'
		});
		expect(await verifyWholeSession(db, 'edited')).toEqual({
			ok: false,
			seq: 150,
			type: 'chat',
			reason: 'hash-mismatch'
		});

		// An event taken out of a block: the gap is named where it is.
		await editStoredEvent(db, 'cut', 42, () => null);
		expect(await verifySession(db, 'cut')).toEqual({
			ok: false,
			brokenAt: 42,
			reason: 'seq-gap'
		});
	});

	it('lets one of two writers racing on the same head win; the other is told chain-conflict', async () => {
		const db = await freshDb();
		await appendBatch(db, [
			{ sessionId: 'r', head: EMPTY_HEAD, create: row('r'), events: chat(10) }
		]);
		const head = await readHead(db, 'r');
		// Two tabs append onto the same head at once: one batch, one live event.
		const [batch, single] = await Promise.all([
			appendBatch(db, [{ sessionId: 'r', head, events: chat(30, 10) }]),
			appendEvent(db, 'r', head, { type: 'error', data: { code: 'y', message: 'tab 2' }, at: 9 })
		]);
		expect([batch.ok, single.ok].sort()).toEqual([false, true]);
		const loser = batch.ok ? single : batch;
		expect(loser).toMatchObject({ ok: false, code: 'chain-conflict' });
		const events = await sessionEvents(db, 'r');
		expect(events.length).toBe(batch.ok ? 40 : 11);
		expect(await verifySession(db, 'r')).toEqual({ ok: true });

		// Two batches racing: exactly one lands, whole.
		const now = await readHead(db, 'r');
		const results = await Promise.all([
			appendBatch(db, [{ sessionId: 'r', head: now, events: chat(150, 100) }]),
			appendBatch(db, [{ sessionId: 'r', head: now, events: chat(3, 500) }])
		]);
		expect(results.filter((r) => r.ok)).toHaveLength(1);
		expect(results.find((r) => !r.ok)).toMatchObject({ code: 'chain-conflict' });
		const after = await sessionEvents(db, 'r');
		expect(after.length - events.length).toBe(results[0]!.ok ? 150 : 3);
		expect(await verifySession(db, 'r')).toEqual({ ok: true });
		expect((await db.getAll('outbox')).reduce((n, o) => n + o.events.length, 0)).toBe(after.length);
	});

	it('leaves no partial session when the quota runs out mid-batch', async () => {
		const db = await freshDb();
		await appendBatch(db, [
			{ sessionId: 'ok', head: EMPTY_HEAD, create: row('ok'), events: chat(5) }
		]);
		const before = { blocks: await db.getAll('eventBlocks'), outbox: await db.getAll('outbox') };
		// The third block of the batch does not fit.
		const add = IDBObjectStore.prototype.add;
		let blocks = 0;
		IDBObjectStore.prototype.add = function (this: IDBObjectStore, ...args) {
			if (this.name === 'eventBlocks' && ++blocks === 3)
				throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
			return add.apply(this, args);
		};
		let result;
		try {
			result = await appendBatch(db, [
				{ sessionId: 'q', head: EMPTY_HEAD, create: row('q'), events: chat(150) },
				{ sessionId: 'ok', head: await readHead(db, 'ok'), events: chat(60, 5) }
			]);
		} finally {
			IDBObjectStore.prototype.add = add;
		}
		expect(result).toMatchObject({ ok: false, code: 'quota' });
		expect(await db.get('sessions', 'q')).toBeUndefined();
		expect(await db.getAll('eventBlocks')).toEqual(before.blocks);
		expect(await db.getAll('outbox')).toEqual(before.outbox);
		expect(await verifySession(db, 'ok')).toEqual({ ok: true });
	});
});
