import { describe, expect, it } from 'vitest';
import { readOneTimePassword } from '$lib/connect/otp';
import { filterFleet, findInstrument, indexFleet, NO_CRITERIA, sitesOf } from '$lib/fleet/filter';
import type { Instrument } from '$lib/protocol/broker-api';
import { generateFleet } from '$mocks/broker/fleet';

// The fleet page's search, filters and sort over the reference broker's generated fleet.
const fleet: Instrument[] = generateFleet(5000).map(({ lastSeenAgoMs, ...f }, i) => ({
	...f,
	lastSeenAt: lastSeenAgoMs === null ? null : new Date(1e12 - lastSeenAgoMs).toISOString(),
	agentKey: 'B'.repeat(87),
	agentKeyId: `agk-${i}`
}));
const index = indexFleet(fleet);

describe('searching and filtering the fleet', () => {
	it('matches every word across name, serial, model and site, ignoring case and accents', () => {
		const zentral = filterFleet(index, { ...NO_CRITERIA, search: 'ZENTRALLABOR cx-920' });
		expect(zentral.map((i) => i.id)).toEqual(['ins-3317']);
		const accent = filterFleet(index, { ...NO_CRITERIA, search: 'universitatsklinikum' });
		expect(accent.map((i) => i.id)).toEqual(['ins-1893']);
		expect(filterFleet(index, { ...NO_CRITERIA, search: 'HX5-21-02041' })).toHaveLength(1);
	});

	it('combines site, kind and online filters, and sorts', () => {
		const site = sitesOf(fleet).find((s) => s.name.startsWith('Osaka'))!;
		const list = filterFleet(index, {
			...NO_CRITERIA,
			site: site.id,
			kind: 'chemistry',
			online: 'online',
			sort: 'name'
		});
		expect(list.length).toBeGreaterThan(0);
		for (const i of list) {
			expect([i.site.id, i.kind, i.online]).toEqual([site.id, 'chemistry', true]);
		}
		const names = list.map((i) => i.name);
		expect(names).toEqual(
			[...names].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
		);
		const byStatus = filterFleet(index, { ...NO_CRITERIA, sort: 'status' });
		expect(byStatus.findIndex((i) => !i.online)).toBe(byStatus.filter((i) => i.online).length);
		expect(filterFleet(index, NO_CRITERIA)).toHaveLength(5000);
	});

	it('finds an instrument by id or serial as typed', () => {
		expect(findInstrument(fleet, ' INS-2041 ')?.name).toBe('Haematology analyser HX-2041');
		expect(findInstrument(fleet, 'cx9-19-03317')?.id).toBe('ins-3317');
		expect(findInstrument(fleet, 'nothing')).toBeUndefined();
	});
});

describe('reading the one-time password', () => {
	it('ignores case, spaces and dashes, and refuses what cannot be one', () => {
		expect(readOneTimePassword('abcd-ef23')).toBe('ABCD-EF23');
		expect(readOneTimePassword(' abcd ef 23 ')).toBe('ABCD-EF23');
		expect(readOneTimePassword('ABCDEF23')).toBe('ABCD-EF23');
		expect(readOneTimePassword('ABCD-EF2')).toBeNull();
		expect(readOneTimePassword('ABCD-EF21')).toBeNull(); // 1 is not in the alphabet
		expect(readOneTimePassword('ABCD-EFO3')).toBeNull(); // nor O
	});
});
