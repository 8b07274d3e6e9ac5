import { describe, expect, it } from 'vitest';
import { useBrowser } from './browser';

describe('the production build, opened in Chromium', () => {
	const e2e = useBrowser();

	it('shows the Benchside title and the sign-in entry, with no console error', async () => {
		const { page } = e2e;
		await page.goto(e2e.url);
		await expect.poll(() => page.title()).toBe('Sign in · Benchside');
		const heading = page.getByRole('heading', { name: 'Sign in' });
		await heading.waitFor();
		expect(await page.getByRole('link', { name: 'Benchside' }).isVisible()).toBe(true);
		expect(await page.getByLabel('E-mail').isVisible()).toBe(true);
		expect(await page.getByLabel('Password').isVisible()).toBe(true);
		expect(await page.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(true);
		await e2e.shot('sign-in');
		expect(e2e.errors).toEqual([]);
	});

	it('serves a deep link through the single-page fallback', async () => {
		const response = await e2e.page.goto(`${e2e.url}/history/some-session`);
		expect(response?.status()).toBe(200);
		expect(await e2e.page.locator('a.brand').textContent()).toContain('Benchside');
	});
});
