/**
 * Issue 5, part 4: over ten thousand frames through the whole pipeline (the recording looped,
 * timestamps rising), fed flat out: VideoFrames still open at the end and the worker's JS heap
 * before and after.
 */
import type { Report } from '../lib/types';
import { startStreamWorker, streamWorkerHeapBytes } from './stream/page';

/** VP9 at 720p: the codec the console asks for first. */
const LABEL = 'vp9';
/** 112 loops of the 90-frame recording: 10,080 frames. */
const LOOPS = 112;
const MB = 1e6;

export async function run(report: Report) {
	const worker = await startStreamWorker();
	try {
		await worker.call((api) => api.openPipeline(LABEL));
		await worker.call((api) => api.pipelineLoops(1)); // warm-up: decoder, canvas, code
		const before = await streamWorkerHeapBytes();
		const r = await worker.call((api) => api.pipelineLoops(LOOPS));
		const after = await streamWorkerHeapBytes();
		const s = `stream.${LABEL}.leak`;
		report(`${s}.frames`, r.decoded, 'frames', '≥ 10000');
		report(`${s}.dropped`, r.dropped, 'chunks');
		report(`${s}.open-frames`, r.stats.openFrames, 'frames', '0 or 1');
		if (before === null || after === null) {
			console.warn('[stream] the worker heap cannot be measured here (not cross-origin isolated?)');
		} else {
			report(`${s}.heap-before.mb`, before / MB, 'MB');
			report(`${s}.heap-after.mb`, after / MB, 'MB');
		}
		await worker.call((api) => api.closePipeline());
	} finally {
		worker.terminate();
	}
}
