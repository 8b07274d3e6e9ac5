/**
 * `npm run dev` as a newcomer meets it: the console on its mocks, the whole flow with no server.
 * A real dev server, real Chromium, and the dev panel playing the authenticator app, the approval
 * e-mail and the customer who reads out the one-time password.
 */
import { describe, expect, it } from 'vitest';
import { useBrowser } from './browser';
import { enterPassword, enterTotp, openDevPanel, useDevServer } from './dev-server';

const dev = useDevServer('127.0.0.1');

describe('npm run dev: the whole flow on the mocks', () => {
	const e2e = useBrowser();

	it(
		'signs in with two factors, approves the device, connects and shows the instrument',
		{ timeout: 180_000 },
		async () => {
			const { page } = e2e;
			await page.goto(dev.url());
			await openDevPanel(page);
			await enterPassword(page);
			const first = await enterTotp(page);
			await page
				.getByRole('heading', { name: /waiting for approval/ })
				.waitFor({ timeout: 30_000 });
			await e2e.shot('dev-1-device-waiting');
			await page.locator('[data-dev-panel] button', { hasText: 'Approve' }).first().click();
			await page
				.getByRole('heading', { name: 'This browser is approved' })
				.waitFor({ timeout: 60_000 });
			// A code is good once: the second sign-in waits for the next one.
			await enterPassword(page);
			await enterTotp(page, first);
			await page.getByRole('heading', { name: 'Instruments' }).waitFor({ timeout: 30_000 });
			await e2e.shot('dev-2-fleet');

			await page
				.locator('[data-dev-panel] select[aria-label="Instrument"]')
				.selectOption('ins-3317');
			const otp = (await page.getByTestId('otp').textContent())!.trim();
			await page.getByRole('button', { name: /Dev panel/ }).click();
			await page.getByText('Chemistry analyser CX-3317').click();
			await page.getByLabel('One-time password').fill(otp);
			await page.getByRole('button', { name: 'Connect', exact: true }).click();
			await page
				.getByRole('heading', { name: 'Connected to Chemistry analyser CX-3317' })
				.waitFor({ timeout: 60_000 });

			await page.locator('li[data-capability="view"] button').click();
			await page.getByRole('button', { name: 'Statistics' }).click();
			const stats = page.getByLabel('Statistics', { exact: true }).last();
			await expect
				.poll(async () => (await stats.textContent()) ?? '', { timeout: 60_000 })
				.toContain('1920×1080');
			await expect
				.poll(async () => (await stats.textContent()) ?? '', { timeout: 30_000 })
				.toMatch(/vp09|av01|avc1|vp8/);
			// Bitrate as received by this console, and the round trip once the first ping is answered.
			await expect
				.poll(async () => (await stats.textContent()) ?? '', { timeout: 30_000 })
				.toMatch(/Bitrate\s*[1-9]\d* kbit\/s/);
			await expect
				.poll(async () => (await stats.textContent()) ?? '', { timeout: 30_000 })
				.toMatch(/Round trip\s*\d+ ms/);
			await page.locator('li[data-capability="control"] button').click();
			await page.getByText('In control').waitFor({ timeout: 30_000 });
			await e2e.shot('dev-3-live-session');
			expect(e2e.errors).toEqual([]);
		}
	);
});
