import { mkdirSync } from 'node:fs';
import {
	chromium,
	type Browser,
	type BrowserContext,
	type ConsoleMessage,
	type Page
} from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, inject, type TestContext } from 'vitest';
import { CHROMIUM_ARGS, requireChromium } from '../../scripts/find-chromium.mjs';

export const SCREENSHOT_DIR = 'tests/e2e/screenshots';

export interface E2e {
	readonly url: string;
	page: Page;
	context: BrowserContext;
	/** Console errors and uncaught page errors seen since the test began. */
	errors: string[];
	/** Saves a screenshot under tests/e2e/screenshots/NAME.png, to be looked at. */
	shot(name: string): Promise<void>;
}

/**
 * One headless Chromium per file, one fresh context per test (English unless `locale` says
 * otherwise: the console follows the browser's language). A failing test leaves a screenshot
 * named after it in tests/e2e/screenshots/.
 */
export function useBrowser(options: { locale?: string } = {}): E2e {
	let browser: Browser;
	const e2e = { url: inject('appUrl'), errors: [] as string[] } as E2e;
	beforeAll(async () => {
		mkdirSync(SCREENSHOT_DIR, { recursive: true });
		browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
	});
	afterAll(async () => {
		await browser?.close();
	});
	beforeEach(async () => {
		e2e.errors = [];
		e2e.context = await browser.newContext({
			viewport: { width: 1280, height: 800 },
			locale: options.locale ?? 'en-GB'
		});
		e2e.page = await e2e.context.newPage();
		e2e.page.on('console', (m: ConsoleMessage) => {
			// A resource that failed says which: the text alone does not name it.
			if (m.type() === 'error')
				e2e.errors.push(m.location().url ? `${m.text()} (${m.location().url})` : m.text());
		});
		e2e.page.on('pageerror', (err) => e2e.errors.push(err.message));
		e2e.shot = async (name) => {
			await e2e.page.screenshot({ path: `${SCREENSHOT_DIR}/${name}.png`, fullPage: true });
		};
	});
	afterEach(async (ctx: TestContext) => {
		if (ctx.task.result?.state === 'fail') {
			const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
			await e2e.page.screenshot({ path: `${SCREENSHOT_DIR}/FAILED-${name}.png` }).catch(() => {});
		}
		await e2e.context.close();
	});
	return e2e;
}

/**
 * The page at a 320 px wide phone screen: what makes it scroll sideways, if anything (the dev
 * panel left out). The viewport is put back afterwards.
 */
export function sidewaysOnAPhone(page: Page, screen: string): Promise<string[]> {
	return atPhoneWidth(page, async () => {
		const wide = await page.evaluate(() => {
			const root = document.documentElement;
			if (root.scrollWidth <= root.clientWidth) return [];
			return [...document.querySelectorAll('body *')]
				.filter((e) => !e.closest('[data-dev-panel]'))
				.filter((e) => e.getBoundingClientRect().right > root.clientWidth + 1)
				.map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`)
				.slice(-3);
		});
		return wide.length > 0 ? [`${screen}, 320 px wide: scrolls sideways (${wide.join(', ')})`] : [];
	});
}

/** Runs `look` with the page 320 px wide, as on a phone; the viewport is put back afterwards. */
export async function atPhoneWidth<T>(page: Page, look: () => Promise<T>): Promise<T> {
	const size = page.viewportSize()!;
	await page.setViewportSize({ width: 320, height: size.height });
	// Let the page lay itself out at the new width first: resize observers (a table's scrolling
	// box becomes a tab stop) run in the next rendering step, not when the viewport changes.
	await page.evaluate(
		() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))
	);
	try {
		return await look();
	} finally {
		await page.setViewportSize(size);
	}
}

/** The account menu under the technician's name in the header, in any language. */
const accountToggle = (page: Page) => page.locator('header button[aria-controls="account-panel"]');

/** Unfolds the account menu (idle lock, passkey, sign out) if it is folded. */
export async function openAccount(page: Page): Promise<void> {
	const toggle = accountToggle(page);
	if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
	await page.locator('#account-panel').waitFor();
}

/** Folds the account menu away if it is open. */
export async function closeAccount(page: Page): Promise<void> {
	const toggle = accountToggle(page);
	if ((await toggle.getAttribute('aria-expanded')) === 'true') await toggle.click();
	await page.locator('#account-panel').waitFor({ state: 'hidden' });
}
