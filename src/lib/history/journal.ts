/**
 * Appending to a session's chain, one IndexedDB transaction per event: the event, its outbox row
 * and any change to the session (or a transfer) commit together or not at all. The hash is
 * computed before the transaction opens, because awaiting WebCrypto inside one lets it commit.
 */
import { unwrap } from 'idb';
import {
	GENESIS_HASH,
	checkChain,
	eventHash,
	eventHashSync,
	type ChainCheck,
	type HistoryEvent
} from './chain';
import {
	withIndexKeys,
	type EventRow,
	type HistoryDb,
	type SessionRow,
	type TransferRow
} from './db';
import { announceSessionsChanged } from './notice';

/** The last event written to a session; `seq: -1` before the first. */
export interface ChainHead {
	seq: number;
	hash: string;
}
export const EMPTY_HEAD: ChainHead = { seq: -1, hash: GENESIS_HASH };

export type WriteFailureCode =
	/** The browser refused the write for lack of space; nothing of it was kept. */
	| 'quota'
	/** Someone else appended to this session (another tab): the chain head moved. */
	| 'chain-conflict'
	| 'unknown-session'
	| 'session-closed'
	| 'storage';
export type WriteFailure = { ok: false; code: WriteFailureCode; message: string };
export type WriteResult = { ok: true; head: ChainHead; event: EventRow } | WriteFailure;

export interface AppendOptions {
	/** Creates the session in the same transaction as its first event. */
	create?: SessionRow;
	/** Changes to the session row that travel with this event. */
	update?: (session: SessionRow) => SessionRow;
	transfer?: TransferRow;
}

class Refused extends Error {
	constructor(readonly code: WriteFailureCode) {
		super(code);
	}
}

const sessionRange = (sessionId: string) =>
	IDBKeyRange.bound([sessionId, -Infinity], [sessionId, Infinity]);

/** Reads the head of a session's chain (its last event). */
export async function readHead(db: HistoryDb, sessionId: string): Promise<ChainHead> {
	const cursor = await db
		.transaction('events')
		.store.index('by-session-seq')
		.openCursor(sessionRange(sessionId), 'prev');
	return cursor ? { seq: cursor.value.seq, hash: cursor.value.hash } : EMPTY_HEAD;
}

export async function appendEvent(
	db: HistoryDb,
	sessionId: string,
	head: ChainHead,
	event: HistoryEvent & { at: number },
	options: AppendOptions = {}
): Promise<WriteResult> {
	const seq = head.seq + 1;
	const chained = { sessionId, seq, at: event.at, type: event.type, data: event.data };
	const row: EventRow = {
		...chained,
		prevHash: head.hash,
		hash: await eventHash(head.hash, chained)
	};
	const tx = db.transaction(['sessions', 'events', 'outbox', 'transfers'], 'readwrite');
	const sessions = tx.objectStore('sessions');
	let pending: Promise<unknown>[] = [];
	let technicianId = options.create?.technicianId ?? '';
	try {
		if (options.create) {
			if (head.seq !== -1) throw new Refused('chain-conflict');
			pending.push(sessions.add(withIndexKeys(options.create)));
		} else {
			const session = await sessions.get(sessionId);
			if (!session) throw new Refused('unknown-session');
			if (session.outcome !== 'open') throw new Refused('session-closed');
			technicianId = session.technicianId;
			const last = await tx
				.objectStore('events')
				.index('by-session-seq')
				.openCursor(sessionRange(sessionId), 'prev');
			if ((last?.value.seq ?? -1) !== head.seq || (last?.value.hash ?? GENESIS_HASH) !== head.hash)
				throw new Refused('chain-conflict');
			if (options.update) pending.push(sessions.put(withIndexKeys(options.update(session))));
		}
		pending.push(tx.objectStore('events').add(row));
		// The outbox row is the audit copy of this very event: sent later, in batches, by id.
		pending.push(
			tx.objectStore('outbox').put({
				id: crypto.randomUUID(),
				technicianId,
				event: row,
				attempts: 0,
				nextAttemptAt: event.at
			})
		);
		if (options.transfer) pending.push(tx.objectStore('transfers').put(options.transfer));
		await Promise.all([...pending, tx.done]);
		pending = [];
		// Other tabs refresh their list when a session appears or its row changes.
		if (options.create || options.update) announceSessionsChanged([sessionId]);
		return { ok: true, head: { seq, hash: row.hash }, event: row };
	} catch (error) {
		try {
			tx.abort();
		} catch {
			// Already aborted by the browser (a failed request aborts its transaction).
		}
		// The rejected requests and tx.done must not surface as unhandled rejections.
		for (const p of pending) p.catch(() => {});
		tx.done.catch(() => {});
		return failure(error);
	}
}

