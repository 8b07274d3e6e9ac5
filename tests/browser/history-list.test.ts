/**
 * The history list against real IndexedDB: every filter, paged by cursor, gives exactly the
 * sessions a brute-force filter of all rows gives, newest first, with no row twice or missing
 * across pages; the list page renders only the rows in view of 10,000 and filters them.
 */
import { describe, expect, it } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import { mount, unmount } from 'svelte';
import '../../src/app.css';
import { withIndexKeys, type HistoryDb, type SessionRow } from '$lib/history/db';
import { EMPTY_FILTER, countSessions, pageSessions, type HistoryFilter } from '$lib/history/query';
import HistoryView from '$lib/history/ui/HistoryView.svelte';
import { CAPABILITIES } from '$lib/protocol/messages';
import { scratchHistory } from './history/scratch';

const { cleanups, freshDb } = scratchHistory('history-list');

const SITES = ['Lyon', 'Oslo', 'Basel', 'Riverside'];
const OUTCOMES = ['completed', 'failed', 'interrupted', 'open'] as const;
const DAY = 86_400_000;
export const T0 = Date.UTC(2026, 0, 1);

/** Deterministic sessions; every 7th shares its start time with the one before (ties). */
function fixture(count: number): SessionRow[] {
	const rows: SessionRow[] = [];
	let t = T0;
	for (let i = 0; i < count; i++) {
		if (i % 7 !== 0) t += ((i * 7919) % 5) * 3_600_000 + 60_000;
		rows.push({
			id: `s-${String(i).padStart(5, '0')}`,
			instrumentId: `ins-${i % 13}`,
			serial: `SN-${(i * 31) % 97}`,
			site: SITES[i % SITES.length]!,
			technicianId: `tech-${i % 5}`,
			startedAt: t,
			endedAt: t + 600_000,
			outcome: OUTCOMES[(i * 3) % 4]!,
			capabilities: CAPABILITIES.filter((_, c) => (i >> c) & 1),
			...(i % 11 === 0 ? { ticket: `INC-${1000 + i}` } : {})
		});
	}
	return rows;
}

async function seed(db: HistoryDb, rows: SessionRow[]) {
	const tx = db.transaction('sessions', 'readwrite');
	for (const row of rows) void tx.store.put(withIndexKeys(row));
	await tx.done;
}

function bruteForce(rows: SessionRow[], f: HistoryFilter): string[] {
	const text = f.text.toLowerCase();
	return rows
		.filter(
			(s) =>
				(!f.serial || s.serial === f.serial) &&
				(!f.instrumentId || s.instrumentId === f.instrumentId) &&
				(!f.site || s.site === f.site) &&
				(!f.technicianId || s.technicianId === f.technicianId) &&
				(!f.outcome || s.outcome === f.outcome) &&
				(!f.capability || s.capabilities.includes(f.capability)) &&
				(f.from === null || s.startedAt >= f.from) &&
				(f.to === null || s.startedAt <= f.to) &&
				(!text ||
					[s.id, s.instrumentId, s.serial, s.site, s.technicianId, s.ticket ?? ''].some((v) =>
						v.toLowerCase().includes(text)
					))
		)
		.sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : -1))
		.map((s) => s.id);
}

async function walk(db: HistoryDb, f: HistoryFilter, limit: number): Promise<string[]> {
	const ids: string[] = [];
	let page = await pageSessions(db, f, null, limit);
	for (;;) {
		expect(page.rows.length).toBeLessThanOrEqual(limit);
		ids.push(...page.rows.map((r) => r.id));
		if (!page.next) return ids;
		page = await pageSessions(db, f, page.next, limit);
	}
}

