/**
 * The record path between the agent and the console, in memory: the agent's SecureChannel seals
 * `video-config` and `video-chunk` records (untimed, before a run), and the console side reads
 * them as the stream worker's socket would: each part a message into a FrameDecoder, every frame
 * opened in order by the console's SecureChannel.
 */
import { randomBytes } from '../../../src/lib/protocol/bytes';
import { SecureChannel } from '../../../src/lib/protocol/channel';
import { FrameDecoder } from '../../../src/lib/protocol/framing';
import type { AppMessage } from '../../../src/lib/protocol/messages';
import type { Fixture } from '../../../mocks/agent/screen/fixture';

/** One sealed record as the agent writes it: header and ciphertext (tag included). */
export interface WireRecord {
	parts: Uint8Array[];
	/** Bytes on the wire: every part, headers and tags included. */
	bytes: number;
}

const record = (parts: Uint8Array[]): WireRecord => ({
	parts,
	bytes: parts.reduce((n, p) => n + p.length, 0)
});

export class Wire {
	readonly #agent: SecureChannel;
	readonly #console: SecureChannel;
	readonly #frames = new FrameDecoder();
	#failure: unknown = null;

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
			})
		);
	}

	/** Every chunk of the recording as a video-chunk record, timestamps shifted by `base` µs. */
	async sealClip(f: Fixture, base: number, data?: readonly Uint8Array[]): Promise<WireRecord[]> {
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
		return (await Promise.all(sealed)).map(record);
	}

	/**
	 * The socket's onmessage for one record: `arrivedAt` is taken as its bytes arrive, before
	 * framing and decryption, and handed on with the opened message. As the console's connection
	 * does once its channel is open, each record is handled in the one reaction to its opening (the
	 * channel delivers in order). Resolves once handled; a failure to open is kept for check().
	 */
	deliver(r: WireRecord, onMessage: (m: AppMessage, arrivedAt: number) => void): Promise<void> {
		const arrivedAt = performance.now();
		let handled: Promise<void> = Promise.resolve();
		for (const part of r.parts) {
			for (const frame of this.#frames.push(part)) {
				handled = this.#console.open(frame).then(
					(m) => onMessage(m, arrivedAt),
					(e: unknown) => void (this.#failure ??= e)
				);
			}
		}
		return handled;
	}

	/** Throws the first failure to open a record, if there was one. */
	check(): void {
		if (this.#failure !== null) throw this.#failure;
	}
}
