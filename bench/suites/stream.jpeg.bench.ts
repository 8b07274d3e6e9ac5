/**
 * Issue 5, part 3: the older consoles' way, one JPEG per frame (quality 0.8, made here untimed
 * from the recording's decoded frames) decoded with createImageBitmap and drawn with 2D
 * drawImage; and its bytes on the wire against the video's.
 */
import { median, percentile } from '../lib/measure';
import type { Report } from '../lib/types';
import { FIXTURE_FPS, LABELS } from './stream/fixtures';
import { startStreamWorker } from './stream/page';

/** Rounds over all recordings in turn, so slow drift of the machine is shared. */
const ROUNDS = 3;

export async function run(report: Report) {
	const worker = await startStreamWorker();
	try {
		const bytes = new Map<string, { frames: number; videoBytes: number; jpegBytes: number }>();
		for (const label of LABELS) {
			bytes.set(label, await worker.call((api) => api.prepareJpeg(label)));
			await worker.call((api) => api.jpegRound(label)); // warm-up
		}
		const fps = new Map<string, number[]>(LABELS.map((l) => [l, []]));
		const ms = new Map<string, number[]>(LABELS.map((l) => [l, []]));
		for (let round = 0; round < ROUNDS; round++) {
			for (const label of round % 2 ? [...LABELS].reverse() : LABELS) {
				const r = await worker.call((api) => api.jpegRound(label));
				fps.get(label)!.push(r.fps);
				ms.get(label)!.push(...r.ms);
			}
		}
		for (const label of LABELS) {
			const s = `stream.${label}`;
			const b = bytes.get(label)!;
			const perSecond = (n: number) => (n / b.frames) * FIXTURE_FPS;
			report(`${s}.jpeg.fps`, median(fps.get(label)!), 'frames/s');
			report(`${s}.jpeg.p50.ms`, percentile(ms.get(label)!, 50), 'ms');
			report(`${s}.jpeg.p95.ms`, percentile(ms.get(label)!, 95), 'ms');
			report(`${s}.jpeg.wire.kb-per-s`, perSecond(b.jpegBytes) / 1000, 'kB/s');
			report(`${s}.bytes-vs-jpeg.ratio`, b.jpegBytes / b.videoBytes, 'ratio', '> 1');
		}
	} finally {
		worker.terminate();
	}
}
