/**
 * The replay worker: plays a session's screen recording from history (issue 8) through the same
 * decode-and-present pipeline as the live view (stream/video.ts), on an OffscreenCanvas the page
 * transferred. Rows are read from IndexedDB a batch ahead, decrypted under this browser's
 * screen-recording key and fed at their recorded pace (times the chosen speed). Seeking lands on
 * a key frame, the only place a decoder can start.
 */
import { expose, transfer } from 'comlink';
import { openHistoryDb, type HistoryDb } from '../src/lib/history/db';
import {
	openRow,
	recordingRows,
	recordingTimeline,
	screenRecordingKey,
	type TimelineEntry
} from '../src/lib/history/screen-recording';
import { MAX_DECODE_QUEUE, VideoPipeline } from './stream/video';

/** A pause in the recording (turned off, then on) plays as at most this long. */
const MAX_GAP_MS = 1000;
const READ_AHEAD = 90;

export type ReplayState = 'paused' | 'playing' | 'ended';
export type ReplayEvent =
	{ type: 'position'; positionMs: number; state: ReplayState } | { type: 'damaged'; seq: number };

export type ReplayOpenResult =
	| { ok: true; durationMs: number; keyTimesMs: number[]; frames: number }
	| { ok: false; code: 'no-webcodecs' | 'no-recording' | 'unavailable' };

interface Entry extends TimelineEntry {
	/** Playback time: recorded time with long pauses shortened. */
	at: number;
}

class ReplayPlayer {
	readonly #db: HistoryDb;
	readonly #key: CryptoKey;
	readonly #sessionId: string;
	readonly #entries: Entry[];
	readonly #events: MessagePort;
	readonly video: VideoPipeline;
	/** Index of the next entry to feed. */
	#next = 0;
	#state: ReplayState = 'paused';
	#speed = 1;
	/** performance.now() at which playback time `#originAt` was (or would have been) reached. */
	#originWall = 0;
	#originAt = 0;
	#timer: ReturnType<typeof setTimeout> | null = null;
	#ticker: ReturnType<typeof setInterval> | null = null;
	#buffer = new Map<number, Awaited<ReturnType<typeof openRow>>>();
	#generation = 0;

