/**
 * Accessibility of every screen of the console, on `npm run dev` (issue #9): axe-core injected
 * into each screen, in light and dark colour schemes, must find nothing serious or critical, and
 * no screen may scroll sideways on a 320 px wide phone; and
 * connecting and the consent flow work with the keyboard alone. The dev panel is a dev-only tool
 * and is left out of the scans.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
	atPhoneWidth,
	closeAccount,
	openAccount,
	sidewaysOnAPhone,
	useBrowser,
	type E2e
} from './browser';
import {
	closeDevPanel,
	customerPassword,
	DEMO,
	enterPassword,
	openDevPanel,
	signInNewBrowser,
	useDevServer
} from './dev-server';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const dev = useDevServer();

interface AxeViolation {
	id: string;
	impact: string | null;
	help: string;
	nodes: { target: string[] }[];
}
interface AxeWindow {
	axe?: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> };
}

/** axe-core on the page as it is now, light then dark: serious and critical findings only. */
const axeSource = readFileSync(AXE, 'utf8');

async function scan(page: Page, screen: string): Promise<string[]> {
	const found: string[] = [];
	for (const colorScheme of ['light', 'dark'] as const) {
		await page.emulateMedia({ colorScheme });
		// Evaluated, not added as a <script>: the console's CSP rightly refuses inline scripts.
		if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
		const violations = await page.evaluate(async () => {
			const { axe } = window as unknown as AxeWindow;
			const result = await axe!.run(
				{ exclude: [['[data-dev-panel]']] },
				{ resultTypes: ['violations'] }
			);
			return result.violations
				.filter((v) => v.impact === 'serious' || v.impact === 'critical')
				.map(
					(v) =>
						`${v.id} (${v.impact}): ${v.help} @ ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`
				);
		});
		found.push(...violations.map((v) => `${screen}, ${colorScheme}: ${v}`));
	}
	await page.emulateMedia({ colorScheme: 'light' });
	return found;
}

/** What has the keyboard focus, as a person would name it. */
async function focused(page: Page) {
	return page.evaluate(() => {
		const el = document.activeElement as HTMLElement | null;
		const input = el as HTMLInputElement | null;
		return {
			tag: el?.tagName.toLowerCase() ?? '',
			text: (el?.textContent ?? '').trim().replace(/\s+/g, ' '),
			label: (input?.labels?.[0]?.textContent ?? el?.getAttribute('aria-label') ?? '').trim(),
			capability: el?.closest('[data-capability]')?.getAttribute('data-capability') ?? '',
			inDevPanel: !!el?.closest('[data-dev-panel]')
		};
	});
}

/** Tab (only Tab) until `wanted` has the focus; fails after `max` presses. */
async function tabTo(
	page: Page,
	wanted: (f: Awaited<ReturnType<typeof focused>>) => boolean,
	what: string,
	max = 60
) {
	for (let i = 0; i < max; i++) {
		const f = await focused(page);
		if (!f.inDevPanel && wanted(f)) return;
		await page.keyboard.press('Tab');
	}
	expect.fail(`Tab never reached ${what}`);
}

async function pickCx3317(page: Page) {
	await page.getByRole('heading', { name: 'Instruments' }).waitFor();
	await page.getByRole('option', { name: /Chemistry analyser CX-3317/ }).click();
	await page.getByRole('heading', { name: 'Connect to an instrument' }).waitFor();
}

async function shotBoth(e2e: E2e, name: string) {
	await closeDevPanel(e2e.page);
	await e2e.shot(`a11y-${name}`);
}

