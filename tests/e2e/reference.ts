/**
 * The production build against the reference server (mocks/reference/): real HTTP and WebSocket,
 * no MSW. One server per test file, started in this process; the customer's side is reached
 * through its /reference/ control endpoints, as a test script or a person would.
 */
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import {
	startReferenceServer,
	type ReferenceServer,
	type ReferenceServerOptions
} from '../../mocks/reference/server';

export const CAMILLE = { email: 'camille.martin@benchside.test', password: 'bench-demo-camille' };

export interface Reference {
	readonly url: string;
	readonly server: ReferenceServer;
	get<T = Record<string, unknown>>(path: string): Promise<T>;
	post<T = Record<string, unknown>>(path: string, body?: unknown): Promise<T>;
}

/**
 * `perTest`: a new world for every test (a demo account can sign in only twice in one 30 s TOTP
 * step, and each test here signs in twice); otherwise one for the file.
 */
export function useReferenceServer(
	options: ReferenceServerOptions & { perTest?: boolean } = {}
): Reference {
	const { perTest = false, ...serverOptions } = options;
	let server: ReferenceServer | null = null;
	const call = async <T>(path: string, init?: RequestInit): Promise<T> => {
		const response = await fetch(`${server!.url}/reference/${path}`, init);
		if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
		return (await response.json()) as T;
	};
	(perTest ? beforeEach : beforeAll)(async () => {
		server = await startReferenceServer({ buildDir: 'build', ...serverOptions });
	});
	(perTest ? afterEach : afterAll)(async () => {
		await server?.close();
	});
	return {
		get url() {
			return server!.url;
		},
		get server() {
			return server!;
		},
		get: (path) => call(path),
		post: (path, body) =>
			call(path, {
				method: 'POST',
				headers: { 'Content-Type': 'application/json' },
				body: JSON.stringify(body ?? {})
			})
	};
}

interface TotpCodes {
	code: string;
	previous: string;
	/** Until the step turns. */
	msLeft: number;
}

/**
 * The reference "authenticator"'s codes, never within 5 s of the step turning: typed after it
 * turned, `previous` would be two steps old and refused (one sign-in in a hundred, under load).
 */
export async function totpCodes(ref: Reference): Promise<TotpCodes> {
	const codes = await ref.get<TotpCodes>(`totp/${CAMILLE.email}`);
	if (codes.msLeft >= 5_000) return codes;
	await new Promise((resolve) => setTimeout(resolve, codes.msLeft + 200));
	return ref.get<TotpCodes>(`totp/${CAMILLE.email}`);
}

/** E-mail, password, then the TOTP code from the reference "authenticator". */
export async function signIn(page: Page, ref: Reference, which: 'previous' | 'code') {
	await page.getByLabel('E-mail').fill(CAMILLE.email);
	await page.getByLabel('Password', { exact: true }).fill(CAMILLE.password);
	await page.getByRole('button', { name: 'Sign in', exact: true }).click();
	const field = page.locator('input[autocomplete="one-time-code"]');
	await field.waitFor({ timeout: 30_000 });
	await field.fill((await totpCodes(ref))[which]);
	await page.keyboard.press('Enter');
}

/**
 * The "administrator" approves the browser waiting on the page. The page names the wait while the
 * device is still registering, so the fingerprint (shown once the broker has the device, as the
 * administrator compares it) is what says it is there.
 */
export async function approveWaitingDevice(page: Page, ref: Reference) {
	await page.getByRole('heading', { name: /waiting for approval/ }).waitFor({ timeout: 30_000 });
	await page.getByLabel('Key fingerprint').waitFor({ timeout: 30_000 });
	const state = await ref.get<{ pendingDevices: { deviceId: string }[] }>('state');
	expect(state.pendingDevices).toHaveLength(1);
	await ref.post(`devices/${encodeURIComponent(state.pendingDevices[0]!.deviceId)}/approve`);
	await page
		.getByRole('heading', { name: 'This browser is approved' })
		.waitFor({ timeout: 30_000 });
}

/**
 * First sign-in from a fresh browser: the device waits, the "administrator" approves it at
 * /reference/, and the second sign-in (with the next code) reaches the instruments.
 */
export async function signInWithNewDevice(page: Page, ref: Reference) {
	await page.goto(ref.url);
	// Two sign-ins inside one 30 s step: the previous code first (the broker accepts ±1 step,
	// each step once), then the current one.
	await signIn(page, ref, 'previous');
	await approveWaitingDevice(page, ref);
	await signIn(page, ref, 'code');
	await page.getByRole('heading', { name: 'Instruments' }).waitFor({ timeout: 30_000 });
}

export interface PixelCompare {
	/** Standard deviation of the luminance of the first shot: 0 for a blank canvas. */
	spread: number;
	/** Share of pixels whose luminance moved by more than 24 between the two shots. */
	changed: number;
}

/**
 * Compares two PNG screenshots pixel by pixel. The canvas itself belongs to the stream worker
 * (OffscreenCanvas) and cannot be read from the page, so the pixels are those on screen.
 */
export async function comparePixels(page: Page, a: Buffer, b: Buffer): Promise<PixelCompare> {
	const scratch = await page.context().newPage();
	try {
		return await scratch.evaluate(
			async ([a64, b64]) => {
				const lum = async (b64: string) => {
					const img = new Image();
					img.src = `data:image/png;base64,${b64}`;
					await img.decode();
					const c = document.createElement('canvas');
					c.width = img.width;
					c.height = img.height;
					const g = c.getContext('2d')!;
					g.drawImage(img, 0, 0);
					const d = g.getImageData(0, 0, c.width, c.height).data;
					const out = new Float32Array(d.length / 4);
					for (let i = 0; i < out.length; i++)
						out[i] = 0.2126 * d[i * 4]! + 0.7152 * d[i * 4 + 1]! + 0.0722 * d[i * 4 + 2]!;
					return out;
				};
				const [x, y] = [await lum(a64), await lum(b64)];
				let sum = 0;
				for (const v of x) sum += v;
				const mean = sum / x.length;
				let sq = 0;
				let changed = 0;
				for (let i = 0; i < x.length; i++) {
					sq += (x[i]! - mean) ** 2;
					if (Math.abs(x[i]! - (y[i] ?? 0)) > 24) changed++;
				}
				return { spread: Math.sqrt(sq / x.length), changed: changed / x.length };
			},
			[a.toString('base64'), b.toString('base64')] as const
		);
	} finally {
		await scratch.close();
	}
}

/** Connects to `instrumentId` with the one-time password the customer reads out. */
export async function connectTo(page: Page, ref: Reference, instrumentId: string, name: string) {
	const { password } = await ref.get<{ password: string }>(`agents/${instrumentId}`);
	await page.getByText(name).click();
	await page.getByLabel('One-time password').fill(password);
	await page.getByRole('button', { name: 'Connect', exact: true }).click();
	await page.getByRole('heading', { name: `Connected to ${name}` }).waitFor({ timeout: 60_000 });
}
