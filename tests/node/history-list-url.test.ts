/**
 * The history list's search and filters in its address: what a link or a reload brings back, and
 * what an address may not smuggle in.
 */
import { describe, expect, it } from 'vitest';
import {
	EMPTY_FORM,
	formFromQuery,
	listSearch,
	queryFromForm,
	type ListForm
} from '$lib/history/list-url';

const query = (q: string) => formFromQuery(new URLSearchParams(q));

describe('the history list in its address', () => {
	it('round-trips every field, and leaves empty ones out', () => {
		const form: ListForm = {
			text: 'lyon & co',
			instrumentId: 'ins-3317',
			serial: 'CX9-19-03317',
			site: 'Klinikum Nord, Zentrallabor',
			technicianId: 'tech-0001',
			fromDate: '2026-11-01',
			toDate: '2026-11-30',
			outcome: 'failed',
			capability: 'file-transfer'
		};
		const q = queryFromForm(form);
		expect(q).toBe(
			'q=lyon+%26+co&instrument=ins-3317&serial=CX9-19-03317&site=Klinikum+Nord%2C+Zentrallabor' +
				'&technician=tech-0001&from=2026-11-01&to=2026-11-30&outcome=failed&capability=file-transfer'
		);
		expect(query(q)).toEqual(form);
		expect(queryFromForm({ ...EMPTY_FORM, instrumentId: 'ins-2041' })).toBe('instrument=ins-2041');
		expect(queryFromForm({ ...EMPTY_FORM, text: '   ' })).toBe('');
		expect(listSearch('')).toBe('');
		expect(listSearch('q=x')).toBe('?q=x');
	});

	it('drops what it does not know or cannot be, and keeps the rest', () => {
		expect(query('')).toEqual(EMPTY_FORM);
		expect(
			query(
				'outcome=exploded&capability=root&from=yesterday&to=2026-13-45&page=2&serial=%20SN-1%20'
			)
		).toEqual({ ...EMPTY_FORM, serial: 'SN-1' });
		expect(query(`q=${'x'.repeat(201)}&site=Lyon`)).toEqual({ ...EMPTY_FORM, site: 'Lyon' });
		// Markup is only text here: the form shows it in an input, never as HTML.
		expect(query('q=%3Cimg%20src%3Dx%3E').text).toBe('<img src=x>');
	});
});
