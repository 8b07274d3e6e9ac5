import { wrap, transfer, type Remote } from 'comlink';
import { m } from '$lib/i18n';
import { CAPABILITIES as CAPABILITY_ORDER, type Capability } from '$lib/protocol/messages';
import type { StreamWorkerApi, InputResult, ClipboardResult } from '$workers/stream.worker';
import StreamWorker from '$workers/stream.worker?worker';
import type { ConsentState, ScreenRecordingState, SessionEvent } from '$workers/stream/events';
import type { VideoStats } from '$workers/stream/video';
import { SessionTransfers } from './transfers/transfers.svelte';
import type {
	OpenSessionRequest,
	OpenSessionResult,
	SessionFailure,
	SessionFailureCode,
	SessionInfo,
	SessionSummary
} from './types';

export interface ConsentView {
	state: ConsentState;
	at: number;
	scope?: 'once' | 'session';
	reason?: string;
	verified: boolean;
	/** The agent's signature over its answer (ECDSA P-256), kept in history as proof. */
	signature?: Uint8Array;
	requestId?: number;
}

export interface ChatLine {
	from: 'technician' | 'customer';
	messageId: number;
	text: string;
	at: number;
	delivered: boolean;
}

export interface LiveStats {
	video: VideoStats;
	/** Null until measured (the first ping's answer, within two seconds). */
	rttMs: number | null;
	/** Presented frames per second over the last second. */
	fps: number;
	/** Video received over the last second, kbit/s. */
	kbps: number;
}

/** The relay link as the technician sees it: a drop, the attempts to resume, the way back. */
export type LinkState =
	| { state: 'open' }
	| { state: 'reconnecting'; attempt: number; code: SessionFailureCode; since: number }
	| { state: 'resumed'; attempt: number; at: number };

/**
 * One live session, as the pages see it: state to read, intent methods to call. The stream
 * worker does the work; this class only mirrors its events into runes.
 */
