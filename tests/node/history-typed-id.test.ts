/**
 * What the history list's Technician and Instrument ID filters make of what is typed into them,
 * against the ids they offer with the names kept for them.
 */
import { describe, expect, it } from 'vitest';
import { resolveTypedId, type Suggestion } from '$lib/history/query';

const offered: Suggestion[] = [
	{ value: 'tech-7', label: 'Ana Ruiz' },
	{ value: 'tech-8', label: 'Marc Dubois' },
	{ value: 'tech-9', label: 'Mario Rossi' },
	{ value: 'tech-10' }
];

describe('a typed technician or instrument', () => {
	it('keeps an offered id, and an unknown one, as typed', () => {
		expect(resolveTypedId('tech-10', offered)).toEqual({ value: 'tech-10', several: [] });
		expect(resolveTypedId('  tech-8 ', offered)).toEqual({ value: 'tech-8', several: [] });
		expect(resolveTypedId('tech-404', offered)).toEqual({ value: 'tech-404', several: [] });
		expect(resolveTypedId('', offered)).toEqual({ value: '', several: [] });
	});

	it('reads a whole name, or part of one name, as its id, case aside', () => {
		expect(resolveTypedId('ana ruiz', offered).value).toBe('tech-7');
		expect(resolveTypedId('Ruiz', offered).value).toBe('tech-7');
		expect(resolveTypedId('ROSSI', offered).value).toBe('tech-9');
	});

	it('asks which when part of several names, and never reads part of an id', () => {
		expect(resolveTypedId('mar', offered)).toEqual({
			value: 'mar',
			several: [offered[1], offered[2]]
		});
		// "tech-1" is part of "tech-10", but ids are matched whole.
		expect(resolveTypedId('tech-1', offered)).toEqual({ value: 'tech-1', several: [] });
	});

	it('prefers a whole name to a longer one that contains it', () => {
		const names = [
			{ value: 'ins-1', label: 'CX-3317' },
			{ value: 'ins-2', label: 'CX-3317 (spare)' }
		];
		expect(resolveTypedId('cx-3317', names).value).toBe('ins-1');
		expect(resolveTypedId('cx-33', names).several).toHaveLength(2);
	});
});
