/**
 * The console's end of the agent channel over any byte transport (a WebSocket in the stream
 * worker, an in-memory pipe in tests): frames in, handshake, then sealed messages both ways.
 * A state machine with an explicit transition table: an illegal transition is a bug, reported.
 */
import type { SecureChannel } from './channel';
import { ProtocolError, type ProtocolErrorCode } from './errors';
import { FrameDecoder, type Frame } from './framing';
import { ConsoleHandshake, type ConsoleHandshakeInput } from './handshake';
import type { AppMessage } from './messages';
import type { ConsoleResume } from './resume';

export interface ByteTransport {
	send(bytes: Uint8Array): void;
	close(code: number, reason: string): void;
}

export type ConnectionState = 'idle' | 'handshaking' | 'open' | 'closed';

const TRANSITIONS: Record<ConnectionState, readonly ConnectionState[]> = {
	idle: ['handshaking', 'closed'],
	handshaking: ['open', 'closed'],
	open: ['closed'],
	closed: []
};

export interface CloseInfo {
	code: ProtocolErrorCode | 'socket-closed' | 'goodbye' | 'local';
	message: string;
	detail?: Record<string, number | string>;
}

export interface ConnectionEvents {
	/** `resumption` keys the next resumption, once the agent sends a ticket for it. */
	onOpen?(version: number, resumption: Uint8Array): void;
	onMessage?(message: AppMessage): void;
	onClose?(info: CloseInfo): void;
}

export class ConsoleConnection {
	readonly #handshake: ConsoleHandshake | ConsoleResume;
	readonly #transport: ByteTransport;
	readonly #events: ConnectionEvents;
	readonly #decoder = new FrameDecoder();
	#state: ConnectionState = 'idle';
	#channel: SecureChannel | null = null;
	#queue: Promise<void> = Promise.resolve();
	/** Frames in #queue not yet handled. */
	#queued = 0;
	#awaitingAnswer = false;
	#closeInfo: CloseInfo | null = null;

	/** A full handshake on the one-time password, or a resumption (`ConsoleResume`). */
	constructor(
		input: ConsoleHandshakeInput | ConsoleResume,
		transport: ByteTransport,
		events: ConnectionEvents
	) {
		this.#handshake = 'password' in input ? new ConsoleHandshake(input) : input;
		this.#transport = transport;
		this.#events = events;
	}

	get state(): ConnectionState {
		return this.#state;
	}

	get closeInfo(): CloseInfo | null {
		return this.#closeInfo;
	}

	#to(next: ConnectionState) {
		if (!TRANSITIONS[this.#state].includes(next)) {
			throw new Error(`illegal connection transition ${this.#state} → ${next}`);
		}
		this.#state = next;
	}

	/** Sends the client-hello; call once the transport is open. */
	start() {
		this.#to('handshaking');
		this.#transport.send(this.#handshake.start());
	}

	/** Bytes from the transport, in any split. */
	receive(bytes: Uint8Array) {
		if (this.#state === 'closed') return;
		let frames: Frame[];
		try {
			frames = this.#decoder.push(bytes);
		} catch (e) {
			return this.#fail(e);
		}
		for (const f of frames) {
			// Once the channel is open, records start decrypting as they arrive (several in
			// parallel) and the channel hands them out in order. With nothing queued before it, a
			// record is handled in the one reaction to its opening (each step per record costs,
			// bench/README.md); frames before that go through the queue, in order.
			const opened = this.#state === 'open' && this.#channel ? this.#channel.open(f) : null;
			if (opened && this.#queued === 0) {
				opened.then(
					(m) => {
						try {
							this.#handle(m);
						} catch (e) {
							this.#fail(e);
						}
					},
					(e) => this.#fail(e)
				);
				continue;
			}
			opened?.catch(() => {}); // observed in turn below
			this.#queued++;
			this.#queue = this.#queue
				.then(() => (opened ? this.#onRecord(opened) : this.#onFrame(f)))
				.catch((e) => this.#fail(e))
				.finally(() => this.#queued--);
		}
	}

	/** The transport closed. */
	transportClosed(code: number, reason: string) {
		if (this.#state === 'closed') return;
		try {
			this.#decoder.end();
		} catch (e) {
			return this.#fail(e);
		}
		this.#finish({
			code: 'socket-closed',
			message: reason || `socket closed (${code})`,
			detail: { socketCode: code }
		});
	}

	async #onFrame(frame: Frame) {
		if (this.#state === 'closed') return;
		if (this.#awaitingAnswer) {
			// The agent's answer to our handshake-failed alert: the wait, or a replaced password.
			return this.#finish(errorInfo(ConsoleHandshake.answer(frame)));
		}
		if (this.#state === 'handshaking') {
			try {
				const done = await this.#handshake.receive(frame);
				this.#transport.send(done.finished);
				this.#channel = done.channel;
				this.#to('open');
				this.#events.onOpen?.(done.version, done.resumption);
			} catch (e) {
				const handshake = this.#handshake;
				if (
					handshake instanceof ConsoleHandshake &&
					e instanceof ProtocolError &&
					e.code === 'key-confirmation' &&
					frame.kind !== 'alert'
				) {
					this.#awaitingAnswer = true;
					this.#transport.send(handshake.abortFrame());
					return;
				}
				throw e;
			}
			return;
		}
		return this.#onRecord(this.#channel!.open(frame));
	}

	async #onRecord(opened: Promise<AppMessage>) {
		this.#handle(await opened);
	}

	#handle(message: AppMessage) {
		if (this.#state === 'closed') return;
		if (message.type === 'goodbye') {
			this.#events.onMessage?.(message);
			this.#transport.close(1000, 'goodbye');
			return this.#finish({ code: 'goodbye', message: message.reason });
		}
		if (message.type !== 'rekey') this.#events.onMessage?.(message);
	}

	/** Seals and sends; resolves once written. Refused unless the channel is open. */
	async send(message: AppMessage): Promise<void> {
		if (this.#state !== 'open' || !this.#channel) {
			throw new ProtocolError('channel-closed', `cannot send in state ${this.#state}`);
		}
		const parts = await this.#channel.seal(message);
		if (this.#state !== 'open') return;
		// Header and ciphertext go as separate messages: no copy here, and the receiver's frame
		// decoder hands the ciphertext to WebCrypto as it arrived.
		for (const part of parts) this.#transport.send(part);
	}

	/** Ends the session politely: goodbye, then close. */
	async end(reason: Extract<AppMessage, { type: 'goodbye' }>['reason'] = 'ended-by-technician') {
		if (this.#state === 'open')
			await this.send({ type: 'goodbye', reason, message: '' }).catch(() => {});
		this.#transport.close(1000, reason);
		this.#finish({ code: 'local', message: reason });
	}

	#fail(e: unknown) {
		if (!(e instanceof ProtocolError)) {
			this.#transport.close(1011, 'internal error');
			this.#finish({ code: 'local', message: e instanceof Error ? e.message : String(e) });
			throw e;
		}
		this.#transport.close(4400, e.code);
		this.#finish(errorInfo(e));
	}

	#finish(info: CloseInfo) {
		if (this.#state === 'closed') return;
		this.#to('closed');
		this.#closeInfo = info;
		this.#channel?.close();
		this.#events.onClose?.(info);
	}
}

function errorInfo(e: ProtocolError): CloseInfo {
	return e.detail
		? { code: e.code, message: e.message, detail: e.detail }
		: { code: e.code, message: e.message };
}
