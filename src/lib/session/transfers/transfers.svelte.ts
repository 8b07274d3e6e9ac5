/**
 * File transfers as the session page sees them: the worker's transfer events mirrored into runes,
 * with rate and time left measured here, and verified downloads kept as object URLs to save.
 */
import type { RemoteFile, SessionEvent, TransferView } from '$workers/stream/events';

export interface TransferRow extends TransferView {
	/** Bytes per second since the data started to flow (0 before). */
	rate: number;
	/** Seconds left at the current rate, or null when unknown. */
	secondsLeft: number | null;
	/** Object URL of a verified download, to save with `a[download]`. */
	url?: string;
}

type TransferEvent = Extract<SessionEvent, { type: 'transfer' | 'file-list' | 'file-received' }>;

export class SessionTransfers {
	#rows = $state.raw<TransferRow[]>([]);
	#files = $state.raw<RemoteFile[]>([]);
	// Bookkeeping, not state: the rows above are what the page reads.
	// eslint-disable-next-line svelte/prefer-svelte-reactivity -- never read reactively
	readonly #flowStart = new Map<number, { at: number; bytes: number }>();
	// eslint-disable-next-line svelte/prefer-svelte-reactivity -- never read reactively
	readonly #urls = new Map<number, string>();

	get rows() {
		return this.#rows;
	}
	/** What the agent offers to download (names as the agent sent them: render as text only). */
	get files() {
		return this.#files;
	}

	onEvent(e: TransferEvent, now = performance.now()) {
		switch (e.type) {
			case 'file-list':
				this.#files = e.files;
				return;
			case 'transfer':
				return this.#update(e.transfer, now);
			case 'file-received': {
				const url = URL.createObjectURL(new Blob([e.data], { type: e.mime }));
				this.#urls.set(e.id, url);
				this.#rows = this.#rows.map((r) => (r.id === e.id ? { ...r, url } : r));
				return;
			}
			default: {
				const never: never = e;
				console.error('unknown transfer event', never);
			}
		}
	}

	#update(t: TransferView, now: number) {
		const flowing = t.state === 'sending' || t.state === 'receiving';
		if (flowing && !this.#flowStart.has(t.id))
			this.#flowStart.set(t.id, { at: now, bytes: t.bytes });
		const start = this.#flowStart.get(t.id);
		const seconds = start ? (now - start.at) / 1000 : 0;
		const rate = start && seconds > 0.05 ? (t.bytes - start.bytes) / seconds : 0;
		const row: TransferRow = {
			...t,
			rate,
			secondsLeft: flowing && rate > 0 ? (t.size - t.bytes) / rate : null
		};
		const url = this.#urls.get(t.id);
		if (url) row.url = url;
		const known = this.#rows.some((r) => r.id === t.id);
		this.#rows = known ? this.#rows.map((r) => (r.id === t.id ? row : r)) : [...this.#rows, row];
	}

	dispose() {
		for (const url of this.#urls.values()) URL.revokeObjectURL(url);
		this.#urls.clear();
	}
}
