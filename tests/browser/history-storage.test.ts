/**
 * Storage care and two tabs, with real IndexedDB and BroadcastChannel: retention deletes old
 * finished sessions whole (events, files, recordings) and never an open one or an unsent audit
 * row; a second list (another tab) refreshes when sessions change; a refused write is announced.
 */
import { describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import { mount, unmount } from 'svelte';
import '../../src/app.css';
import { openHistoryDb, withIndexKeys, withOutboxKeys, type SessionRow } from '$lib/history/db';
import { EMPTY_HEAD, appendBatch, sessionEvents } from '$lib/history/journal';
import { reportQuotaExceeded } from '$lib/history/quota';
import { HistoryRecorder } from '$lib/history/recorder';
import { applyRetention, saveRetention } from '$lib/history/retention';
import { historyUpkeep } from '$lib/history/upkeep';
import { PARKED } from '$lib/history/outbox';
import HistoryView from '$lib/history/ui/HistoryView.svelte';
import StoragePanel from '$lib/history/ui/StoragePanel.svelte';
import { START, seedCrashedSession, seedSession } from './history/seed';
import { scratchHistory } from './history/scratch';

const { cleanups, open: freshDb } = scratchHistory('history-storage');

function place<P extends Record<string, unknown>>(component: never, props: P): HTMLElement {
	const target = document.createElement('div');
	document.body.append(target);
	const app = mount(component, { target, props: props as never });
	cleanups.push(
		() => unmount(app),
		() => target.remove()
	);
	return target;
}

const DAY = 86_400_000;

describe('retention', () => {
	it('deletes old finished sessions whole, never an open one or unsent audit rows', async () => {
		const { db } = await freshDb();
		const old = await seedSession(db); // finished, 14 events, 2 files
		const oldOpen = await seedSession(db, { open: true });
		// A variable, not a literal: main's RecordingRow adds `kind`, which this branch lacks.
		const recording = {
			sessionId: old.sessionId,
			seq: 0,
			kind: 'chunk' as const,
			key: true,
			timestamp: 0,
			iv: new Uint8Array(12),
			ciphertext: new Uint8Array(4)
		};
		await db.put('recordings', recording);
		const recent: SessionRow = {
			id: 'recent',
			instrumentId: 'ins-1',
			serial: 'S',
			site: 'Lyon',
			technicianId: 't',
			startedAt: START + 80 * DAY,
			endedAt: START + 80 * DAY + 1000,
			outcome: 'completed',
			capabilities: []
		};
		await db.put('sessions', withIndexKeys(recent));
		// An old import of 150 events: two blocks, two outbox rows holding all 150.
		const imported: SessionRow = {
			...recent,
			id: 'imported',
			startedAt: START,
			endedAt: START + 1
		};
		const batch = await appendBatch(db, [
			{
				sessionId: 'imported',
				head: EMPTY_HEAD,
				create: imported,
				events: Array.from({ length: 150 }, (_, k) => ({
					type: 'chat' as const,
					data: { from: 'customer' as const, messageId: k, text: `line ${k}` },
					at: START + k
				}))
			}
		]);
		expect(batch.ok).toBe(true);
		const outboxBefore = await db.getAll('outbox');
		expect(outboxBefore).toHaveLength(14 + 10 + 2);

		const now = () => START + 100 * DAY;
		const panel = place(StoragePanel as never, { db, now });
		await expect.element(page.getByTestId('storage-usage')).toHaveTextContent(/used of .* \(/);
		await page.getByLabelText('Keep sessions for').selectOptions('30 days');
		await page.getByRole('button', { name: 'Apply' }).click();
		await expect
			.element(page.getByTestId('storage-status'))
			.toHaveTextContent('Retention applied: 2 old sessions deleted.');
		expect(panel.textContent).not.toContain('Storage is full');
		await expect
			.element(page.getByTestId('audit-unsent'))
			.toHaveTextContent('Audit trail: 174 events not yet sent to the broker.');

		expect(await db.get('sessions', old.sessionId)).toBeUndefined();
		expect(await sessionEvents(db, old.sessionId)).toEqual([]);
		// Every block left is the open session's: the deleted ones went by key range, whole.
		expect(new Set((await db.getAllKeys('eventBlocks')).map(([id]) => id))).toEqual(
			new Set([oldOpen.sessionId])
		);
		expect((await db.getAll('transfers')).some((t) => t.sessionId === old.sessionId)).toBe(false);
		expect(await db.count('recordings')).toBe(0);
		expect((await db.get('sessions', oldOpen.sessionId))?.outcome).toBe('open');
		expect((await sessionEvents(db, oldOpen.sessionId)).length).toBe(10);
		expect(await db.get('sessions', 'recent')).toBeDefined();
		// The broker has not acknowledged these yet: they stay until it does.
		expect(await db.getAll('outbox')).toEqual(outboxBefore);
		expect(await db.get('settings', 'retentionDays')).toBe(30);
		// Nothing more is old enough.
		expect(await applyRetention(db, 30, now())).toEqual([]);
	});
});

describe('at every start of the app', () => {
	it('marks crashed sessions interrupted and applies the saved retention, history page or not', async () => {
		const { db } = await freshDb();
		const old = await seedSession(db); // finished long ago
		// Still "open", written without a recorder: the tab that recorded it is gone.
		const crashed = { sessionId: 'crashed' };
		await seedCrashedSession(db, 'crashed', START);
		const now = () => START + 100 * DAY;

		// No retention chosen: nothing is deleted, the crashed session is closed as interrupted.
		expect(await historyUpkeep(db, now)).toEqual({
			interrupted: [crashed.sessionId],
			deleted: []
		});
		expect((await db.get('sessions', crashed.sessionId))?.outcome).toBe('interrupted');
		expect(await db.get('sessions', old.sessionId)).toBeDefined();

		// 30 days chosen on an earlier visit: the next start deletes both, now both are finished.
		await saveRetention(db, 30);
		const next = await historyUpkeep(db, now);
		expect(next.interrupted).toEqual([]);
		expect(new Set(next.deleted)).toEqual(new Set([old.sessionId, crashed.sessionId]));
		expect(await db.count('sessions')).toBe(0);
		expect(await sessionEvents(db, old.sessionId)).toEqual([]);
	});
});

describe('the audit trail on the storage panel', () => {
	it('counts unsent events (singular and plural) and explains the ones the broker refused', async () => {
		const { db } = await freshDb();
		const event = (n: number) => ({
			id: crypto.randomUUID(),
			sessionId: 's',
			seq: n,
			at: START + n,
			type: 'chat',
			data: { text: `${n}` },
			prevHash: '0'.repeat(64),
			hash: '1'.repeat(64)
		});
		const row = (events: ReturnType<typeof event>[], nextAttemptAt: number) =>
			withOutboxKeys({
				id: crypto.randomUUID(),
				technicianId: 't',
				sessionId: 's',
				events,
				attempts: 0,
				nextAttemptAt
			});
		await db.put('outbox', row([event(0)], START));
		place(StoragePanel as never, { db });
		await expect
			.element(page.getByTestId('audit-unsent'))
			.toHaveTextContent('Audit trail: 1 event not yet sent to the broker. It is sent');
		expect(document.querySelector('[data-testid=audit-parked]')).toBeNull();

		await db.put('outbox', row([event(1), event(2)], PARKED));
		// The panel recounts every 5 s; a second panel (a later visit) counts at once.
		place(StoragePanel as never, { db });
		await expect
			.element(page.getByTestId('audit-unsent').nth(1))
			.toHaveTextContent('Audit trail: 3 events not yet sent to the broker.');
		await expect
			.element(page.getByTestId('audit-parked'))
			.toHaveTextContent(
				'The broker refused 2 of them for good (malformed, too large, or not allowed for the account that recorded them)'
			);
	});
});

describe('two tabs', () => {
	it('refreshes the other list when sessions change, and both show a refused write', async () => {
		const { db, name } = await freshDb();
		await seedSession(db);
		// The second "tab" has its own connection to the same database.
		const other = await openHistoryDb(name);
		cleanups.push(() => other.close());
		const a = place(HistoryView as never, { db, onpick: () => {} });
		const b = place(HistoryView as never, { db: other, onpick: () => {} });
		const countOf = (el: HTMLElement) =>
			el.querySelector('[data-testid=history-count]')?.textContent;
		await expect.poll(() => countOf(a)).toBe('1 session');
		await expect.poll(() => countOf(b)).toBe('1 session');

		const started = await HistoryRecorder.start(db, {
			sessionId: 'new-one',
			instrumentId: 'ins-9',
			serial: 'NEW-1',
			site: 'Oslo',
			technicianId: 't'
		});
		if (!started.ok) throw new Error(started.code);
		await expect.poll(() => countOf(b)).toBe('2 sessions');
		await expect.poll(() => countOf(a)).toBe('2 sessions');
		await expect.poll(() => b.querySelector('[role=option] .name')?.textContent).toBe('NEW-1');

		reportQuotaExceeded(START);
		await expect
			.poll(() => a.querySelector('[data-testid=quota-alert]')?.textContent)
			.toContain('Storage is full');
		await expect
			.poll(() => b.querySelector('[data-testid=quota-alert]')?.textContent)
			.toContain('Nothing half-written was kept');
		await page.viewport(1280, 1600);
		await page.screenshot({ path: '../e2e/screenshots/browser-history-storage.png' });
	});
});
