/**
 * The site's sign-out policy (issue 9): local session history and recordings are erased, unless
 * audit events are still waiting for the broker, in which case nothing is and the technician is
 * told how many. Real IndexedDB.
 */
import { describe, expect, it } from 'vitest';
import { authNoticeText } from '$lib/auth/notice';
import { openHistoryDb, withOutboxKeys } from '$lib/history/db';
import { eraseLocalData } from '$lib/history/erase';
import { screenRecordingKey } from '$lib/history/screen-recording';

const names = async () => (await indexedDB.databases()).map((d) => d.name);

async function seeded(withOutbox: boolean) {
	const history = `erase-history-${crypto.randomUUID()}`;
	const keys = `erase-keys-${crypto.randomUUID()}`;
	const db = await openHistoryDb(history);
	await db.put('sessions', {
		id: 's-1',
		instrumentId: 'ins-3317',
		serial: 'CX9-19-03317',
		site: 'Lyon',
		technicianId: 'tech-1',
		startedAt: 1,
		endedAt: 2,
		outcome: 'completed',
		capabilities: []
	});
	if (withOutbox) {
		// One row holding two events not yet delivered.
		await db.put(
			'outbox',
			withOutboxKeys({
				id: 'o-1',
				technicianId: 'tech-1',
				sessionId: 's-1',
				events: [
					{ id: 'e-1', seq: 0, at: 1, type: 'chat', data: {}, prevHash: '', hash: '' },
					{ id: 'e-2', seq: 1, at: 2, type: 'end', data: {}, prevHash: '', hash: '' }
				],
				attempts: 0,
				nextAttemptAt: 0
			})
		);
	}
	await screenRecordingKey(keys);
	return { history, keys, db };
}

describe('erasing local data at sign-out', () => {
	it('erases the history database and the recording key once nothing is left to send', async () => {
		const { history, keys, db } = await seeded(false);
		expect(await names()).toEqual(expect.arrayContaining([history, keys]));
		// An open connection of the page steps aside rather than block the deletion.
		expect(await eraseLocalData(history, keys)).toEqual({ erased: true });
		expect(await names()).not.toContain(history);
		expect(await names()).not.toContain(keys);
		db.close();
	});

	it('keeps everything while audit events wait for the broker, and says how many', async () => {
		const { history, keys, db } = await seeded(true);
		expect(await eraseLocalData(history, keys)).toEqual({ erased: false, unsent: 2 });
		expect(await db.get('sessions', 's-1')).toMatchObject({ serial: 'CX9-19-03317' });
		expect(await names()).toEqual(expect.arrayContaining([history, keys]));
		db.close();
		indexedDB.deleteDatabase(history);
		indexedDB.deleteDatabase(keys);
	});

	it('tells the technician what happened, in words', () => {
		expect(authNoticeText({ kind: 'signed-out', erased: true })).toContain('were erased');
		expect(authNoticeText({ kind: 'signed-out', erased: false, unsent: 3 })).toContain(
			'3 audit events have not reached the broker yet'
		);
		expect(authNoticeText({ kind: 'signed-out' })).toBe('You are signed out.');
	});
});
