import { transfer, wrap, type Remote } from 'comlink';
import { m } from '$lib/i18n';
import type { ReplayEvent, ReplayState, ReplayWorkerApi } from '$workers/replay.worker';
import ReplayWorker from '$workers/replay.worker?worker';
import { openHistoryDb } from './db';
import { hasRecording } from './screen-recording';

export type ReplayFailure = 'no-webcodecs' | 'no-recording' | 'unavailable' | 'damaged';

/** Speeds the reviewer can choose. */
export const REPLAY_SPEEDS = [0.5, 1, 2, 4] as const;

/**
 * A recorded session's screen, played back in the replay worker (issue 8). State to read, intent
 * methods to call; frames never leave the worker.
 */
export class SessionReplay {
	readonly canvas: HTMLCanvasElement;
	/** Started only for a session that has a recording. */
	#worker: Worker | null = null;
	#api: Remote<ReplayWorkerApi> | null = null;
	#loading = $state.raw(true);
	#state = $state.raw<ReplayState>('paused');
	#positionMs = $state.raw(0);
	#durationMs = $state.raw(0);
	#keyTimesMs = $state.raw<number[]>([]);
	#frames = $state.raw(0);
	#speed = $state.raw<number>(1);
	#failure = $state.raw<ReplayFailure | null>(null);
	/** Row of the recording that failed to decrypt (altered, or another browser's key). */
	#damagedAt = $state.raw<number | null>(null);

	constructor() {
		this.canvas = document.createElement('canvas');
		this.canvas.className = 'replay-screen';
		this.canvas.setAttribute('aria-label', m.replay_canvas_label());
	}

	get loading() {
		return this.#loading;
	}
	get state() {
		return this.#state;
	}
	get positionMs() {
		return this.#positionMs;
	}
	get durationMs() {
		return this.#durationMs;
	}
	get keyTimesMs() {
		return this.#keyTimesMs;
	}
	get frames() {
		return this.#frames;
	}
	get speed() {
		return this.#speed;
	}
	get failure() {
		return this.#failure;
	}
	get damagedAt() {
		return this.#damagedAt;
	}

	async open(sessionId: string): Promise<boolean> {
		// A browser without WebCodecs still reviews history; it only cannot show the video.
		if (typeof VideoDecoder === 'undefined' || typeof OffscreenCanvas === 'undefined') {
			this.#loading = false;
			this.#failure = 'no-webcodecs';
			return false;
		}
		// Most sessions have no recording: say so without starting a worker.
		const recorded = await openHistoryDb()
			.then(async (db) => {
				const has = await hasRecording(db, sessionId);
				db.close();
				return has;
			})
			.catch(() => null);
		if (recorded !== true) {
			this.#loading = false;
			this.#failure = recorded === false ? 'no-recording' : 'unavailable';
			return false;
		}
		this.#worker = new ReplayWorker({ name: 'benchside-replay' });
		const api = (this.#api = wrap<ReplayWorkerApi>(this.#worker));
		const events = new MessageChannel();
		events.port1.onmessage = (e: MessageEvent<ReplayEvent>) => this.#onEvent(e.data);
		const offscreen = this.canvas.transferControlToOffscreen();
		const result = await api.open(
			sessionId,
			transfer(offscreen, [offscreen]),
			transfer(events.port2, [events.port2])
		);
		this.#loading = false;
		if (!result.ok) {
			this.#failure = result.code;
			return false;
		}
		this.#durationMs = result.durationMs;
		this.#keyTimesMs = result.keyTimesMs;
		this.#frames = result.frames;
		return true;
	}

	#onEvent(e: ReplayEvent) {
		switch (e.type) {
			case 'position':
				this.#positionMs = e.positionMs;
				this.#state = e.state;
				return;
			case 'damaged':
				this.#failure = 'damaged';
				this.#damagedAt = e.seq;
				return;
			default: {
				const never: never = e;
				console.error('unknown replay event', never);
			}
		}
	}

	async play() {
		await this.#api?.play(this.#speed);
	}
	async pause() {
		await this.#api?.pause();
	}
	async setSpeed(speed: number) {
		this.#speed = speed;
		if (this.#state === 'playing') await this.#api?.play(speed);
	}
	/** Moves to the key frame at or before `ms`; resolves to where playback stands. */
	async seek(ms: number): Promise<number> {
		return (await this.#api?.seek(ms)) ?? 0;
	}
	async pixels(x: number, y: number, w: number, h: number): Promise<Uint8ClampedArray> {
		return (await this.#api?.pixels(x, y, w, h)) ?? new Uint8ClampedArray(0);
	}
	async nextPaint(): Promise<number> {
		return (await this.#api?.nextPaint()) ?? -1;
	}
	async stats() {
		return (await this.#api?.stats()) ?? null;
	}
	dispose() {
		void this.#api?.close();
		this.#worker?.terminate();
	}
}

/** The message for a replay failure, translated. */
export function replayFailureMessage(failure: ReplayFailure, damagedAt: number | null): string {
	switch (failure) {
		case 'no-webcodecs':
			return m.replay_no_webcodecs();
		case 'no-recording':
			return m.replay_no_recording();
		case 'unavailable':
			return m.replay_unavailable();
		case 'damaged':
			return m.replay_damaged({ row: String(damagedAt ?? '?') });
	}
}
