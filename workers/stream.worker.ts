/**
 * The stream worker: owns the agent connection (WSS through the broker's relay), runs the
 * handshake, opens every record, decodes the screen with WebCodecs and draws it on the
 * OffscreenCanvas the page transferred. The page gets low-rate events on a MessagePort and calls
 * the control API below through Comlink; frames never leave this worker.
 */
import { expose, transfer } from 'comlink';
import { base64urlDecode } from '../src/lib/protocol/base64url';
import { RELAY_CLOSE_CODES, relaySubprotocols } from '../src/lib/protocol/broker-api';
import { verifyConsent } from '../src/lib/protocol/consent';
import { ConsoleConnection, type CloseInfo } from '../src/lib/protocol/console-connection';
import { utf8 } from '../src/lib/protocol/bytes';
import {
	MAX_CLIPBOARD_BYTES,
	type AppMessage,
	type Capability
} from '../src/lib/protocol/messages';
import { ConsoleResume, type ResumeTicket } from '../src/lib/protocol/resume';
import type {
	OpenSessionRequest,
	OpenSessionResult,
	SessionFailure,
	SessionFailureCode
} from '../src/lib/session/types';
import type {
	ConsentState,
	ScreenRecordingState,
	SessionEvent,
	StartResult
} from './stream/events';
import { FileTransfers } from './stream/files';
import { decodableCodecs, VideoPipeline, type VideoStats } from './stream/video';
import { openHistoryDb } from '../src/lib/history/db';
import { ScreenRecorder, screenRecordingKey } from '../src/lib/history/screen-recording';

type Msg<T extends AppMessage['type']> = Extract<AppMessage, { type: T }>;
export type InputResult = { ok: true } | { ok: false; code: 'no-control' | 'closed' };
export type ClipboardResult =
	{ ok: true } | { ok: false; code: 'phi' | 'no-consent' | 'too-large' | 'closed' };

const RELAY_CODES = Object.fromEntries(
	Object.entries(RELAY_CLOSE_CODES).map(([name, code]) => [
		code,
		`relay-${name}` as SessionFailureCode
	])
);

/** Waits before each resumption attempt after a drop: about 7.5 s in all. */
const RECONNECT_DELAYS_MS = [0, 500, 1000, 2000, 4000];
/** Failures after which resuming makes no sense: the session or the technician's access ended. */
const FINAL_FAILURES = new Set<SessionFailureCode>([
	'goodbye',
	'resume-refused',
	'key-confirmation',
	'agent-key-mismatch',
	'device-signature',
	'downgrade',
	'relay-unauthorized',
	'relay-forbidden',
	'relay-session-unknown',
	'relay-peer-gone'
]);

class StreamSession {
	readonly #req: OpenSessionRequest;
	readonly #sessionId: Uint8Array;
	readonly #events: MessagePort;
	#socket!: WebSocket;
	conn!: ConsoleConnection;
	/** Keys the next resumption: the secret of the open connection, the agent's ticket for it. */
	#resumption: { secret: Uint8Array; version: number } | null = null;
	#ticket: ResumeTicket | null = null;
	/** The ticket held for the resumption in progress (spent once a hello carries it). */
	#pendingTicket: ResumeTicket | null = null;
	/** Resumption attempt under way (1-based), 0 when connected or never dropped. */
	#attempt = 0;
	#reconnectTimer: ReturnType<typeof setTimeout> | null = null;
	#ending = false;
	#streaming: number | null = null;
	readonly video: VideoPipeline;
	readonly grants = new Map<Capability, 'once' | 'session'>();
	readonly #requests = new Map<number, Capability>();
	#nextRequest = 1;
	#nextChat = 1;
	#screenId = 0;
	#rttMs: number | null = null;
	#phi = false;
	/** Screen recording into session history (issue 8); null until first turned on. */
	#screen: ScreenRecorder | null = null;
	#lastConfig: Msg<'video-config'> | null = null;
	readonly files: FileTransfers;
	#timers: ReturnType<typeof setInterval>[] = [];
	readonly opened: Promise<OpenSessionResult>;
	#settle!: (r: OpenSessionResult) => void;

