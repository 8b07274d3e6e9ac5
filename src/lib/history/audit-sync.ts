/**
 * Audit sync (docs/protocol.md Part 1, POST /api/v1/audit): every event in the outbox goes to the
 * broker in batches and leaves its outbox row only once the broker lists its id as accepted or
 * duplicate (the row goes with its last event). Rows live in IndexedDB, so what was not
 * acknowledged survives a reload or a crash and is sent again under the same per-event ids;
 * the broker keeps each id once, which makes the whole exactly once. A row holds a run of
 * events (v4), so a batch may take part of one, and a reply may settle part of one. Failures
 * back off exponentially per row (persisted, so a reload does not hammer a broker that is down),
 * and only the technician who recorded an event sends it, under their own token.
 */
import type { BrokerFailure, BrokerResult } from '$lib/broker/client';
import {
	MAX_AUDIT_BATCH,
	type AuditBatch,
	type AuditEvent,
	type AuditResult
} from '$lib/protocol/broker-api';
import { withOutboxKeys, type HistoryDb, type OutboxEvent, type OutboxRow } from './db';
import { PARKED, batchKey, toAuditEvent, unsentEvents, type Unsent } from './outbox';

/** What the syncer needs of the broker client (BrokerClient fits). */
export interface AuditTransport {
	readonly signedIn: boolean;
	audit(
		batch: AuditBatch,
		idempotencyKey: string,
		signal?: AbortSignal
	): Promise<BrokerResult<AuditResult>>;
}

export interface AuditSyncOptions {
	db: HistoryDb;
	broker: AuditTransport;
	/** The signed-in technician, or null: nothing is sent signed out. */
	technicianId: () => string | null;
	now?: () => number;
	/** Events per request (at most 500, Part 1). */
	batchSize?: number;
	/** First retry delay; doubles per failed attempt up to `maxDelayMs`. */
	baseDelayMs?: number;
	maxDelayMs?: number;
	/** How often to look for new events while idle. */
	pollMs?: number;
	/** 0..1; the retry delay is scaled by 0.5 + random/2 so tabs and consoles do not stampede. */
	random?: () => number;
}

export type FlushResult =
	| { ok: true; sent: number }
	| { ok: false; sent: number; failure: BrokerFailure | { code: 'signed-out' } };

/** One event of an outbox row on its way: the row it lives in, and its session. */
interface Item {
	rowId: string;
	sessionId: string;
	event: OutboxEvent;
}

/** What a send did to some events of the outbox. */
interface Settlement {
	delivered?: Item[];
	retry?: Item[];
	park?: Item[];
}

export class AuditSyncer {
	readonly #o: Required<Omit<AuditSyncOptions, 'db' | 'broker' | 'technicianId'>> &
		AuditSyncOptions;
	#timer: ReturnType<typeof setTimeout> | null = null;
	#running = false;
	#flushing: Promise<FlushResult> | null = null;
	#abort = new AbortController();
	readonly #online = () => this.#kick(0);

