/**
 * A browser without WebCodecs (issue 9): it still signs in (with a new device approved) and
 * reaches the fleet, and connecting says why it cannot show the instrument's screen instead of
 * showing a blank canvas. Reviewing history without WebCodecs is in history.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { useBrowser } from './browser';
import { signInWithNewDevice, useReferenceServer } from './reference';

const NAME = 'Chemistry analyser CX-3317';

describe('a browser without WebCodecs', () => {
	const ref = useReferenceServer();
	const e2e = useBrowser();

	it('signs in, and connecting says why there is no live screen', async () => {
		const { page } = e2e;
		await page.addInitScript(() => {
			for (const name of ['VideoDecoder', 'VideoEncoder', 'VideoFrame', 'EncodedVideoChunk'])
				Reflect.deleteProperty(globalThis, name);
		});
		await signInWithNewDevice(page, ref);
		const { password } = await ref.get<{ password: string }>('agents/ins-3317');
		await page.getByText(NAME).click();
		await page.getByLabel('One-time password').fill(password);
		await page.getByRole('button', { name: 'Connect', exact: true }).click();
		await page
			.getByText("This browser cannot show the instrument's screen (no WebCodecs).", {
				exact: false
			})
			.waitFor({ timeout: 30_000 });
		expect(await page.locator('[data-testid="live-view"] canvas').count()).toBe(0);
		await e2e.shot('reference-no-webcodecs');
		expect(e2e.errors).toEqual([]);
	});
});
