/** The app's one connection to the history database, opened on first use. */
import { openHistoryDb, type HistoryDb } from './db';

let opening: Promise<HistoryDb> | null = null;

export function historyDb(): Promise<HistoryDb> {
	opening ??= openHistoryDb().catch((error: unknown) => {
		// Let a later call try again (another tab's upgrade may have blocked this one).
		opening = null;
		throw error;
	});
	return opening;
}
