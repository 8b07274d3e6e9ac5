/**
 * Erasing this device's local data at sign-out, where the site's policy asks for it (issue 9;
 * PUBLIC_SIGN_OUT_ERASES_LOCAL_DATA at build time). Session history, its screen recordings and
 * the recording key go; the trusted-device key stays (erasing it would need a new approval).
 * Audit events not yet delivered to the broker are never erased: then nothing is, and the
 * technician is told how many are waiting.
 */
import { deleteDB } from 'idb';
import { HISTORY_DB_NAME, openHistoryDb } from './db';
import { unsentEvents } from './outbox';

export const RECORDING_KEYS_DB_NAME = 'benchside-keys';

export type EraseResult = { erased: true } | { erased: false; unsent: number };

export async function eraseLocalData(
	historyName = HISTORY_DB_NAME,
	keysName = RECORDING_KEYS_DB_NAME
): Promise<EraseResult> {
	const db = await openHistoryDb(historyName);
	const { waiting, parked } = await unsentEvents(db).finally(() => db.close());
	const unsent = waiting + parked;
	if (unsent > 0) return { erased: false, unsent };
	// Other connections of this page close themselves when asked (openHistoryDb's `blocking`).
	await deleteDB(historyName);
	await deleteDB(keysName);
	return { erased: true };
}
