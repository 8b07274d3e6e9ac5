/**
 * What history needs at every start of the app, whichever page opens first: sessions that a crash
 * or a closed tab cut short are marked interrupted (chain intact), then the retention period the
 * reviewer chose is applied, so old sessions go even if nobody opens the history page.
 */
import type { HistoryDb } from './db';
import { markInterrupted } from './recorder';
import { applyRetention, loadRetention } from './retention';

export async function historyUpkeep(
	db: HistoryDb,
	now: () => number = Date.now
): Promise<{ interrupted: string[]; deleted: string[] }> {
	const interrupted = await markInterrupted(db, now);
	const days = await loadRetention(db);
	const deleted = days === null ? [] : await applyRetention(db, days, now());
	return { interrupted, deleted };
}
