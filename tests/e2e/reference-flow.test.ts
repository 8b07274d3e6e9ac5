/**
 * The production build against the reference server, as a technician meets it: two-factor
 * sign-in, a new browser approved by the administrator, a connection with the customer's
 * one-time password, the live screen, control, a file both ways, the end, the session in
 * history; then the network gone: the app shell and the history still open from the PWA cache.
 * Real HTTP and WebSocket, no MSW (tests/e2e/reference.ts).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sidewaysOnAPhone, useBrowser } from './browser';
import { comparePixels, signInWithNewDevice, useReferenceServer } from './reference';

const INSTRUMENT = 'ins-3317';
const NAME = 'Chemistry analyser CX-3317';

interface AgentView {
	password: string;
	connected: boolean;
	pendingConsents: { requestId: number; capability: string }[];
	inputs: { type: string; action?: string; x?: number; y?: number; screenId?: number }[];
	received: { name: string; size: number; sha256: string }[];
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** What the history database holds, read in the page as the console stores it. */
function readHistory() {
	return new Promise<{ sessions: unknown[]; events: { type: string; data: unknown }[] }>(
		(resolve, reject) => {
			const open = indexedDB.open('benchside-history');
			open.onerror = () => reject(open.error);
			open.onsuccess = () => {
				const db = open.result;
				const tx = db.transaction(['sessions', 'eventBlocks'], 'readonly');
				const sessions = tx.objectStore('sessions').getAll();
				const blocks = tx.objectStore('eventBlocks').getAll();
				tx.oncomplete = () => {
					resolve({
						sessions: sessions.result,
						events: blocks.result.flatMap((b: { events: { type: string; data: unknown }[] }) =>
							b.events.map((e) => ({ type: e.type, data: e.data }))
						)
					});
					db.close();
				};
				tx.onerror = () => reject(tx.error);
			};
		}
	);
}