function failure(error: unknown): WriteFailure {
	if (error instanceof Refused) return { ok: false, code: error.code, message: error.code };
	const name = error instanceof DOMException ? error.name : '';
	const message = error instanceof Error ? error.message : String(error);
	if (name === 'QuotaExceededError') return { ok: false, code: 'quota', message };
	// The unique [sessionId, seq] index or an existing session id: another writer got there first.
	if (name === 'ConstraintError') return { ok: false, code: 'chain-conflict', message };
	return { ok: false, code: 'storage', message };
}

/** All events of a session, in seq order. */
export function sessionEvents(db: HistoryDb, sessionId: string): Promise<EventRow[]> {
	return db.getAllFromIndex('events', 'by-session-seq', sessionRange(sessionId));
}

/** Recomputes a session's chain and says where it first breaks. */
export async function verifySession(db: HistoryDb, sessionId: string): Promise<ChainCheck> {
	return checkChain(await sessionEvents(db, sessionId));
}

/** Events for one session, appended after `head` in a batch. */
export interface BatchItem {
	sessionId: string;
	head: ChainHead;
	events: (HistoryEvent & { at: number })[];
	/** Creates the session with its first events (head must be EMPTY_HEAD). */
	create?: SessionRow;
}

export type BatchResult = { ok: true; heads: ChainHead[] } | WriteFailure;

function chainRows(item: BatchItem): EventRow[] {
	const rows: EventRow[] = [];
	let prev = item.head.hash;
	for (const [i, event] of item.events.entries()) {
		const chained = {
			sessionId: item.sessionId,
			seq: item.head.seq + 1 + i,
			at: event.at,
			type: event.type,
			data: event.data
		};
		const hash = eventHashSync(prev, chained);
		rows.push({ ...chained, prevHash: prev, hash });
		prev = hash;
	}
	return rows;
}

/**
 * Many events of one or more sessions in ONE transaction (imports, bulk writers, the bench):
 * the same chain, the same checks on each session's head, and by default an outbox row per
 * event; all of it commits or none. Live sessions use `appendEvent`, one event as it happens.
 */
export async function appendBatch(
	db: HistoryDb,
	items: BatchItem[],
	options: { outbox?: boolean } = {}
): Promise<BatchResult> {
	const rows = items.map(chainRows);
	// Relaxed durability: a batch is rebuilt from its source if the OS loses the last writes;
	// strict flushing per transaction costs more than the writes themselves.
	const tx = db.transaction(['sessions', 'events', 'outbox'], 'readwrite', {
		durability: 'relaxed'
	});
	const sessions = tx.objectStore('sessions');
	const events = tx.objectStore('events');
	// Thousands of puts: raw requests, no promise per row; a failed one fails tx.done.
	const rawEvents = unwrap(events);
	const rawOutbox = unwrap(tx.objectStore('outbox'));
	let pending: Promise<unknown>[] = [];
	const changed: string[] = [];
	try {
		for (const [i, item] of items.entries()) {
			let technicianId: string;
			if (item.create) {
				if (item.head.seq !== -1) throw new Refused('chain-conflict');
				pending.push(sessions.add(withIndexKeys(item.create)));
				technicianId = item.create.technicianId;
				changed.push(item.sessionId);
			} else {
				const session = await sessions.get(item.sessionId);
				if (!session) throw new Refused('unknown-session');
				if (session.outcome !== 'open') throw new Refused('session-closed');
				const last = await events
					.index('by-session-seq')
					.openCursor(sessionRange(item.sessionId), 'prev');
				const seq = last?.value.seq ?? -1;
				if (seq !== item.head.seq || (last?.value.hash ?? GENESIS_HASH) !== item.head.hash)
					throw new Refused('chain-conflict');
				technicianId = session.technicianId;
			}
			for (const row of rows[i]!) {
				rawEvents.add(row);
				if (options.outbox !== false)
					rawOutbox.put({
						id: crypto.randomUUID(),
						technicianId,
						event: row,
						attempts: 0,
						nextAttemptAt: row.at
					});
			}
		}
		await Promise.all([...pending, tx.done]);
		pending = [];
		if (changed.length) announceSessionsChanged(changed.length > 50 ? null : changed);
		return {
			ok: true,
			heads: items.map((item, i) => {
				const last = rows[i]!.at(-1);
				return last ? { seq: last.seq, hash: last.hash } : item.head;
			})
		};
	} catch (error) {
		try {
			tx.abort();
		} catch {
			// Already aborted by the browser.
		}
		for (const p of pending) p.catch(() => {});
		tx.done.catch(() => {});
		return failure(error);
	}
}
