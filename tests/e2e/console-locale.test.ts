import { describe, expect, it } from 'vitest';
import { useBrowser } from './browser';

// The production build's console shell: language from the browser, a switcher that is
// remembered, and pages that need a sign-in sending the technician to it. (The signed-in flows
// run in tests/browser/console-*.test.ts against the reference broker, which this build lacks.)
describe('the console in a French browser', () => {
	const e2e = useBrowser({ locale: 'fr-FR' });

	it('speaks French from the first page', async () => {
		const { page } = e2e;
		await page.goto(e2e.url);
		await page.getByRole('heading', { name: 'Connexion' }).waitFor();
		await expect.poll(() => page.title()).toBe('Connexion · Benchside');
		expect(await page.locator('html').getAttribute('lang')).toBe('fr');
		expect(await page.getByLabel('Adresse e-mail').isVisible()).toBe(true);
		expect(await page.getByLabel('Mot de passe').isVisible()).toBe(true);
		expect(await page.getByRole('button', { name: 'Se connecter' }).isVisible()).toBe(true);
		await e2e.shot('sign-in-fr');
		expect(e2e.errors).toEqual([]);
	});
});

describe('the console in the production build', () => {
	const e2e = useBrowser();

	it('switches language in place and remembers the choice, and nothing else', async () => {
		const { page } = e2e;
		await page.goto(e2e.url);
		await page.getByLabel('E-mail').fill('someone@example.org');
		await page.getByRole('button', { name: 'French' }).click();
		await page.getByRole('heading', { name: 'Connexion' }).waitFor();
		// The form kept what was typed: no reload.
		expect(await page.getByLabel('Adresse e-mail').inputValue()).toBe('someone@example.org');
		expect(await page.getByRole('button', { name: 'Français' }).getAttribute('aria-pressed')).toBe(
			'true'
		);
		await page.reload();
		await page.getByRole('heading', { name: 'Connexion' }).waitFor();
		const stored = await page.evaluate(() => ({ ...localStorage }));
		expect(stored).toEqual({ 'benchside-locale': 'fr' });
		// SvelteKit keeps scroll positions in sessionStorage; the console keeps nothing there.
		const session = await page.evaluate(() => Object.keys(sessionStorage));
		expect(session.filter((k) => !k.startsWith('sveltekit:'))).toEqual([]);
		expect(e2e.errors).toEqual([]);
	});

	it('sends a deep link to the sign-in page, reachable by keyboard', async () => {
		const { page } = e2e;
		await page.goto(`${e2e.url}/fleet`);
		await page.getByRole('heading', { name: 'Sign in' }).waitFor();
		expect(new URL(page.url()).pathname).toBe('/');
		await page.keyboard.press('Tab');
		expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
		expect(e2e.errors).toEqual([]);
	});
});
