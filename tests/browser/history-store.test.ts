/**
 * Session history in real IndexedDB (Chromium): the hash chain, the outbox
 * written with each event (live, each event is a block of one with an outbox row of one), quota failures that leave nothing half-written, and sessions left
 * open by a crash. Assertions read rows back from the database, as an auditor would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deleteDB } from 'idb';
import { eventHash } from '$lib/history/chain';
import { openHistoryDb, type HistoryDb } from '$lib/history/db';
import { appendEvent, sessionEvents, sessionRange, verifySession } from '$lib/history/journal';
import { HistoryRecorder, markInterrupted, type SessionMeta } from '$lib/history/recorder';
import { seedCrashedSession } from './history/seed';
import { editStoredEvent } from './history/tamper';
import { storageStatus } from '$lib/history/storage';
import { base64urlEncode } from '$lib/protocol/base64url';

const opened: { name: string; db?: HistoryDb }[] = [];
afterEach(async () => {
	for (const entry of opened.splice(0)) {
		entry.db?.close();
		await deleteDB(entry.name);
	}
});

async function freshDb(): Promise<HistoryDb> {
	const name = `history-test-${crypto.randomUUID()}`;
	const db = await openHistoryDb(name);
	opened.push({ name, db });
	return db;
}

let clock = 1_700_000_000_000;
const now = () => (clock += 250);

const meta = (sessionId: string, instrumentId = 'ins-3317'): SessionMeta => ({
	sessionId,
	instrumentId,
	serial: 'CA-0042',
	site: 'Lyon',
	technicianId: 'tech-7'
});

async function start(db: HistoryDb, m: SessionMeta): Promise<HistoryRecorder> {
	const result = await HistoryRecorder.start(db, m, now);
	if (!result.ok) throw new Error(`start failed: ${result.code}`);
	return result.recorder;
}

/** Fails every write to one store with QuotaExceededError, as a full disk would, until restored. */
function exhaustQuotaOn(storeName: string): () => void {
	const { put, add } = IDBObjectStore.prototype;
	const full = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError');
	IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args) {
		if (this.name === storeName) throw full();
		return put.apply(this, args);
	};
	IDBObjectStore.prototype.add = function (this: IDBObjectStore, ...args) {
		if (this.name === storeName) throw full();
		return add.apply(this, args);
	};
	return () => {
		Object.assign(IDBObjectStore.prototype, { put, add });
	};
}

async function rowsOf(db: HistoryDb, sessionId: string) {
	const outbox = (await db.getAll('outbox')).filter((o) => o.sessionId === sessionId);
	return {
		session: await db.get('sessions', sessionId),
		events: await sessionEvents(db, sessionId),
		blocks: await db.getAllKeys('eventBlocks', sessionRange(sessionId)),
		outbox
	};
}

describe('history recorder', () => {
	it('writes every event with its outbox row, chained, and closes the session on end', async () => {
		const db = await freshDb();
		const recorder = await start(db, meta('s-1'));
		await recorder.connected({
			agentVersion: '2.1.0',
			phi: false,
			capabilities: ['view', 'control']
		});
		await recorder.consentRequested('control', 'session');
		const signature = new Uint8Array(64).fill(7);
		await recorder.consentAnswered({
			capability: 'control',
			state: 'granted',
			scope: 'session',
			verified: true,
			signature
		});
		await recorder.controlTaken();
		await recorder.chat('technician', 1, 'Restarting the pump now');
		await recorder.controlReleased('technician');
		const sha256 = 'ab'.repeat(32);
		await recorder.file({
			transferId: 1,
			direction: 'download',
			name: 'events.log',
			size: 2048,
			sha256,
			state: 'done'
		});
		expect((await recorder.end('completed')).ok).toBe(true);

		const { session, events, blocks, outbox } = await rowsOf(db, 's-1');
		expect(events.map((e) => e.type)).toEqual([
			'connect-attempt',
			'connected',
			'consent-requested',
			'consent-answered',
			'control-taken',
			'chat',
			'control-released',
			'file',
			'end'
		]);
		expect(await db.get('transfers', ['s-1', 1])).toEqual({
			sessionId: 's-1',
			transferId: 1,
			direction: 'download',
			name: 'events.log',
			size: 2048,
			sha256,
			state: 'done'
		});
		expect(events[3]!.data).toEqual({
			capability: 'control',
			state: 'granted',
			scope: 'session',
			reason: null,
			answeredAt: null,
			requestId: null,
			verified: true,
			signature: base64urlEncode(signature)
		});
		expect(session).toMatchObject({
			outcome: 'completed',
			capabilities: ['control'],
			endedAt: events[8]!.at
		});
		// Live, each event is its own block (appending never rewrites a record)...
		expect(blocks).toEqual(events.map((e) => ['s-1', e.seq]));
		// ...with one outbox row carrying that very event under its own idempotency id.
		const copies = outbox.flatMap((o) => o.events).sort((a, b) => a.seq - b.seq);
		expect(outbox.every((o) => o.events.length === 1 && o.technicianId === 'tech-7')).toBe(true);
		expect(copies.map(({ id: _id, ...e }) => ({ sessionId: 's-1', ...e }))).toEqual(events);
		expect(new Set(copies.map((e) => e.id)).size).toBe(9);
		expect(outbox.every((o) => o.attempts === 0 && o.nextAttemptAt === o.events[0]!.at)).toBe(true);
		expect(await verifySession(db, 's-1')).toEqual({ ok: true });
		expect((await recorder.chat('customer', 2, 'late')).ok).toBe(false);
	});

	it('detects an event edited in the database exactly at that event', async () => {
		const db = await freshDb();
		const recorder = await start(db, meta('s-2'));
		for (let i = 1; i <= 5; i++) await recorder.chat('customer', i, `message ${i}`);
		await editStoredEvent(db, 's-2', 3, (e) => ({
			...e,
			data: { from: 'customer', messageId: 3, text: 'I agreed to everything' }
		}));
		expect(await verifySession(db, 's-2')).toEqual({
			ok: false,
			brokenAt: 3,
			reason: 'hash-mismatch'
		});

		// A forger who also rewrites the hash only moves the break to the next event.
		const forged = (await sessionEvents(db, 's-2'))[3]!;
		const rehash = await eventHash(forged.prevHash, forged);
		await editStoredEvent(db, 's-2', 3, (e) => ({ ...e, hash: rehash }));
		expect(await verifySession(db, 's-2')).toEqual({
			ok: false,
			brokenAt: 4,
			reason: 'prev-hash-mismatch'
		});
	});

	it('refuses to append on a head another writer moved', async () => {
		const db = await freshDb();
		const recorder = await start(db, meta('s-3'));
		const sneaky = await appendEvent(
			db,
			's-3',
			(await sessionEvents(db, 's-3')).map((e) => ({ seq: e.seq, hash: e.hash }))[0]!,
			{
				type: 'error',
				data: { code: 'x', message: 'from another tab' },
				at: now()
			}
		);
		expect(sneaky.ok).toBe(true);
		expect(await recorder.chat('customer', 1, 'hi')).toMatchObject({
			ok: false,
			code: 'chain-conflict'
		});
		expect(await verifySession(db, 's-3')).toEqual({ ok: true });
	});
});

