/**
 * Decode and present, inside the stream worker. Decoding runs as fast as chunks come; drawing
 * costs 3-4 ms a 720p frame and ~7 ms at 1080p without a GPU (bench: stream.*.draw), so at most
 * one frame is drawn per display frame: the first decoded in a display frame is drawn at once (no
 * wait for the next one: bench showed ~8 ms less latency at 60 frames/s), later ones wait for the
 * next display frame and only the newest is drawn; older ones are closed unpainted and counted.
 * A display frame ends at the worker's next requestAnimationFrame callback; a frame that comes
 * out LATE_TICK_MS or more after the last paint began is drawn at once even if that callback has
 * not come yet. Every VideoFrame is closed exactly once: after drawing, or when a newer one
 * replaces it.
 */
export interface VideoConfigIn {
	codec: string;
	width: number;
	height: number;
	description: Uint8Array;
	primaries: string;
	transfer: string;
	matrix: string;
	range: 'unspecified' | 'limited' | 'full';
}

export interface ChunkIn {
	key: boolean;
	timestamp: number;
	duration: number;
	data: Uint8Array;
	/** performance.now() when its record arrived, for arrival-to-paint latency. */
	arrivedAt: number;
	/**
	 * The caller hands over `data`'s whole buffer (a record decrypted for this chunk alone): it
	 * moves into the decoder uncopied and is detached afterwards. Otherwise the data is copied.
	 */
	owned?: boolean;
}

/** EncodedVideoChunkInit with `transfer` (WebCodecs; not yet in TypeScript's DOM types). */
type ChunkInit = EncodedVideoChunkInit & { transfer?: ArrayBuffer[] };

export type KeyFrameReason = 'start' | 'decoder-error' | 'gap' | 'dropped' | 'resize';

export interface VideoStats {
	codec: string;
	width: number;
	height: number;
	decoded: number;
	presented: number;
	/** Decoded but replaced by a newer frame before the next paint. */
	skipped: number;
	/** Chunks dropped before decoding (waiting for a key frame, or the decoder fell behind). */
	dropped: number;
	decoderErrors: number;
	/** Frames currently open (decoded, not yet closed): 0 or 1 when healthy. */
	openFrames: number;
	decodeMs: number;
	drawMs: number;
	latencyMs: number;
	/** From the last decoder error to the first frame painted after it (0 before any error). */
	recoveryMs: number;
	/** Video bytes received, dropped chunks included (the stats overlay's bitrate). */
	bytes: number;
}

/** Chunks queued in the decoder beyond which deltas are dropped until the next key frame. */
export const MAX_DECODE_QUEUE = 6;

/**
 * Catching up: this many chunks or more still wait in the decoder when a frame comes out (a burst
 * after a stall, or a stream fed faster than real time). Its frames are already late, so none is
 * painted until the decoder has caught up (the newest then, at once), or CATCH_UP_PAINT_MS into the
 * catch-up (one frame, so a long one still shows progress). On two cores without a GPU a painted
 * 720p frame costs ~3 ms here and several more in the compositor, outside this worker: flat out,
 * one paint in half a second of decoding took 3-7 % of the decoder's frames/s (a paint every
 * fiftieth of the time: 0.74-0.94 of the bare decoder). The first frame after (re)configuring is
 * painted at once, whatever the backlog.
 */
const BACKLOG = 2;
const CATCH_UP_PAINT_MS = 500;

/**
 * A frame out this long after the last paint began is painted at once, even if the display
 * frame's requestAnimationFrame callback has not come yet. Here, without a GPU, the worker's
 * callbacks came up to 20 ms after they were asked for, and a 60 frames/s stream's next frame
 * then waited for them. It is a little under one 60 Hz display frame, so a stream faster than
 * the display still paints at most about once per display frame. Against waiting for the
 * callback, in four runs at 60 frames/s (bench/README.md, "Stream"), the p50 from arrival to paint
 * was lower at 720p in 15 of 16 cases (by up to 1.6 ms), at 1080p in 3 of 4, and the p95 of AV1
 * by 1-4 ms.
 */
