/**
 * Audit sync (docs/protocol.md Part 1, POST /api/v1/audit): every event's outbox row goes to the
 * broker in batches and is deleted only once the broker lists its id as accepted or duplicate.
 * Rows live in IndexedDB, so what was not acknowledged survives a reload or a crash and is sent
 * again; the broker keeps each id once, which makes the whole exactly once. Failures back off
 * exponentially per row (persisted, so a reload does not hammer a broker that is down), and
 * only the technician who recorded an event sends it, under their own token.
 */
import type { BrokerFailure, BrokerResult } from '$lib/broker/client';
import { base64urlDecode, base64urlEncode } from '$lib/protocol/base64url';
import { fromHex, toHex, utf8 } from '$lib/protocol/bytes';
import { sha256 } from '$lib/protocol/kdf';
import {
	MAX_AUDIT_BATCH,
	type AuditBatch,
	type AuditEvent,
	type AuditResult
} from '$lib/protocol/broker-api';
import type { HistoryDb, OutboxRow } from './db';

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

/** Events the broker's schema cannot take (not a uuid, a bad type) are parked, never retried. */
const PARKED = Number.MAX_SAFE_INTEGER;
const MAX_EVENT_DATA = 16 * 1024;

const b64hash = (hex: string) =>
	/^[0-9a-f]{64}$/.test(hex) ? base64urlEncode(fromHex(hex)) : undefined;

/** An outbox row as the broker's `AuditEvent`; null when it cannot be one. */
export function toAuditEvent(row: OutboxRow): AuditEvent | null {
	const e = row.event;
	if (!/^[a-z][a-z0-9-]{0,63}$/.test(e.type) || !Number.isFinite(e.at)) return null;
	const data =
		typeof e.data === 'object' && e.data !== null && !Array.isArray(e.data)
			? e.data
			: { value: e.data };
	if (utf8.encode(JSON.stringify(data)).length > MAX_EVENT_DATA) return null;
	const event: AuditEvent = { id: row.id, type: e.type, at: new Date(e.at).toISOString(), data };
	// The broker's session ids are b64u(16); anything else is a local id it would refuse.
	if (base64urlDecode(e.sessionId)?.length === 16) event.sessionId = e.sessionId;
	const prevHash = b64hash(e.prevHash);
	const hash = b64hash(e.hash);
	if (prevHash) event.prevHash = prevHash;
	if (hash) event.hash = hash;
	return event;
}

/**
 * The batch's Idempotency-Key: a UUID (version 8, RFC 9562 §5.8) derived from its event ids, so
 * the very same batch gets the very same key again after a reload, with nothing more to store.
 */
export async function batchKey(ids: readonly string[]): Promise<string> {
	const digest = await sha256(
		utf8.encode(`benchside/1 audit batch\n${[...ids].sort().join('\n')}`)
	);
	const b = digest.slice(0, 16);
	b[6] = (b[6]! & 0x0f) | 0x80;
	b[8] = (b[8]! & 0x3f) | 0x80;
	const h = toHex(b);
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
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

	/** Rows waiting for this technician (due or backing off), and how many are parked. */
	async pending(): Promise<{ waiting: number; parked: number }> {
		const tech = this.#o.technicianId() ?? '';
		const all = IDBKeyRange.bound([tech, -Infinity], [tech, Infinity]);
		const parked = IDBKeyRange.only([tech, PARKED]);
		const [total, stuck] = await Promise.all([
			this.#o.db.countFromIndex('outbox', 'by-technician-due', all),
			this.#o.db.countFromIndex('outbox', 'by-technician-due', parked)
		]);
		return { waiting: total - stuck, parked: stuck };
	}

	/**
	 * Sends every due row of the signed-in technician, batch after batch, until none is due or a
	 * batch fails. One flush at a time per tab, and one per origin through a Web Lock: two tabs
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
			const due = await this.#o.db.getAllFromIndex(
				'outbox',
				'by-technician-due',
				IDBKeyRange.bound([tech, -Infinity], [tech, this.#o.now()]),
				this.#o.batchSize
			);
			if (due.length === 0) return { ok: true, sent };
			const result = await this.#send(due);
			if (!result.ok) return { ok: false, sent: sent + result.sent, failure: result.failure };
			sent += result.sent;
		}
	}

	/** One batch; on `payload-too-large` or `bad-request` it is halved to find the bad event. */
	async #send(rows: OutboxRow[]): Promise<FlushResult> {
		const events: AuditEvent[] = [];
		const unusable: OutboxRow[] = [];
		for (const row of rows) {
			const event = toAuditEvent(row);
			if (event) events.push(event);
			else unusable.push(row);
		}
		if (unusable.length) await this.#park(unusable);
		if (events.length === 0) return { ok: true, sent: 0 };
		const sendable = rows.filter((r) => !unusable.includes(r));
		const reply = await this.#o.broker.audit(
			{ events },
			await batchKey(events.map((e) => e.id)),
			this.#abort.signal
		);
		if (reply.ok) {
			const done = new Set([...reply.value.accepted, ...reply.value.duplicates]);
			await this.#delete(sendable.filter((r) => done.has(r.id)));
			const missed = sendable.filter((r) => !done.has(r.id));
			// Every id should be in one of the lists; one that is not is simply sent again.
			if (missed.length) await this.#backOff(missed);
			return { ok: true, sent: done.size };
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
			await this.#park(sendable);
			return { ok: true, sent: 0 };
		}
		// Signed out by the broker: keep everything for the next sign-in.
		if (failure.code === 'unauthorized') return { ok: false, sent: 0, failure };
		await this.#backOff(sendable, failure.code === 'rate-limited' ? failure.retryAfter : undefined);
		return { ok: false, sent: 0, failure };
	}

	async #delete(rows: OutboxRow[]) {
		const tx = this.#o.db.transaction('outbox', 'readwrite');
		await Promise.all([...rows.map((r) => tx.store.delete(r.id)), tx.done]);
	}

	async #backOff(rows: OutboxRow[], retryAfterSeconds?: number) {
		const now = this.#o.now();
		const tx = this.#o.db.transaction('outbox', 'readwrite');
		await Promise.all([
			...rows.map((r) => {
				const attempts = r.attempts + 1;
				const exp = Math.min(this.#o.maxDelayMs, this.#o.baseDelayMs * 2 ** (attempts - 1));
				const delay = Math.max(exp * (0.5 + this.#o.random() / 2), (retryAfterSeconds ?? 0) * 1000);
				return tx.store.put({ ...r, attempts, nextAttemptAt: now + Math.round(delay) });
			}),
			tx.done
		]);
	}

	async #park(rows: OutboxRow[]) {
		const tx = this.#o.db.transaction('outbox', 'readwrite');
		await Promise.all([
			...rows.map((r) => tx.store.put({ ...r, attempts: r.attempts + 1, nextAttemptAt: PARKED })),
			tx.done
		]);
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
