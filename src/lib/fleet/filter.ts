/**
 * Search, filters and sorting of the technician's fleet: plain functions over arrays, fast
 * enough at 5,000 instruments to run on every keystroke (the search text of each instrument is
 * prepared once, when the list arrives).
 */
import type { Instrument, InstrumentKind } from '$lib/protocol/broker-api';

export type OnlineFilter = 'all' | 'online' | 'offline';
export const SORT_KEYS = ['name', 'site', 'kind', 'status', 'last-seen'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface FleetCriteria {
	search: string;
	/** A site id, or '' for every site. */
	site: string;
	kind: InstrumentKind | '';
	online: OnlineFilter;
	sort: SortKey;
}

export const NO_CRITERIA: FleetCriteria = {
	search: '',
	site: '',
	kind: '',
	online: 'all',
	sort: 'name'
};

/** Lower case, accents dropped: "Zentrallabor", "zentrallabor" and "ZENTRALLABOR" all match. */
export function fold(text: string): string {
	return text
		.normalize('NFD')
		.replace(/\p{M}+/gu, '')
		.toLowerCase();
}

export interface IndexedInstrument {
	instrument: Instrument;
	/** Name, id, serial, model and site, folded, one string. */
	haystack: string;
}

export function indexFleet(instruments: readonly Instrument[]): IndexedInstrument[] {
	return instruments.map((instrument) => ({
		instrument,
		haystack: fold(
			[
				instrument.name,
				instrument.id,
				instrument.serial,
				instrument.model,
				instrument.site.name,
				instrument.site.country
			].join('\n')
		)
	}));
}

/** Every word of the search must appear somewhere (name, serial, model or site). */
export function filterFleet(
	fleet: readonly IndexedInstrument[],
	criteria: FleetCriteria
): Instrument[] {
	const words = fold(criteria.search).split(/\s+/).filter(Boolean);
	const out: Instrument[] = [];
	for (const { instrument, haystack } of fleet) {
		if (criteria.site && instrument.site.id !== criteria.site) continue;
		if (criteria.kind && instrument.kind !== criteria.kind) continue;
		if (criteria.online === 'online' && !instrument.online) continue;
		if (criteria.online === 'offline' && instrument.online) continue;
		if (words.some((w) => !haystack.includes(w))) continue;
		out.push(instrument);
	}
	return sortFleet(out, criteria.sort);
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
const byName = (a: Instrument, b: Instrument) => collator.compare(a.name, b.name);
const lastSeen = (i: Instrument) =>
	i.online ? Infinity : i.lastSeenAt === null ? -Infinity : Date.parse(i.lastSeenAt);

/** Sorts in place and returns the array; ties fall back to the name. */
export function sortFleet(list: Instrument[], key: SortKey): Instrument[] {
	const compare: Record<SortKey, (a: Instrument, b: Instrument) => number> = {
		name: byName,
		site: (a, b) => collator.compare(a.site.name, b.site.name) || byName(a, b),
		kind: (a, b) => collator.compare(a.kind, b.kind) || byName(a, b),
		status: (a, b) => Number(b.online) - Number(a.online) || byName(a, b),
		'last-seen': (a, b) => lastSeen(b) - lastSeen(a) || byName(a, b)
	};
	return list.sort(compare[key]);
}

/** The sites of the fleet, by name, for the site filter. */
export function sitesOf(
	instruments: readonly Instrument[]
): { id: string; name: string; country: string }[] {
	const sites = new Map<string, Instrument['site']>();
	for (const i of instruments) if (!sites.has(i.site.id)) sites.set(i.site.id, i.site);
	return [...sites.values()].sort((a, b) => collator.compare(a.name, b.name));
}

/** An instrument by id or serial, as a technician might type either (case and spaces ignored). */
export function findInstrument(
	instruments: readonly Instrument[],
	typed: string
): Instrument | undefined {
	const t = typed.trim().toLowerCase();
	if (!t) return undefined;
	return instruments.find((i) => i.id.toLowerCase() === t || i.serial.toLowerCase() === t);
}