export const LATE_TICK_MS = 15;

type Schedule = (callback: () => void) => void;

export class VideoPipeline {
	readonly #canvas: OffscreenCanvas;
	readonly #ctx: OffscreenCanvasRenderingContext2D;
	readonly #requestKeyFrame: (reason: KeyFrameReason) => void;
	readonly #schedule: Schedule;
	readonly #lateTickMs: number;
	#decoder: VideoDecoder | null = null;
	#config: VideoDecoderConfig | null = null;
	#waitingForKey = true;
	#pending: VideoFrame | null = null;
	/** A frame was drawn in the current display frame. */
	#drewThisFrame = false;
	/** performance.now() when the last paint began. */
	#paintStartedAt = -Infinity;
	#tickScheduled = false;
	/** performance.now() after the last paint (-Infinity: none since the decoder was made). */
	#paintedAt = -Infinity;
	/** performance.now() when the current catch-up began, or null when not catching up. */
	#catchUpSince: number | null = null;
	#arrivals = new Map<number, number>();
	/** performance.now() at decode() of each chunk whose frame has not come out, in decode order. */
	#decodeStart = new Map<number, number>();
	readonly stats: VideoStats = {
		codec: '',
		width: 0,
		height: 0,
		decoded: 0,
		presented: 0,
		skipped: 0,
		dropped: 0,
		decoderErrors: 0,
		openFrames: 0,
		decodeMs: 0,
		drawMs: 0,
		latencyMs: 0,
		recoveryMs: 0,
		bytes: 0
	};
	/** performance.now() of a decoder error not yet followed by a paint. */
	#brokenAt: number | null = null;
	/** Called after each paint (tests and benchmarks wait on it). */
	onPresent: ((timestamp: number) => void) | null = null;

	/**
	 * `schedule` calls back at the next display frame (the worker's requestAnimationFrame unless
	 * given); `lateTickMs` is LATE_TICK_MS unless given (Infinity: always wait for that call).
	 */
	constructor(
		canvas: OffscreenCanvas,
		requestKeyFrame: (reason: KeyFrameReason) => void,
		schedule?: Schedule,
		lateTickMs = LATE_TICK_MS
	) {
		this.#lateTickMs = lateTickMs;
		this.#canvas = canvas;
		const ctx = canvas.getContext('2d', { alpha: false, desynchronized: true });
		if (!ctx) throw new Error('no 2D context on the OffscreenCanvas');
		this.#ctx = ctx;
		this.#requestKeyFrame = requestKeyFrame;
		this.#schedule =
			schedule ??
			(typeof self.requestAnimationFrame === 'function'
				? (cb) => self.requestAnimationFrame(() => cb())
				: (cb) => setTimeout(cb, 16));
	}

	configure(c: VideoConfigIn) {
		const config: VideoDecoderConfig = {
			codec: c.codec,
			codedWidth: c.width,
			codedHeight: c.height,
			optimizeForLatency: true,
			...(c.description.length > 0 ? { description: c.description } : {}),
			...colorSpaceOf(c)
		};
		this.#config = config;
		Object.assign(this.stats, { codec: c.codec, width: c.width, height: c.height });
		if (this.#canvas.width !== c.width || this.#canvas.height !== c.height) {
			this.#canvas.width = c.width;
			this.#canvas.height = c.height;
		}
		this.#reset();
	}

