import { afterEach, describe, expect, it } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import { shot, signInNewBrowser, startRig, type Rig } from './console/harness';

// The fleet page in real Chromium against the reference broker: search, filters, sorting,
// keyboard, and a 5,000-instrument whitelist that must stay fast (only visible rows render).
let rig: Rig | null = null;
const errors: string[] = [];
window.addEventListener('error', (e) => errors.push(e.message));

afterEach(async () => {
	await rig?.destroy();
	rig = null;
	expect(errors).toEqual([]);
});

const count = () => page.getByTestId('fleet-count');
const names = () => [...document.querySelectorAll('[role=option] .name')].map((e) => e.textContent);

describe('the fleet', () => {
	it('filters by search, site, kind and online state, sorts, and picks with the keyboard', async () => {
		rig = await startRig();
		await signInNewBrowser(rig);
		await expect.element(count()).toHaveTextContent('10 of 10 instruments');

		await page.getByLabelText('Search').fill('zentrallabor');
		await expect.element(count()).toHaveTextContent('1 of 10 instruments');
		expect(names()).toEqual(['Chemistry analyser CX-3317']);
		await page.getByLabelText('Search').fill('HX5-21');
		expect(names()).toEqual(['Haematology analyser HX-2041']);
		await page.getByRole('button', { name: 'Clear filters' }).click();
		await expect.element(count()).toHaveTextContent('10 of 10 instruments');

		await page.getByLabelText('Kind').selectOptions('Liquid handler');
		await expect.element(count()).toHaveTextContent('2 of 10 instruments');
		await page.getByLabelText('Status').selectOptions('Offline only');
		await expect.element(count()).toHaveTextContent('1 of 10 instruments');
		expect(names()).toEqual(['Liquid handler LH-6120']);
		await shot('fleet-filtered');
		// The result is announced once typing settles.
		await expect.element(page.getByTestId('fleet-live')).toHaveTextContent('1 of 10 instruments');

		await page.getByRole('button', { name: 'Clear filters' }).click();
		await page.getByLabelText('Site').selectOptions('Riverside Medical Center, Core Lab (US)');
		await expect.element(count()).toHaveTextContent('2 of 10 instruments');
		await page.getByLabelText('Sort by').selectOptions('Online first');
		expect(names()).toEqual(['Laboratory middleware PC MW-5520', 'Immunoassay analyser IA-7702']);

		// One tab stop for the list; arrows move, Enter picks.
		const list = page.getByRole('listbox');
		(list.element() as HTMLElement).focus();
		await userEvent.keyboard('{ArrowDown}');
		await expect
			.element(list)
			.toHaveAttribute('aria-activedescendant', 'instrument-option-ins-7702');
		await userEvent.keyboard('{Enter}');
		await expect
			.element(page.getByRole('heading', { name: 'Connect to an instrument' }))
			.toBeVisible();
		await expect.element(page.getByLabelText('Instrument ID or serial')).toHaveValue('ins-7702');
		await expect.element(page.getByTestId('connect-instrument')).toHaveTextContent('Offline');
		await expect
			.element(page.getByTestId('connect-instrument'))
			.toHaveTextContent('PHI: Patient data: no file transfer');
	});

	it('loads 5,000 instruments page by page and renders only the rows in view', async () => {
		rig = await startRig({ fleetSize: 5000 });
		await signInNewBrowser(rig);
		await expect.element(count()).toHaveTextContent('5,000 of 5,000 instruments');
		const rendered = document.querySelectorAll('[role=option]').length;
		expect(rendered).toBeGreaterThan(5);
		expect(rendered).toBeLessThan(60);

		const list = page.getByRole('listbox');
		(list.element() as HTMLElement).focus();
		await userEvent.keyboard('{End}');
		const last = document.querySelector('[role=option][aria-posinset="5000"]');
		expect(last?.getAttribute('aria-selected')).toBe('true');
		expect(list.element().getAttribute('aria-activedescendant')).toBe(last?.id);
		await shot('fleet-5000-end');

		await page.getByLabelText('Search').fill('osaka');
		await page.getByLabelText('Status').selectOptions('Online only');
		await expect.element(count()).toHaveTextContent(/^\d{2,3} of 5,000 instruments$/);
		await expect.poll(() => names().length).toBeGreaterThan(0);
		for (const option of document.querySelectorAll('[role=option]')) {
			expect(option.textContent).toContain('Osaka Laboratory');
			expect(option.textContent).toContain('Online');
		}
	});

	it('on a phone-sized screen, keeps every instrument’s name readable beside its state', async () => {
		rig = await startRig();
		await signInNewBrowser(rig);
		await expect.element(count()).toHaveTextContent('10 of 10 instruments');
		await page.viewport(390, 844);
		try {
			await page.getByLabelText('Status').selectOptions('Offline only');
			await expect.element(count()).toHaveTextContent(/^[1-9] of 10 instruments$/);
			const rows = [...document.querySelectorAll<HTMLElement>('[role=option]')];
			expect(rows.length).toBeGreaterThan(0);
			for (const row of rows) {
				const name = row.querySelector('.name')!.getBoundingClientRect();
				const status = row.querySelector<HTMLElement>('.status')!;
				const state = status.getBoundingClientRect();
				expect(name.width).toBeGreaterThanOrEqual(112);
				expect(state.left).toBeGreaterThanOrEqual(name.right);
				expect(state.bottom).toBeLessThanOrEqual(row.getBoundingClientRect().bottom);
				// The state alone; when it was last seen is on the connect page.
				expect(status.innerText.trim()).toBe('Offline');
			}
		} finally {
			await page.viewport(1280, 860);
		}
	});
});