describe('history list queries', () => {
	it('pages every filter by cursor exactly as a brute-force filter of all rows', async () => {
		const db = await freshDb();
		const rows = fixture(600);
		await seed(db, rows);
		const mid = rows[300]!.startedAt;
		const filters: Partial<HistoryFilter>[] = [
			{},
			{ serial: 'SN-31' },
			{ instrumentId: 'ins-4' },
			{ site: 'Oslo' },
			{ technicianId: 'tech-2' },
			{ outcome: 'failed' },
			{ capability: 'control' },
			{ from: mid, to: mid + 3 * DAY },
			{ capability: 'file-transfer', site: 'Basel', from: mid },
			{ text: 'inc-1' },
			{ text: 'o' },
			{ text: 'SN-3', site: 'Lyon' },
			{ text: 'tech' },
			{ text: 'RIVERSIDE', outcome: 'completed', to: mid },
			{ technicianId: 'tech-1', capability: 'clipboard', outcome: 'open' },
			{ serial: 'no-such-serial' }
		];
		// Chromium reads in chunks (getAllRecords); other browsers step a cursor: both, here.
		const proto = IDBIndex.prototype as unknown as Record<string, unknown>;
		const getAllRecords = proto.getAllRecords;
		expect(typeof getAllRecords).toBe('function');
		for (const strategy of ['chunks', 'cursor']) {
			if (strategy === 'cursor') delete proto.getAllRecords;
			try {
				for (const partial of filters) {
					const f = { ...EMPTY_FILTER, ...partial };
					const expected = bruteForce(rows, f);
					for (const limit of [1, 7, 50])
						expect(await walk(db, f, limit), `${strategy} ${JSON.stringify(partial)}`).toEqual(
							expected
						);
					const count = await countSessions(db, f);
					// An index answers single-field filters; several need the walk.
					if (count !== null) expect(count).toBe(expected.length);
				}
			} finally {
				proto.getAllRecords = getAllRecords;
			}
		}
		expect(await countSessions(db, EMPTY_FILTER)).toBe(600);

		expect(await countSessions(db, { ...EMPTY_FILTER, capability: 'view' })).toBe(
			rows.filter((r) => r.capabilities.includes('view')).length
		);
		expect(await countSessions(db, { ...EMPTY_FILTER, text: 'x' })).toBeNull();
		// 300 sessions with one start time at one site: every index key equal, pages by id alone.
		const ties = fixture(300).map((r, i) => ({
			...r,
			id: `tie-${String(i).padStart(3, '0')}`,
			site: 'Tie',
			startedAt: T0
		}));
		await seed(db, ties);
		const tieIds = ties.map((r) => r.id).reverse();
		for (const limit of [7, 50, 120])
			expect(await walk(db, { ...EMPTY_FILTER, site: 'Tie' }, limit)).toEqual(tieIds);
		const tieText = { ...EMPTY_FILTER, site: 'Tie', text: 'tie-1' };
		expect(await walk(db, tieText, 30)).toEqual(tieIds.filter((id) => id.startsWith('tie-1')));
	});
});

const count = () => page.getByTestId('history-count');
const shownSerials = () =>
	[...document.querySelectorAll('[role=option] .name')].map((e) => e.textContent);