	chunk(c: ChunkIn) {
		this.stats.bytes += c.data.length;
		if (!this.#decoder || this.#decoder.state !== 'configured') {
			this.stats.dropped++;
			return;
		}
		if (!c.key && this.#waitingForKey) {
			this.stats.dropped++;
			return;
		}
		if (!c.key && this.#decoder.decodeQueueSize > MAX_DECODE_QUEUE) {
			// Behind: drop deltas up to the next key frame and ask for one now.
			this.stats.dropped++;
			this.#waitingForKey = true;
			this.#requestKeyFrame('dropped');
			return;
		}
		this.#waitingForKey = false;
		this.#arrivals.set(c.timestamp, c.arrivedAt);
		this.#decodeStart.set(c.timestamp, performance.now());
		const init: ChunkInit = {
			type: c.key ? 'key' : 'delta',
			timestamp: c.timestamp,
			duration: c.duration,
			data: c.data
		};
		// Transferred, the chunk costs 2-3 µs whatever its size; copied, 6 µs at 8 kB and 89 µs at
		// 200 kB (Chromium 156). A browser that does not know `transfer` copies.
		if (c.owned && c.data.buffer instanceof ArrayBuffer) init.transfer = [c.data.buffer];
		this.#decoder.decode(new EncodedVideoChunk(init));
	}

