import { afterEach } from 'vitest';
import { deleteDB } from 'idb';
import { openHistoryDb, type HistoryDb } from '$lib/history/db';

/**
 * Scratch history databases for one test file: each test opens as many as it needs, and after
 * each test its clean-ups run, then every database it opened is closed and deleted.
 */
export function scratchHistory(prefix: string) {
	const opened: { name: string; db: HistoryDb }[] = [];
	const cleanups: (() => unknown)[] = [];
	afterEach(async () => {
		for (const c of cleanups.splice(0)) await c();
		for (const { name, db } of opened.splice(0)) {
			db.close();
			await deleteDB(name);
		}
	});
	const open = async () => {
		const name = `${prefix}-${crypto.randomUUID()}`;
		const db = await openHistoryDb(name);
		opened.push({ name, db });
		return { name, db };
	};
	return {
		/** Run after the test, before its databases are deleted (unmounting a view, say). */
		cleanups,
		/** A new, empty database and its name. */
		open,
		/** A new, empty database. */
		freshDb: async (): Promise<HistoryDb> => (await open()).db
	};
}
