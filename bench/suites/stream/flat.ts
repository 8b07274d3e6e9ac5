/**
 * Issue 5, part 1: the ceiling (bare VideoDecoder, decode only and decode plus drawing every
 * frame), the cost of each drawing method apart from decode, the full pipeline fed flat out
 * against the ceiling and, for scale, decode-only beside a busy thread, for the recordings a suite
 * names (three suites share the five recordings, so that each stays within the runner's time per
 * suite). See bench/README.md, "Stream".
 */
import { median, percentile } from '../../lib/measure';
import type { Report } from '../../lib/types';
import type { StreamLabel } from './fixtures';
import { FLOW_WINDOW, type Feed } from './pipeline';
import { startStreamWorker } from './page';

/**
 * Runs `work` while another thread of the page's process spins (spin.worker.ts): a diagnostic of
 * how much the decoder depends on having the machine's other cores to itself. The thread is told
 * to stop through shared memory, and the next run starts only once it has.
 */
async function besideBusyThread<T>(work: () => Promise<T>): Promise<T> {
	const spinner = new Worker(new URL('./spin.worker.ts', import.meta.url), { type: 'module' });
	const stop = new Int32Array(new SharedArrayBuffer(4));
	const next = () =>
		new Promise<void>((resolve, reject) => {
			spinner.onmessage = () => resolve();
			spinner.onerror = () => reject(new Error('the busy thread failed'));
		});
	let spinning = false;
	try {
		const started = next();
		spinner.postMessage(stop);
		await started;
		spinning = true;
		return await work();
	} finally {
		if (spinning) {
			const stopped = next();
			Atomics.store(stop, 0, 1);
			await stopped;
		}
		spinner.terminate();
	}
}

/**
 * Interleaved rounds of ceiling and pipeline, order alternating; ratios are per round. With 5,
 * the same ratio moved by up to 0.1 between runs (one slow ceiling run decides a round).
 */
const ROUNDS = 9;
/**
 * Decode-only and pipeline runs take the recording this many times over (450 frames): one pass
 * lasts 55-270 ms flat out, short enough for a scheduling hiccup to move a ratio by 10 %.
 */
const FLAT_LOOPS = 5;
/** One-at-a-time passes for the draw costs: each of four methods draws every frame once. */
const PASSES = 4;

/** The ceiling, the drawing methods and the pipeline fed flat out, for these recordings. */
export async function runFlat(report: Report, labels: readonly StreamLabel[]) {
	const worker = await startStreamWorker();
	try {
		for (const label of labels) {
			await worker.call((api) => api.openPipeline(label, true));
			// Warm-up, untimed: code paths, decoder threads, the canvas's first frame.
			await worker.call((api) => api.decodeFlat(label, false));
			await worker.call((api) => api.pipelineFlat(false));
			const warm = await worker.call((api) => api.pipelineFlat(true));
			if (warm.brightest < 16) throw new Error(`${label}: the pipeline painted nothing visible`);

			const decode: number[] = [];
			const drawn: number[] = [];
			const pipeline: number[] = [];
			const unpainted: number[] = [];
			const windowed: number[] = [];
			const twoMessages: number[] = [];
			const plainSocket: number[] = [];
			const plain: number[] = [];
			const busy: number[] = [];
			const flat = async (paints: boolean, feed: Feed = 'one') => {
				const r = await worker.call((api) => api.pipelineFlat(paints, FLAT_LOOPS, feed));
				if (r.dropped > 0)
					console.warn(`[stream] ${label}: the pipeline dropped ${r.dropped} chunks fed flat out`);
				return r.fps;
			};
			for (let round = 0; round < ROUNDS; round++) {
				const steps = [
					async () =>
						decode.push(await worker.call((api) => api.decodeFlat(label, false, FLAT_LOOPS))),
					async () => pipeline.push(await flat(true)),
					async () => unpainted.push(await flat(false)),
					async () => twoMessages.push(await flat(false, 'two')),
					async () => plainSocket.push(await flat(false, 'plain-socket')),
					async () => plain.push(await flat(false, 'plain')),
					async () =>
						windowed.push(
							await worker.call((api) => api.decodeFlat(label, false, FLAT_LOOPS, FLOW_WINDOW))
						),
					async () => drawn.push(await worker.call((api) => api.decodeFlat(label, true))),
					async () =>
						busy.push(
							await besideBusyThread(() =>
								worker.call((api) => api.decodeFlat(label, false, FLAT_LOOPS))
							)
						)
				];
				for (const step of round % 2 ? steps.reverse() : steps) await step();
			}
			const ratio = (xs: number[]) => median(xs.map((x, i) => x / decode[i]!));
			await worker.call((api) => api.closePipeline());
			const costs = await worker.call((api) => api.drawCosts(label, PASSES));

			const s = `stream.${label}`;
			report(`${s}.decode.fps`, median(decode), 'frames/s');
			report(`${s}.decode.p50.ms`, percentile(costs.decodeMs, 50), 'ms');
			report(`${s}.decode.p95.ms`, percentile(costs.decodeMs, 95), 'ms');
			report(`${s}.decode-draw.fps`, median(drawn), 'frames/s');
			report(`${s}.decode-draw.p50.ms`, percentile(costs.decodeDrawMs, 50), 'ms');
			report(`${s}.decode-draw.p95.ms`, percentile(costs.decodeDrawMs, 95), 'ms');
			for (const [method, ms] of Object.entries(costs.draw)) {
				report(`${s}.draw.${method}.ms`, percentile(ms, 50), 'ms');
			}
			report(`${s}.pipeline.fps`, median(pipeline), 'frames/s');
			report(`${s}.pipeline-vs-ceiling.ratio`, ratio(pipeline), 'ratio', '≥ 0.95');
			report(`${s}.pipeline-unpainted-vs-ceiling.ratio`, ratio(unpainted), 'ratio');
			report(`${s}.decode-windowed-vs-ceiling.ratio`, ratio(windowed), 'ratio');
			report(`${s}.pipeline-unpainted-two-messages-vs-ceiling.ratio`, ratio(twoMessages), 'ratio');
			report(`${s}.pipeline-unpainted-plain-socket-vs-ceiling.ratio`, ratio(plainSocket), 'ratio');
			report(`${s}.pipeline-unpainted-plain-vs-ceiling.ratio`, ratio(plain), 'ratio');
			report(`${s}.decode-beside-busy-thread-vs-ceiling.ratio`, ratio(busy), 'ratio');
		}
	} finally {
		worker.terminate();
	}
}