describe('the history page', () => {
	it('lists 10,000 sessions rendering only the rows in view, filters, searches and opens one', async () => {
		const db = await freshDb();
		const rows = fixture(10_000);
		await seed(db, rows);
		const picked: string[] = [];
		const target = document.createElement('div');
		document.body.append(target);
		await page.viewport(1280, 900);
		const app = mount(HistoryView, {
			target,
			props: { db, onpick: (s: SessionRow) => picked.push(s.id) }
		});
		cleanups.push(
			() => unmount(app),
			() => target.remove()
		);

		await expect.element(count()).toHaveTextContent('10,000 sessions');
		await expect.poll(() => document.querySelectorAll('[role=option]').length).toBeGreaterThan(5);
		const rendered = document.querySelectorAll('[role=option]').length;
		expect(rendered).toBeLessThan(40);
		// Newest first.
		expect(shownSerials()[0]).toBe(rows[9999]!.serial);
		await page.screenshot({ path: '../e2e/screenshots/browser-history-list.png' });

		// Scrolling to the end loads page after page; still only the rows in view exist.
		const list = page.getByRole('listbox');
		(list.element() as HTMLElement).focus();
		for (let i = 0; i < 4; i++) {
			await userEvent.keyboard('{End}');
			await new Promise((r) => setTimeout(r, 50));
		}
		expect(document.querySelectorAll('[role=option]').length).toBeLessThan(40);
		expect(
			Number(
				document.querySelector('[role=option][aria-selected=true]')?.getAttribute('aria-posinset')
			)
		).toBeGreaterThan(150);

		await page.getByLabelText('Site').fill('Oslo');
		await page.getByLabelText('Outcome').selectOptions('In progress');
		const expected = bruteForce(rows, { ...EMPTY_FILTER, site: 'Oslo', outcome: 'open' });
		expect(expected.length).toBe(2500);
		// Two filters: no single index counts them, so the list says how many it has so far.
		await expect.element(count()).toHaveTextContent('50 sessions shown, more as you scroll');
		await expect
			.poll(() => document.querySelector('[role=option]')?.id)
			.toBe(`history-option-${expected[0]}`);
		expect(shownSerials()).toEqual(
			expected.slice(0, shownSerials().length).map((id) => rows[Number(id.slice(2))]!.serial)
		);
		await page.getByRole('button', { name: 'Clear filters' }).click();
		await expect.element(count()).toHaveTextContent('10,000 sessions');
		// A needle in 2,000 sessions: too common for the trigram path, walked in date order.
		const broad = bruteForce(rows, { ...EMPTY_FILTER, text: 'tech-1' });
		expect(broad.length).toBe(2000);
		await page.getByLabelText('Search').fill('tech-1');
		await expect.element(count()).toHaveTextContent('50 sessions shown, more as you scroll');
		await expect
			.poll(() => document.querySelector('[role=option]')?.id)
			.toBe(`history-option-${broad[0]}`);
		expect(await walk(db, { ...EMPTY_FILTER, text: 'tech-1' }, 300)).toEqual(broad);
		await page.getByLabelText('Search').fill('');
		await page.getByLabelText('Search').fill('INC-5400');
		await expect.element(count()).toHaveTextContent('1 session');
		await expect.element(page.getByTestId('history-live')).toHaveTextContent('1 session');
		(page.getByRole('listbox').element() as HTMLElement).focus();
		await userEvent.keyboard('{Enter}');
		expect(picked).toEqual(['s-04400']);
	});

	it('offers ids in the filters with the names their newest session kept', async () => {
		const db = await freshDb();
		const [a, b, c] = fixture(3);
		await seed(db, [
			// Recorded before names were kept, then again since: the newer names it.
			{ ...a!, technicianId: 'tech-7', instrumentId: 'ins-1' },
			{
				...b!,
				technicianId: 'tech-7',
				instrumentId: 'ins-1',
				technicianName: 'Ana Ruiz',
				instrumentName: 'Coagulation analyser CG-2288'
			},
			{ ...c!, technicianId: 'tech-8', instrumentId: 'ins-2', technicianName: 'Marc Dubois' }
		]);
		const target = document.createElement('div');
		document.body.append(target);
		const app = mount(HistoryView, { target, props: { db, onpick: () => {} } });
		cleanups.push(
			() => unmount(app),
			() => target.remove()
		);
		const options = (list: string) =>
			[...document.querySelectorAll(`#${list} option`)].map((o) => [
				(o as HTMLOptionElement).value,
				o.textContent
			]);
		await expect.poll(() => options('history-technicians')).toHaveLength(2);
		expect(options('history-technicians')).toEqual([
			['tech-7', 'Ana Ruiz'],
			['tech-8', 'Marc Dubois']
		]);
		expect(options('history-instruments')).toEqual([
			['ins-1', 'Coagulation analyser CG-2288'],
			['ins-2', '']
		]);

		// A name typed into the field filters as the id it was offered with; an id still works.
		await expect
			.element(page.getByLabelText('Technician'))
			.toHaveAttribute('placeholder', 'ID or name');
		await expect.element(count()).toHaveTextContent('3 sessions');
		await page.getByLabelText('Technician').fill('ana ruiz');
		await expect.element(count()).toHaveTextContent('2 sessions');
		await page.getByLabelText('Technician').fill('tech-8');
		await expect.element(count()).toHaveTextContent('1 session');

		// Part of one name is that name; part of several asks which, and a click answers.
		await page.getByLabelText('Technician').fill('RUIZ');
		await expect.element(count()).toHaveTextContent('2 sessions');
		await page.getByLabelText('Technician').fill('r');
		await expect.element(count()).toHaveTextContent('0 sessions');
		const which = page.getByTestId('history-which');
		await expect
			.element(which)
			.toHaveTextContent("Several technicians' names contain “r”. Which one?");
		expect(
			[...which.element().querySelectorAll('button')].map((b) => b.textContent?.trim())
		).toEqual(['Ana Ruiz tech-7', 'Marc Dubois tech-8']);
		await page.screenshot({ path: '../e2e/screenshots/browser-history-which.png' });
		await which.getByRole('button', { name: 'Marc Dubois tech-8' }).click();
		await expect.element(page.getByLabelText('Technician')).toHaveValue('tech-8');
		await expect.element(count()).toHaveTextContent('1 session');
		await page.getByLabelText('Technician').fill('');
		await page.getByLabelText('Instrument ID').fill('Coagulation analyser CG-2288');
		await expect.element(count()).toHaveTextContent('2 sessions');
		await page.getByLabelText('Instrument ID').fill('Someone else');
		await expect.element(count()).toHaveTextContent('0 sessions');
	});
});
