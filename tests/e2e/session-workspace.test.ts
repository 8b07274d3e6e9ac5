/**
 * The live session workspace on `npm run dev`, driven as a technician would (issue 7): one dev
 * server, one signed-in browser, then the sessions in order. The dev panel plays the customer
 * (approvals, revocations, chat, clipboard) and the hostile network (a dropped socket). What is
 * asserted is what the technician sees: pixels of the page, text, the files saved.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { CHROMIUM_ARGS, requireChromium } from '../../scripts/find-chromium.mjs';
import { AgentFiles } from '../../mocks/agent/files';
import {
	COLORS,
	MENU,
	MENU_BUTTON,
	STATUS_BAR_PLAIN,
	type Rect
} from '../../mocks/agent/screen/layout';
import { SCREENSHOT_DIR } from './browser';
import {
	connectOnDev,
	signInOnDev,
	startDevServer,
	toggleDevPanel,
	type DevServer
} from './dev-server';
import { decodePng, meanRgb } from './png';

const PLAIN = { id: 'ins-3317', name: 'Chemistry analyser CX-3317' };
const OTHER = { id: 'ins-4410', name: 'Pipetting robot LH-4410' };
const PHI = { id: 'ins-2041', name: 'Haematology analyser HX-2041' };
const LONG = { timeout: 240_000 };
const WAIT = { timeout: 30_000 };

let dev: DevServer;
let browser: Browser;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
	dev = await startDevServer();
	browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
	const context = await browser.newContext({
		viewport: { width: 1400, height: 1000 },
		locale: 'en-GB'
	});
	await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: dev.url });
	page = await context.newPage();
	page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
	page.on('pageerror', (e) => errors.push(e.message));
	await signInOnDev(page, dev.url);
}, 240_000);

afterEach(async (ctx: TestContext) => {
	if (ctx.task.result?.state !== 'fail') return;
	const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
	await page.screenshot({ path: `${SCREENSHOT_DIR}/FAILED-${name}.png` }).catch(() => {});
});

afterAll(async () => {
	await browser?.close();
	dev?.stop();
});

const shot = (name: string) =>
	page.screenshot({ path: `${SCREENSHOT_DIR}/${name}.png`, fullPage: true });
const consent = (c: string) => page.locator(`li[data-capability="${c}"]`);
const devPanel = () => page.locator('[data-dev-panel]');

/** Where a rectangle of the remote screen is on the page (the canvas is scaled to fit). */
async function onPage(r: Rect) {
	const box = (await page.locator('canvas.remote-screen').boundingBox())!;
	const scale = Math.min(box.width / 1920, box.height / 1080);
	const left = box.x + (box.width - 1920 * scale) / 2;
	const top = box.y + (box.height - 1080 * scale) / 2;
	return { x: left + r.x * scale, y: top + r.y * scale, width: r.w * scale, height: r.h * scale };
}

/** Mean colour of a region of the remote screen as shown on the page. */
async function colourOf(r: Rect) {
	const clip = await onPage(r);
	return meanRgb(decodePng(await page.screenshot({ clip })));
}
const hex = (h: string) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
const distance = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function ask(capability: string) {
	await consent(capability).getByRole('button').first().click();
	await expect.poll(() => consent(capability).getAttribute('data-state'), WAIT).toBe('granted');
}

async function endSession() {
	await page.getByRole('button', { name: 'End session' }).click();
	await page.getByRole('alertdialog').getByRole('button', { name: 'End the session' }).click();
	await page.getByRole('heading', { name: 'Session summary' }).waitFor(WAIT);
}

/** Back to the fleet for the next session. */
async function toFleet() {
	// A test that failed half-way leaves its session open: end it first.
	if (await page.getByRole('button', { name: 'End session' }).isVisible()) await endSession();
	await page.getByRole('link', { name: 'Instruments', exact: true }).click();
	await page.getByRole('heading', { name: 'Instruments' }).waitFor(WAIT);
}

