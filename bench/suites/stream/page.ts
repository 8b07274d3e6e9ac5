/**
 * The page's side of the stream suites: a visible <canvas> whose control goes to the worker (as
 * the session view hands its canvas to the stream worker), the worker's JS heap, and the main
 * thread's own time from Chromium's trace.
 */
import { transfer } from 'comlink';
import type { BenchTrace, MainThreadTrace } from '../../lib/types';
import { startWorker, type BenchWorker } from '../../lib/worker';
import type { StreamBenchApi } from '../stream.worker';

/** The stream worker with a visible canvas, fitted to the page's width like the "fit" view. */
export async function startStreamWorker(): Promise<BenchWorker<StreamBenchApi>> {
	const canvas = document.createElement('canvas');
	canvas.style.cssText = 'display: block; width: 100%; height: auto';
	document.body.append(canvas);
	const offscreen = canvas.transferControlToOffscreen();
	const worker = startWorker<StreamBenchApi>(
		new Worker(new URL('../stream.worker.ts', import.meta.url), { type: 'module' })
	);
	await worker.call((api) => api.init(transfer(offscreen, [offscreen])));
	return {
		call: worker.call,
		terminate() {
			worker.terminate();
			canvas.remove();
		}
	};
}

interface MemoryEntry {
	bytes: number;
	attribution: { url?: string; scope?: string }[];
}
type MeasuringPerformance = Performance & {
	measureUserAgentSpecificMemory?: () => Promise<{ bytes: number; breakdown: MemoryEntry[] }>;
};

/**
 * Bytes of the stream worker's heap, from performance.measureUserAgentSpecificMemory() (it needs
 * cross-origin isolation, which bench/run.mjs turns on; V8 measures live objects while marking,
 * so garbage does not count). Null where the browser cannot say.
 */
export async function streamWorkerHeapBytes(): Promise<number | null> {
	const perf = performance as MeasuringPerformance;
	if (!crossOriginIsolated || !perf.measureUserAgentSpecificMemory) return null;
	const { breakdown } = await perf.measureUserAgentSpecificMemory();
	const ours = breakdown.filter((e) =>
		e.attribution.some(
			(a) => a.scope === 'DedicatedWorkerGlobalScope' && a.url?.includes('stream.worker')
		)
	);
	return ours.length > 0 ? ours.reduce((n, e) => n + e.bytes, 0) : null;
}

/**
 * Runs `work` inside a window of Chromium's trace (bench/lib/trace.mjs) and returns, with its
 * result, the thread time of every task the page's main thread ran meanwhile. Null when the page
 * was not opened by bench/run.mjs.
 */
export interface TracedRun<T> {
	result: T;
	elapsedMs: number;
	tasks: MainThreadTrace;
}

export async function mainThreadDuring<T>(work: () => Promise<T>): Promise<TracedRun<T> | null> {
	const trace = (window as Window & { benchsideTrace?: BenchTrace }).benchsideTrace;
	if (!trace) return null;
	await trace('start');
	const start = performance.now();
	const settled = await work().then(
		(value) => ({ ok: true as const, value }),
		(error: unknown) => ({ ok: false as const, error })
	);
	const elapsedMs = performance.now() - start;
	const tasks = await trace('stop');
	if (!settled.ok) throw settled.error;
	return tasks ? { result: settled.value, elapsedMs, tasks } : null;
}
