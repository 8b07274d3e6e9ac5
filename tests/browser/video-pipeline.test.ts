/**
 * The stream worker's VideoPipeline on a recorded screen stream: which frames reach the canvas.
 * Display frames are ticked by the test (an injected scheduler), so what is painted when is
 * decided by the pipeline's rules alone: every frame of a stream that keeps up, and only the newest
 * once a late burst has been decoded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseFixture, type Fixture } from '$mocks/agent/screen/fixture';
import { LATE_TICK_MS, MAX_DECODE_QUEUE, VideoPipeline } from '$workers/stream/video';

const WAIT = { timeout: 10_000, interval: 5 };

let open: VideoPipeline | null = null;
afterEach(() => {
	open?.close();
	open = null;
});

async function recording(): Promise<Fixture> {
	const response = await fetch('/tests/fixtures/screen-720p.vp9.bsv');
	return parseFixture(new Uint8Array(await response.arrayBuffer()));
}

/** A pipeline on a canvas of its own; `tick()` is the next display frame. */
function pipelineFor(f: Fixture) {
	const due: (() => void)[] = [];
	const painted: number[] = [];
	const p = new VideoPipeline(
		new OffscreenCanvas(f.width, f.height),
		() => {},
		(callback) => due.push(callback)
	);
	open = p;
	p.onPresent = (timestamp) => painted.push(timestamp);
	p.configure({
		codec: f.codec,
		width: f.width,
		height: f.height,
		description: f.description ?? new Uint8Array(0),
		primaries: '',
		transfer: '',
		matrix: '',
		range: 'unspecified'
	});
	const feed = (i: number) => {
		const c = f.chunks[i]!;
		p.chunk({ ...c, arrivedAt: performance.now() });
	};
	const tick = () => due.splice(0).forEach((callback) => callback());
	return { p, painted, feed, tick };
}

describe('VideoPipeline', () => {
	it('paints every frame of a stream that keeps up', async () => {
		const f = await recording();
		const { p, painted, feed, tick } = pipelineFor(f);
		for (let i = 0; i < 10; i++) {
			feed(i);
			await expect.poll(() => p.stats.decoded, WAIT).toBe(i + 1);
			tick();
		}
		expect(painted).toEqual(f.chunks.slice(0, 10).map((c) => c.timestamp));
		expect(p.stats.skipped).toBe(0);
		expect(p.stats.openFrames).toBe(0);
	});

	it('holds a second frame for the display frame, unless that display frame is late', async () => {
		const f = await recording();
		const { p, painted, feed, tick } = pipelineFor(f);
		let paintEnded = 0;
		const onPresent = p.onPresent;
		p.onPresent = (timestamp) => {
			// The first paint's end only: a second paint must not move the mark it is checked by.
			if (paintEnded === 0) paintEnded = performance.now();
			onPresent?.(timestamp);
		};
		feed(0);
		await expect.poll(() => painted.length, WAIT).toBe(1);
		const paintStarted = paintEnded - p.stats.drawMs;
		// No display frame since that paint: a frame out within LATE_TICK_MS of its start waits
		// for one (checked only when this machine was quick enough to tell: now is later than
		// the moment the frame came out).
		feed(1);
		await expect.poll(() => p.stats.decoded, WAIT).toBe(2);
		if (performance.now() - paintStarted < LATE_TICK_MS) expect(painted).toHaveLength(1);
		tick();
		expect(painted).toEqual(f.chunks.slice(0, 2).map((c) => c.timestamp));
		// Still no display frame (its callback late), but longer than LATE_TICK_MS since the
		// last paint: the next frame is painted as soon as it is out.
		await new Promise((resolve) => setTimeout(resolve, LATE_TICK_MS + 5));
		feed(2);
		await expect.poll(() => painted.length, WAIT).toBe(3);
		expect(painted[2]).toBe(f.chunks[2]!.timestamp);
		expect(p.stats.skipped).toBe(0);
		expect(p.stats.openFrames).toBe(0);
	});

	it('takes an owned chunk’s buffer into the decoder uncopied, and copies any other', async () => {
		const f = await recording();
		const { p, painted, tick } = pipelineFor(f);
		/** Chunk i's bytes after a 14-byte prefix in a buffer of their own, as a record opens. */
		const opened = (i: number) => {
			const d = f.chunks[i]!.data;
			const view = new Uint8Array(new ArrayBuffer(14 + d.length), 14);
			view.set(d);
			return view;
		};
		const first = opened(0);
		p.chunk({ ...f.chunks[0]!, data: first, arrivedAt: performance.now(), owned: true });
		expect(first.buffer.byteLength).toBe(0); // moved into the decoder: detached here
		await expect.poll(() => painted.length, WAIT).toBe(1);
		tick();
		const second = opened(1);
		p.chunk({ ...f.chunks[1]!, data: second, arrivedAt: performance.now() });
		expect(second.buffer.byteLength).toBe(14 + f.chunks[1]!.data.length); // copied, left whole
		await expect.poll(() => painted.length, WAIT).toBe(2);
		expect(painted).toEqual(f.chunks.slice(0, 2).map((c) => c.timestamp));
		expect(p.stats.bytes).toBe(f.chunks[0]!.data.length + f.chunks[1]!.data.length);
		// What was painted is the recording's picture, not an empty frame.
		const px = p.pixels(0, 0, f.width, 8);
		expect(Math.max(...px.filter((_, i) => i % 4 !== 3))).toBeGreaterThan(16);
	});

	it('paints a late burst once caught up: only its newest frame, the others closed unpainted', async () => {
		const f = await recording();
		const { p, painted, feed, tick } = pipelineFor(f);
		feed(0);
		await expect.poll(() => painted.length, WAIT).toBe(1);
		tick();
		// A stall, then the frames it held back arrive at once (as many as the decoder may queue).
		await new Promise((resolve) => setTimeout(resolve, 600));
		const burst = MAX_DECODE_QUEUE;
		for (let i = 1; i <= burst; i++) feed(i);
		await expect.poll(() => p.stats.decoded, WAIT).toBe(burst + 1);
		tick(); // a display frame, in case the newest came out in the one of another paint
		expect(p.stats.openFrames).toBe(0);
		expect(painted).toEqual([f.chunks[0]!.timestamp, f.chunks[burst]!.timestamp]);
		expect(p.stats.skipped).toBe(burst - 1);
		expect(p.stats.dropped).toBe(0);
	});

	it('counts every video byte received, dropped chunks included (the overlay’s bitrate)', async () => {
		const f = await recording();
		const { p, feed } = pipelineFor(f);
		// Deltas before any key frame are dropped: received all the same.
		feed(1);
		feed(2);
		expect(p.stats.dropped).toBe(2);
		feed(0);
		await expect.poll(() => p.stats.decoded, WAIT).toBe(1);
		const sum = [0, 1, 2].reduce((n, i) => n + f.chunks[i]!.data.length, 0);
		expect(p.stats.bytes).toBe(sum);
	});
});
