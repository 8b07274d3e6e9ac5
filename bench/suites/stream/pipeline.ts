/**
 * The full console path around the real VideoPipeline (workers/stream/video.ts): sealed records
 * → FrameDecoder → SecureChannel.open() → the stream worker's message switch → VideoPipeline →
 * drawn on the OffscreenCanvas the page transferred, at the worker's requestAnimationFrame.
 */
import type { Fixture } from '../../../mocks/agent/screen/fixture';
import type { AppMessage } from '../../../src/lib/protocol/messages';
import { MAX_DECODE_QUEUE, VideoPipeline } from '../../../workers/stream/video';
import { WatchedDecoder, watchDecoders } from './decoders';
import { arrivalAt, deferred, sleepUntil, withDeadline } from './timing';
import { Socket, Wire, type Messages, type WireRecord } from './wire';

/**
 * Records let in while the decoder's queue plus records still opening stay below this. The
 * pipeline drops deltas when its decoder holds more than MAX_DECODE_QUEUE chunks: feeding "flat
 * out" means as fast as a flow-controlled transport would deliver, up to that, not into a drop.
 */
export const FLOW_WINDOW = MAX_DECODE_QUEUE;

export interface Clip {
	records: WireRecord[];
	/** The same chunks as plain messages, for runs without the record path (`flatOut`'s feeds). */
	messages: AppMessage[];
}

/**
 * What a flat-out run feeds the pipeline: sealed records through the socket, one or two messages
 * each (`Messages`); or, as diagnostics, the same chunks as plain messages with no framing and
 * no decryption, each through a socket of its own (a task each) or a microtask apart (all in the
 * one task of the decoder's `dequeue` event).
 */
export type Feed = Messages | 'plain-socket' | 'plain';

export interface RunCounts {
	decoded: number;
	presented: number;
	skipped: number;
	dropped: number;
}

export class PipelineHarness {
	readonly video: VideoPipeline;
	readonly #wire = new Wire();
	/** The plain diagnostic's socket: messages as tasks, with no record path. */
	readonly #plainSocket = new Socket<AppMessage>();
	#fixture: Fixture | null = null;
	#decoder: WatchedDecoder | null = null;
	/** Timestamp (µs) of the next clip's first chunk: they rise across loops, as the agent's do. */
	#nextBase = 0;
	/** Called after each paint (samples), then #wake. */
	#onPaint: (() => void) | null = null;
	/** Called after each chunk, decoder output and paint while something waits (#until). */
	#wake: (() => void) | null = null;
	readonly #paints: boolean;

	/**
	 * `paints` false gives VideoPipeline a scheduler that never runs, and no late display frame:
	 * every frame is decoded and replaced unpainted, which shows what presenting costs the
	 * decoder (a diagnostic).
	 */
	constructor(canvas: OffscreenCanvas, paints = true) {
		watchDecoders();
		this.#paints = paints;
		this.video = new VideoPipeline(
			canvas,
			// A key frame request goes unanswered: the recording's next one is at most 30 frames on.
			() => {},
			paints ? undefined : () => {},
			paints ? undefined : Infinity
		);
		this.video.onPresent = () => {
			this.#onPaint?.();
			this.#wake?.();
		};
	}

