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
	let dev: ChildProcess | undefined;
	let url = '';
	beforeAll(async () => {
		const port = await freePort();
		url = `http://${host}:${port}`;
		dev = spawn(
			'node_modules/.bin/vite',
			['dev', '--host', '127.0.0.1', '--port', String(port), '--strictPort'],
			{
				stdio: ['ignore', 'pipe', 'pipe'],
				env: { ...process.env, NODE_ENV: 'development', NO_COLOR: '1' }
			}
		);
		const server = dev;
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(
				() => reject(new Error('vite dev did not start within 60 s')),
				60_000
			);
			server.stdout?.on('data', (chunk: Buffer) => {
				// Colours may still be on (CI=true turns them on): the URL line reads "Local" … "http".
				const text = chunk.toString();
				if (text.includes('Local') && text.includes('http://')) {
					clearTimeout(timer);
					resolve();
				}
			});
			server.on('exit', (code) => reject(new Error(`vite dev exited with ${code}`)));
		});
	}, 90_000);
	afterAll(() => {
		dev?.kill();
	});
	return { url: () => url };
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
