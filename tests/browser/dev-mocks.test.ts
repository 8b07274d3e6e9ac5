import { afterAll, describe, expect, it } from 'vitest';
import { startBrowserMocks } from '$mocks/browser';

// The dev server serves MSW's worker from the msw package (vite.config.ts); this proves the
// mocks `npm run dev` relies on really intercept the page's requests in Chromium.
const mocks = await startBrowserMocks();
afterAll(() => mocks.worker.stop());

describe('dev-mode mocks in a real browser', () => {
	it('answer the broker health endpoint through the service worker', async () => {
		expect(navigator.serviceWorker.controller?.scriptURL).toMatch(/\/mockServiceWorker\.js$/);
		const response = await fetch('/api/v1/health');
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual({
			status: 'ok',
			protocol: 1,
			broker: 'benchside-mock-broker'
		});
	});
});