	/**
	 * As the stream worker's #onMessage handles the two video messages; `owned` for a record just
	 * opened (its own buffer), not for the plain diagnostics' messages.
	 */
	#onMessage(m: AppMessage, arrivedAt: number, owned = false) {
		if (m.type === 'video-config') this.video.configure(m);
		else if (m.type === 'video-chunk') {
			this.video.chunk({ ...m, arrivedAt, owned });
			// A dropped chunk has no output or paint to follow it: look now.
			this.#wake?.();
		} else throw new Error(`unexpected ${m.type}`);
	}

	async configure(f: Fixture) {
		this.#fixture = f;
		const config = await this.#wire.sealConfig(f);
		await this.#wire.deliver(config, (m, at) => this.#onMessage(m, at));
		this.#wire.check();
		this.#decoder = WatchedDecoder.current;
		if (!this.#decoder) throw new Error('the pipeline made no decoder');
		this.#decoder.watch.onOutput = () => this.#wake?.();
	}

	/**
	 * The whole recording, `loops` times over, sealed as the next stretch of the stream (untimed).
	 * A plain feed: messages only, nothing sealed (sealed records must all be opened, in sequence).
	 */
	async clip(loops = 1, feed: Feed = 'one'): Promise<Clip> {
		const f = this.#fixture!;
		const last = f.chunks.at(-1)!;
		const records: WireRecord[] = [];
		const messages: AppMessage[] = [];
		for (let loop = 0; loop < loops; loop++) {
			if (feed === 'one' || feed === 'two')
				records.push(...(await this.#wire.sealClip(f, this.#nextBase, undefined, feed)));
			for (const c of f.chunks)
				messages.push({
					type: 'video-chunk',
					screenId: 0,
					key: c.key,
					timestamp: this.#nextBase + c.timestamp,
					duration: c.duration,
					data: c.data
				});
			this.#nextBase += last.timestamp + last.duration;
		}
		return { records, messages };
	}

	#counts(): RunCounts {
		const { decoded, presented, skipped, dropped } = this.video.stats;
		return { decoded, presented, skipped, dropped };
	}

	#since(before: RunCounts): RunCounts {
		const now = this.#counts();
		return {
			decoded: now.decoded - before.decoded,
			presented: now.presented - before.presented,
			skipped: now.skipped - before.skipped,
			dropped: now.dropped - before.dropped
		};
	}

	/**
	 * Resolves once `ready()` holds, checked now and after every chunk, decoder output and
	 * paint; rejects if a record fails to open meanwhile.
	 */
	async #until(ready: () => boolean, what: string, ms: number): Promise<void> {
		const done = deferred();
		const check = () => {
			try {
				this.#wire.check();
				if (ready()) done.resolve();
			} catch (e) {
				done.reject(e);
			}
		};
		this.#wake = check;
		check();
		try {
			await withDeadline(done.promise, ms, what);
		} catch (e) {
			const { decoded, presented, skipped, dropped, openFrames, decoderErrors } = this.video.stats;
			const state = { decoded, presented, skipped, dropped, openFrames, decoderErrors };
			throw new Error(
				`${e instanceof Error ? e.message : e} (pipeline: ${JSON.stringify(state)})`,
				{
					cause: e
				}
			);
		} finally {
			this.#wake = null;
		}
	}

	/** Every chunk since `before` decoded or dropped, and no frame left unpainted. */
	#drained(before: RunCounts, n: number) {
		const c = this.#since(before);
		return c.decoded + c.dropped >= n && (!this.#paints || this.video.stats.openFrames === 0);
	}

	/**
	 * Fed flat out under flow control (FLOW_WINDOW). Frames/s decoded from the first record's
	 * arrival to the last frame out of the decoder; resolves once the last frame is painted.
	 * Painting goes on at the display's rate meanwhile, as it would in the console.
	 */
	async flatOut(clip: Clip, feed: Feed = 'one') {
		const d = this.#decoder!;
		const n = clip.messages.length;
		// Each message arrives in a buffer of its own, except the plain feed's (the clip's own).
		const deliver = (
			i: number,
			then: (m: AppMessage, at: number, owned: boolean) => void
		): Promise<void> => {
			if (feed === 'plain')
				return Promise.resolve().then(() => then(clip.messages[i]!, performance.now(), false));
			if (feed === 'plain-socket')
				return this.#plainDeliver(clip.messages[i]!, (m, at) => then(m, at, true));
			return this.#wire.deliver(clip.records[i]!, (m, at) => then(m, at, true));
		};
		const before = this.#counts();
		let next = 0;
		let opening = 0;
		const pump = () => {
			while (next < n && opening + d.decodeQueueSize < FLOW_WINDOW) {
				opening++;
				// A failure to open is seen by #until (Wire.check).
				void deliver(next++, (m, at, owned) => {
					opening--;
					this.#onMessage(m, at, owned);
					pump();
				});
			}
		};
		d.addEventListener('dequeue', pump);
		const start = performance.now();
		let decodedMs = 0;
		try {
			pump();
			await this.#until(
				() => {
					const c = this.#since(before);
					if (c.decoded + c.dropped < n) return false;
					decodedMs ||= d.watch.lastOutputAt - start;
					return this.#drained(before, n);
				},
				'pipeline fed flat out',
				120_000
			);
		} finally {
			d.removeEventListener('dequeue', pump);
		}
		const counts = this.#since(before);
		return { ...counts, fps: (counts.decoded / decodedMs) * 1000 };
	}

	/**
	 * Records arriving at `fps` (see arrivalAt). Per painted frame: arrival-to-paint latency and draw time, as
	 * the pipeline's own stats give them right after each paint.
	 */
	async paced(clip: Clip, fps: number) {
		const n = clip.records.length;
		const before = this.#counts();
		const latencyMs: number[] = [];
		const drawMs: number[] = [];
		this.#onPaint = () => {
			latencyMs.push(this.video.stats.latencyMs);
			drawMs.push(this.video.stats.drawMs);
		};
		try {
			const start = performance.now() + 20;
			for (const [i, r] of clip.records.entries()) {
				await sleepUntil(arrivalAt(start, i, n, fps));
				void this.#wire.deliver(r, (m, at) => this.#onMessage(m, at, true));
			}
			await this.#until(() => this.#drained(before, n), 'paced pipeline', 30_000);
		} finally {
			this.#onPaint = null;
		}
		return { ...this.#since(before), latencyMs, drawMs };
	}

	/** A plain message through the plain socket: handed on in the task of its message event. */
	#plainDeliver(m: AppMessage, then: (m: AppMessage, at: number) => void): Promise<void> {
		const at = performance.now();
		const handled = deferred();
		this.#plainSocket.send(m, (copy) => {
			then(copy, at);
			handled.resolve();
		});
		return handled.promise;
	}

	/** RGBA of a region of the canvas: proof that something was painted. */
	brightest(): number {
		const { width, height } = this.video.stats;
		const px = this.video.pixels(width / 2 - 32, height / 2 - 32, 64, 64);
		let max = 0;
		for (let i = 0; i < px.length; i += 4) max = Math.max(max, px[i]!, px[i + 1]!, px[i + 2]!);
		return max;
	}

	close() {
		this.video.close();
		this.#wire.close();
		this.#plainSocket.close();
	}
}
