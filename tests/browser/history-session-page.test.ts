/**
 * The session page against real IndexedDB: what a reviewer reads (timeline, consents with their
 * signature state, files with SHA-256, chat, the summary), and Verify naming the exact event
 * where an edited database breaks the chain or a consent signature.
 */
import { describe, expect, it } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import { mount, unmount } from 'svelte';
import '../../src/app.css';
import { type HistoryDb } from '$lib/history/db';
import { sessionEvents } from '$lib/history/journal';
import SessionHistory from '$lib/history/ui/SessionHistory.svelte';
import { seedSession } from './history/seed';
import { scratchHistory } from './history/scratch';
import { editStoredEvent } from './history/tamper';

const { cleanups, freshDb } = scratchHistory('history-page');

function show(db: HistoryDb, sessionId: string) {
	const target = document.createElement('div');
	document.body.append(target);
	const app = mount(SessionHistory, { target, props: { db, sessionId } });
	cleanups.push(
		() => unmount(app),
		() => target.remove()
	);
}

const verdict = () => page.getByTestId('verify-result');
const timelineTexts = () =>
	[...document.querySelectorAll('.timeline li .text')].map((e) => e.textContent);

describe('the session page', () => {
	it('shows timeline, consents, files, chat and summary, and Verify names the edited event', async () => {
		const db = await freshDb();
		const { sessionId } = await seedSession(db);
		await page.viewport(1100, 1400);
		show(db, sessionId);

		await expect
			.element(page.getByRole('heading', { name: 'Session on CX5-17-0042' }))
			.toBeVisible();
		// Not recording the screen was the technician's choice, not a fault: a status, no alert.
		await expect
			.element(page.getByRole('status').filter({ hasText: 'The screen was not recorded' }))
			.toBeVisible();
		expect(page.getByRole('alert').elements()).toHaveLength(0);
		// Recorded before names were kept: the ids stand in.
		await expect.element(page.getByTestId('instrument')).toHaveTextContent(/^\s*ins-3317\s*$/);
		await expect.element(page.getByTestId('technician')).toHaveTextContent(/^\s*tech-camille\s*$/);
		expect(timelineTexts()).toEqual([
			'Connection attempt 1',
			'Connected to the agent (version 2.4.1)',
			'Asked the customer for: Remote control',
			'Customer granted: Remote control',
			'Took remote control',
			'Customer: The pump makes a clicking noise.',
			'You: Restarting the pump now.',
			'Released remote control',
			'File pump.log, From the instrument, 20.5 kB: Transferred',
			'File firmware-fix.cfg, To the instrument, 812 bytes: Transferred',
			'Connection lost',
			'Reconnected',
			'Session summary (18 seconds)',
			'Session ended: Completed'
		]);
		// Dates in the current locale (en): 3/14/26, 9:26:54 AM for the first event.
		expect(document.querySelector('.timeline time')?.textContent).toBe(
			new Intl.DateTimeFormat('en', { dateStyle: 'short', timeStyle: 'medium' }).format(
				new Date((await sessionEvents(db, sessionId))[0]!.at)
			)
		);
		await expect.element(page.getByText('ab'.repeat(32))).toBeVisible();
		await expect.element(page.getByText('cd'.repeat(32))).toBeVisible();
		await expect.element(page.getByTestId('summary')).toHaveTextContent('1 file, 812 bytes');
		await expect
			.element(page.getByRole('cell', { name: 'Verified during the session' }))
			.toBeVisible();

		await page.getByRole('button', { name: 'Verify' }).click();
		await expect
			.element(verdict())
			.toHaveTextContent('Intact: all 14 events are chained as recorded.');
		await expect.element(verdict()).toHaveTextContent('Consent signatures: 1 valid, 0 unsigned');
		await expect.element(page.getByRole('cell', { name: 'Verified now' })).toBeVisible();
		await page.screenshot({ path: '../e2e/screenshots/browser-history-session.png' });

		// Someone edits the customer's chat line (event 6, seq 5) in IndexedDB.
		await editStoredEvent(db, sessionId, 5, (e) => ({
			...e,
			data: { from: 'customer', messageId: 1, text: 'Go ahead, change anything.' }
		}));
		await page.getByRole('button', { name: 'Verify' }).click();
		await expect
			.element(verdict())
			.toHaveTextContent('Broken at event 6. This event was changed after it was recorded.');
		expect(document.querySelector('.timeline li.broken')?.getAttribute('data-seq')).toBe('5');
		expect(document.querySelectorAll('.timeline li.broken')).toHaveLength(1);
		await page.screenshot({ path: '../e2e/screenshots/browser-history-session-broken.png' });
	});

	it('names the instrument and the technician as the broker did when the session began', async () => {
		const db = await freshDb();
		const { sessionId } = await seedSession(db, { names: true });
		show(db, sessionId);
		await expect
			.element(page.getByTestId('instrument'))
			.toHaveTextContent('Chemistry analyser CX-5042 · CX-500 · ins-3317');
		await expect
			.element(page.getByTestId('technician'))
			.toHaveTextContent('Camille Martin · tech-camille');
	});

	it('names a consent answer whose signature does not verify, chain intact', async () => {
		const db = await freshDb();
		const { sessionId } = await seedSession(db, { badSignature: true });
		show(db, sessionId);
		await page.getByRole('button', { name: 'Verify' }).click();
		await expect
			.element(verdict())
			.toHaveTextContent(
				"Broken at event 4. The agent's signature does not match this consent answer."
			);
		await expect.element(page.getByRole('cell', { name: 'Does not verify' })).toBeVisible();
	});

	it('on a phone, a table too wide for it is a box the keyboard reaches and scrolls', async () => {
		const db = await freshDb();
		const { sessionId } = await seedSession(db);
		await page.viewport(320, 800);
		show(db, sessionId);
		await expect.element(page.getByText('ab'.repeat(32))).toBeInTheDocument();
		// The files table (64 hex digits of SHA-256 in a row) does not fit in 320 px: its box
		// scrolls, and says what it holds.
		const files = page.getByRole('group', { name: 'Files' });
		await expect.element(files).toBeInTheDocument();
		const box = files.element() as HTMLElement;
		expect(box.scrollWidth).toBeGreaterThan(box.clientWidth);
		expect(box.tabIndex).toBe(0);
		box.focus();
		expect(box.scrollLeft).toBe(0);
		await userEvent.keyboard('{ArrowRight}{ArrowRight}{ArrowRight}');
		await expect.poll(() => box.scrollLeft).toBeGreaterThan(0);

		// Wide enough, the same box is a plain box again: no group, no tab stop.
		await page.viewport(1100, 800);
		await expect.poll(() => box.hasAttribute('tabindex')).toBe(false);
		expect(page.getByRole('group', { name: 'Files' }).elements()).toHaveLength(0);
		expect(box.scrollWidth).toBeLessThanOrEqual(box.clientWidth);
	});

	it('says so when the session is not in history', async () => {
		const db = await freshDb();
		show(db, 'nope');
		await expect
			.element(page.getByRole('alert'))
			.toHaveTextContent("This session is not in this device's history.");
	});
});
