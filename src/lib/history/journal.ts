/**
 * Appending to a session's chain: the events (in blocks, see `EventBlockRow`), their outbox row
 * and any change to the session (or a transfer) commit together or not at all. The hash is
 * computed before the transaction opens, because awaiting WebCrypto inside one lets it commit.
 *
 * Block size: IndexedDB costs per record far more than per byte (bench/README.md: a bare store
 * takes ~16,000 records/s here, whatever their size), so a batch writes up to BLOCK_SIZE (100)
 * events per record and one outbox row per block. Past 100 the gain flattens while every
 * reader of one event (the head check, the recorder's last event) pays for the whole block,
 * and a block of 100 always fits one audit request (Part 1: at most 500 events). A live event
 * is a block of one: appending never rewrites an existing record.
 */
import { unwrap } from 'idb';
import {
	GENESIS_HASH,
	checkChain,
	eventHash,
	chainHashesSync,
	type ChainCheck,
	type HistoryEvent
} from './chain';
import {
	BLOCK_SIZE,
	withIndexKeys,
	withOutboxKeys,
	type BlockEvent,
	type EventBlockRow,
	type EventRow,
	type HistoryDb,
	type OutboxRow,
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

/** Every block of a session: keys `[sessionId, firstSeq]`. */
export const sessionRange = (sessionId: string) =>
	IDBKeyRange.bound([sessionId, -Infinity], [sessionId, Infinity]);

/** The head a session's last block ends on. */
function headOf(block: EventBlockRow | undefined): ChainHead {
	const last = block?.events.at(-1);
	return last ? { seq: last.seq, hash: last.hash } : EMPTY_HEAD;
}

/** Reads the head of a session's chain (the last event of its last block). */
export async function readHead(db: HistoryDb, sessionId: string): Promise<ChainHead> {
	const cursor = await db
		.transaction('eventBlocks')
		.store.openCursor(sessionRange(sessionId), 'prev');
	return headOf(cursor?.value);
}

/** The events of stored blocks, in order, as readers see them. */
export function eventsOf(blocks: readonly EventBlockRow[]): EventRow[] {
	return blocks.flatMap((b) => b.events.map((e) => ({ sessionId: b.sessionId, ...e })));
}

/** One event of a session by its seq (from the block that holds it), or undefined. */
export async function readEvent(
	db: HistoryDb,
	sessionId: string,
	seq: number
): Promise<EventRow | undefined> {
	const cursor = await db
		.transaction('eventBlocks')
		.store.openCursor(IDBKeyRange.bound([sessionId, -Infinity], [sessionId, seq]), 'prev');
	const event = cursor?.value.events.find((e) => e.seq === seq);
	return event && { sessionId, ...event };
}

/** The audit copy of a run of one session's events: one outbox row, an id per event. */
function outboxRow(
	technicianId: string,
	sessionId: string,
	events: readonly BlockEvent[]
): OutboxRow {
	return withOutboxKeys({
		id: crypto.randomUUID(),
		technicianId,
		sessionId,
		events: events.map((e) => ({ ...e, id: crypto.randomUUID() })),
		attempts: 0,
		nextAttemptAt: events[0]?.at ?? 0
	});
}

/** A session's events without their session id, as a block holds them. */
const stored = ({ sessionId: _s, ...event }: EventRow): BlockEvent => event;

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
	const tx = db.transaction(['sessions', 'eventBlocks', 'outbox', 'transfers'], 'readwrite');
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
			const last = await tx.objectStore('eventBlocks').openCursor(sessionRange(sessionId), 'prev');
			const moved = headOf(last?.value);
			if (moved.seq !== head.seq || moved.hash !== head.hash) throw new Refused('chain-conflict');
			if (options.update) pending.push(sessions.put(withIndexKeys(options.update(session))));
		}
		// A block of one: `add` fails on a block that already starts at this seq.
		const blockEvent = stored(row);
		pending.push(
			tx.objectStore('eventBlocks').add({ sessionId, firstSeq: seq, events: [blockEvent] })
		);
		// The outbox row is the audit copy of this very event: sent later, in batches, by id.
		pending.push(tx.objectStore('outbox').put(outboxRow(technicianId, sessionId, [blockEvent])));
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
	// A block key [sessionId, firstSeq] or a session id that exists: another writer got there first.
	if (name === 'ConstraintError') return { ok: false, code: 'chain-conflict', message };
	return { ok: false, code: 'storage', message };
}

/** All events of a session, in seq order. */
export async function sessionEvents(db: HistoryDb, sessionId: string): Promise<EventRow[]> {
	return eventsOf(await db.getAll('eventBlocks', sessionRange(sessionId)));
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

/** An item's events, chained on from its head, cut into blocks of at most BLOCK_SIZE. */
function chainBlocks(item: BatchItem): EventBlockRow[] {
	const { sessionId, head } = item;
	const chained = item.events.map((e, i) => ({ ...e, sessionId, seq: head.seq + 1 + i }));
	const hashes = chainHashesSync(head.hash, chained);
	const blocks: EventBlockRow[] = [];
	for (let i = 0; i < chained.length; i += BLOCK_SIZE) {
		const events = chained.slice(i, i + BLOCK_SIZE).map(({ seq, at, type, data }, k) => ({
			seq,
			at,
			type,
			data,
			prevHash: hashes[i + k - 1] ?? head.hash,
			hash: hashes[i + k]!
		}));
		blocks.push({ sessionId, firstSeq: head.seq + 1 + i, events });
	}
	return blocks;
}

/**
 * Many events of one or more sessions in ONE transaction (imports, bulk writers, the bench):
 * the same chain and the same checks on each session's head, written in blocks of up to
 * BLOCK_SIZE events, and by default one outbox row per block; all of it commits or none. Live
 * sessions use `appendEvent`, one event as it happens.
 */
export async function appendBatch(
	db: HistoryDb,
	items: BatchItem[],
	options: { outbox?: boolean } = {}
): Promise<BatchResult> {
	const blocks = items.map(chainBlocks);
	// Relaxed durability: a batch is rebuilt from its source if the OS loses the last writes;
	// strict flushing per transaction costs more than the writes themselves.
	const tx = db.transaction(['sessions', 'eventBlocks', 'outbox'], 'readwrite', {
		durability: 'relaxed'
	});
	const sessions = tx.objectStore('sessions');
	const store = tx.objectStore('eventBlocks');
	// Many writes: raw requests, no promise per row; a failed one fails tx.done.
	const rawBlocks = unwrap(store);
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
				const last = await store.openCursor(sessionRange(item.sessionId), 'prev');
				const moved = headOf(last?.value);
				if (moved.seq !== item.head.seq || moved.hash !== item.head.hash)
					throw new Refused('chain-conflict');
				technicianId = session.technicianId;
			}
			for (const block of blocks[i]!) {
				rawBlocks.add(block);
				if (options.outbox !== false)
					rawOutbox.put(outboxRow(technicianId, item.sessionId, block.events));
			}
		}
		await Promise.all([...pending, tx.done]);
		pending = [];
		if (changed.length) announceSessionsChanged(changed.length > 50 ? null : changed);
		return {
			ok: true,
			heads: items.map((item, i) => {
				const last = blocks[i]!.at(-1);
				return last ? headOf(last) : item.head;
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
