/**
 * The history list's state: the filter, the rows loaded so far (pages of a cursor walk, never
 * all rows), whether more remain, and a count when an index can give one. It reloads when
 * another tab (or this one) says sessions changed.
 */
import type { HistoryDb, SessionRow } from './db';
import { onSessionsChanged } from './notice';
import {
	EMPTY_FILTER,
	countSessions,
	pageSessions,
	type HistoryFilter,
	type PagePosition
} from './query';

export const PAGE_SIZE = 50;

export type ListStatus = 'loading' | 'ready' | 'failed';

export class HistoryListState {
	readonly #db: HistoryDb;
	#filter = $state.raw<HistoryFilter>(EMPTY_FILTER);
	#rows = $state.raw<SessionRow[]>([]);
	#status = $state.raw<ListStatus>('loading');
	#more = $state.raw(false);
	#total = $state.raw<number | null>(null);
	#next: PagePosition | null = null;
	/** Bumped by every new query: a page of an older one is dropped on arrival. */
	#generation = 0;
	#loadingMore: Promise<void> | null = null;

	constructor(db: HistoryDb) {
		this.#db = db;
	}

	get filter(): HistoryFilter {
		return this.#filter;
	}
	get rows(): SessionRow[] {
		return this.#rows;
	}
	get status(): ListStatus {
		return this.#status;
	}
	/** True while rows remain after those loaded. */
	get more(): boolean {
		return this.#more;
	}
	/** The number of matches: from an index, or once the walk reached the end; else null. */
	get total(): number | null {
		return this.#total ?? (this.#more ? null : this.#rows.length);
	}
	get filtered(): boolean {
		return (Object.keys(EMPTY_FILTER) as (keyof HistoryFilter)[]).some(
			(k) => this.#filter[k] !== EMPTY_FILTER[k]
		);
	}

	/** Runs a new query from its first page. */
	async setFilter(filter: HistoryFilter): Promise<void> {
		this.#filter = filter;
		await this.#reload(PAGE_SIZE);
	}

	clearFilters(): Promise<void> {
		return this.setFilter(EMPTY_FILTER);
	}

	/** Reloads as many rows as are shown (another tab changed sessions), keeping the scroll. */
	refresh(): Promise<void> {
		return this.#reload(Math.max(PAGE_SIZE, this.#rows.length));
	}

	/** The next page, when the list scrolls near its end; calls while one loads share it. */
	loadMore(): Promise<void> {
		if (!this.#more || !this.#next) return Promise.resolve();
		this.#loadingMore ??= this.#page(this.#generation, this.#next, PAGE_SIZE, false).finally(
			() => (this.#loadingMore = null)
		);
		return this.#loadingMore;
	}

	/** Follows change notices until the returned function is called. */
	watch(): () => void {
		return onSessionsChanged(() => void this.refresh());
	}

	async #reload(limit: number): Promise<void> {
		const generation = ++this.#generation;
		this.#loadingMore = null;
		if (this.#rows.length === 0) this.#status = 'loading';
		try {
			const total = await countSessions(this.#db, this.#filter);
			if (generation !== this.#generation) return;
			this.#total = total;
		} catch {
			this.#total = null;
		}
		await this.#page(generation, null, limit, true);
	}

	async #page(generation: number, after: PagePosition | null, limit: number, replace: boolean) {
		try {
			const page = await pageSessions(this.#db, this.#filter, after, limit);
			if (generation !== this.#generation) return;
			this.#rows = replace ? page.rows : [...this.#rows, ...page.rows];
			this.#next = page.next;
			this.#more = page.next !== null;
			this.#status = 'ready';
		} catch (error) {
			if (generation !== this.#generation) return;
			console.warn('[benchside] history list failed', error);
			this.#status = 'failed';
		}
	}
}