	constructor(req: OpenSessionRequest, canvas: OffscreenCanvas, events: MessagePort) {
		this.#req = req;
		this.#events = events;
		this.opened = new Promise((r) => (this.#settle = r));
		this.files = new FileTransfers({
			open: () => this.conn.state === 'open',
			phi: () => this.#phi,
			grant: () => this.grants.get('file-transfer'),
			spendOnce: () => {
				this.grants.delete('file-transfer');
				// The agent forgets a `once` grant when the transfer starts, without a message.
				const at = Date.now();
				this.#emit({
					type: 'consent',
					capability: 'file-transfer',
					state: 'released',
					reason: 'once',
					at,
					verified: true
				});
			},
			// A second gate under the transfer logic: no file message ever leaves on a PHI instrument.
			send: (m) => (this.#phi ? Promise.resolve(false) : this.#send(m)),
			emit: (event, list) => this.#events.postMessage(event, list ?? [])
		});
		const sessionId = base64urlDecode(req.sessionIdText);
		if (!sessionId || sessionId.length !== 16) throw new Error('bad session id');
		this.#sessionId = sessionId;
		this.video = new VideoPipeline(canvas, (reason) => {
			void this.#send({ type: 'keyframe-request', screenId: this.#screenId, reason });
		});
		this.#connect(null);
		this.#timers.push(
			setInterval(() => void this.#send({ type: 'ping', nonce: 0, sentAt: Date.now() }), 2000),
			setInterval(() => this.#emitStats(), 1000)
		);
	}

	/** Opens the relay socket: the password handshake first, a resumption after a drop. */
	#connect(resume: ConsoleResume | null) {
		const req = this.#req;
		const socket = new WebSocket(req.relayUrl, relaySubprotocols(req.accessToken));
		socket.binaryType = 'arraybuffer';
		this.#socket = socket;
		const conn: ConsoleConnection = new ConsoleConnection(
			resume ?? {
				password: req.password,
				instrumentId: req.instrumentId,
				sessionId: this.#sessionId,
				technicianId: req.technicianId,
				device: req.device,
				pinnedAgentKey: req.pinnedAgentKey
			},
			{
				send: (bytes) => socket.readyState === WebSocket.OPEN && socket.send(bytes),
				close: (code, reason) => socket.close(code >= 4000 || code === 1000 ? code : 1000, reason)
			},
			{
				onOpen: (version, secret) => {
					// A new connection's secret; the ticket for it comes in a record (resume-ticket).
					this.#resumption = { secret, version };
					this.#ticket = null;
				},
				onMessage: (m) => this.conn === conn && this.#onMessage(m),
				onClose: (info) => this.conn === conn && this.#onClose(info)
			}
		);
		this.conn = conn;
		socket.onopen = () => {
			// The relay must have chosen our protocol, never echoed the token (Part 1, "Relay").
			if (socket.protocol && socket.protocol !== relaySubprotocols('x')[0]) {
				socket.close(1000, 'wrong subprotocol');
				return;
			}
			conn.start();
		};
		socket.onmessage = (e: MessageEvent<ArrayBuffer>) => {
			if (e.data instanceof ArrayBuffer) conn.receive(new Uint8Array(e.data));
		};
		socket.onclose = (e) => conn.transportClosed(e.code, e.reason);
	}

	#emit(event: SessionEvent) {
		this.#events.postMessage(event);
	}