	#reset() {
		if (this.#decoder && this.#decoder.state !== 'closed') this.#decoder.close();
		this.#arrivals.clear();
		this.#decodeStart.clear();
		const stack = new Error('decoder created here').stack;
		const decoder = new VideoDecoder({
			output: (frame) => this.#onFrame(decoder, frame),
			error: (e) => this.#onError(decoder, e, stack)
		});
		this.#decoder = decoder;
		this.#waitingForKey = true;
		this.#paintedAt = -Infinity;
		this.#catchUpSince = null;
		if (this.#config) decoder.configure(this.#config);
	}

	#onFrame(decoder: VideoDecoder, frame: VideoFrame) {
		if (decoder !== this.#decoder) {
			frame.close();
			return;
		}
		this.stats.decoded++;
		const started = this.#decodeStart.get(frame.timestamp);
		if (started !== undefined) this.stats.decodeMs = performance.now() - started;
		// This frame and any older chunk that made no frame of its own are out of the decoder.
		forgetUpTo(this.#decodeStart, frame.timestamp);
		if (this.#pending) {
			this.#pending.close();
			this.stats.skipped++;
			this.stats.openFrames--;
		}
		this.#pending = frame;
		this.stats.openFrames++;
		// Catching up: held, and replaced by the next frame out, which decides again (no
		// display-frame ticks meanwhile). Painted this display frame: the tick after it paints the
		// newest, unless that tick is LATE_TICK_MS late.
		if (this.#catchingUp()) return;
		if (this.#drewThisFrame && performance.now() - this.#paintStartedAt < this.#lateTickMs) return;
		this.#present();
	}

	/**
	 * More chunks wait for their frame, and the catch-up has not yet earned a paint. Counted from
	 * what went into the decoder and has not come out: decodeQueueSize alone misses the chunks a
	 * decoder has taken in but not finished (all of a short burst, often). A catch-up begins at
	 * BACKLOG chunks and lasts until none is left, so its last frame is the one painted.
	 */
	#catchingUp(): boolean {
		const left = this.#decodeStart.size;
		if (left === 0 || (left < BACKLOG && this.#catchUpSince === null)) {
			this.#catchUpSince = null;
			return false;
		}
		if (this.#paintedAt === -Infinity) return false;
		const now = performance.now();
		this.#catchUpSince ??= now;
		return now - Math.max(this.#paintedAt, this.#catchUpSince) < CATCH_UP_PAINT_MS;
	}

	#tick() {
		if (this.#tickScheduled) return;
		this.#tickScheduled = true;
		this.#schedule(() => this.#onTick());
	}

	/** A new display frame: the newest frame decoded meanwhile, if any, is drawn now. */
	#onTick() {
		this.#tickScheduled = false;
		this.#drewThisFrame = false;
		if (this.#pending && !this.#catchingUp()) this.#present();
	}

	#present() {
		this.#drewThisFrame = true;
		this.#tick();
		const frame = this.#pending;
		if (!frame) return;
		this.#pending = null;
		const t0 = performance.now();
		this.#paintStartedAt = t0;
		this.#ctx.drawImage(frame, 0, 0, this.#canvas.width, this.#canvas.height);
		const t1 = performance.now();
		this.stats.drawMs = t1 - t0;
		this.#paintedAt = t1;
		if (this.#brokenAt !== null) {
			this.stats.recoveryMs = t1 - this.#brokenAt;
			this.#brokenAt = null;
		}
		const arrived = this.#arrivals.get(frame.timestamp);
		if (arrived !== undefined) this.stats.latencyMs = t1 - arrived;
		// Arrival times of this frame and of every older one are no longer needed.
		forgetUpTo(this.#arrivals, frame.timestamp);
		this.stats.presented++;
		const timestamp = frame.timestamp;
		frame.close();
		this.stats.openFrames--;
		this.onPresent?.(timestamp);
	}

	#onError(decoder: VideoDecoder, error: DOMException, stack: string | undefined) {
		if (decoder !== this.#decoder) return;
		this.stats.decoderErrors++;
		this.#brokenAt ??= performance.now();
		console.warn('[stream] decoder error, resetting', error.message, stack);
		// After a decoder error: a new decoder, and a key frame to start it from.
		this.#reset();
		this.#requestKeyFrame('decoder-error');
	}

	/** Chunks waiting in the decoder (a player that must not drop feeds below MAX_DECODE_QUEUE). */
	get backlog(): number {
		return this.#decoder?.decodeQueueSize ?? 0;
	}

	/** The pixels now on the canvas (diagnostics and tests: what the technician sees). */
	pixels(x: number, y: number, w: number, h: number): Uint8ClampedArray {
		return this.#ctx.getImageData(x, y, w, h).data;
	}

	close() {
		this.#pending?.close();
		if (this.#pending) this.stats.openFrames--;
		this.#pending = null;
		if (this.#decoder && this.#decoder.state !== 'closed') this.#decoder.close();
		this.#decoder = null;
	}
}

/**
 * Codecs this browser can decode (WebCodecs probes, not guesses), in the order the console
 * prefers them: VP9 first, whose software encoders keep up at 1080p on an instrument PC's CPU,
 * then AV1 (smaller, but its software encoder is slow), H.264 and VP8.
 */
export async function decodableCodecs(): Promise<string[]> {
	if (typeof VideoDecoder === 'undefined') return [];
	const candidates = ['vp09.00.41.08', 'av01.0.08M.08', 'avc1.640028', 'avc1.42E01F', 'vp8'];
	const out: string[] = [];
	for (const codec of candidates) {
		const { supported } = await VideoDecoder.isConfigSupported({
			codec,
			codedWidth: 1920,
			codedHeight: 1080
		}).catch(() => ({ supported: false }));
		if (supported) out.push(codec);
	}
	return out;
}

/** Drops the entries of every chunk up to `timestamp` (a few: those still in the decoder). */
function forgetUpTo(byTimestamp: Map<number, number>, timestamp: number) {
	for (const ts of byTimestamp.keys()) if (ts <= timestamp) byTimestamp.delete(ts);
}

/** The colour space the agent declared, when it declared one (see video-config in the spec). */
function colorSpaceOf(c: VideoConfigIn): { colorSpace?: VideoColorSpaceInit } {
	const space: VideoColorSpaceInit = {};
	if (c.primaries) space.primaries = c.primaries as VideoColorPrimaries;
	if (c.transfer) space.transfer = c.transfer as VideoTransferCharacteristics;
	if (c.matrix) space.matrix = c.matrix as VideoMatrixCoefficients;
	if (c.range !== 'unspecified') space.fullRange = c.range === 'full';
	return Object.keys(space).length > 0 ? { colorSpace: space } : {};
}
