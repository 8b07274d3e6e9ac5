/**
 * The audit outbox's events as the broker sees them (Part 1, POST /api/v1/audit), and counted:
 * v4 rows hold a run of events each, so rows are not events. Used by the syncer, the storage
 * panel and erasing at sign-out.
 */
import { base64urlDecode, base64urlEncode } from '$lib/protocol/base64url';
import { fromHex, toHex, utf8 } from '$lib/protocol/bytes';
import { sha256 } from '$lib/protocol/kdf';
import type { AuditEvent } from '$lib/protocol/broker-api';
import type { HistoryDb, OutboxEvent } from './db';

/** `nextAttemptAt` of rows the broker's schema cannot take: kept and counted, never retried. */
export const PARKED = Number.MAX_SAFE_INTEGER;

export interface Unsent {
	/** Due or backing off. */
	waiting: number;
	parked: number;
}

/** Events not yet delivered, of one technician or (without one) of everyone on this device. */
export async function unsentEvents(db: HistoryDb, technicianId?: string): Promise<Unsent> {
	const rows =
		technicianId === undefined
			? await db.getAll('outbox')
			: await db.getAllFromIndex(
					'outbox',
					'by-technician-due',
					IDBKeyRange.bound([technicianId, -Infinity], [technicianId, Infinity])
				);
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
