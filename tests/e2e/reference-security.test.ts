/**
 * Attacks on a remote-support console that only show in the assembled app (tests/SECURITY.md
 * maps each known attack to its test): markup in the names a broker or an agent sends, and the
 * customer's one-time password lingering in the page's memory once the session is over.
 * Production build, reference server, no MSW.
 */
import type { CDPSession } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { InstrumentFixture } from '../../mocks/broker/fleet';
import { utf8 } from '../../src/lib/protocol/bytes';
import { useBrowser } from './browser';
import { connectTo, signInWithNewDevice, useReferenceServer } from './reference';

const HOSTILE = '<img src=x onerror="window.__xss=1">';

/** Every string in the page's V8 heap after a full collection (a heap snapshot over CDP). */
async function heapText(cdp: CDPSession): Promise<string> {
	await cdp.send('HeapProfiler.enable');
	await cdp.send('HeapProfiler.collectGarbage');
	const chunks: string[] = [];
	const collect = ({ chunk }: { chunk: string }) => chunks.push(chunk);
	cdp.on('HeapProfiler.addHeapSnapshotChunk', collect);
	await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
	cdp.off('HeapProfiler.addHeapSnapshotChunk', collect);
	const snapshot = JSON.parse(chunks.join('')) as { strings: string[] };
	return snapshot.strings.join('\n');
}

describe('attacks through the assembled console (production build, reference server)', () => {
	const ref = useReferenceServer({ perTest: true });
	const e2e = useBrowser();

	it('shows hostile instrument and file names as text, never as markup', async () => {
		const { page } = e2e;
		// A broker (or a site administrator) names the instrument with markup; the agent offers a
		// file whose name is markup too.
		const fixture = ref.server.world.broker
			.instruments()
			.find((i) => i.id === 'ins-3317') as InstrumentFixture & { name: string };
		fixture.name = `Analyser ${HOSTILE}`;
		ref.server.world.agents.get('ins-3317')!.files.downloads.push({
			name: `${HOSTILE}.cfg`,
			mime: 'text/plain',
			data: utf8.encode('gain=1\n')
		});
		page.on('dialog', (d) => void d.accept());
		await signInWithNewDevice(page, ref);
		await page.getByText(`Analyser ${HOSTILE}`).first().waitFor();
		await connectTo(page, ref, 'ins-3317', `Analyser ${HOSTILE}`);
		await page.locator('li[data-capability="file-transfer"] button[data-scope="session"]').click();
		await page.getByText('onerror="window.__xss=1"').last().waitFor({ timeout: 30_000 });
		expect(await page.locator('main img').count()).toBe(0);
		expect(await page.evaluate(() => '__xss' in window)).toBe(false);
		await e2e.shot('security-hostile-names');
		await page.getByRole('button', { name: 'End session' }).click();
		await page.getByRole('alertdialog').getByRole('button', { name: 'End the session' }).click();
		expect(e2e.errors).toEqual([]);
	});

	it('leaves no one-time password in the page’s memory once the session is over', async () => {
		const { page } = e2e;
		page.on('dialog', (d) => void d.accept());
		await signInWithNewDevice(page, ref);
		const name = 'Pipetting robot LH-4410';
		const { password } = await ref.get<{ password: string }>('agents/ins-4410');
		await page.getByText(name).click();
		// Typed key by key (not `fill`), so that no copy lives in the test driver's own script.
		await page.getByLabel('One-time password').focus();
		await page.keyboard.type(password);
		await page.getByRole('button', { name: 'Connect', exact: true }).click();
		await page.getByRole('heading', { name: `Connected to ${name}` }).waitFor({ timeout: 60_000 });
		const cdp = await e2e.context.newCDPSession(page);
		const plain = password.replace('-', '');
		// The check can see a password: during the session the page still holds it.
		expect(await heapText(cdp)).toMatch(new RegExp(`${password}|${plain}`));

		await page.getByRole('button', { name: 'End session' }).click();
		await page.getByRole('alertdialog').getByRole('button', { name: 'End the session' }).click();
		await page.getByText('The session has ended.').waitFor();
		await page.getByRole('link', { name: 'Instruments', exact: true }).click();
		await page.getByRole('heading', { name: 'Instruments' }).waitFor();
		const after = await heapText(cdp);
		expect(after.includes(password), 'XXXX-XXXX form').toBe(false);
		expect(after.includes(plain), 'normalised form').toBe(false);
	});
});
