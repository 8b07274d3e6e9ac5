/**
 * The older consoles' way: one JPEG per frame, decoded with createImageBitmap and drawn with 2D
 * drawImage. The JPEGs are made here (untimed) from the recording's own decoded frames, at its
 * size, so both paths show the same pictures.
 */
import type { Fixture } from '../../../mocks/agent/screen/fixture';
import { NativeVideoDecoder } from './decoders';
import { decoderConfig, encodedChunk } from './fixtures';
import { deferred, withDeadline } from './timing';

export const JPEG_QUALITY = 0.8;

export async function makeJpegs(f: Fixture): Promise<Blob[]> {
	const canvas = new OffscreenCanvas(f.width, f.height);
	const ctx = canvas.getContext('2d', { alpha: false });
	if (!ctx) throw new Error('no 2D context');
	const blobs: Blob[] = [];
	let next = deferred<VideoFrame>();
	const d = new NativeVideoDecoder({
		output: (frame) => next.resolve(frame),
		error: (e) => next.reject(e)
	});
	d.configure(decoderConfig(f));
	for (const c of f.chunks) {
		next = deferred<VideoFrame>();
		d.decode(encodedChunk(c));
		const frame = await withDeadline(next.promise, 10_000, 'decoding for JPEG');
		ctx.drawImage(frame, 0, 0, f.width, f.height);
		frame.close();
		blobs.push(await canvas.convertToBlob({ type: 'image/jpeg', quality: JPEG_QUALITY }));
	}
	d.close();
	return blobs;
}

/** Each JPEG in turn: createImageBitmap(blob) + drawImage, timed per frame. */
export async function jpegRound(f: Fixture, blobs: readonly Blob[]) {
	const ctx = new OffscreenCanvas(f.width, f.height).getContext('2d', {
		alpha: false,
		desynchronized: true
	});
	if (!ctx) throw new Error('no 2D context');
	const ms: number[] = [];
	const start = performance.now();
	for (const blob of blobs) {
		const t0 = performance.now();
		const bitmap = await createImageBitmap(blob);
		ctx.drawImage(bitmap, 0, 0, f.width, f.height);
		bitmap.close();
		ms.push(performance.now() - t0);
	}
	return { ms, fps: (blobs.length / (performance.now() - start)) * 1000 };
}