	constructor(
		db: HistoryDb,
		key: CryptoKey,
		sessionId: string,
		timeline: TimelineEntry[],
		canvas: OffscreenCanvas,
		events: MessagePort
	) {
		this.#db = db;
		this.#key = key;
		this.#sessionId = sessionId;
		this.#events = events;
		let at = 0;
		this.#entries = timeline.map((e, i) => {
			if (i > 0) at += Math.min(MAX_GAP_MS, Math.max(0, e.timestamp - timeline[i - 1]!.timestamp));
			return { ...e, at };
		});
		// A recording has no one to ask for a key frame: after a decoder error the pipeline waits
		// for the next one in the recording.
		this.video = new VideoPipeline(canvas, () => {});
	}

	get durationMs() {
		return this.#entries.at(-1)?.at ?? 0;
	}

	get keyTimesMs() {
		return this.#entries.filter((e) => e.kind === 'chunk' && e.key).map((e) => e.at);
	}

	get positionMs() {
		if (this.#state !== 'playing') return this.#originAt;
		return Math.min(
			this.durationMs,
			this.#originAt + (performance.now() - this.#originWall) * this.#speed
		);
	}

	#emit(e: ReplayEvent) {
		this.#events.postMessage(e);
	}

	#emitPosition() {
		this.#emit({ type: 'position', positionMs: this.positionMs, state: this.#state });
	}

	async #row(index: number) {
		const entry = this.#entries[index]!;
		let opened = this.#buffer.get(entry.seq);
		if (!opened) {
			// Read (and decrypt) a batch ahead, in one IndexedDB request.
			const last = this.#entries[Math.min(this.#entries.length - 1, index + READ_AHEAD)]!;
			const rows = await recordingRows(this.#db, this.#sessionId, entry.seq, last.seq);
			const decrypted = await Promise.all(rows.map((r) => openRow(this.#key, r)));
			rows.forEach((r, i) => this.#buffer.set(r.seq, decrypted[i]!));
			opened = this.#buffer.get(entry.seq) ?? { ok: false, seq: entry.seq };
		}
		this.#buffer.delete(entry.seq);
		return opened;
	}

	/** Feeds entry `index` to the decoder; false when the recording is damaged there. */
	async #feed(index: number): Promise<boolean> {
		const opened = await this.#row(index);
		if (!opened.ok) {
			this.#emit({ type: 'damaged', seq: opened.seq });
			return false;
		}
		const m = opened.message;
		if (m.type === 'video-config') this.video.configure(m);
		// Decrypted for this feed alone (read again on a seek): the decoder may take its buffer.
		else this.video.chunk({ ...m, arrivedAt: performance.now(), owned: true });
		return true;
	}

	play(speed: number): Promise<void> {
		this.#speed = speed;
		if (this.#state === 'ended') this.#originAt = 0;
		if (this.#state === 'playing') {
			// A new speed from where playback is now.
			this.#originAt = this.positionMs;
		}
		if (this.#next >= this.#entries.length || this.#state === 'ended') {
			return this.seek(this.#originAt).then(() => this.play(speed));
		}
		this.#state = 'playing';
		this.#originWall = performance.now();
		this.#ticker ??= setInterval(() => this.#emitPosition(), 250);
		this.#schedule();
		this.#emitPosition();
		return Promise.resolve();
	}

	pause() {
		if (this.#state !== 'playing') return;
		this.#originAt = this.positionMs;
		this.#state = 'paused';
		this.#stopTimers();
		this.#emitPosition();
	}

	#stopTimers() {
		if (this.#timer) clearTimeout(this.#timer);
		if (this.#ticker) clearInterval(this.#ticker);
		this.#timer = null;
		this.#ticker = null;
	}

	/** Feeds every entry that is due, then sleeps until the next one. */
	#schedule() {
		const generation = this.#generation;
		const run = async () => {
			this.#timer = null;
			while (this.#state === 'playing' && generation === this.#generation) {
				const entry = this.#entries[this.#next];
				if (!entry) {
					this.#originAt = this.durationMs;
					this.#state = 'ended';
					this.#stopTimers();
					this.#emitPosition();
					return;
				}
				const wait = (entry.at - this.positionMs) / this.#speed;
				if (wait > 1) {
					this.#timer = setTimeout(() => void run(), wait);
					return;
				}
				// A recording has no key frame to ask for: never feed the decoder into a drop.
				// Playback falls behind the clock meanwhile and catches up after.
				if (this.video.backlog >= MAX_DECODE_QUEUE - 1) {
					this.#timer = setTimeout(() => void run(), 4);
					return;
				}
				this.#next++;
				if (!(await this.#feed(this.#next - 1))) {
					this.pause();
					return;
				}
			}
		};
		void run();
	}

	/**
	 * Moves to the last key frame at or before `ms` (with the config before it) and shows it.
	 * Resolves to where playback now stands.
	 */
	async seek(ms: number): Promise<number> {
		const playing = this.#state === 'playing';
		this.#generation++;
		this.#stopTimers();
		let keyIndex = -1;
		for (let i = 0; i < this.#entries.length; i++) {
			const e = this.#entries[i]!;
			if (e.at > ms && keyIndex >= 0) break;
			if (e.kind === 'chunk' && e.key) keyIndex = i;
		}
		if (keyIndex < 0) return this.#originAt;
		let configIndex = keyIndex;
		while (configIndex >= 0 && this.#entries[configIndex]!.kind !== 'config') configIndex--;
		this.#buffer.clear();
		if (configIndex >= 0 && !(await this.#feed(configIndex))) return this.#originAt;
		this.#next = keyIndex;
		this.#originAt = this.#entries[keyIndex]!.at;
		this.#state = 'paused';
		// Shows the key frame at once, even while paused.
		this.#next++;
		await this.#feed(keyIndex);
		if (playing) await this.play(this.#speed);
		else this.#emitPosition();
		return this.#originAt;
	}

	close() {
		this.#generation++;
		this.#stopTimers();
		this.video.close();
		this.#db.close();
	}
}

let player: ReplayPlayer | null = null;

const api = {
	async open(
		sessionId: string,
		canvas: OffscreenCanvas,
		events: MessagePort
	): Promise<ReplayOpenResult> {
		if (typeof VideoDecoder === 'undefined') return { ok: false, code: 'no-webcodecs' };
		player?.close();
		player = null;
		let db: HistoryDb;
		let key: CryptoKey;
		try {
			[db, key] = await Promise.all([openHistoryDb(), screenRecordingKey()]);
		} catch {
			return { ok: false, code: 'unavailable' };
		}
		const timeline = await recordingTimeline(db, sessionId);
		if (!timeline.some((e) => e.kind === 'chunk' && e.key)) {
			db.close();
			return { ok: false, code: 'no-recording' };
		}
		player = new ReplayPlayer(db, key, sessionId, timeline, canvas, events);
		await player.seek(0);
		return {
			ok: true,
			durationMs: player.durationMs,
			keyTimesMs: player.keyTimesMs,
			frames: timeline.filter((e) => e.kind === 'chunk').length
		};
	},
	play: (speed = 1) => player?.play(speed),
	pause: () => player?.pause(),
	seek: (ms: number) => player?.seek(ms) ?? Promise.resolve(0),
	close: () => {
		player?.close();
		player = null;
	},
	/** RGBA pixels of a region as last painted (tests, diagnostics). */
	pixels: (x: number, y: number, w: number, h: number) => {
		const data = player?.video.pixels(x, y, w, h) ?? new Uint8ClampedArray(0);
		return transfer(data, [data.buffer]);
	},
	stats: () => (player ? { ...player.video.stats } : null),
	nextPaint: () =>
		new Promise<number>((resolve) => {
			if (!player) return resolve(-1);
			const video = player.video;
			video.onPresent = (ts) => {
				video.onPresent = null;
				resolve(ts);
			};
		})
};

export type ReplayWorkerApi = typeof api;
expose(api);
