/**
 * The technician's fleet (GET /api/v1/instruments, every page): loading, refreshing, and the
 * search, filters and sort the fleet page binds to. Online-state changes found by a refresh are
 * announced to screen readers.
 */
import type { BrokerClient, BrokerFailure } from '$lib/broker/client';
import type { Instrument } from '$lib/protocol/broker-api';
import {
	filterFleet,
	findInstrument,
	indexFleet,
	NO_CRITERIA,
	sitesOf,
	type FleetCriteria,
	type IndexedInstrument
} from './filter';

export type FleetStatus = 'idle' | 'loading' | 'ready' | 'failed';

/** What the live region says, as data so that it is translated when shown. */
export type FleetAnnouncement =
	| { kind: 'loaded'; count: number }
	| { kind: 'online' | 'offline'; name: string }
	| { kind: 'changes'; count: number };

export class FleetState {
	readonly #broker: BrokerClient;
	#all = $state.raw<Instrument[]>([]);
	#index = $state.raw<IndexedInstrument[]>([]);
	#status = $state.raw<FleetStatus>('idle');
	#failure = $state.raw<BrokerFailure | null>(null);
	#loaded = $state.raw(0);
	#announcement = $state.raw<FleetAnnouncement | null>(null);
	#abort: AbortController | null = null;
	criteria = $state<FleetCriteria>({ ...NO_CRITERIA });
	readonly visible = $derived(filterFleet(this.#index, this.criteria));
	readonly sites = $derived(sitesOf(this.#all));

	constructor(broker: BrokerClient) {
		this.#broker = broker;
	}

	get all(): Instrument[] {
		return this.#all;
	}
	get status(): FleetStatus {
		return this.#status;
	}
	get failure(): BrokerFailure | null {
		return this.#failure;
	}
	/** Instruments received so far while loading. */
	get loaded(): number {
		return this.#loaded;
	}
	get announcement(): FleetAnnouncement | null {
		return this.#announcement;
	}
	get filtered(): boolean {
		const c = this.criteria;
		return c.search !== '' || c.site !== '' || c.kind !== '' || c.online !== 'all';
	}

	/** Loads the fleet once; later calls do nothing unless `refresh` is asked for. */
	async load(refresh = false): Promise<void> {
		if (!refresh && (this.#status === 'ready' || this.#status === 'loading')) return;
		this.#abort?.abort();
		const abort = (this.#abort = new AbortController());
		const previous = this.#all;
		if (previous.length === 0) this.#status = 'loading';
		this.#loaded = 0;
		const reply = await this.#broker.allInstruments(abort.signal, (n) => (this.#loaded = n));
		if (abort.signal.aborted) return;
		if (!reply.ok) {
			this.#failure = reply.failure ?? null;
			this.#status = previous.length ? 'ready' : 'failed';
			return;
		}
		this.#failure = null;
		this.#set(reply.value);
		this.#status = 'ready';
		this.#announcement =
			previous.length === 0
				? { kind: 'loaded', count: reply.value.length }
				: changes(previous, reply.value);
	}

	/** After the broker said `instrument-offline` or `not-whitelisted` (Part 1, "Errors"). */
	refresh(): Promise<void> {
		return this.load(true);
	}

	find(idOrSerial: string): Instrument | undefined {
		return findInstrument(this.#all, idOrSerial);
	}

	/** The broker's newest record for one instrument (from POST /sessions). */
	update(instrument: Instrument): void {
		const i = this.#all.findIndex((x) => x.id === instrument.id);
		if (i < 0) return;
		const next = [...this.#all];
		next[i] = instrument;
		this.#set(next);
	}

	clearFilters(): void {
		this.criteria = { ...NO_CRITERIA, sort: this.criteria.sort };
	}

	/** Signing out forgets the list. */
	reset(): void {
		this.#abort?.abort();
		this.#set([]);
		this.#status = 'idle';
		this.#failure = null;
		this.#announcement = null;
		this.criteria = { ...NO_CRITERIA };
	}

	#set(list: Instrument[]): void {
		this.#all = list;
		this.#index = indexFleet(list);
	}
}

function changes(before: Instrument[], after: Instrument[]): FleetAnnouncement | null {
	const was = new Map(before.map((i) => [i.id, i.online]));
	const changed = after.filter((i) => was.has(i.id) && was.get(i.id) !== i.online);
	if (changed.length === 0) return null;
	if (changed.length > 1) return { kind: 'changes', count: changed.length };
	const [one] = changed as [Instrument];
	return { kind: one.online ? 'online' : 'offline', name: one.name };
}
