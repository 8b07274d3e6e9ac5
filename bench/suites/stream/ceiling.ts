/**
 * The ceiling: the browser's VideoDecoder on the recording's chunks with nothing around it, a
 * fresh decoder per run, configured as VideoPipeline configures its own.
 */
import type { Fixture } from '../../../mocks/agent/screen/fixture';
import { NativeVideoDecoder } from './decoders';
import type { Drawer, DrawMethod } from './draw';
import { decoderConfig, encodedChunk } from './fixtures';
import { arrivalAt, deferred, sleepUntil, withDeadline } from './timing';

/** The pipeline's way of drawing: 2D drawImage, same context options, nothing else. */
export function pipelineStyleContext(f: Fixture) {
	const ctx = new OffscreenCanvas(f.width, f.height).getContext('2d', {
		alpha: false,
		desynchronized: true
	});
	if (!ctx) throw new Error('no 2D context');
	return (frame: VideoFrame) => ctx.drawImage(frame, 0, 0, f.width, f.height);
}

function decoder(f: Fixture, output: (frame: VideoFrame) => void, fail: (e: unknown) => void) {
	const d = new NativeVideoDecoder({ output, error: fail });
	d.configure(decoderConfig(f));
	return d;
}

/**
 * The recording `loops` times over with rising timestamps; each frame closed at once (`draw`
 * null) or drawn first. With `window` null every chunk is queued at once; with a number, the next
 * chunk goes in only while fewer than that wait in the decoder (its `dequeue` events), as the
 * pipeline is fed flat out, with no record path around it. Frames/s from the first decode() call
 * to the last output.
 */
export async function decodeFlat(
	f: Fixture,
	draw: ((frame: VideoFrame) => void) | null,
	loops = 1,
	window: number | null = null
) {
	const n = f.chunks.length * loops;
	const last = f.chunks.at(-1)!;
	const span = last.timestamp + last.duration;
	const done = deferred();
	let outputs = 0;
	let end = 0;
	const d = decoder(
		f,
		(frame) => {
			draw?.(frame);
			frame.close();
			if (++outputs === n) {
				end = performance.now();
				done.resolve();
			}
		},
		done.reject
	);
	let next = 0;
	const chunk = (i: number) => {
		const c = f.chunks[i % f.chunks.length]!;
		return encodedChunk(c, Math.floor(i / f.chunks.length) * span + c.timestamp);
	};
	const pump = () => {
		while (next < n && (window === null || d.decodeQueueSize < window)) d.decode(chunk(next++));
	};
	if (window !== null) d.addEventListener('dequeue', pump);
	const start = performance.now();
	pump();
	await withDeadline(done.promise, 60_000, 'ceiling decode');
	d.close();
	return (n / (end - start)) * 1000;
}

export interface DrawCosts {
	/** decode() → output, one chunk at a time. */
	decodeMs: number[];
	/** decode() → the 2D draw done, one chunk at a time (the frames drawn by 2D). */
	decodeDrawMs: number[];
	draw: Partial<Record<DrawMethod, number[]>>;
}

/**
 * One chunk at a time: decode, then draw the frame with one method. Method of frame i in pass p
 * is (i + p) mod methods, so over as many passes as methods every method draws every frame once,
 * and no method draws a frame another has just converted.
 */
export async function drawCosts(f: Fixture, methods: Drawer[], passes: number) {
	const out: DrawCosts = { decodeMs: [], decodeDrawMs: [], draw: {} };
	for (const m of methods) out.draw[m.method] = [];
	for (let pass = 0; pass < passes; pass++) {
		let next = deferred<VideoFrame>();
		const d = decoder(
			f,
			(frame) => next.resolve(frame),
			(e) => next.reject(e)
		);
		for (const [i, c] of f.chunks.entries()) {
			const method = methods[(i + pass) % methods.length]!;
			next = deferred<VideoFrame>();
			const t0 = performance.now();
			d.decode(encodedChunk(c));
			const frame = await withDeadline(next.promise, 10_000, `decoding chunk ${i} alone`);
			const t1 = performance.now();
			try {
				await method.draw(frame);
			} finally {
				frame.close();
			}
			const t2 = performance.now();
			out.decodeMs.push(t1 - t0);
			out.draw[method.method]!.push(t2 - t1);
			if (method.method === '2d') out.decodeDrawMs.push(t2 - t0);
		}
		d.close();
	}
	return out;
}

/**
 * Chunks arriving at `fps`, each frame drawn at once the pipeline's way: latency from a chunk's
 * arrival to its drawImage returning.
 */
export async function decodePaced(f: Fixture, fps: number): Promise<number[]> {
	const draw = pipelineStyleContext(f);
	const n = f.chunks.length;
	const arrived = new Map<number, number>();
	const latency: number[] = [];
	const done = deferred();
	const d = decoder(
		f,
		(frame) => {
			draw(frame);
			latency.push(performance.now() - arrived.get(frame.timestamp)!);
			frame.close();
			if (latency.length === n) done.resolve();
		},
		done.reject
	);
	const start = performance.now() + 20;
	for (const [i, c] of f.chunks.entries()) {
		await sleepUntil(arrivalAt(start, i, n, fps));
		arrived.set(c.timestamp, performance.now());
		d.decode(encodedChunk(c));
	}
	await withDeadline(done.promise, 60_000, 'paced ceiling');
	d.close();
	return latency;
}
