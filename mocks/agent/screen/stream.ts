/**
 * One live stream: paints and encodes its screen at a steady rate until stopped. When the
 * encoder falls behind (two slow cores, a 1080p software encode) a frame is skipped rather than
 * queued, so latency stays bounded and the clock on screen stays honest.
 */
import type { Painter } from './draw';
import type { ScreenEncoder } from './encoder';
import type { ScreenStats } from './types';

/** A key frame at least this often, so a console that lost one recovers on its own. */
export const KEY_INTERVAL_MS = 10_000;
/** Frames allowed to wait in the encoder before the next one is skipped. */
const MAX_QUEUE = 1;

export interface Clock {
	/** Animation time in ms. */
	t(): number;
	/** The time shown on screen. */
	date(): Date;
}

export class LiveStream {
	readonly #interval: number;
	readonly #startedAt: number;
	#timer: ReturnType<typeof setTimeout> | undefined;
	#next: number;
	#lastKeyAt: number;
	#keyRequested = false;
	#lastTimestamp = 0;
	#stopped = false;
	framesDropped = 0;

	/** `encoder` has already encoded the first key frame (at timestamp 0, `startedAt`). */
	constructor(
		readonly screenId: number,
		readonly painter: Painter,
		readonly encoder: ScreenEncoder,
		readonly clock: Clock,
		fps: number,
		startedAt: number,
		readonly onFailed: () => void
	) {
		this.#interval = 1000 / fps;
		this.#startedAt = startedAt;
		this.#lastKeyAt = startedAt;
		this.#next = startedAt + this.#interval;
		this.#schedule();
	}

	requestKeyFrame(): void {
		this.#keyRequested = true;
	}

	#schedule(): void {
		if (this.#stopped) return;
		this.#timer = setTimeout(() => this.#tick(), Math.max(0, this.#next - performance.now()));
	}

	#tick(): void {
		if (this.#stopped) return;
		if (this.encoder.failed) {
			this.onFailed();
			return;
		}
		const now = performance.now();
		if (this.encoder.queued > MAX_QUEUE) this.framesDropped++;
		else this.#encode(now);
		this.#next += this.#interval;
		// Far behind (a busy machine, a throttled timer): drop the missed slots, do not burst.
		if (this.#next < now - this.#interval) {
			const missed = Math.floor((now - this.#next) / this.#interval);
			this.framesDropped += missed;
			this.#next += missed * this.#interval;
		}
		this.#schedule();
	}

	#encode(now: number): void {
		const key = this.#keyRequested || now - this.#lastKeyAt >= KEY_INTERVAL_MS;
		const canvas = this.painter.paint(this.clock.t(), this.clock.date());
		const timestamp = Math.max(this.#lastTimestamp + 1, Math.round((now - this.#startedAt) * 1000));
		this.#lastTimestamp = timestamp;
		const frame = new VideoFrame(canvas, {
			timestamp,
			duration: Math.round(this.#interval * 1000)
		});
		this.encoder.encode(frame, key); // closes frame
		if (key) {
			this.#keyRequested = false;
			this.#lastKeyAt = now;
		}
	}

	stats(): ScreenStats {
		const e = this.encoder;
		return {
			screenId: this.screenId,
			codec: e.codec,
			framesEncoded: e.framesEncoded,
			framesDropped: this.framesDropped,
			keyFrames: e.keyFrames,
			bytes: e.bytes,
			fps: e.fps
		};
	}

	stop(): void {
		this.#stopped = true;
		clearTimeout(this.#timer);
		this.encoder.close();
	}
}
