/**
 * Retention: sessions that ended more than N days ago are deleted with their events, files and
 * recordings, one session per transaction (a failure leaves each session whole or gone, never
 * half). Open sessions are never touched, and neither are unsent audit rows: the broker's
 * copy is the record that outlives this device.
 */
import type { HistoryDb } from './db';
import { announceSessionsChanged } from './notice';

export const RETENTION_KEY = 'retentionDays';
/** The choices offered; null keeps everything. */
export const RETENTION_CHOICES = [30, 90, 180, 365, 730] as const;
const DAY = 86_400_000;

export async function loadRetention(db: HistoryDb): Promise<number | null> {
	const value = await db.get('settings', RETENTION_KEY);
	return typeof value === 'number' && value > 0 ? value : null;
}

export async function saveRetention(db: HistoryDb, days: number | null): Promise<void> {
	if (days === null) await db.delete('settings', RETENTION_KEY);
	else await db.put('settings', days, RETENTION_KEY);
}

const range = (id: string) => IDBKeyRange.bound([id, -Infinity], [id, Infinity]);

/** Deletes one session and everything of it, in one transaction. */
export async function deleteSession(db: HistoryDb, id: string): Promise<void> {
	const tx = db.transaction(['sessions', 'eventBlocks', 'transfers', 'recordings'], 'readwrite');
	await Promise.all([
		tx.objectStore('sessions').delete(id),
		// Every store of a session's parts is keyed [sessionId, …]: one key-range delete each.
		tx.objectStore('eventBlocks').delete(range(id)),
		tx.objectStore('transfers').delete(range(id)),
		tx.objectStore('recordings').delete(range(id)),
		tx.done
	]);
}

/** Sessions started before `now - days` and closed; returns the ids deleted. */
export async function applyRetention(
	db: HistoryDb,
	days: number,
	now: number = Date.now()
): Promise<string[]> {
	const cutoff = now - days * DAY;
	const old = await db.getAllFromIndex(
		'sessions',
		'by-startedAt',
		IDBKeyRange.upperBound(cutoff, true)
	);
	const deleted: string[] = [];
	for (const session of old) {
		// An open session may still be recorded by a tab; markInterrupted closes crashed ones.
		if (session.outcome === 'open' || session.endedAt === null) continue;
		if (session.endedAt >= cutoff) continue;
		await deleteSession(db, session.id);
		deleted.push(session.id);
	}
	if (deleted.length) announceSessionsChanged(null);
	return deleted;
}