async function devAgent(id: string) {
	await toggleDevPanel(page, true);
	await devPanel().locator('select[aria-label="Instrument"]').selectOption(id);
}

describe('the live session workspace on the mocks', () => {
	it(
		'a whole session: view, control, a file each way, clipboard, chat, a dropped socket, end and summary',
		LONG,
		async () => {
			await connectOnDev(page, PLAIN.id, PLAIN.name);
			// Before the customer allows viewing, the empty screen says what it waits for.
			const live = page.getByTestId('live-view');
			await expect(live.textContent()).resolves.toContain(
				'The screen appears here once the customer allows you to view it.'
			);
			// View: the instrument's screen appears, in its true colours.
			await ask('view');
			await expect
				.poll(async () => distance(await colourOf(STATUS_BAR_PLAIN), hex(COLORS.statusBar)), WAIT)
				.toBeLessThan(16);
			// View only: a click on the picture is not sent, and the page says why.
			await page.locator('canvas.remote-screen').click();
			await page
				.getByText('Input is not sent: the customer has not granted remote control.')
				.waitFor(WAIT);
			// Control: a click on the menu button opens the instrument's menu (its pixels change).
			await ask('control');
			await page.getByText('In control', { exact: true }).waitFor(WAIT);
			const closedMenu = await colourOf(MENU);
			const button = await onPage(MENU_BUTTON);
			await page.mouse.click(button.x + button.width / 2, button.y + button.height / 2);
			await expect
				.poll(async () => distance(await colourOf(MENU), closedMenu), WAIT)
				.toBeGreaterThan(20);
			await shot('workspace-1-control');

			// Files, whole session: one up, one down, each checked by SHA-256.
			await consent('file-transfer').locator('button[data-scope="session"]').click();
			await expect
				.poll(() => consent('file-transfer').getAttribute('data-state'), WAIT)
				.toBe('granted');
			const upload = Buffer.from('calibration curve\n'.repeat(20_000));
			await page
				.getByTestId('file-input')
				.setInputFiles({ name: 'curve.txt', mimeType: 'text/plain', buffer: upload });
			const up = page.locator('li[data-transfer]', { hasText: 'curve.txt' });
			await expect.poll(() => up.getAttribute('data-state'), WAIT).toBe('done');
			expect(await up.locator('.hash').getAttribute('title')).toBe(sha(upload));
			await page.locator('ul.remote li', { hasText: 'analyser.cfg' }).getByRole('button').click();
			const down = page.locator('li[data-transfer]', { hasText: 'analyser.cfg' });
			await expect.poll(() => down.getAttribute('data-state'), WAIT).toBe('done');
			const [saved] = await Promise.all([
				page.waitForEvent('download'),
				down.getByRole('link', { name: 'Save' }).click()
			]);
			expect(saved.suggestedFilename()).toBe('analyser.cfg');
			const savedBytes = readFileSync((await saved.path())!);
			expect(sha(savedBytes)).toBe(await down.locator('.hash').getAttribute('title'));

			// Chat both ways, with delivery.
			await page.getByLabel('Message to the customer').fill('Bonjour, je regarde la sonde 2.');
			await page.getByLabel('Message to the customer').press('Enter');
			await page.getByText('Delivered').first().waitFor(WAIT);
			await toggleDevPanel(page, true);
			await devPanel().getByLabel('Customer chat').fill('Merci !');
			await devPanel().getByLabel('Customer chat').press('Enter');
			await page.locator('.chat li.customer', { hasText: 'Merci !' }).waitFor(WAIT);
			await toggleDevPanel(page, false);

			// Clipboard both ways (control and clipboard granted).
			await ask('clipboard');
			await page.evaluate(() => navigator.clipboard.writeText('LOT 24A117').catch(() => {}));
			await page.getByRole('button', { name: 'Send my clipboard' }).click();
			const paste = page.getByLabel('Text for the instrument’s clipboard');
			if (await paste.isVisible()) {
				await paste.fill('LOT 24A117');
				await page.getByRole('button', { name: 'Send text' }).click();
			}
			await toggleDevPanel(page, true);
			await expect
				.poll(() => devPanel().getByTestId('agent-clipboard').textContent(), WAIT)
				.toBe('LOT 24A117');
			await devPanel().getByLabel('Customer clipboard').fill('Calibrator 7781');
			await devPanel().getByLabel('Customer clipboard').press('Enter');
			await expect
				.poll(() => page.locator('.clipboard textarea[readonly]').inputValue(), WAIT)
				.toBe('Calibrator 7781');
			await toggleDevPanel(page, false);
			await page.locator('.clipboard').getByRole('button', { name: 'Copy' }).click();
			await page.locator('.clipboard [role="status"]', { hasText: /Copied|Ctrl\+C/ }).waitFor(WAIT);
			await shot('workspace-2-files-chat-clipboard');

			// A network blip: the technician sees the loss, each attempt, and the way back.
			await page.evaluate(() => {
				const seen: string[] = [];
				(window as unknown as { linkTexts: string[] }).linkTexts = seen;
				const node = document.querySelector('[data-link]')!;
				new MutationObserver(() => seen.push(node.textContent?.trim() ?? '')).observe(node, {
					subtree: true,
					characterData: true,
					childList: true
				});
			});
			await toggleDevPanel(page, true);
			await devPanel()
				.getByRole('button', { name: /Drop the socket/ })
				.click();
			await page.getByText(/^Reconnected/).waitFor(WAIT);
			const texts = await page.evaluate(
				() => (window as unknown as { linkTexts: string[] }).linkTexts
			);
			expect(texts.some((t) => /Connection lost, reconnecting/.test(t))).toBe(true);
			expect(texts.some((t) => /attempt 1/.test(t))).toBe(true);
			await shot('workspace-3-reconnected');
			// The screen is back (the stream restarted at a key frame); control must be asked again.
			await expect
				.poll(async () => distance(await colourOf(STATUS_BAR_PLAIN), hex(COLORS.statusBar)), WAIT)
				.toBeLessThan(16);
			await expect(consent('control').textContent()).resolves.toMatch(/Lost on reconnect/);
			await page.getByText('View only', { exact: true }).waitFor(WAIT);

			// A second blip cuts a download mid-way (the instrument's link stalls after two chunks,
			// then drops): asked for again after the resumption, it continues where it stopped.
			const log = 'event-log-2026-11-28.txt';
			const logRows = page.locator('li[data-transfer]', { hasText: log });
			await page.evaluate(() => {
				(window as unknown as { linkTexts: string[] }).linkTexts.length = 0;
			});
			await devAgent(PLAIN.id);
			await devPanel()
				.locator('label', { hasText: 'Scenario' })
				.locator('select')
				.selectOption('drop-mid-download');
			await toggleDevPanel(page, false);
			await consent('file-transfer').locator('button[data-scope="session"]').click();
			await expect
				.poll(() => consent('file-transfer').getAttribute('data-state'), WAIT)
				.toBe('granted');
			await page.locator('ul.remote li', { hasText: log }).getByRole('button').click();
			await expect.poll(() => logRows.first().getAttribute('data-state'), WAIT).toBe('failed');
			await expect(logRows.first().textContent()).resolves.toMatch(
				/connection was lost \(download it again/
			);
			await expect
				.poll(
					() => page.evaluate(() => (window as unknown as { linkTexts: string[] }).linkTexts),
					WAIT
				)
				.toEqual(
					expect.arrayContaining([
						expect.stringMatching(/Connection lost/),
						expect.stringMatching(/^Reconnected/)
					])
				);
			await devAgent(PLAIN.id);
			await devPanel()
				.locator('label', { hasText: 'Scenario' })
				.locator('select')
				.selectOption('none');
			await toggleDevPanel(page, false);
			await expect(consent('file-transfer').textContent()).resolves.toMatch(/Lost on reconnect/);
			await consent('file-transfer').locator('button[data-scope="session"]').click();
			await expect
				.poll(() => consent('file-transfer').getAttribute('data-state'), WAIT)
				.toBe('granted');
			await page.locator('ul.remote li', { hasText: log }).getByRole('button').click();
			const resumed = logRows.nth(1);
			await expect.poll(() => resumed.getAttribute('data-state'), WAIT).toBe('done');
			await expect(resumed.locator('.resumed').textContent()).resolves.toMatch(
				/Resumed after the connection was lost: 131\s*kB had arrived before/
			);
			await shot('workspace-3b-download-resumed');
			const [savedLog] = await Promise.all([
				page.waitForEvent('download'),
				resumed.getByRole('link', { name: 'Save' }).click()
			]);
			// The instrument's own export, byte for byte: its SHA-256 (the mock makes it from the name).
			const expected = sha(new AgentFiles(PLAIN.name).download(log)!.data);
			expect(sha(readFileSync((await savedLog.path())!))).toBe(expected);
			expect(await resumed.locator('.hash').getAttribute('title')).toBe(expected);

			// End: confirm, goodbye, the summary; in control to the last.
			await toggleDevPanel(page, false);
			await ask('control');
			await page.getByText('In control', { exact: true }).waitFor(WAIT);
			await endSession();
			const summary = page.locator('.summary');
			await expect(summary.locator('[data-summary="capabilities"]').textContent()).resolves.toBe(
				'View the screen, Remote control, File transfer, Clipboard'
			);
			await expect(summary.locator('[data-summary="up"]').textContent()).resolves.toMatch(
				/^\s*1 \(/
			);
			// Down: analyser.cfg and the event log (its cut attempt is not a file received).
			await expect(summary.locator('[data-summary="down"]').textContent()).resolves.toMatch(
				/^\s*2 \(/
			);
			// Over: the page says so, nothing can be asked for or sent, what was received stays.
			await page.getByRole('heading', { name: `Session with ${PLAIN.name} ended` }).waitFor(WAIT);
			const aside = page.locator('.layout aside');
			expect(
				await aside.getByRole('button', { name: /Ask|This file only|All files/ }).count()
			).toBe(0);
			expect(await aside.getByRole('button', { name: 'Send' }).count()).toBe(0);
			expect(await aside.getByRole('button', { name: 'Choose files…' }).count()).toBe(0);
			expect(await aside.getByRole('button', { name: 'Download' }).count()).toBe(0);
			expect(await aside.getByRole('link', { name: 'Save' }).count()).toBeGreaterThan(0);
			await expect(aside.locator('.chat').textContent()).resolves.toContain('Merci');
			// Control ended with the session: the picture stays, with nothing left to send.
			const toolbar = page.getByRole('toolbar', { name: 'Live screen' });
			await expect(toolbar.getByRole('status').textContent()).resolves.toMatch(/^\s*Ended\s*$/);
			expect(
				await toolbar.getByRole('button', { name: /Release control|Ctrl\+Alt\+Del/ }).count()
			).toBe(0);
			// Something happened in each panel: none says that nothing did.
			await expect(aside.textContent()).resolves.not.toMatch(
				/No file was sent|Nothing was copied|No message was exchanged/
			);
			await shot('workspace-4-summary');
			expect(errors).toEqual([]);
		}
	);

	it(
		'the customer revokes control mid-drag: input stops at once and the mode says so',
		LONG,
		async () => {
			await toFleet();
			await devAgent(OTHER.id);
			await devPanel()
				.locator('label', { hasText: 'Scenario' })
				.locator('select')
				.selectOption('revoke-control-mid-drag');
			await toggleDevPanel(page, false);
			await connectOnDev(page, OTHER.id, OTHER.name);
			await ask('view');
			await ask('control');
			const start = await onPage({ x: 400, y: 400, w: 1, h: 1 });
			await page.mouse.move(start.x, start.y);
			await page.mouse.down();
			for (let i = 1; i <= 12; i++) await page.mouse.move(start.x + i * 10, start.y + i * 5);
			await expect.poll(() => consent('control').getAttribute('data-state'), WAIT).toBe('revoked');
			await page.mouse.up();
			await page.getByText('View only', { exact: true }).waitFor(WAIT);
			await expect(consent('control').textContent()).resolves.toMatch(/Revoked by the customer/);
			await shot('workspace-5-revoked-mid-drag');
			await devAgent(OTHER.id);
			// The button held when control was taken back was let go on the instrument.
			await expect
				.poll(() => devPanel().locator('ol.log').textContent(), WAIT)
				.toContain('input-released buttons 1');
			await devPanel()
				.locator('label', { hasText: 'Scenario' })
				.locator('select')
				.selectOption('none');
			await toggleDevPanel(page, false);
			await endSession();
		}
	);

	it(
		'per-file approval admits one file; whole-session approval admits every file',
		LONG,
		async () => {
			await toFleet();
			await devAgent(PLAIN.id);
			await devPanel().getByLabel('Policy for file-transfer').selectOption('ask');
			await toggleDevPanel(page, false);
			await connectOnDev(page, PLAIN.id, PLAIN.name);
			const file = (name: string) => ({
				name,
				mimeType: 'text/plain',
				buffer: Buffer.from(`${name}\n`.repeat(100))
			});
			await consent('file-transfer').locator('button[data-scope="once"]').click();
			await toggleDevPanel(page, true);
			await devPanel()
				.locator('.ask', { hasText: 'file-transfer (once)' })
				.getByRole('button', { name: 'Approve' })
				.click();
			await expect
				.poll(() => consent('file-transfer').getAttribute('data-state'), WAIT)
				.toBe('granted');
			await toggleDevPanel(page, false);
			await page.getByTestId('file-input').setInputFiles(file('one.txt'));
			await expect
				.poll(
					() =>
						page.locator('li[data-transfer]', { hasText: 'one.txt' }).getAttribute('data-state'),
					WAIT
				)
				.toBe('done');
			// The approval was for that file: the next one is refused until the customer is asked again.
			await expect(consent('file-transfer').textContent()).resolves.toMatch(/Used for one file/);
			await page.getByTestId('file-input').setInputFiles(file('two.txt'));
			await page
				.getByRole('alert')
				.filter({ hasText: 'File transfer is not granted' })
				.waitFor(WAIT);
			await consent('file-transfer').locator('button[data-scope="session"]').click();
			await toggleDevPanel(page, true);
			await devPanel()
				.locator('.ask', { hasText: 'file-transfer (session)' })
				.getByRole('button', { name: 'Approve' })
				.click();
			await expect
				.poll(() => consent('file-transfer').getAttribute('data-state'), WAIT)
				.toBe('granted');
			await page.getByTestId('file-input').setInputFiles([file('two.txt'), file('three.txt')]);
			for (const name of ['two.txt', 'three.txt'])
				await expect
					.poll(
						() => page.locator('li[data-transfer]', { hasText: name }).getAttribute('data-state'),
						WAIT
					)
					.toBe('done');
			await expect(devPanel().locator('.ask').count()).resolves.toBe(0);
			await shot('workspace-6-approvals');
			await devPanel().getByLabel('Policy for file-transfer').selectOption('auto-approve');
			await toggleDevPanel(page, false);
			await endSession();
		}
	);

	it('hostile file names from the agent are shown and saved inert', LONG, async () => {
		await toFleet();
		await devAgent(PLAIN.id);
		await devPanel().getByRole('button', { name: 'Export files with hostile names' }).click();
		await toggleDevPanel(page, false);
		await connectOnDev(page, PLAIN.id, PLAIN.name);
		await consent('file-transfer').locator('button[data-scope="session"]').click();
		await expect
			.poll(() => consent('file-transfer').getAttribute('data-state'), WAIT)
			.toBe('granted');
		const list = page.locator('ul.remote');
		await list.locator('li', { hasText: 'passwd' }).waitFor(WAIT);
		const shown = await list.locator('.name').allTextContents();
		expect(shown).toEqual(
			expect.arrayContaining(['passwd', 'hosts', 'invoicefdp.exe', 'bellandnewline.log'])
		);
		for (const name of shown) {
			// eslint-disable-next-line no-control-regex -- control characters are what is looked for
			expect(name).not.toMatch(/[/\\<>\u0000-\u001f\u202a-\u202e\u2066-\u2069]/);
			expect(name).not.toContain('..');
		}
		// No HTML reached the DOM: no image, and its error handler never ran.
		expect(await page.locator('.files img').count()).toBe(0);
		expect(await page.title()).not.toBe('pwned');
		const html = list.locator('li', { hasText: 'onerror' });
		await html.getByRole('button').click();
		const row = page.locator('li[data-transfer]', { hasText: 'onerror' });
		await expect.poll(() => row.getAttribute('data-state'), WAIT).toBe('done');
		const [saved] = await Promise.all([
			page.waitForEvent('download'),
			row.getByRole('link', { name: 'Save' }).click()
		]);
		expect(saved.suggestedFilename()).not.toMatch(/[/\\<>"]/);
		await page.locator('ul.remote li', { hasText: 'invoicefdp.exe' }).getByRole('button').click();
		await expect
			.poll(
				() =>
					page
						.locator('li[data-transfer]', { hasText: 'invoicefdp.exe' })
						.getAttribute('data-state'),
				WAIT
			)
			.toBe('done');
		await shot('workspace-7-hostile-names');
		expect(await page.title()).not.toBe('pwned');
		await endSession();
	});

	it(
		'an instrument with patient data: no file transfer or clipboard, even when forced',
		LONG,
		async () => {
			await toFleet();
			await connectOnDev(page, PHI.id, PHI.name);
			// The controls are absent and the reason is shown.
			expect(await page.locator('section.files').count()).toBe(0);
			expect(await page.locator('section.clipboard').count()).toBe(0);
			await expect(consent('file-transfer').textContent()).resolves.toMatch(/patient data/);
			// Forced past the page, at the protocol level: the worker refuses, the agent denies.
			// The dev server serves the app's own module: the very session the page shows. A string,
			// so that the test runner does not rewrite the page's dynamic import.
			const forced = (await page.evaluate(`(async () => {
				const { currentSession } = await import('/src/lib/session/client.ts');
				const s = currentSession();
				const upload = await s.upload(new File(['x'], 'forced.txt'));
				const clipboard = await s.sendClipboard('patient 4711');
				await s.requestConsent('file-transfer', 'session');
				for (let i = 0; i < 100 && s.consent['file-transfer']?.state === 'pending'; i++)
					await new Promise((r) => setTimeout(r, 50));
				const { state, reason, verified } = s.consent['file-transfer'] ?? {};
				return { upload, clipboard, consent: { state, reason, verified } };
			})()`)) as { upload: unknown; clipboard: unknown; consent: unknown };
			expect(forced.upload).toEqual({ ok: false, code: 'phi' });
			expect(forced.clipboard).toEqual({ ok: false, code: 'phi' });
			expect(forced.consent).toMatchObject({ state: 'denied', reason: 'phi', verified: true });
			await devAgent(PHI.id);
			await expect(devPanel().locator('.log').textContent()).resolves.toMatch(/file-transfer: phi/);
			await toggleDevPanel(page, false);
			await shot('workspace-8-phi');
			await endSession();
			expect(errors).toEqual([]);
		}
	);
});