describe('history under storage pressure', () => {
	it('leaves no partial session when the quota runs out mid-transaction', async () => {
		const db = await freshDb();
		const restore = exhaustQuotaOn('outbox');
		try {
			const result = await HistoryRecorder.start(db, meta('q-1'), now);
			expect(result).toMatchObject({ ok: false, code: 'quota' });
		} finally {
			restore();
		}
		expect(await rowsOf(db, 'q-1')).toEqual({
			session: undefined,
			events: [],
			blocks: [],
			outbox: []
		});
		expect(await db.count('eventBlocks')).toBe(0);
	});

	it('keeps a session whole when one later event hits the quota, and resumes after', async () => {
		const db = await freshDb();
		const recorder = await start(db, meta('q-2'));
		const restore = exhaustQuotaOn('outbox');
		try {
			const granted = await recorder.consentAnswered({
				capability: 'control',
				state: 'granted',
				verified: true
			});
			expect(granted).toMatchObject({ ok: false, code: 'quota' });
		} finally {
			restore();
		}
		let rows = await rowsOf(db, 'q-2');
		expect(rows.events.map((e) => e.type)).toEqual(['connect-attempt']);
		expect(rows.outbox).toHaveLength(1);
		// The session row change of the failed event was rolled back with it.
		expect(rows.session?.capabilities).toEqual([]);

		expect((await recorder.chat('customer', 1, 'still there?')).ok).toBe(true);
		rows = await rowsOf(db, 'q-2');
		expect(rows.events.map((e) => e.seq)).toEqual([0, 1]);
		expect(await verifySession(db, 'q-2')).toEqual({ ok: true });
	});

	it('reports usage and quota from navigator.storage', async () => {
		const status = await storageStatus();
		expect(status.supported).toBe(true);
		expect(status.quota).toBeGreaterThan(0);
		expect(status.usage).toBeGreaterThanOrEqual(0);
		expect(typeof status.persisted).toBe('boolean');
	});
});

describe('sessions cut short', () => {
	it('are marked interrupted at the next start, with a final chained event; live ones are left alone', async () => {
		const db = await freshDb();
		const startedAt = now();
		const head = await seedCrashedSession(db, 'crashed', startedAt);
		const second = await appendEvent(db, 'crashed', head, {
			type: 'chat',
			data: { from: 'customer', messageId: 1, text: 'is it frozen?' },
			at: startedAt + 1
		});
		expect(second.ok).toBe(true);
		const live = await start(db, meta('live'));
		const done = await start(db, meta('done'));
		await done.end('completed');

		// A second recorder for a session being recorded (another tab) is refused, not queued.
		expect(await HistoryRecorder.start(db, meta('live'), now)).toMatchObject({
			ok: false,
			code: 'chain-conflict'
		});

		expect(await markInterrupted(db, now)).toEqual(['crashed']);
		const crashed = await rowsOf(db, 'crashed');
		expect(crashed.session).toMatchObject({ outcome: 'interrupted', endedAt: startedAt + 1 });
		expect(crashed.events.at(-1)).toMatchObject({
			seq: 2,
			type: 'end',
			data: { outcome: 'interrupted', code: null }
		});
		expect(crashed.outbox).toHaveLength(3);
		expect(await verifySession(db, 'crashed')).toEqual({ ok: true });
		expect((await db.get('sessions', 'live'))?.outcome).toBe('open');
		expect((await db.get('sessions', 'done'))?.outcome).toBe('completed');

		// Sessions closed in order, or already marked, are never marked again.
		await live.end('failed', 'socket-closed');
		expect(await markInterrupted(db, now)).toEqual([]);
		expect((await db.get('sessions', 'live'))?.outcome).toBe('failed');
	});
});
