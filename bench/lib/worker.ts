/**
 * Starts a Comlink-wrapped worker whose calls also fail when the worker itself does: a module
 * worker that cannot load fires `error` on the Worker and would otherwise leave a call pending.
 */
import { releaseProxy, wrap, type Remote } from 'comlink';

export interface BenchWorker<T> {
	call<R>(f: (api: Remote<T>) => Promise<R>): Promise<R>;
	terminate(): void;
}

export function startWorker<T>(worker: Worker): BenchWorker<T> {
	const api = wrap<T>(worker);
	const failed = new Promise<never>((_, reject) => {
		worker.addEventListener('error', (e) => {
			const detail =
				e instanceof ErrorEvent && e.message ? e.message : 'it did not load or threw at top level';
			reject(new Error(`worker failed: ${detail}`));
		});
		worker.addEventListener('messageerror', () => reject(new Error('worker message error')));
	});
	failed.catch(() => {}); // only observed through call()
	return {
		call: (f) => Promise.race([f(api), failed]),
		terminate() {
			api[releaseProxy]();
			worker.terminate();
		}
	};
}
