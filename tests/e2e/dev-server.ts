/**
 * `npm run dev` for end-to-end tests: one Vite dev server per test file on a free loopback port,
 * on its MSW mocks, and the steps a newcomer takes with the dev panel playing the authenticator
 * app, the approval e-mail and the customer. Shared by dev-flow and accessibility tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { freePort } from '../../scripts/plain-vite.mjs';

export const DEMO = { email: 'camille.martin@benchside.test', password: 'bench-demo-camille' };

/**
 * Starts the dev server before the file's tests and stops it after; `url()` is its address.
 * `host` is `localhost` by default: WebAuthn needs a host name, not an IP address, as its rpId.
 */
export function useDevServer(host = 'localhost'): { url: () => string } {
	let dev: DevServer | undefined;
	beforeAll(async () => {
		dev = await startDevServer(host);
	}, 90_000);
	afterAll(() => {
		dev?.stop();
	});
	return { url: () => dev?.url ?? '' };
}

export interface DevServer {
	url: string;
	stop(): void;
}

/** Starts `vite dev` on a free port of 127.0.0.1; `url` names it by `host`. */
export async function startDevServer(host = '127.0.0.1'): Promise<DevServer> {
	const port = await freePort();
	const dev: ChildProcess = spawn(
		'node_modules/.bin/vite',
		['dev', '--host', '127.0.0.1', '--port', String(port), '--strictPort'],
		{
			stdio: ['ignore', 'pipe', 'pipe'],
			env: { ...process.env, NODE_ENV: 'development', NO_COLOR: '1' }
		}
	);
	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error('vite dev did not start within 60 s')), 60_000);
		dev.stdout?.on('data', (chunk: Buffer) => {
			// Colours may still be on (CI=true turns them on): the URL line reads "Local" … "http".
			const text = chunk.toString();
			if (text.includes('Local') && text.includes('http://')) {
				clearTimeout(timer);
				resolve();
			}
		});
		dev.on('exit', (code) => reject(new Error(`vite dev exited with ${code}`)));
	});
	return { url: `http://${host}:${port}`, stop: () => dev.kill() };
}

/** The dev panel's authenticator app: the code it shows now. */
export async function currentTotp(page: Page): Promise<string> {
	return (await page.getByTestId('totp').first().textContent())!.trim();
}

export async function openDevPanel(page: Page): Promise<void> {
	const toggle = page.getByRole('button', { name: /Dev panel/ });
	if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
}

export async function closeDevPanel(page: Page): Promise<void> {
	const toggle = page.getByRole('button', { name: /Dev panel/ });
	if ((await toggle.getAttribute('aria-expanded')) === 'true') await toggle.click();
}

/** E-mail and password, up to the second-factor step. */
export async function enterPassword(page: Page): Promise<void> {
	await page.getByLabel('E-mail').fill(DEMO.email);
	await page.getByLabel('Password', { exact: true }).fill(DEMO.password);
	await page.getByRole('button', { name: 'Sign in', exact: true }).click();
	await page.locator('input[autocomplete="one-time-code"]').waitFor({ timeout: 30_000 });
}

/** The TOTP code from the dev panel (which must be open); a code is good once, so wait for a fresh one. */
export async function enterTotp(page: Page, notThis?: string): Promise<string> {
	if (notThis !== undefined) {
		await expect
			.poll(() => currentTotp(page), { timeout: 35_000, interval: 500 })
			.not.toBe(notThis);
	}
	const code = await currentTotp(page);
	await page.locator('input[autocomplete="one-time-code"]').fill(code);
	await page.keyboard.press('Enter');
	return code;
}

/** A new browser: password, TOTP, approval in the dev panel, then password and a fresh TOTP. */
export async function signInNewBrowser(
	page: Page,
	at: (
		screen: 'second-factor' | 'device-waiting' | 'device-approved'
	) => Promise<void> = async () => {}
): Promise<void> {
	await openDevPanel(page);
	await enterPassword(page);
	await at('second-factor');
	const used = await enterTotp(page);
	await page.getByRole('heading', { name: /waiting for approval/ }).waitFor({ timeout: 30_000 });
	await at('device-waiting');
	await page.locator('[data-dev-panel] button', { hasText: 'Approve' }).first().click();
	await page
		.getByRole('heading', { name: 'This browser is approved' })
		.waitFor({ timeout: 60_000 });
	await at('device-approved');
	await enterPassword(page);
	await enterTotp(page, used);
	await page.getByRole('heading', { name: 'Instruments' }).waitFor({ timeout: 30_000 });
}

/** The one-time password the customer reads out, for an instrument chosen in the dev panel. */
export async function customerPassword(page: Page, instrumentId: string): Promise<string> {
	await openDevPanel(page);
	await page.locator('[data-dev-panel] select[aria-label="Instrument"]').selectOption(instrumentId);
	return (await page.getByTestId('otp').textContent())!.trim();
}

const devPanel = (page: Page) => page.getByRole('button', { name: /Dev panel/ });

/** Opens or closes the dev panel. */
export async function toggleDevPanel(page: Page, open: boolean) {
	const expanded = (await devPanel(page).getAttribute('aria-expanded')) === 'true';
	if (expanded !== open) await devPanel(page).click();
}

/**
 * From the start page to the fleet: password and TOTP, device approval through the dev panel's
 * "e-mail", then sign-in again with the next TOTP code (a code is good once). `shot` names the
 * screenshots taken on the way, if given.
 */
export async function signInOnDev(page: Page, url: string, shot?: (name: string) => Promise<void>) {
	await page.goto(url);
	await toggleDevPanel(page, true);
	const totp = async () => (await page.getByTestId('totp').first().textContent())!.trim();
	const signIn = async () => {
		await page.getByLabel('E-mail').fill('camille.martin@benchside.test');
		await page.getByLabel('Password', { exact: true }).fill('bench-demo-camille');
		await page.getByRole('button', { name: 'Sign in', exact: true }).click();
		const code = page.locator('input[autocomplete="one-time-code"]');
		await code.waitFor({ timeout: 30_000 });
		await code.fill(await totp());
		await page.keyboard.press('Enter');
	};
	await signIn();
	await page.getByRole('heading', { name: /waiting for approval/ }).waitFor({ timeout: 30_000 });
	await shot?.('dev-1-device-waiting');
	await page.locator('[data-dev-panel] button', { hasText: 'Approve' }).first().click();
	await page
		.getByRole('heading', { name: 'This browser is approved' })
		.waitFor({ timeout: 60_000 });
	// A code is good once: wait for the next one (a plain loop: this may run in a hook).
	const used = await totp();
	for (let waited = 0; (await totp()) === used; waited += 500) {
		if (waited > 35_000) throw new Error('the TOTP code did not change');
		await page.waitForTimeout(500);
	}
	await signIn();
	await page.getByRole('heading', { name: 'Instruments' }).waitFor({ timeout: 30_000 });
}

/** From the fleet to a live session: the customer reads out the password (dev panel). */
export async function connectOnDev(page: Page, instrumentId: string, name: string) {
	await toggleDevPanel(page, true);
	await page.locator('[data-dev-panel] select[aria-label="Instrument"]').selectOption(instrumentId);
	const otp = (await page.getByTestId('otp').textContent())!.trim();
	await toggleDevPanel(page, false);
	await page.getByText(name).first().click();
	await page.getByLabel('One-time password').fill(otp);
	await page.getByRole('button', { name: 'Connect', exact: true }).click();
	await page.getByRole('heading', { name: `Connected to ${name}` }).waitFor({ timeout: 60_000 });
}
