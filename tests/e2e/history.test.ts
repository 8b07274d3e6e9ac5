/**
 * Session history in the production build, signed out, as a reviewer meets it: the list,
 * search, a session and Verify; then, with the network cut, the same pages still work (their
 * code is loaded and the data is this device's IndexedDB; reloading offline is the PWA's part).
 */
import { describe, expect, it } from 'vitest';
import { sidewaysOnAPhone, useBrowser } from './browser';

/**
 * Writes two sessions with real hash chains straight into the app's database (schema v4: a
 * session's events in one block record).
 */
function seed(): Promise<string[]> {
	const canonical = (v: unknown): string => {
		if (v === null || typeof v !== 'object') return JSON.stringify(v);
		if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
		const o = v as Record<string, unknown>;
		return `{${Object.keys(o)
			.sort()
			.map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
			.join(',')}}`;
	};
	const hex = (b: ArrayBuffer) =>
		[...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
	const bytes = (h: string) => new Uint8Array(h.match(/../g)!.map((x) => parseInt(x, 16)));
	const grams = (t: string) => [
		...new Set(Array.from({ length: Math.max(0, t.length - 2) }, (_, i) => t.slice(i, i + 3)))
	];
	return new Promise((resolve, reject) => {
		const open = indexedDB.open('benchside-history');
		open.onerror = () => reject(new Error(`open: ${String(open.error)}`));
		open.onsuccess = async () => {
			const db = open.result;
			const ids: string[] = [];
			const rows: { session: Record<string, unknown>; events: Record<string, unknown>[] }[] = [];
			for (const [n, site] of [
				[0, 'CHU Lyon'],
				[1, 'Zentrallabor Basel']
			] as const) {
				const id = `AAAAAAAAAAAAAAAAAAAA${n}w`;
				const startedAt = Date.UTC(2026, 10, 20 + n, 9);
				const session = {
					id,
					instrumentId: `ins-33${n}7`,
					serial: `CX5-17-004${n}`,
					site,
					technicianId: 'tech-0001',
					startedAt,
					endedAt: startedAt + 6000,
					outcome: 'completed',
					capabilities: ['view'],
					capabilityKeys: [['view', startedAt]]
				};
				const text = [id, session.instrumentId, session.serial, site, 'tech-0001', '']
					.join('\n')
					.toLowerCase();
				const events: Record<string, unknown>[] = [];
				let prev = '0'.repeat(64);
				const list = [
					{ type: 'connect-attempt', data: { attempt: 1 } },
					{ type: 'chat', data: { from: 'customer', messageId: 1, text: `Hello from ${site}` } },
					{ type: 'end', data: { outcome: 'completed', code: null } }
				];
				for (const [seq, e] of list.entries()) {
					const chained = {
						sessionId: id,
						seq,
						at: startedAt + seq * 3000,
						type: e.type,
						data: e.data
					};
					const body = new TextEncoder().encode(canonical(chained));
					const input = new Uint8Array(32 + body.length);
					input.set(bytes(prev));
					input.set(body, 32);
					const hash = hex(await crypto.subtle.digest('SHA-256', input));
					events.push({ ...chained, prevHash: prev, hash });
					prev = hash;
				}
				rows.push({ session: { ...session, searchGrams: grams(text) }, events });
				ids.push(id);
			}
			const tx = db.transaction(['sessions', 'eventBlocks'], 'readwrite');
			for (const r of rows) {
				tx.objectStore('sessions').put(r.session);
				const events = r.events.map(({ sessionId: _s, ...e }) => e);
				tx.objectStore('eventBlocks').add({ sessionId: r.session.id, firstSeq: 0, events });
			}
			tx.oncomplete = () => {
				db.close();
				resolve(ids);
			};
			tx.onerror = (e) =>
				reject(new Error(`write: ${String(tx.error)} ${String((e.target as IDBRequest).error)}`));
		};
	});
}

describe('session history in the production build', () => {
	const e2e = useBrowser();

	it('lists, searches, opens and verifies signed out, and keeps working offline', async () => {
		const { page, context } = e2e;
		await page.goto(`${e2e.url}/history`);
		await page.getByRole('heading', { name: 'Session history' }).waitFor();
		expect(page.url()).toBe(`${e2e.url}/history`);
		await page.getByText('No session has been recorded on this device yet.').waitFor();
		expect(await page.getByRole('link', { name: 'History' }).getAttribute('aria-current')).toBe(
			'page'
		);

		const ids = await page.evaluate(seed);
		await page.reload();
		await page.getByTestId('history-count').getByText('2 sessions').waitFor();
		// Typed as a person types, slower than the list's 200 ms settling: the address follows
		// each pause without taking the focus or a letter away.
		await page.getByLabel('Search').pressSequentially('lyon', { delay: 300 });
		await page.getByTestId('history-count').getByText('1 session').waitFor();
		// The search is in the address: a reload (or a shared link) brings the same list back.
		await expect.poll(() => page.url()).toBe(`${e2e.url}/history?q=lyon`);
		expect(await page.getByLabel('Search').inputValue()).toBe('lyon');
		expect(await page.evaluate(() => document.activeElement?.id)).toBe('history-search');
		await page.reload();
		await page.getByTestId('history-count').getByText('1 session').waitFor();
		expect(await page.getByLabel('Search').inputValue()).toBe('lyon');
		await e2e.shot('history-list');
		expect(await sidewaysOnAPhone(page, 'history list')).toEqual([]);
		await page.getByRole('listbox').focus();
		await page.keyboard.press('Enter');
		await page.getByRole('heading', { name: 'Session on CX5-17-0040' }).waitFor();
		expect(page.url()).toBe(`${e2e.url}/history/${ids[0]}`);
		await page.getByRole('button', { name: 'Verify' }).click();
		await page.getByText('Intact: all 3 events are chained as recorded.').waitFor();
		expect(await sidewaysOnAPhone(page, 'history session')).toEqual([]);

		// No network from here on, once the service worker (which keeps the app's scripts,
		// workers included) controls the page, and once the browser's check for a newer service
		// worker (started by the page's registration at load) is over: cut mid-way, that fetch
		// fails with a console error that is not the app's.
		await page.evaluate(async () => {
			const registration = await navigator.serviceWorker.ready;
			for (let i = 0; i < 100 && !navigator.serviceWorker.controller; i++)
				await new Promise((r) => setTimeout(r, 50));
			await registration.update().catch(() => {});
		});
		await context.setOffline(true);
		// Back to the list as it was left: still searching for Lyon.
		await page.getByRole('link', { name: 'Back to history' }).click();
		await page.getByTestId('history-count').getByText('1 session').waitFor();
		expect(await page.getByLabel('Search').inputValue()).toBe('lyon');
		expect(page.url()).toBe(`${e2e.url}/history?q=lyon`);
		await page.getByLabel('Search').fill('basel');
		// Still one session, but Basel's now (the count alone said so for Lyon already).
		await expect.poll(() => page.url()).toBe(`${e2e.url}/history?q=basel`);
		await page.getByTestId('history-count').getByText('1 session').waitFor();
		await page.locator('[role=option]', { hasText: 'Zentrallabor Basel' }).click();
		await page.getByRole('heading', { name: 'Session on CX5-17-0041' }).waitFor();
		await page.getByRole('button', { name: 'Verify' }).click();
		await page.getByText('Intact: all 3 events are chained as recorded.').waitFor();
		expect(await page.getByText('Customer: Hello from Zentrallabor Basel').count()).toBe(1);
		await e2e.shot('history-session-offline');
		// Back to the list searching for Basel; the History link then shows the whole list.
		await page.goBack();
		await page.getByTestId('history-count').getByText('1 session').waitFor();
		expect(await page.getByLabel('Search').inputValue()).toBe('basel');
		await page.getByRole('link', { name: 'History', exact: true }).click();
		await page.getByTestId('history-count').getByText('2 sessions').waitFor();
		expect(await page.getByLabel('Search').inputValue()).toBe('');
		expect(page.url()).toBe(`${e2e.url}/history`);
		expect(e2e.errors).toEqual([]);
	});

	it('reviews history in a browser without WebCodecs, and says why it cannot show video', async () => {
		const { page } = e2e;
		// As a browser that has no WebCodecs (its pages and workers alike would lack them).
		await page.addInitScript(() => {
			for (const name of ['VideoDecoder', 'VideoEncoder', 'VideoFrame', 'EncodedVideoChunk'])
				Reflect.deleteProperty(globalThis, name);
		});
		await page.goto(`${e2e.url}/history`);
		await page.getByRole('heading', { name: 'Session history' }).waitFor();
		expect(await page.evaluate(() => 'VideoDecoder' in globalThis)).toBe(false);
		await page.evaluate(seed);
		await page.reload();
		await page.getByTestId('history-count').getByText('2 sessions').waitFor();
		await page.locator('[role=option]').first().click();
		await page.getByRole('heading', { name: /^Session on CX5-17-004/ }).waitFor();
		await page.getByRole('button', { name: 'Verify' }).click();
		await page.getByText('Intact: all 3 events are chained as recorded.').waitFor();
		await page
			.getByText(
				'This browser cannot decode video (no WebCodecs): the recording cannot be shown here.',
				{ exact: false }
			)
			.waitFor();
		await e2e.shot('history-no-webcodecs');
		expect(e2e.errors).toEqual([]);
	});
});
