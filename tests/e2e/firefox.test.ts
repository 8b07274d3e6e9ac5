/**
 * "Any browser", tested rather than assumed (issue 9): the smoke flow on the production build
 * against the reference server, in a second engine: Debian's Firefox ESR, driven by
 * puppeteer-core over WebDriver BiDi (Playwright drives only its own patched Firefox, which is
 * never downloaded here). Sign in with two factors, approve the device, connect, see the live
 * screen (its pixels, read from a screenshot), take control (a click reaches the agent), end,
 * then open the session in the history, verify it and replay its recording.
 */
import { mkdirSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireFirefox } from '../../scripts/find-chromium.mjs';
import { SCREENSHOT_DIR } from './browser';
import { CAMILLE, totpCodes, useReferenceServer } from './reference';

const INSTRUMENT = 'ins-3317';
const NAME = 'Chemistry analyser CX-3317';

interface AgentView {
	password: string;
	pendingConsents: { requestId: number; capability: string }[];
	inputs: { type: string; action?: string; x?: number; y?: number }[];
}

const ref = useReferenceServer();
let browser: Browser | undefined;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
	mkdirSync(SCREENSHOT_DIR, { recursive: true });
	browser = await puppeteer.launch({
		browser: 'firefox',
		executablePath: requireFirefox(),
		headless: true,
		protocol: 'webDriverBiDi'
	});
	page = await browser.newPage();
	await page.setViewport({ width: 1280, height: 800 });
	page.on('console', (m) => {
		if (m.type() === 'error') errors.push(m.text());
	});
	page.on('pageerror', (e) => errors.push(String(e)));
}, 120_000);

afterEach(async (ctx) => {
	if (ctx.task.result?.state === 'fail')
		await page.screenshot({ path: `${SCREENSHOT_DIR}/FAILED-firefox.png` }).catch(() => {});
});

afterAll(async () => {
	await browser?.close();
});

const waitForText = (wanted: string, timeout = 60_000) =>
	page.waitForFunction((w: string) => document.body.innerText.includes(w), { timeout }, wanted);

/** Clicks the first element matching `selector` whose text contains `label`. */
async function clickText(selector: string, label: string) {
	await page.waitForFunction(
		(s: string, l: string) =>
			[...document.querySelectorAll(s)].some((b) => b.textContent?.includes(l)),
		{ timeout: 60_000 },
		selector,
		label
	);
	await page.evaluate(
		(s: string, l: string) =>
			[...document.querySelectorAll<HTMLElement>(s)]
				.find((b) => b.textContent?.includes(l))!
				.click(),
		selector,
		label
	);
}

async function fill(selector: string, value: string) {
	await page.waitForSelector(selector, { timeout: 60_000 });
	await page.locator(selector).fill(value);
}

async function signIn(which: 'previous' | 'code') {
	await fill('#signin-email', CAMILLE.email);
	await fill('#signin-password', CAMILLE.password);
	await page.locator('form button[type="submit"]').click();
	await page.waitForSelector('#signin-code', { timeout: 30_000 });
	await fill('#signin-code', (await totpCodes(ref))[which]);
	await page.keyboard.press('Enter');
}

/** Spread of the pixels in the screen's picture of `selector`: 0 for a blank (one-colour) box. */
async function pictureSpread(selector: string): Promise<number> {
	const box = await page.$eval(selector, (el) => {
		el.scrollIntoView({ block: 'center' });
		const r = el.getBoundingClientRect();
		return { x: r.x, y: r.y, w: r.width, h: r.height };
	});
	const png = await page.screenshot({ encoding: 'base64' });
	// Read on a blank page of its own: the console's CSP rightly refuses data: URLs.
	const scratch = await browser!.newPage();
	try {
		return await scratch.evaluate(
			async (b64: string, b: typeof box) => {
				const blob = await (await fetch(`data:image/png;base64,${b64}`)).blob();
				const image = await createImageBitmap(blob);
				const canvas = new OffscreenCanvas(image.width, image.height);
				const ctx = canvas.getContext('2d')!;
				ctx.drawImage(image, 0, 0);
				const px = ctx.getImageData(
					b.x + 2,
					b.y + 2,
					Math.max(1, b.w - 4),
					Math.max(1, b.h - 4)
				).data;
				let min = 255;
				let max = 0;
				for (let i = 0; i < px.length; i += 4) {
					const v = (px[i]! + px[i + 1]! + px[i + 2]!) / 3;
					min = Math.min(min, v);
					max = Math.max(max, v);
				}
				return max - min;
			},
			png,
			box
		);
	} finally {
		await scratch.close();
	}
}

