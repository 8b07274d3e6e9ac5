/**
 * The record path between the agent and the console, in memory: the agent's SecureChannel seals
 * `video-config` and `video-chunk` records (untimed, before a run), and the console side reads
 * them as the stream worker reads its socket: each WebSocket message an event of its own (a
 * MessageChannel here, whose messages arrive as tasks and as fresh buffers, as a socket's do), its
 * bytes pushed into a FrameDecoder, every frame opened in order by the console's SecureChannel.
 */
import { concat, randomBytes } from '../../../src/lib/protocol/bytes';
import { SecureChannel } from '../../../src/lib/protocol/channel';
import { FrameDecoder } from '../../../src/lib/protocol/framing';
import type { AppMessage } from '../../../src/lib/protocol/messages';
import type { Fixture } from '../../../mocks/agent/screen/fixture';
import { deferred } from './timing';

/** A sealed record as the agent writes it: its messages (header and ciphertext, tag included). */
export interface WireRecord {
	parts: Uint8Array[];
	/** Bytes on the wire: every part, headers and tags included. */
	bytes: number;
}

/**
 * How the agent writes a record: one message, header and ciphertext joined, as the mock agent
 * does (docs/protocol.md, "Transport"); or two, as sealed (a diagnostic: every message is a task
 * for the console's worker).
 */
export type Messages = 'one' | 'two';

const record = (parts: Uint8Array[], messages: Messages): WireRecord => ({
	parts: messages === 'one' ? [concat(...parts)] : parts,
	bytes: parts.reduce((n, p) => n + p.length, 0)
});

type OnMessage = (m: AppMessage, arrivedAt: number) => void;

/**
 * A socket as the stream worker sees one, in memory: what is sent arrives in order, each message
 * in a task of its own and as a fresh copy (a MessageChannel, posted without transfer).
 */
export class Socket<T> {
	readonly #channel = new MessageChannel();
	/** One per message sent and not yet arrived, in order. */
	readonly #arrivals: ((copy: T) => void)[] = [];

	constructor() {
		this.#channel.port2.onmessage = (e: MessageEvent<T>) => this.#arrivals.shift()!(e.data);
	}

	/** Sends `data`; `onArrive` gets its copy in the task of its message event. */
	send(data: T, onArrive: (copy: T) => void) {
		this.#arrivals.push(onArrive);
		this.#channel.port1.postMessage(data);
	}

	/** Frees the ports (an open port keeps the worker's event loop busy). */
	close() {
		this.#channel.port1.close();
		this.#channel.port2.close();
	}
}

export class Wire {
	readonly #agent: SecureChannel;
	readonly #console: SecureChannel;
	readonly #frames = new FrameDecoder();
	#failure: unknown = null;
	/** The agent writes into it; the console reads each message as it arrives. */
	readonly #socket = new Socket<Uint8Array>();

	constructor() {
		// Random traffic secrets: the record path does not depend on the handshake that made them.
		const sessionId = randomBytes(16);
		const c2a = randomBytes(32);
		const a2c = randomBytes(32);
		this.#console = new SecureChannel('console', { sessionId, send: c2a, receive: a2c });
		this.#agent = new SecureChannel('agent', { sessionId, send: a2c, receive: c2a });
	}

	/** The video-config the mock agent sends for a recording (mocks/agent/connection.ts). */
	async sealConfig(f: Fixture): Promise<WireRecord> {
		const c = f.colorSpace;
		const range = c?.fullRange == null ? 'unspecified' : c.fullRange ? 'full' : 'limited';
		return record(
			await this.#agent.seal({
				type: 'video-config',
				screenId: 0,
				codec: f.codec,
				width: f.width,
				height: f.height,
				description: f.description ?? new Uint8Array(0),
				primaries: c?.primaries ?? '',
				transfer: c?.transfer ?? '',
				matrix: c?.matrix ?? '',
				range
			}),
			'one'
		);
	}

	/** Every chunk of the recording as a video-chunk record, timestamps shifted by `base` µs. */
	async sealClip(
		f: Fixture,
		base: number,
		data?: readonly Uint8Array[],
		messages: Messages = 'one'
	): Promise<WireRecord[]> {
		const sealed = f.chunks.map((c, i) => {
			const bytes = data?.[i] ?? c.data;
			// The agent's zero-copy path: data written into the record body, then sealed.
			const draft = this.#agent.draft('video-chunk', bytes.length);
			draft.data.set(bytes);
			return this.#agent.sealDraft(draft, {
				screenId: 0,
				key: c.key,
				timestamp: base + c.timestamp,
				duration: c.duration
			});
		});
		return (await Promise.all(sealed)).map((parts) => record(parts, messages));
	}

	/**
	 * Writes one record into the socket; the console reads it as the stream worker's socket
	 * handler does. `arrivedAt` is taken here, as the agent writes it: the wait for the socket's
	 * message events counts in the latency. As the console's connection does once its channel is
	 * open, each record is handled in the one reaction to its opening (the channel delivers in
	 * order). Resolves once handled; a failure to open is kept for check().
	 */
	deliver(r: WireRecord, onMessage: OnMessage): Promise<void> {
		const arrivedAt = performance.now();
		const handled = deferred();
		const last = r.parts.length - 1;
		r.parts.forEach((part, i) =>
			this.#socket.send(part, (bytes) =>
				this.#read(bytes, arrivedAt, onMessage, i === last ? handled.resolve : null)
			)
		);
		return handled.promise;
	}

	/**
	 * One socket message: its bytes into the frame decoder, each whole frame opened. `done`, on a
	 * record's last message, is called in the reaction that handles the record's last frame.
	 */
	#read(bytes: Uint8Array, arrivedAt: number, onMessage: OnMessage, done: (() => void) | null) {
		const frames = this.#frames.push(bytes);
		frames.forEach((frame, i) => {
			const then = i === frames.length - 1 ? done : null;
			void this.#console.open(frame).then(
				(m) => {
					onMessage(m, arrivedAt);
					then?.();
				},
				(e: unknown) => {
					this.#failure ??= e;
					then?.();
				}
			);
		});
		if (frames.length === 0) done?.();
	}

	close() {
		this.#socket.close();
	}

	/** Throws the first failure to open a record, if there was one. */
	check(): void {
		if (this.#failure !== null) throw this.#failure;
	}
}