describe('the production build on the reference server (no MSW)', () => {
	const ref = useReferenceServer();
	const e2e = useBrowser();

	it(
		'signs in, connects, views, controls, moves files, ends, keeps history, then works offline',
		{ timeout: 240_000 },
		async () => {
			const { page } = e2e;
			page.on('dialog', (d) => void d.accept());
			await signInWithNewDevice(page, ref);
			await e2e.shot('reference-1-fleet');

			// The customer asks to be asked about control: the grant comes from /reference/.
			await ref.post(`agents/${INSTRUMENT}/policy`, { capability: 'control', policy: 'ask' });
			const agent = () => ref.get<AgentView>(`agents/${INSTRUMENT}`);
			const { password } = await agent();
			await page.getByText(NAME).click();
			await page.getByLabel('One-time password').fill(password);
			await page.getByRole('button', { name: 'Connect', exact: true }).click();
			await page
				.getByRole('heading', { name: `Connected to ${NAME}` })
				.waitFor({ timeout: 60_000 });
			const sessionId = new URL(page.url()).pathname.split('/').at(-1)!;
			expect((await agent()).connected).toBe(true);

			// View: the recorded screen arrives over the real relay and is drawn.
			await page.locator('li[data-capability="view"] button').click();
			const canvas = page.locator('[data-testid="live-view"] canvas');
			await canvas.waitFor({ timeout: 30_000 });
			let first = await canvas.screenshot();
			await expect
				.poll(
					async () =>
						(await comparePixels(page, (first = await canvas.screenshot()), first)).spread,
					{
						timeout: 30_000
					}
				)
				.toBeGreaterThan(10);
			await expect
				.poll(async () => (await comparePixels(page, first, await canvas.screenshot())).changed, {
					timeout: 20_000,
					interval: 300
				})
				.toBeGreaterThan(0.001);

			// Control: asked, granted by the customer, then a click lands on the agent's screen.
			await page.locator('li[data-capability="control"] button').click();
			await expect
				.poll(async () => (await agent()).pendingConsents.map((c) => c.capability), {
					timeout: 10_000
				})
				.toEqual(['control']);
			const { pendingConsents } = await agent();
			await ref.post(`agents/${INSTRUMENT}/consents/${pendingConsents[0]!.requestId}/approve`);
			await page.getByText('In control').waitFor({ timeout: 30_000 });
			await canvas.click(); // the centre of the remote screen
			await expect
				.poll(async () => (await agent()).inputs.find((i) => i.action === 'down') ?? null, {
					timeout: 10_000
				})
				.toMatchObject({ type: 'pointer', screenId: 0 });
			const down = (await agent()).inputs.find((i) => i.action === 'down')!;
			expect(Math.abs(down.x! - 960)).toBeLessThan(24);
			expect(Math.abs(down.y! - 540)).toBeLessThan(24);
			await e2e.shot('reference-2-live');

			// A file to the instrument: the agent holds the very bytes (SHA-256).
			const upload = new Uint8Array(300_000).map((_, i) => (i * 2654435761) >>> 24);
			await page
				.locator('li[data-capability="file-transfer"] button[data-scope="session"]')
				.click();
			await page.locator('li[data-capability="file-transfer"][data-state="granted"]').waitFor();
			await page.getByTestId('file-input').setInputFiles({
				name: 'calibration-2026.csv',
				mimeType: 'text/csv',
				buffer: Buffer.from(upload)
			});
			await page
				.locator('li[data-transfer][data-state="done"]')
				.first()
				.waitFor({ timeout: 30_000 });
			await expect
				.poll(async () => (await agent()).received, { timeout: 10_000 })
				.toEqual([{ name: 'calibration-2026.csv', size: upload.length, sha256: sha256(upload) }]);
			// And one from it: the saved bytes match the agent's file.
			await page.getByRole('button', { name: 'Download' }).last().click();
			const save = page.locator('a.save').last();
			await save.waitFor({ timeout: 30_000 });
			const [download] = await Promise.all([page.waitForEvent('download'), save.click()]);
			const got = new Uint8Array(
				await (await download.createReadStream()).toArray().then(Buffer.concat)
			);
			expect(got.length).toBeGreaterThan(0);
			const remote = ref.server.world.agents
				.get(INSTRUMENT)!
				.files.download(download.suggestedFilename());
			expect(remote).toBeDefined();
			expect(sha256(got)).toBe(sha256(remote!.data));

			// End: the agent sees the session go, the history keeps it.
			await page.getByRole('button', { name: 'End session' }).click();
			await page.getByRole('alertdialog').getByRole('button', { name: 'End the session' }).click();
			await page.getByText('The session has ended.').first().waitFor({ timeout: 30_000 });
			await expect.poll(async () => (await agent()).connected, { timeout: 10_000 }).toBe(false);
			await expect
				.poll(async () => (await page.evaluate(readHistory)).sessions, { timeout: 10_000 })
				.toEqual([
					expect.objectContaining({ id: sessionId, instrumentId: INSTRUMENT, outcome: 'completed' })
				]);
			const history = await page.evaluate(readHistory);
			expect(history.sessions).toEqual([
				expect.objectContaining({ capabilities: expect.arrayContaining(['view', 'control']) })
			]);
			const types = history.events.map((e) => e.type);
			expect(types[0]).toBe('connect-attempt');
			expect(types.at(-1)).toBe('end');
			expect(history.events).toContainEqual(
				expect.objectContaining({
					data: expect.objectContaining({ capability: 'control', state: 'granted' })
				})
			);
			// Each file, with the SHA-256 both sides agreed on.
			expect(
				history.events
					.filter((e) => e.type === 'file')
					.map((e) => e.data as { direction: string; sha256: string; state: string })
			).toEqual([
				expect.objectContaining({ direction: 'upload', sha256: sha256(upload), state: 'done' }),
				expect.objectContaining({ direction: 'download', sha256: sha256(got), state: 'done' })
			]);

			// Offline: the service worker serves the shell, the history is still on this device.
			await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
			await e2e.context.setOffline(true);
			expect((await fetch(`${ref.url}/api/v1/health`)).ok).toBe(true); // the server is up: only the browser is offline
			await page.goto(`${ref.url}/fleet`);
			await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 15_000 });
			expect(await page.evaluate(() => navigator.onLine)).toBe(false);
			const offline = await page.evaluate(readHistory);
			expect(offline.sessions).toEqual(history.sessions);
			expect(offline.events).toEqual(history.events);
			await e2e.shot('reference-3-offline');

			// Still offline, signed out: the history lists, searches, opens and replays the session.
			await page.goto(`${ref.url}/history`);
			await page.getByRole('heading', { name: 'Session history' }).waitFor({ timeout: 15_000 });
			// Found by the instrument's name, which the session kept along with the technician's.
			await page.getByLabel('Search').fill('analyser CX-3317');
			await page.getByTestId('history-count').getByText('1 session').waitFor();
			expect(await page.locator('[role=option]').textContent()).toMatch(
				/Chemistry analyser CX-3317\s*CX9-19-03317.*Camille Martin/
			);
			await page.locator('[role=option]').click();
			await page.getByRole('heading', { name: 'Session on CX9-19-03317' }).waitFor();
			expect(await page.getByTestId('technician').textContent()).toMatch(
				/^\s*Camille Martin\s*· tech-\d+\s*$/
			);
			await page.getByRole('button', { name: 'Verify' }).click();
			await page.getByText(/^Intact: all \d+ events are chained as recorded\./).waitFor();
			const replay = page.locator('[data-testid="replay"] canvas');
			await replay.waitFor();
			await page.getByRole('button', { name: 'Play' }).click();
			await expect
				.poll(
					async () =>
						(await comparePixels(page, await replay.screenshot(), await replay.screenshot()))
							.spread,
					{
						timeout: 20_000
					}
				)
				.toBeGreaterThan(10);
			await e2e.shot('reference-4-offline-replay');
			// The replay fits a phone's screen too.
			expect(await sidewaysOnAPhone(page, 'history replay')).toEqual([]);
			expect(e2e.errors.filter((e) => !e.includes('ERR_INTERNET_DISCONNECTED'))).toEqual([]);
		}
	);
});