	#emitStats() {
		this.#emit({
			type: 'stats',
			video: { ...this.video.stats },
			rttMs: this.#rttMs
		});
	}

	async #send(m: AppMessage): Promise<boolean> {
		if (this.conn.state !== 'open') return false;
		await this.conn.send(m).catch((e) => console.warn('[stream] send failed', m.type, e));
		return true;
	}

	#onMessage(m: AppMessage) {
		const arrivedAt = performance.now();
		switch (m.type) {
			case 'session-info':
				this.#phi = m.phi;
				if (this.#attempt > 0) return this.#resumed();
				this.#settle({
					ok: true,
					version: 1,
					info: {
						instrumentId: m.instrumentId,
						agentVersion: m.agentVersion,
						phi: m.phi,
						capabilities: m.capabilities,
						screens: m.screens,
						codecs: m.codecs
					}
				});
				return;
			case 'video-config':
				if (m.screenId === this.#screenId) {
					this.#lastConfig = m;
					this.#screen?.add(m);
				}
				this.video.configure(m);
				this.#emit({
					type: 'video',
					screenId: m.screenId,
					codec: m.codec,
					width: m.width,
					height: m.height
				});
				return;
			case 'video-chunk':
				if (m.screenId !== this.#screenId) return;
				// The recorder copies the chunk as it is added; then the decoder takes its buffer.
				this.#screen?.add(m);
				this.video.chunk({ ...m, arrivedAt, owned: true });
				return;
			case 'consent-grant':
			case 'consent-deny':
			case 'consent-revoke':
				void this.#onConsent(m);
				return;
			case 'chat':
				this.#emit({
					type: 'chat',
					from: 'customer',
					messageId: m.messageId,
					text: m.text,
					at: m.at
				});
				void this.#send({ type: 'chat-ack', messageId: m.messageId });
				return;
			case 'chat-ack':
				this.#emit({ type: 'chat-ack', messageId: m.messageId });
				return;
			case 'clipboard':
				// Shown only under the rule the agent applies too: clipboard and control, never PHI.
				if (!this.#phi && this.grants.has('clipboard') && this.grants.has('control'))
					this.#emit({ type: 'clipboard', text: m.text, at: Date.now() });
				return;
			case 'pong':
				this.#rttMs = Date.now() - m.sentAt;
				return;
			case 'ping':
				void this.#send({ type: 'pong', nonce: m.nonce, sentAt: m.sentAt });
				return;
			case 'stats':
				// The overlay shows what this console measures itself (frames presented, bytes
				// received), not what the agent says it sent.
				return;
			case 'resume-ticket':
				if (this.#resumption) this.#ticket = { ticketId: m.ticketId.slice(), ...this.#resumption };
				return;
			case 'goodbye':
			case 'rekey':
				return;
			case 'file-list':
			case 'file-offer':
			case 'file-accept':
			case 'file-chunk':
			case 'file-ack':
			case 'file-complete':
			case 'file-abort':
				this.files.onMessage(m);
				return;
			case 'consent-request':
			case 'consent-release':
			case 'stream-start':
			case 'stream-stop':
			case 'keyframe-request':
			case 'pointer':
			case 'wheel':
			case 'key':
			case 'secure-attention':
			case 'file-request':
				// Console-only messages: the channel refuses them from the agent before this.
				return;
			default: {
				const never: never = m;
				throw new Error(`unhandled ${JSON.stringify(never)}`);
			}
		}
	}

	async #onConsent(m: Msg<'consent-grant' | 'consent-deny' | 'consent-revoke'>) {
		const verified = await verifyConsent(this.#req.pinnedAgentKey, this.#sessionId, m);
		let state: ConsentState;
		if (m.type === 'consent-grant') {
			// A grant is only as good as its signature: without it, nothing is unlocked.
			if (!verified)
				return this.#emit({
					type: 'consent',
					capability: m.capability,
					state: 'denied',
					reason: 'bad-signature',
					at: m.at,
					verified
				});
			this.grants.set(m.capability, m.scope);
			state = 'granted';
		} else {
			// Denials and revocations take effect whatever their signature says.
			this.grants.delete(m.capability);
			state = m.type === 'consent-deny' ? 'denied' : 'revoked';
			// The agent aborts its side at once; ours stops too (docs/protocol.md, "Consent").
			if (m.capability === 'file-transfer' && m.type === 'consent-revoke')
				void this.files.revoked();
		}
		this.#requests.delete('requestId' in m ? m.requestId : -1);
		this.#emit({
			type: 'consent',
			capability: m.capability,
			state,
			at: m.at,
			verified,
			// Kept by session history as proof of what the customer answered (the agent's signature).
			signature: m.signature,
			...('requestId' in m ? { requestId: m.requestId } : {}),
			...(m.type === 'consent-grant' ? { scope: m.scope } : {}),
			...(m.type === 'consent-deny' ? { reason: m.reason } : {})
		});
	}

	/**
	 * Turns recording of the screen into session history on or off. It starts at the newest
	 * config and the next key frame, which is asked for at once.
	 */
	async setScreenRecording(on: boolean): Promise<ScreenRecordingState> {
		if (this.conn.state === 'closed') return 'off';
		if (!on) {
			this.#screen?.pause();
			this.#emit({ type: 'screen-recording', state: 'off' });
			return 'off';
		}
		if (!this.#screen || this.#screen.stopped) {
			try {
				const [db, key] = await Promise.all([openHistoryDb(), screenRecordingKey()]);
				this.#screen = new ScreenRecorder({
					db,
					key,
					sessionId: this.#req.sessionIdText,
					onFailure: (code) => this.#emit({ type: 'screen-recording', state: 'failed', code })
				});
			} catch (e) {
				console.warn('[stream] screen recording unavailable', e);
				this.#emit({ type: 'screen-recording', state: 'failed', code: 'write-failed' });
				return 'failed';
			}
		} else this.#screen.resume();
		if (this.#lastConfig) this.#screen.add(this.#lastConfig);
		void this.#send({ type: 'keyframe-request', screenId: this.#screenId, reason: 'start' });
		this.#emit({ type: 'screen-recording', state: 'on' });
		return 'on';
	}

	#onClose(info: CloseInfo) {
		const failure = toFailure(info);
		if (!this.#ending && this.#ticket && !FINAL_FAILURES.has(failure.code)) {
			return this.#dropped(failure);
		}
		if (this.#attempt > 0 && !this.#ending && !FINAL_FAILURES.has(failure.code)) {
			// A resumption attempt failed before it used the ticket (socket, relay): try again.
			if (this.#attempt < RECONNECT_DELAYS_MS.length && this.#pendingTicket)
				return this.#retry(failure);
		}
		this.#final(failure);
	}

	#final(failure: SessionFailure) {
		void this.#screen?.stop();
		for (const t of this.#timers) clearInterval(t);
		if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
		this.video.close();
		this.grants.clear();
		this.files.closed();
		this.#settle({ ok: false, failure });
		this.#emitStats();
		this.#emit({ type: 'closed', failure });
	}

	/**
	 * The connection dropped with a ticket in hand: what needed the old connection stops (only
	 * `view` survives a resumption, docs/protocol.md "Resumption"), then the resumption starts.
	 */
	#dropped(failure: SessionFailure) {
		this.#pendingTicket = this.#ticket;
		this.#ticket = null;
		this.#resumption = null;
		this.files.closed('reconnect');
		const at = Date.now();
		for (const capability of [...this.grants.keys()]) {
			if (capability === 'view') continue;
			this.grants.delete(capability);
			this.#emit({
				type: 'consent',
				capability,
				state: 'released',
				reason: 'reconnect',
				at,
				verified: true
			});
		}
		this.#emit({ type: 'connection', state: 'lost', code: failure.code, at });
		this.#retry(failure);
	}

	#retry(failure: SessionFailure) {
		const delay = RECONNECT_DELAYS_MS[this.#attempt];
		const ticket = this.#pendingTicket;
		if (delay === undefined || !ticket) return this.#final(failure);
		this.#attempt++;
		const attempt = this.#attempt;
		this.#emit({ type: 'connection', state: 'reconnecting', attempt, at: Date.now() });
		this.#reconnectTimer = setTimeout(async () => {
			this.#reconnectTimer = null;
			if (this.#ending) return;
			const resume = await ConsoleResume.create({
				ticket,
				sessionId: this.#sessionId,
				device: this.#req.device
			});
			if (!this.#ending) this.#connect(resume);
		}, delay);
	}

	/** The first record of a resumed connection arrived: the session goes on. */
	#resumed() {
		const attempt = this.#attempt;
		this.#attempt = 0;
		this.#pendingTicket = null;
		this.#emit({ type: 'connection', state: 'resumed', attempt, at: Date.now() });
		// The agent stopped the stream with the old connection: ask again; it starts at a key frame.
		if (this.#streaming !== null && this.grants.has('view')) void this.startStream(this.#streaming);
	}

	async requestConsent(
		capability: Capability,
		scope: 'once' | 'session',
		note: string
	): Promise<number | null> {
		const requestId = this.#nextRequest++;
		this.#requests.set(requestId, capability);
		const sent = await this.#send({ type: 'consent-request', requestId, capability, scope, note });
		if (sent)
			this.#emit({ type: 'consent', capability, state: 'pending', at: Date.now(), verified: true });
		return sent ? requestId : null;
	}

	async release(capability: Capability) {
		this.grants.delete(capability);
		if (capability === 'file-transfer') await this.files.revoked();
		await this.#send({ type: 'consent-release', capability });
		this.#emit({ type: 'consent', capability, state: 'released', at: Date.now(), verified: true });
	}

	async startStream(screenId: number): Promise<string[]> {
		const codecs = await decodableCodecs();
		if (codecs.length === 0) return [];
		this.#screenId = screenId;
		this.#streaming = screenId;
		await this.#send({ type: 'stream-start', screenId, codecs, maxWidth: 3840, maxHeight: 2160 });
		return codecs;
	}

	async stopStream(screenId: number) {
		this.#streaming = null;
		await this.#send({ type: 'stream-stop', screenId });
	}

	/** Input leaves only while control is granted: the worker refuses, not just the UI. */
	input(m: Msg<'pointer' | 'wheel' | 'key' | 'secure-attention'>): InputResult {
		if (this.conn.state !== 'open') return { ok: false, code: 'closed' };
		if (!this.grants.has('control')) return { ok: false, code: 'no-control' };
		void this.#send(m);
		return { ok: true };
	}

	/** Clipboard text to the instrument: refused here on PHI, without consent, or too large. */
	clipboard(text: string): ClipboardResult {
		if (this.#phi) return { ok: false, code: 'phi' };
		if (this.conn.state !== 'open') return { ok: false, code: 'closed' };
		if (!this.grants.has('clipboard') || !this.grants.has('control'))
			return { ok: false, code: 'no-consent' };
		if (utf8.encode(text).length > MAX_CLIPBOARD_BYTES) return { ok: false, code: 'too-large' };
		void this.#send({ type: 'clipboard', text });
		return { ok: true };
	}

	async chat(text: string): Promise<number> {
		const messageId = this.#nextChat++;
		await this.#send({ type: 'chat', messageId, at: Date.now(), text });
		return messageId;
	}

	/** Ends politely: goodbye, then waits (briefly) for the socket to close before returning. */
	async end() {
		this.#ending = true;
		if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
		if (this.conn.state === 'closed') {
			// Between two resumption attempts: nothing to say goodbye on.
			if (this.#attempt > 0) this.#final({ code: 'goodbye', message: 'ended-by-technician' });
			return;
		}
		const closed = new Promise<void>((resolve) => {
			if (this.#socket.readyState === WebSocket.CLOSED) return resolve();
			this.#socket.addEventListener('close', () => resolve(), { once: true });
			setTimeout(resolve, 1000);
		});
		await this.conn.end('ended-by-technician');
		await closed;
		await this.#screen?.stop();
	}
}

function toFailure(info: CloseInfo): SessionFailure {
	const retryAfterMs = Number(info.detail?.retryAfterMs);
	const base = Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? { retryAfterMs } : {};
	if (info.code === 'socket-closed') {
		const socketCode = Number(info.detail?.socketCode);
		const relay = RELAY_CODES[socketCode];
		if (relay) return { code: relay, message: info.message, ...base };
		return {
			code: socketCode === 1006 ? 'unreachable' : 'socket-closed',
			message: info.message,
			...base
		};
	}
	if (info.code === 'local') return { code: 'goodbye', message: info.message };
	return { code: info.code, message: info.message, ...base };
}

let session: StreamSession | null = null;

const api = {
	/**
	 * Connects and runs the handshake. Resolves once the agent's session-info arrives, or with
	 * the failure. `bridge` is given in dev only: the mock relay lives in the page.
	 */
	async open(
		req: OpenSessionRequest,
		canvas: OffscreenCanvas,
		events: MessagePort,
		bridge?: { port: MessagePort; relayBase: string }
	): Promise<OpenSessionResult> {
		if (typeof VideoDecoder === 'undefined') {
			return {
				ok: false,
				failure: { code: 'no-webcodecs', message: 'WebCodecs is not available' }
			};
		}
		if (import.meta.env.DEV && bridge) {
			const { installWorkerRelayBridge } = await import('../mocks/worker-relay-bridge');
			installWorkerRelayBridge(bridge.port, bridge.relayBase);
		}
		await session?.end().catch(() => {});
		session = new StreamSession(req, canvas, events);
		return session.opened;
	},
	requestConsent: (capability: Capability, scope: 'once' | 'session', note = '') =>
		session?.requestConsent(capability, scope, note) ?? Promise.resolve(null),
	release: (capability: Capability) => session?.release(capability),
	startStream: (screenId: number) => session?.startStream(screenId) ?? Promise.resolve([]),
	stopStream: (screenId: number) => session?.stopStream(screenId),
	pointer: (
		screenId: number,
		x: number,
		y: number,
		buttons: number,
		action: 'move' | 'down' | 'up'
	): InputResult =>
		session?.input({ type: 'pointer', screenId, x, y, buttons, action }) ?? {
			ok: false,
			code: 'closed'
		},
	wheel: (screenId: number, x: number, y: number, dx: number, dy: number): InputResult =>
		session?.input({ type: 'wheel', screenId, x, y, dx, dy }) ?? { ok: false, code: 'closed' },
	key: (code: string, down: boolean, modifiers: number, text: string): InputResult =>
		session?.input({ type: 'key', code, down, modifiers, text }) ?? { ok: false, code: 'closed' },
	secureAttention: (): InputResult =>
		session?.input({ type: 'secure-attention' }) ?? { ok: false, code: 'closed' },
	chat: (text: string) => session?.chat(text) ?? Promise.resolve(-1),
	clipboard: (text: string): ClipboardResult =>
		session?.clipboard(text) ?? { ok: false, code: 'closed' },
	/** Uploads a file: refused here without file-transfer consent and always on PHI instruments. */
	upload: (file: File): Promise<StartResult> =>
		session?.files.upload(file) ?? Promise.resolve({ ok: false, code: 'closed' }),
	requestFile: (name: string): Promise<StartResult> =>
		session?.files.request(name) ?? Promise.resolve({ ok: false, code: 'closed' }),
	cancelTransfer: (id: number) => session?.files.cancel(id),
	end: () => session?.end(),
	/** Screen recording into history on or off (off by default; the page decides per instrument). */
	setScreenRecording: (on: boolean): Promise<ScreenRecordingState> =>
		session?.setScreenRecording(on) ?? Promise.resolve('off'),
	stats: (): VideoStats | null => (session ? { ...session.video.stats } : null),
	/** RGBA pixels of a region of the remote screen as last painted (tests, diagnostics). */
	pixels: (x: number, y: number, w: number, h: number) => {
		const data = session?.video.pixels(x, y, w, h) ?? new Uint8ClampedArray(0);
		return transfer(data, [data.buffer]);
	},
	/** Resolves after the next paint (tests). */
	nextPaint: () =>
		new Promise<number>((resolve) => {
			if (!session) return resolve(-1);
			const video = session.video;
			video.onPresent = (ts) => {
				video.onPresent = null;
				resolve(ts);
			};
		})
};

export type StreamWorkerApi = typeof api;
expose(api);