describe('accessibility on npm run dev', () => {
	const e2e = useBrowser();

	it(
		'every screen, light and dark, has no serious or critical axe violations',
		{ timeout: 420_000 },
		async () => {
			const { page } = e2e;
			const found: string[] = [];
			const check = async (screen: string) => {
				await closeDevPanel(page);
				const more = [...(await scan(page, screen)), ...(await sidewaysOnAPhone(page, screen))];
				if (more.length > 0) console.warn(more.join('\n'));
				found.push(...more);
				await e2e.shot(`a11y-${screen}`);
			};
			// A platform authenticator for the passkey screens (Chromium's virtual one, over CDP).
			const cdp = await e2e.context.newCDPSession(page);
			await cdp.send('WebAuthn.enable', { enableUI: false });
			await cdp.send('WebAuthn.addVirtualAuthenticator', {
				options: {
					protocol: 'ctap2',
					transport: 'internal',
					hasResidentKey: true,
					hasUserVerification: true,
					isUserVerified: true
				}
			});

			await page.goto(dev.url());
			await page.getByRole('heading', { name: 'Sign in' }).waitFor();
			await check('sign-in');
			await signInNewBrowser(page, async (screen) => {
				await check(screen);
				await openDevPanel(page);
			});
			await check('fleet');

			// A passkey from the account menu, then the second sign-in with it.
			await openAccount(page);
			await page.getByRole('button', { name: 'Add a passkey' }).click();
			await page.getByText('Passkey added.').waitFor({ timeout: 30_000 });
			await check('passkey-added');
			await page.getByRole('button', { name: 'Sign out' }).click();
			await page.getByText('You are signed out.').waitFor();
			await check('signed-out');
			await enterPassword(page);
			await page.getByRole('button', { name: 'Use a security key or passkey' }).waitFor();
			await check('second-factor-passkey');
			await page.getByRole('button', { name: 'Use a security key or passkey' }).click();
			await page.getByRole('heading', { name: 'Instruments' }).waitFor({ timeout: 30_000 });

			// Connect, then the live session with its consent panel.
			const otp = await customerPassword(page, 'ins-3317');
			await closeDevPanel(page);
			await pickCx3317(page);
			await page.getByLabel('One-time password').waitFor();
			await check('connect');
			await page.getByLabel('One-time password').fill('ABCD-EF2');
			await page.getByRole('button', { name: 'Connect', exact: true }).click();
			await page
				.getByTestId('connect-failure')
				.getByText(/8 letters/)
				.waitFor();
			await check('connect-error');
			await page.getByLabel('One-time password').fill(otp);
			await page.getByRole('button', { name: 'Connect', exact: true }).click();
			await page
				.getByRole('heading', { name: 'Connected to Chemistry analyser CX-3317' })
				.waitFor({ timeout: 60_000 });
			await check('live-session');
			await page.locator('li[data-capability="view"] button').click();
			await page
				.locator('li[data-capability="view"][data-state="granted"]')
				.waitFor({ timeout: 30_000 });
			await check('live-session-consent');

			// The idle lock, at its shortest setting (1 minute) and with no input meanwhile.
			await openAccount(page);
			await page.getByLabel('Lock when idle after').selectOption('1');
			await page.getByRole('dialog', { name: 'Console locked' }).waitFor({ timeout: 90_000 });
			await check('idle-lock');
			await page.getByRole('dialog').getByLabel('Password').fill(DEMO.password);
			await page.keyboard.press('Enter');
			await page.getByRole('dialog').waitFor({ state: 'detached', timeout: 30_000 });
			// Filling in the lock's password folded the menu away.
			await openAccount(page);
			await page.getByLabel('Lock when idle after').selectOption('15');
			await closeAccount(page);

			await page.getByRole('button', { name: 'End session' }).click();
			await check('session-end-confirm');
			await page.getByRole('alertdialog').getByRole('button', { name: 'End the session' }).click();
			await page.getByText('The session has ended.').waitFor({ timeout: 30_000 });
			// Nothing was moved, copied or said: each panel says so rather than showing a bare heading.
			for (const [panel, text] of [
				['.files', 'No file was sent or received in this session.'],
				['.clipboard', 'Nothing was copied on the instrument in this session.'],
				['.chat', 'No message was exchanged in this session.']
			])
				await expect(page.locator(`aside ${panel}`).textContent()).resolves.toContain(text);
			// The last picture stays, marked as over, with no screen left to switch to.
			const toolbar = page.getByRole('toolbar', { name: 'Live screen' });
			await expect(toolbar.getByRole('status').textContent()).resolves.toMatch(/^\s*Ended\s*$/);
			expect(await toolbar.getByLabel('Screen').count()).toBe(0);
			await check('session-ended');

			// The agent rotates its key: the console stops before connecting and asks.
			await customerPassword(page, 'ins-3317');
			await page.locator('[data-dev-panel] button', { hasText: 'Agent rotates its key' }).click();
			const next = await customerPassword(page, 'ins-3317');
			await closeDevPanel(page);
			await page.getByRole('link', { name: 'Instruments', exact: true }).click();
			await pickCx3317(page);
			await page.getByLabel('One-time password').fill(next);
			await page.getByRole('button', { name: 'Connect', exact: true }).click();
			await page.getByTestId('agent-key-rotated').waitFor({ timeout: 30_000 });
			await check('connect-key-rotated');
			await page.getByRole('button', { name: 'The site confirmed this new key: connect' }).click();
			await page
				.getByRole('heading', { name: 'Connected to Chemistry analyser CX-3317' })
				.waitFor({ timeout: 60_000 });
			await page.getByRole('button', { name: 'End session' }).click();
			await page.getByRole('alertdialog').getByRole('button', { name: 'End the session' }).click();
			await page.getByText('The session has ended.').waitFor({ timeout: 30_000 });

			// Then the broker swaps it for one of its own: do not proceed.
			await customerPassword(page, 'ins-3317');
			await page
				.locator('[data-dev-panel] button', { hasText: "Broker swaps this agent's key" })
				.click();
			const third = await customerPassword(page, 'ins-3317');
			await closeDevPanel(page);
			await page.getByRole('link', { name: 'Instruments', exact: true }).click();
			await pickCx3317(page);
			await page.getByLabel('One-time password').fill(third);
			await page.getByRole('button', { name: 'Connect', exact: true }).click();
			await page.getByTestId('agent-key-substituted').waitFor({ timeout: 30_000 });
			await check('connect-key-substituted');

			// The history of the three (the third refused before it began, for the swapped key),
			// and the first of them (oldest last), also on a phone: there its tables scroll in
			// boxes of their own, which must pass axe too.
			await page.getByRole('link', { name: 'History', exact: true }).click();
			await page.getByRole('heading', { name: 'Session history' }).waitFor();
			await page.getByTestId('history-count').getByText('3 sessions').waitFor();
			await check('history-list');
			// The refusal, newest first: a failed session that says why in its timeline.
			await page.locator('[role=option]').first().click();
			await page.getByRole('heading', { name: 'Session on CX9-19-03317' }).waitFor();
			await page.getByText(/^Refused before connecting: the broker showed another/).waitFor();
			await check('history-session-refused');
			await page.getByRole('link', { name: 'Back to history' }).click();
			await page.getByTestId('history-count').getByText('3 sessions').waitFor();
			await page.locator('[role=option]').last().click();
			await page.getByRole('heading', { name: 'Session on CX9-19-03317' }).waitFor();
			await page.getByRole('button', { name: 'Verify' }).click();
			await page.getByTestId('verify-result').waitFor();
			await check('history-session');
			found.push(...(await atPhoneWidth(page, () => scan(page, 'history-session, 320 px wide'))));

			expect(found).toEqual([]);
			expect(e2e.errors).toEqual([]);
		}
	);

	it('connects and asks for consent with the keyboard alone', { timeout: 240_000 }, async () => {
		const { page } = e2e;
		await page.goto(dev.url());
		await page.getByRole('heading', { name: 'Sign in' }).waitFor();
		await signInNewBrowser(page);
		const otp = await customerPassword(page, 'ins-3317');
		await closeDevPanel(page);

		// From here on: keys only.
		await tabTo(page, (f) => f.label === 'Search', 'the search field');
		await page.keyboard.type('CX-3317');
		await tabTo(page, (f) => f.text.includes('Chemistry analyser CX-3317'), 'the instrument');
		await page.keyboard.press('Enter');
		await page.getByRole('heading', { name: 'Connect to an instrument' }).waitFor();
		await tabTo(page, (f) => f.label === 'One-time password', 'the password field');
		await page.keyboard.type(otp);
		await page.keyboard.press('Enter');
		await page
			.getByRole('heading', { name: 'Connected to Chemistry analyser CX-3317' })
			.waitFor({ timeout: 60_000 });

		await tabTo(page, (f) => f.tag === 'button' && f.capability === 'view', 'Ask for view');
		await page.keyboard.press('Enter');
		await page
			.locator('li[data-capability="view"][data-state="granted"]')
			.waitFor({ timeout: 30_000 });
		await tabTo(page, (f) => f.tag === 'button' && f.capability === 'control', 'Ask for control');
		await page.keyboard.press('Space');
		await page
			.locator('li[data-capability="control"][data-state="granted"]')
			.waitFor({ timeout: 30_000 });
		await expect
			.poll(() => page.locator('li[data-capability="control"]').textContent(), { timeout: 10_000 })
			.toContain('Granted at');
		await page.getByText('In control').waitFor({ timeout: 30_000 });
		await shotBoth(e2e, 'keyboard-consent');
		expect(e2e.errors).toEqual([]);
	});
});