export class LiveSession {
	readonly request: OpenSessionRequest;
	readonly canvas: HTMLCanvasElement;
	readonly #worker: Worker;
	readonly #api: Remote<StreamWorkerApi>;
	#info = $state.raw<SessionInfo | null>(null);
	#consent = $state.raw<Partial<Record<Capability, ConsentView>>>({});
	#video = $state.raw<{ codec: string; width: number; height: number; screenId: number } | null>(
		null
	);
	#stats = $state.raw<LiveStats | null>(null);
	#chat = $state.raw<ChatLine[]>([]);
	#clipboard = $state.raw<{ text: string; at: number } | null>(null);
	#closed = $state.raw<SessionFailure | null>(null);
	#screenRecording = $state.raw<{ state: ScreenRecordingState; code?: string } | undefined>(
		undefined
	);
	#link = $state.raw<LinkState>({ state: 'open' });
	#lastPresented = 0;
	#lastBytes = 0;
	#openedAt = 0;
	#endedAt: number | null = null;
	/** Capabilities the customer granted (verified), at any time of the session. */
	// eslint-disable-next-line svelte/prefer-svelte-reactivity -- read once, for the summary
	readonly #used = new Set<Capability>();
	/** File transfers both ways (issue 7); absent from the page on PHI instruments. */
	readonly transfers = new SessionTransfers();

	constructor(request: OpenSessionRequest) {
		this.request = request;
		this.canvas = document.createElement('canvas');
		this.canvas.className = 'remote-screen';
		// Focusable, so keys reach the remote screen while the technician is on it.
		this.canvas.tabIndex = 0;
		this.canvas.setAttribute('aria-label', m.live_canvas_label());
		this.#worker = new StreamWorker({ name: 'benchside-stream' });
		this.#api = wrap<StreamWorkerApi>(this.#worker);
	}

	get info() {
		return this.#info;
	}
	get consent() {
		return this.#consent;
	}
	get video() {
		return this.#video;
	}
	get stats() {
		return this.#stats;
	}
	get chat() {
		return this.#chat;
	}
	get clipboard() {
		return this.#clipboard;
	}
	get closed() {
		return this.#closed;
	}
	/** Recording of the screen into history (undefined until first set). */
	get screenRecording() {
		return this.#screenRecording;
	}
	get link() {
		return this.#link;
	}
	get inControl() {
		return this.#consent.control?.state === 'granted';
	}

	/** Connects through the worker; `bridge` (dev only) carries the worker's socket to the mocks. */
	async open(bridge?: { port: MessagePort; relayBase: string }): Promise<OpenSessionResult> {
		const events = new MessageChannel();
		events.port1.onmessage = (e: MessageEvent<SessionEvent>) => this.#onEvent(e.data);
		const offscreen = this.canvas.transferControlToOffscreen();
		// Canvas and ports are transferred, never cloned (each marked for Comlink's postMessage).
		const result = await this.#api.open(
			this.request,
			transfer(offscreen, [offscreen]),
			transfer(events.port2, [events.port2]),
			bridge ? transfer(bridge, [bridge.port]) : undefined
		);
		if (result.ok) {
			this.#info = result.info;
			this.#openedAt = Date.now();
		} else this.dispose();
		return result;
	}

	#onEvent(e: SessionEvent) {
		switch (e.type) {
			case 'consent': {
				const view: ConsentView = { state: e.state, at: e.at, verified: e.verified };
				if (e.scope) view.scope = e.scope;
				if (e.reason) view.reason = e.reason;
				if (e.signature) view.signature = e.signature;
				if (e.requestId !== undefined) view.requestId = e.requestId;
				if (e.state === 'granted' && e.verified) this.#used.add(e.capability);
				this.#consent = { ...this.#consent, [e.capability]: view };
				return;
			}
			case 'video':
				this.#video = { codec: e.codec, width: e.width, height: e.height, screenId: e.screenId };
				return;
			case 'chat':
				this.#chat = [
					...this.#chat,
					{ from: 'customer', messageId: e.messageId, text: e.text, at: e.at, delivered: true }
				];
				return;
			case 'chat-ack':
				this.#chat = this.#chat.map((c) =>
					c.from === 'technician' && c.messageId === e.messageId ? { ...c, delivered: true } : c
				);
				return;
			case 'clipboard':
				this.#clipboard = { text: e.text, at: e.at };
				return;
			case 'stats': {
				// The worker reports once a second: these deltas are per second.
				const fps = e.video.presented - this.#lastPresented;
				const kbps = Math.round(((e.video.bytes - this.#lastBytes) * 8) / 1000);
				this.#lastPresented = e.video.presented;
				this.#lastBytes = e.video.bytes;
				this.#stats = {
					video: e.video,
					rttMs: e.rttMs,
					fps,
					kbps
				};
				return;
			}
			case 'transfer':
			case 'file-list':
			case 'file-received':
				this.transfers.onEvent(e);
				return;
			case 'connection':
				if (e.state === 'lost')
					this.#link = { state: 'reconnecting', attempt: 0, code: e.code, since: e.at };
				else if (e.state === 'reconnecting' && this.#link.state === 'reconnecting')
					this.#link = { ...this.#link, attempt: e.attempt };
				else if (e.state === 'resumed')
					this.#link = { state: 'resumed', attempt: e.attempt, at: e.at };
				return;
			case 'closed':
				this.#endedAt ??= Date.now();
				this.#closed = e.failure;
				return;
			case 'screen-recording':
				this.#screenRecording = e.code ? { state: e.state, code: e.code } : { state: e.state };
				return;
			default: {
				const never: never = e;
				console.error('unknown session event', never);
			}
		}
	}

	requestConsent(capability: Capability, scope: 'once' | 'session' = 'session', note = '') {
		return this.#api.requestConsent(capability, scope, note);
	}
	release(capability: Capability) {
		return this.#api.release(capability);
	}
	startStream(screenId = 0) {
		return this.#api.startStream(screenId);
	}
	stopStream(screenId = 0) {
		return this.#api.stopStream(screenId);
	}
	pointer(
		x: number,
		y: number,
		buttons: number,
		action: 'move' | 'down' | 'up'
	): Promise<InputResult> {
		return this.#api.pointer(this.#video?.screenId ?? 0, x, y, buttons, action);
	}
	wheel(x: number, y: number, dx: number, dy: number): Promise<InputResult> {
		return this.#api.wheel(this.#video?.screenId ?? 0, x, y, dx, dy);
	}
	key(code: string, down: boolean, modifiers: number, text: string): Promise<InputResult> {
		return this.#api.key(code, down, modifiers, text);
	}
	secureAttention(): Promise<InputResult> {
		return this.#api.secureAttention();
	}
	async say(text: string) {
		const messageId = await this.#api.chat(text);
		this.#chat = [
			...this.#chat,
			{ from: 'technician', messageId, text, at: Date.now(), delivered: false }
		];
	}
	/** Clipboard text to the instrument: the worker refuses on PHI, without consent, too large. */
	sendClipboard(text: string): Promise<ClipboardResult> {
		return this.#api.clipboard(text);
	}
	/**
	 * What the session amounted to, for the technician and for history: duration, capabilities
	 * granted, files moved each way (verified transfers only) and their bytes.
	 */
	summary(now = this.#endedAt ?? Date.now()): SessionSummary {
		const done = this.transfers.rows.filter((r) => r.state === 'done');
		const up = done.filter((r) => r.direction === 'upload');
		const down = done.filter((r) => r.direction === 'download');
		const bytes = (rows: typeof done) => rows.reduce((n, r) => n + r.size, 0);
		return {
			durationMs: this.#openedAt ? Math.max(0, now - this.#openedAt) : 0,
			capabilities: CAPABILITY_ORDER.filter((c) => this.#used.has(c)),
			filesUp: up.length,
			filesDown: down.length,
			bytesUp: bytes(up),
			bytesDown: bytes(down)
		};
	}
	/** Offers a file to the instrument; the worker refuses without consent or on PHI. */
	upload(file: File) {
		return this.#api.upload(file);
	}
	requestFile(name: string) {
		return this.#api.requestFile(name);
	}
	cancelTransfer(id: number) {
		return this.#api.cancelTransfer(id);
	}
	/** Records the screen into session history, or stops (the worker starts at a key frame). */
	setScreenRecording(on: boolean) {
		return this.#api.setScreenRecording(on);
	}
	nextPaint() {
		return this.#api.nextPaint();
	}
	pixels(x: number, y: number, w: number, h: number) {
		return this.#api.pixels(x, y, w, h);
	}
	workerStats() {
		return this.#api.stats();
	}
	async end() {
		this.#endedAt ??= Date.now();
		await this.#api.end();
		this.dispose();
	}
	dispose() {
		this.#worker.terminate();
	}
}
