/**
 * `npm run dev` in Firefox: the console's workers (stream, replay, screen recording) are module
 * workers that Vite serves from source, and MSW's service worker controls the page. Through
 * MSW's `respondWith`, Firefox never ran such a worker (mswjs/msw#2654), so a dev in Firefox got
 * no live screen. The dev server's worker script now lets worker scripts pass (vite.config.ts);
 * this loads a module worker that imports the console's modules, in Firefox ESR, under MSW.
 */
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireFirefox } from '../../scripts/find-chromium.mjs';
import { startDevServer, type DevServer } from './dev-server';

let dev: DevServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
	dev = await startDevServer('localhost');
	browser = await puppeteer.launch({
		browser: 'firefox',
		executablePath: requireFirefox(),
		headless: true,
		protocol: 'webDriverBiDi'
	});
}, 120_000);

afterAll(async () => {
	await browser?.close();
	dev?.stop();
});

describe('npm run dev in Firefox', () => {
	it('runs module workers and their imports while MSW mocks the broker', async () => {
		const page = await browser!.newPage();
		const logs: string[] = [];
		page.on('console', (m) => logs.push(m.text()));
		await page.goto(dev!.url);
		// MSW is on: its service worker controls the page and the mock world says so.
		await page.waitForFunction(() => navigator.serviceWorker.controller !== null, {
			timeout: 60_000
		});
		expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(
			`${dev!.url}/mockServiceWorker.js`
		);
		await page.waitForFunction(() => document.body.innerText.includes('Sign in'), {
			timeout: 60_000
		});
		expect(logs.some((l) => l.includes('mock broker, relay and instruments running'))).toBe(true);

		const answer = await page.evaluate(
			() =>
				new Promise<unknown>((resolve) => {
					const worker = new Worker('/mocks/dev-probe.worker.ts?worker_file&type=module', {
						type: 'module'
					});
					worker.onmessage = (e) => resolve(e.data);
					worker.onerror = (e) => resolve(`error: ${e.message}`);
					setTimeout(() => resolve('no answer within 20 s'), 20_000);
				})
		);
		expect(answer).toMatchObject({ hex: 'be9c' });
		// Firefox ESR decodes at least VP8 and VP9 in a worker: the live screen has a codec.
		expect((answer as { codecs: string[] }).codecs).toEqual(
			expect.arrayContaining(['vp09.00.41.08', 'vp8'])
		);
	}, 120_000);
});
