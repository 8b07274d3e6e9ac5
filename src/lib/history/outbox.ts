/**
 * The audit outbox's events as the broker sees them (Part 1, POST /api/v1/audit), and counted:
 * v4 rows hold a run of events each, so rows are not events (v5 indexes how many). Used by the
 * syncer, the storage panel and erasing at sign-out.
 */
import { unwrap } from 'idb';
import { base64urlDecode, base64urlEncode } from '$lib/protocol/base64url';
import { fromHex, toHex, utf8 } from '$lib/protocol/bytes';
import { sha256 } from '$lib/protocol/kdf';
import type { AuditEvent } from '$lib/protocol/broker-api';
import { PARKED, type HistoryDb, type OutboxEvent, type UnsentKey } from './db';

export { PARKED };

export interface Unsent {
	/** Due or backing off. */
	waiting: number;
	parked: number;
}

/**
 * Events not yet delivered, of one technician or (without one) of everyone on this device.
 * Counted on the `by-unsent` index (v5): one count per distinct `[technician, parked, events]`
 * key (a row holds 1 to 100 events: at most 200 keys a technician, a handful in practice),
 * however many rows wait; no row is read. Should some row lack its key
 * (a writer that skipped `withOutboxKeys`), the index covers fewer rows than the store and the
 * rows are read instead: an undercount would let sign-out erase undelivered audit events.
 */
export async function unsentEvents(db: HistoryDb, technicianId?: string): Promise<Unsent> {
	const tx = db.transaction('outbox');
	const rows =
		technicianId === undefined
			? tx.store.count()
			: tx.store.index('by-technician-due').count(ofTechnician(technicianId));
	const keyed = countByKey(
		unwrap(tx.store.index('by-unsent')),
		technicianId === undefined ? null : IDBKeyRange.bound([technicianId], [technicianId, []])
	);
	const [all, counted] = await Promise.all([rows, keyed]);
	if (counted.rows === all) return { waiting: counted.waiting, parked: counted.parked };
	return readingRows(db, technicianId);
}

const ofTechnician = (technicianId: string) =>
	IDBKeyRange.bound([technicianId, -Infinity], [technicianId, Infinity]);

/** Walks the distinct keys of `by-unsent` in `range` and counts the rows under each. */
function countByKey(
	index: IDBIndex,
	range: IDBKeyRange | null
): Promise<Unsent & { rows: number }> {
	return new Promise((resolve, reject) => {
		const out = { waiting: 0, parked: 0, rows: 0 };
		let pending = 1;
		const settled = () => --pending === 0 && resolve(out);
		const fail = (request: IDBRequest) => () =>
			reject(request.error ?? new Error('outbox count failed'));
		const walk = index.openKeyCursor(range, 'nextunique');
		walk.onerror = fail(walk);
		walk.onsuccess = () => {
			const cursor = walk.result;
			if (!cursor) return void settled();
			const key = cursor.key as UnsentKey;
			const count = index.count(key);
			pending++;
			count.onerror = fail(count);
			count.onsuccess = () => {
				out.rows += count.result;
				out[key[1] === 1 ? 'parked' : 'waiting'] += count.result * key[2];
				settled();
			};
			cursor.continue();
		};
	});
}

/** The slow, sure count: every row's events. */
async function readingRows(db: HistoryDb, technicianId?: string): Promise<Unsent> {
	const rows =
		technicianId === undefined
			? await db.getAll('outbox')
			: await db.getAllFromIndex('outbox', 'by-technician-due', ofTechnician(technicianId));
	const unsent: Unsent = { waiting: 0, parked: 0 };
	for (const row of rows)
		unsent[row.nextAttemptAt === PARKED ? 'parked' : 'waiting'] += row.events.length;
	return unsent;
}

/** Events the broker's schema cannot take (a bad type, too much data) are parked, never retried. */
const MAX_EVENT_DATA = 16 * 1024;

const b64hash = (hex: string) =>
	/^[0-9a-f]{64}$/.test(hex) ? base64urlEncode(fromHex(hex)) : undefined;

/** An outbox event as the broker's `AuditEvent`; null when it cannot be one. */
export function toAuditEvent(sessionId: string, e: OutboxEvent): AuditEvent | null {
	if (!/^[a-z][a-z0-9-]{0,63}$/.test(e.type) || !Number.isFinite(e.at)) return null;
	const data =
		typeof e.data === 'object' && e.data !== null && !Array.isArray(e.data)
			? e.data
			: { value: e.data };
	if (utf8.encode(JSON.stringify(data)).length > MAX_EVENT_DATA) return null;
	const event: AuditEvent = { id: e.id, type: e.type, at: new Date(e.at).toISOString(), data };
	// The broker's session ids are b64u(16); anything else is a local id it would refuse.
	if (base64urlDecode(sessionId)?.length === 16) event.sessionId = sessionId;
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
