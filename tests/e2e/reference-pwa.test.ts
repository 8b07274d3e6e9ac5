/**
 * The console as an installed app: Chromium finds nothing missing to install it, the service
 * worker keeps only this build's files, and a new version waits for the technician: announced,
 * never applied during a live session, applied on the click once the session has ended. The
 * "new version" is a copy of the build whose service worker changed, served by the reference server.
 */
import { appendFileSync, cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, requireChromium } from '../../scripts/find-chromium.mjs';
import { useBrowser } from './browser';
import { connectTo, signInWithNewDevice, useReferenceServer } from './reference';

const buildDir = mkdtempSync(join(tmpdir(), 'benchside-build-'));
cpSync('build', buildDir, { recursive: true });
afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const path = join(dir, name);
		return statSync(path).isDirectory() ? filesUnder(path) : [path];
	});
}

const workerState = () =>
	navigator.serviceWorker.getRegistration().then((r) => ({
		active: r?.active?.state ?? null,
		waiting: r?.waiting?.state ?? null,
		controlled: navigator.serviceWorker.controller !== null
	}));

describe('the installable, updatable console (production build, reference server)', () => {
	const ref = useReferenceServer({ buildDir });
	const e2e = useBrowser();

	it('is installable in Chromium and caches only its own build and static files', async () => {
		// Chromium never offers to install from an incognito profile, which is what a plain
		// Playwright context is: this test uses a real profile.
		const profile = mkdtempSync(join(tmpdir(), 'benchside-profile-'));
		const context = await chromium.launchPersistentContext(profile, {
			executablePath: requireChromium(),
			args: CHROMIUM_ARGS
		});
		try {
			const page = await context.newPage();
			const errors: string[] = [];
			page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
			await page.goto(ref.url);
			await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
			const cdp = await context.newCDPSession(page);
			const manifest = (await cdp.send('Page.getAppManifest')) as {
				url: string;
				errors: unknown[];
			};
			expect(manifest.url).toBe(`${ref.url}/manifest.webmanifest`);
			expect(manifest.errors).toEqual([]);
			const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
			expect(installabilityErrors).toEqual([]);
			await cachedOnlyTheBuild(page);
			expect(errors).toEqual([]);
		} finally {
			await context.close();
			rmSync(profile, { recursive: true, force: true });
		}
	});

	async function cachedOnlyTheBuild(page: Page) {
		// Everything the worker cached is a file of this build (or the shell at "/"); no API reply.
		await page.getByRole('heading', { name: 'Sign in' }).waitFor();
		const cached = await page.evaluate(async () => {
			const urls: string[] = [];
			for (const name of await caches.keys())
				for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
			return urls.map((u) => new URL(u).pathname);
		});
		const built = new Set(filesUnder(buildDir).map((f) => `/${relative(buildDir, f)}`));
		expect(cached.length).toBeGreaterThan(5);
		expect(cached.filter((p) => p !== '/' && !built.has(p))).toEqual([]);
		expect(cached).toContain('/manifest.webmanifest');
		expect(cached).toContain('/icons/icon-512.png');
	}

	it(
		'announces a new version, holds it during a live session, applies it on the click after',
		{ timeout: 120_000 },
		async () => {
			const { page } = e2e;
			page.on('dialog', (d) => void d.accept());
			await signInWithNewDevice(page, ref);
			expect(await page.evaluate(workerState)).toEqual({
				active: 'activated',
				waiting: null,
				controlled: true
			});
			await connectTo(page, ref, 'ins-3317', 'Chemistry analyser CX-3317');

			// A new build is deployed while the technician is in the session.
			appendFileSync(join(buildDir, 'service-worker.js'), '\n// the next build\n');
			await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r!.update()));
			const banner = page.getByRole('status').filter({ hasText: 'A new version' });
			await banner.waitFor({ timeout: 30_000 });
			await expect
				.poll(() => banner.textContent())
				.toContain('It will be offered again when your live session has ended');
			expect(await page.getByRole('button', { name: 'Update now' }).count()).toBe(0);
			expect(await page.evaluate(workerState)).toMatchObject({ waiting: 'installed' });
			await e2e.shot('pwa-1-update-held');

			// The session ends: the update is offered, and applied on the click (a reload).
			await page.getByRole('button', { name: 'End session' }).click();
			await page.getByRole('alertdialog').getByRole('button', { name: 'End the session' }).click();
			const apply = page.getByRole('button', { name: 'Update now' });
			await apply.waitFor({ timeout: 10_000 });
			await e2e.shot('pwa-2-update-offered');
			await Promise.all([page.waitForEvent('load', { timeout: 30_000 }), apply.click()]);
			await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 15_000 });
			expect(await page.evaluate(workerState)).toEqual({
				active: 'activated',
				waiting: null,
				controlled: true
			});
			expect(await page.getByRole('button', { name: 'Update now' }).count()).toBe(0);
			expect(e2e.errors).toEqual([]);
		}
	);
});
