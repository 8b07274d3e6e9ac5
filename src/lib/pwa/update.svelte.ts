/**
 * A new version of the console, as the PWA service worker sees it: a worker installed and
 * waiting while this one still controls the page. It is announced, and applied only when the
 * technician asks and no live session is open (applying reloads the page, which would cut a
 * repair in the middle and sign the technician out).
 */

/** Asked of the waiting worker by `apply()`; the only message src/service-worker.ts accepts. */
export const SKIP_WAITING = { type: 'skip-waiting' } as const;

/** How often an open console asks the server for a new version. */
const CHECK_EVERY_MS = 30 * 60 * 1000;

export type ApplyResult = { ok: true } | { ok: false; code: 'session-open' | 'nothing-waiting' };

export class PwaUpdate {
	#waiting = $state.raw<ServiceWorker | null>(null);
	#applying = $state.raw(false);

	/** A new version is installed and waits for the technician. */
	get available(): boolean {
		return this.#waiting !== null;
	}
	get applying(): boolean {
		return this.#applying;
	}

	/** Follows the page's registration; returns the function that stops following it. */
	async watch(container: ServiceWorkerContainer): Promise<() => void> {
		const registration = await container.getRegistration();
		if (!registration) return () => {};
		// A worker that finishes installing while another controls the page is an update; the
		// very first install (no controller yet) is not.
		const track = (worker: ServiceWorker) => {
			const settle = () => {
				if (worker.state === 'installed' && container.controller) this.#waiting = worker;
				if (worker.state === 'redundant' && this.#waiting === worker) this.#waiting = null;
			};
			settle();
			worker.addEventListener('statechange', settle);
		};
		if (registration.waiting) track(registration.waiting);
		if (registration.installing) track(registration.installing);
		const found = () => registration.installing && track(registration.installing);
		registration.addEventListener('updatefound', found);
		const timer = setInterval(() => void registration.update().catch(() => {}), CHECK_EVERY_MS);
		return () => {
			clearInterval(timer);
			registration.removeEventListener('updatefound', found);
		};
	}

	/** Activates the waiting worker, then reloads into the new version once it controls the page. */
	apply(container: ServiceWorkerContainer, sessionOpen: boolean): ApplyResult {
		if (sessionOpen) return { ok: false, code: 'session-open' };
		const worker = this.#waiting;
		if (!worker) return { ok: false, code: 'nothing-waiting' };
		this.#applying = true;
		container.addEventListener('controllerchange', () => location.reload(), { once: true });
		worker.postMessage(SKIP_WAITING);
		return { ok: true };
	}
}
