/**
 * `npm run dev` as a newcomer meets it: the console on its mocks, the whole flow with no server.
 * A real dev server, real Chromium, and the dev panel playing the authenticator app, the approval
 * e-mail and the customer who reads out the one-time password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBrowser } from './browser';
import { connectOnDev, signInOnDev, startDevServer, type DevServer } from './dev-server';

let dev: DevServer;

beforeAll(async () => {
	dev = await startDevServer();
}, 90_000);

afterAll(() => {
	dev?.stop();
});

describe('npm run dev: the whole flow on the mocks', () => {
	const e2e = useBrowser();

	it(
		'signs in with two factors, approves the device, connects and shows the instrument',
		{ timeout: 180_000 },
		async () => {
			const { page } = e2e;
			await signInOnDev(page, dev.url, e2e.shot);
			await e2e.shot('dev-2-fleet');
			await connectOnDev(page, 'ins-3317', 'Chemistry analyser CX-3317');

			await page.locator('li[data-capability="view"] button').click();
			await page.getByRole('button', { name: 'Statistics' }).click();
			const stats = page.getByLabel('Statistics', { exact: true }).last();
			await expect
				.poll(async () => (await stats.textContent()) ?? '', { timeout: 60_000 })
				.toContain('1920×1080');
			await expect
				.poll(async () => (await stats.textContent()) ?? '', { timeout: 30_000 })
				.toMatch(/vp09|av01|avc1|vp8/);
			await page.locator('li[data-capability="control"] button').click();
			await page.getByText('In control').waitFor({ timeout: 30_000 });
			await e2e.shot('dev-3-live-session');
			expect(e2e.errors).toEqual([]);
		}
	);
});