describe('Firefox ESR: the smoke flow on the production build', () => {
	it(
		'signs in, connects, shows the live screen, takes control, then replays it from history',
		{ timeout: 240_000 },
		async () => {
			await page.goto(ref.url, { waitUntil: 'load' });
			await signIn('previous');
			// The fingerprint shows once the broker has the device (the wait is named before).
			await waitForText('Key fingerprint');
			const state = await ref.get<{ pendingDevices: { deviceId: string }[] }>('state');
			await ref.post(`devices/${encodeURIComponent(state.pendingDevices[0]!.deviceId)}/approve`);
			await waitForText('This browser is approved');
			await signIn('code');
			await waitForText(NAME);
			await page.screenshot({ path: `${SCREENSHOT_DIR}/firefox-1-fleet.png` });

			await ref.post(`agents/${INSTRUMENT}/policy`, { capability: 'control', policy: 'ask' });
			const agent = () => ref.get<AgentView>(`agents/${INSTRUMENT}`);
			const { password } = await agent();
			await clickText('[role="option"]', NAME);
			await fill('#connect-password', password);
			await page.evaluate(() =>
				[...document.querySelectorAll<HTMLButtonElement>('button')]
					.find((b) => b.textContent?.trim() === 'Connect')!
					.click()
			);
			await waitForText(`Connected to ${NAME}`);

			await page.locator('li[data-capability="view"] button').click();
			await clickText('button', 'Statistics');
			await waitForText('1920×1080');
			expect(await page.evaluate(() => document.body.innerText)).toMatch(/vp09|av01|avc1|vp8/);
			// The canvas shows the instrument's screen, not a blank box.
			await expect
				.poll(() => pictureSpread('[data-testid="live-view"] canvas'), {
					timeout: 30_000,
					interval: 500
				})
				.toBeGreaterThan(60);

			await page.locator('li[data-capability="control"] button').click();
			await expect
				.poll(async () => (await agent()).pendingConsents.map((c) => c.capability), {
					timeout: 10_000
				})
				.toEqual(['control']);
			const { pendingConsents } = await agent();
			await ref.post(`agents/${INSTRUMENT}/consents/${pendingConsents[0]!.requestId}/approve`);
			await waitForText('In control');
			await page.locator('[data-testid="live-view"] canvas').click();
			await expect
				.poll(async () => (await agent()).inputs.find((i) => i.action === 'down') ?? null, {
					timeout: 10_000
				})
				.toMatchObject({ type: 'pointer' });
			await page.screenshot({ path: `${SCREENSHOT_DIR}/firefox-2-live-session.png` });

			// End, then the history: the session is listed, opens, verifies and replays.
			await clickText('button', 'End session');
			await clickText('[role="alertdialog"] button', 'End the session');
			await waitForText('The session has ended.');
			await clickText('a', 'History');
			await waitForText('Session history');
			await clickText('[role="option"]', 'CX9-19-03317');
			await waitForText('Session on CX9-19-03317');
			await clickText('button', 'Verify');
			await page.waitForFunction(
				() => /Intact: all \d+ events are chained/.test(document.body.innerText),
				{ timeout: 30_000 }
			);
			await clickText('[data-testid="replay"] button', 'Play');
			await expect
				.poll(() => pictureSpread('[data-testid="replay"] canvas'), {
					timeout: 30_000,
					interval: 500
				})
				.toBeGreaterThan(60);
			await page.screenshot({ path: `${SCREENSHOT_DIR}/firefox-3-history.png` });
			expect(errors).toEqual([]);
		}
	);
});