	constructor(options: AuditSyncOptions) {
		this.#o = {
			now: Date.now,
			batchSize: 100,
			baseDelayMs: 2_000,
			maxDelayMs: 5 * 60_000,
			pollMs: 10_000,
			random: Math.random,
			...options
		};
		this.#o.batchSize = Math.max(1, Math.min(MAX_AUDIT_BATCH, this.#o.batchSize));
	}

	/** Sends now and then whenever rows fall due, until `stop()`. */
	start(): void {
		if (this.#running) return;
		this.#running = true;
		this.#abort = new AbortController();
		globalThis.addEventListener?.('online', this.#online);
		this.#kick(0);
	}

	stop(): void {
		this.#running = false;
		this.#abort.abort();
		globalThis.removeEventListener?.('online', this.#online);
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = null;
	}

	/** Events waiting for this technician (due or backing off), and how many are parked. */
	pending(): Promise<Unsent> {
		return unsentEvents(this.#o.db, this.#o.technicianId() ?? '');
	}

	/**
	 * Sends every due event of the signed-in technician, batch after batch, until none is due or
	 * a batch fails. One flush at a time per tab, and one per origin through a Web Lock: two tabs
	 * would be correct (ids are idempotent) but would send everything twice.
	 */
	flush(): Promise<FlushResult> {
		this.#flushing ??= this.#locked().finally(() => (this.#flushing = null));
		return this.#flushing;
	}

	async #locked(): Promise<FlushResult> {
		if (typeof navigator === 'undefined' || !navigator.locks) return this.#flushAll();
		return navigator.locks.request('benchside-audit-sync', () => this.#flushAll());
	}

	async #flushAll(): Promise<FlushResult> {
		let sent = 0;
		for (;;) {
			const tech = this.#o.technicianId();
			if (!tech || !this.#o.broker.signedIn)
				return { ok: false, sent, failure: { code: 'signed-out' } };
			const due = await this.#due(tech);
			if (due.length === 0) return { ok: true, sent };
			const result = await this.#send(due);
			if (!result.ok) return { ok: false, sent: sent + result.sent, failure: result.failure };
			sent += result.sent;
		}
	}

	/**
	 * The next batch: events of due rows, earliest due first, up to `batchSize`. A row longer
	 * than the room left lends its first events; the rest stay due for the next batch.
	 */
	async #due(tech: string): Promise<Item[]> {
		const index = this.#o.db.transaction('outbox').store.index('by-technician-due');
		const range = IDBKeyRange.bound([tech, -Infinity], [tech, this.#o.now()]);
		const items: Item[] = [];
		for (let c = await index.openCursor(range); c; c = await c.continue()) {
			const { id: rowId, sessionId, events } = c.value;
			for (const event of events.slice(0, this.#o.batchSize - items.length))
				items.push({ rowId, sessionId, event });
			if (items.length >= this.#o.batchSize) break;
		}
		return items;
	}

	/** One batch; on `payload-too-large` or `bad-request` it is halved to find the bad event. */
	async #send(items: Item[]): Promise<FlushResult> {
		const events: AuditEvent[] = [];
		const sendable: Item[] = [];
		const unusable: Item[] = [];
		for (const item of items) {
			const event = toAuditEvent(item.sessionId, item.event);
			if (event) {
				events.push(event);
				sendable.push(item);
			} else unusable.push(item);
		}
		if (unusable.length) await this.#settle({ park: unusable });
		if (events.length === 0) return { ok: true, sent: 0 };
		const reply = await this.#o.broker.audit(
			{ events },
			await batchKey(events.map((e) => e.id)),
			this.#abort.signal
		);
		if (reply.ok) {
			const done = new Set([...reply.value.accepted, ...reply.value.duplicates]);
			const delivered = sendable.filter((i) => done.has(i.event.id));
			// Every id should be in one of the lists; one that is not is simply sent again.
			await this.#settle({ delivered, retry: sendable.filter((i) => !done.has(i.event.id)) });
			return { ok: true, sent: delivered.length };
		}
		if ('aborted' in reply) return { ok: false, sent: 0, failure: { code: 'signed-out' } };
		const { failure } = reply;
		if (
			(failure.code === 'payload-too-large' || failure.code === 'bad-request') &&
			sendable.length > 1
		) {
			const half = Math.ceil(sendable.length / 2);
			const first = await this.#send(sendable.slice(0, half));
			if (!first.ok) return first;
			const second = await this.#send(sendable.slice(half));
			return second.ok
				? { ok: true, sent: first.sent + second.sent }
				: { ...second, sent: first.sent + second.sent };
		}
		if (
			failure.code === 'bad-request' ||
			failure.code === 'payload-too-large' ||
			failure.code === 'forbidden'
		) {
			// One event the broker will never take: parked (kept, counted), not retried forever.
			await this.#settle({ park: sendable });
			return { ok: true, sent: 0 };
		}
		// Signed out by the broker: keep everything for the next sign-in.
		if (failure.code === 'unauthorized') return { ok: false, sent: 0, failure };
		await this.#settle(
			{ retry: sendable },
			failure.code === 'rate-limited' ? failure.retryAfter : undefined
		);
		return { ok: false, sent: 0, failure };
	}

	/**
	 * Applies a send's outcome to the rows, read afresh in one transaction (a halved batch may
	 * have changed a row since it was read): delivered events leave their row, parked ones move
	 * to a parked row of their own, and a row with an event to retry backs off as a whole.
	 */
	async #settle(change: Settlement, retryAfterSeconds?: number) {
		const rows = new Map<string, { gone: Set<string>; park: Set<string>; retry: boolean }>();
		const of = (item: Item) => {
			let entry = rows.get(item.rowId);
			if (!entry)
				rows.set(item.rowId, (entry = { gone: new Set(), park: new Set(), retry: false }));
			return entry;
		};
		for (const item of change.delivered ?? []) of(item).gone.add(item.event.id);
		for (const item of change.park ?? []) of(item).park.add(item.event.id);
		for (const item of change.retry ?? []) of(item).retry = true;
		const now = this.#o.now();
		const tx = this.#o.db.transaction('outbox', 'readwrite');
		const writes: Promise<unknown>[] = [];
		for (const [rowId, { gone, park, retry }] of rows) {
			const row = await tx.store.get(rowId);
			if (!row) continue;
			const parked = row.events.filter((e) => park.has(e.id));
			const left = row.events.filter((e) => !gone.has(e.id) && !park.has(e.id));
			if (parked.length) {
				const stuck = withOutboxKeys({
					...row,
					// Nothing else left: the parked events keep the row (and its key).
					id: left.length ? crypto.randomUUID() : row.id,
					events: parked,
					attempts: row.attempts + 1,
					nextAttemptAt: PARKED
				});
				writes.push(left.length ? tx.store.add(stuck) : tx.store.put(stuck));
				if (!left.length) continue;
			}
			if (!left.length) writes.push(tx.store.delete(rowId));
			else if (retry)
				writes.push(tx.store.put(this.#later({ ...row, events: left }, now, retryAfterSeconds)));
			else writes.push(tx.store.put(withOutboxKeys({ ...row, events: left })));
		}
		await Promise.all([...writes, tx.done]);
	}

	/** The row after one more failed attempt: due again after an exponential, jittered delay. */
	#later(row: OutboxRow, now: number, retryAfterSeconds?: number): OutboxRow {
		const attempts = row.attempts + 1;
		const exp = Math.min(this.#o.maxDelayMs, this.#o.baseDelayMs * 2 ** (attempts - 1));
		const delay = Math.max(exp * (0.5 + this.#o.random() / 2), (retryAfterSeconds ?? 0) * 1000);
		return withOutboxKeys({ ...row, attempts, nextAttemptAt: now + Math.round(delay) });
	}

	/** Runs a flush after `ms`, then schedules the next one for when the earliest row falls due. */
	#kick(ms: number) {
		if (!this.#running) return;
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = setTimeout(() => {
			this.#timer = null;
			void this.flush()
				.then(() => this.#nextDue())
				.then((wait) => this.#kick(wait))
				.catch((error: unknown) => {
					console.warn('[benchside] audit sync failed', error);
					this.#kick(this.#o.pollMs);
				});
		}, ms);
	}

	/** Until the earliest backed-off row is due, or the poll interval for new events. */
	async #nextDue(): Promise<number> {
		const tech = this.#o.technicianId();
		if (!tech) return this.#o.pollMs;
		const first = await this.#o.db.getFromIndex(
			'outbox',
			'by-technician-due',
			IDBKeyRange.bound([tech, -Infinity], [tech, PARKED], false, true)
		);
		if (!first) return this.#o.pollMs;
		return Math.max(0, Math.min(this.#o.pollMs, first.nextAttemptAt - this.#o.now()));
	}
}

/**
 * The app's audit sync for one signed-in technician, on the app's history database; the
 * returned function stops it (sign-out). Rows wait in IndexedDB while signed out.
 */
export function startAuditSync(broker: AuditTransport, technicianId: string): () => void {
	let syncer: AuditSyncer | null = null;
	let stopped = false;
	void import('./open')
		.then(({ historyDb }) => historyDb())
		.then((db) => {
			if (stopped) return;
			syncer = new AuditSyncer({ db, broker, technicianId: () => technicianId });
			syncer.start();
		})
		.catch((error: unknown) => console.warn('[benchside] audit sync unavailable', error));
	return () => {
		stopped = true;
		syncer?.stop();
	};
}
