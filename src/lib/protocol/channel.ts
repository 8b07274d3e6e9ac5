/**
 * The sealed record layer (docs/protocol.md, "Records"). One AES-256-GCM key per direction and
 * epoch; nonce = direction byte ‖ 0 0 0 ‖ sequence number, so no (key, nonce) pair ever repeats
 * and the two directions could not collide even under one key. The associated data binds the
 * session id and the whole header (type, epoch, sequence). Records must arrive in order, each
 * exactly once: anything else ends the channel with a typed reason.
 */
import { bufferSource, concat, utf8 } from './bytes';
import { decode, encode } from './codec';
import { ProtocolError, type ProtocolErrorCode } from './errors';
import { encodeHeader, HEADER_BYTES, TAG_BYTES, type Frame } from './framing';
import { aesKey, hkdf } from './kdf';
import {
	APPLICATION,
	bodyCodec,
	typeOfId,
	isAppType,
	type AppMessage,
	type AppType
} from './messages';

export type Role = 'console' | 'agent';
export const DIRECTION_BYTE = { console: 1, agent: 2 } as const;

/** Records per epoch and time per epoch before the sender moves to the next key. */
export const REKEY_AFTER_RECORDS = 1 << 20;
export const REKEY_AFTER_MS = 10 * 60 * 1000;
const EMPTY = new Uint8Array(0);

export interface ChannelSecrets {
	sessionId: Uint8Array;
	/** Traffic secret (32 bytes) of what this side sends, epoch 0. */
	send: Uint8Array;
	/** Traffic secret (32 bytes) of what the peer sends, epoch 0. */
	receive: Uint8Array;
}

export interface ChannelOptions {
	rekeyAfterRecords?: number;
	rekeyAfterMs?: number;
	now?: () => number;
}

class Direction {
	epoch = 0;
	seq = 0;
	sinceRekey = 0;
	epochStarted: number;
	secret: Uint8Array;
	key: Promise<CryptoKey>;
	readonly dir: number;

	constructor(secret: Uint8Array, dir: number, usage: KeyUsage, now: number) {
		this.secret = secret;
		this.dir = dir;
		this.epochStarted = now;
		this.key = Direction.keyFor(secret, usage);
	}

	static async keyFor(secret: Uint8Array, usage: KeyUsage): Promise<CryptoKey> {
		return aesKey(await hkdf(secret, EMPTY, 'benchside/1 key'), [usage]);
	}

	async advance(usage: KeyUsage, now: number) {
		this.secret = await hkdf(this.secret, EMPTY, 'benchside/1 rekey');
		this.key = Direction.keyFor(this.secret, usage);
		this.epoch++;
		this.sinceRekey = 0;
		this.epochStarted = now;
	}

	nonce(seq: number): Uint8Array<ArrayBuffer> {
		const n = new Uint8Array(12);
		const v = new DataView(n.buffer);
		v.setUint8(0, this.dir);
		v.setUint32(4, Math.floor(seq / 2 ** 32));
		v.setUint32(8, seq >>> 0);
		return n;
	}
}

export class SecureChannel {
	readonly role: Role;
	readonly #sessionId: Uint8Array;
	readonly #out: Direction;
	readonly #in: Direction;
	readonly #opts: Required<ChannelOptions>;
	#sendQueue: Promise<unknown> = Promise.resolve();
	#openQueue: Promise<unknown> = Promise.resolve();
	#closed: ProtocolErrorCode | null = null;

	constructor(role: Role, secrets: ChannelSecrets, options: ChannelOptions = {}) {
		this.role = role;
		this.#opts = {
			rekeyAfterRecords: options.rekeyAfterRecords ?? REKEY_AFTER_RECORDS,
			rekeyAfterMs: options.rekeyAfterMs ?? REKEY_AFTER_MS,
			now: options.now ?? Date.now
		};
		const now = this.#opts.now();
		const peer: Role = role === 'console' ? 'agent' : 'console';
		this.#sessionId = secrets.sessionId;
		this.#out = new Direction(secrets.send, DIRECTION_BYTE[role], 'encrypt', now);
		this.#in = new Direction(secrets.receive, DIRECTION_BYTE[peer], 'decrypt', now);
	}

	/** Why the channel closed, or null while it is open. */
	get closedReason(): ProtocolErrorCode | null {
		return this.#closed;
	}

	close(reason: ProtocolErrorCode = 'channel-closed') {
		this.#closed ??= reason;
	}

	/**
	 * Seals one message. Resolves, in call order, to the buffers to write in order: a header and
	 * its ciphertext, preceded by a rekey record when this direction's epoch is used up.
	 */
	seal(message: AppMessage): Promise<Uint8Array[]> {
		const body = encode(bodyCodec(message.type), message as never, 64 + sizeHint(message));
		return this.sealBody(message.type, body);
	}

	/** Seals an already encoded body (see `seal`). */
	sealBody(type: AppType, body: Uint8Array): Promise<Uint8Array[]> {
		const run = this.#sendQueue.then(() => this.#sealNow(type, body));
		this.#sendQueue = run.catch(() => {});
		return run;
	}

	async #sealNow(type: AppType, body: Uint8Array): Promise<Uint8Array[]> {
		this.#assertOpen();
		const out = this.#out;
		const now = this.#opts.now();
		const parts: Uint8Array[] = [];
		if (
			type !== 'rekey' &&
			(out.sinceRekey >= this.#opts.rekeyAfterRecords ||
				now - out.epochStarted >= this.#opts.rekeyAfterMs)
		) {
			const next = out.epoch + 1;
			parts.push(
				...(await this.#encrypt('rekey', encode(APPLICATION.rekey.body, { epoch: next })))
			);
			await out.advance('encrypt', now);
		}
		parts.push(...(await this.#encrypt(type, body)));
		return parts;
	}

	async #encrypt(type: AppType, body: Uint8Array): Promise<Uint8Array[]> {
		const out = this.#out;
		const seq = out.seq++;
		out.sinceRekey++;
		const header = encodeHeader(
			{ kind: 'record', type: APPLICATION[type].id, epoch: out.epoch, seq },
			body.length + TAG_BYTES
		);
		const ciphertext = await crypto.subtle.encrypt(
			{ name: 'AES-GCM', iv: out.nonce(seq), additionalData: this.#aad(header) },
			await out.key,
			bufferSource(body)
		);
		return [header, new Uint8Array(ciphertext)];
	}

	/** Opens one record frame, in arrival order. Any failure closes the channel for good. */
	open(frame: Frame): Promise<AppMessage> {
		const run = this.#openQueue.then(() => this.#openNow(frame));
		this.#openQueue = run.catch(() => {});
		return run;
	}

	async #openNow(frame: Frame): Promise<AppMessage> {
		this.#assertOpen();
		try {
			return await this.#decrypt(frame);
		} catch (e) {
			if (e instanceof ProtocolError) this.close(e.code);
			throw e;
		}
	}

	async #decrypt(frame: Frame): Promise<AppMessage> {
		const input = this.#in;
		if (frame.kind !== 'record')
			throw new ProtocolError('bad-kind', `${frame.kind} frame after the handshake`);
		const type = typeOfId(frame.type);
		if (type === undefined || !isAppType(type)) {
			throw new ProtocolError('unknown-message', `record type 0x${frame.type.toString(16)}`);
		}
		if (frame.seq < input.seq)
			throw new ProtocolError('replay', `record ${frame.seq} again`, { seq: frame.seq });
		if (frame.seq > input.seq) {
			throw new ProtocolError('gap', `expected record ${input.seq}, got ${frame.seq}`, {
				expected: input.seq,
				seq: frame.seq
			});
		}
		if (frame.epoch !== input.epoch)
			throw new ProtocolError('epoch', `epoch ${frame.epoch}, expected ${input.epoch}`);
		if (frame.payload.length < TAG_BYTES)
			throw new ProtocolError('frame-truncated', 'record shorter than its tag');
		const header = encodeHeader(frame, frame.payload.length);
		let plain: ArrayBuffer;
		try {
			plain = await crypto.subtle.decrypt(
				{ name: 'AES-GCM', iv: input.nonce(frame.seq), additionalData: this.#aad(header) },
				await input.key,
				bufferSource(frame.payload)
			);
		} catch {
			throw new ProtocolError('auth-tag', `record ${frame.seq} failed authentication`, {
				seq: frame.seq
			});
		}
		input.seq++;
		const entry = APPLICATION[type];
		const peer: Role = this.role === 'console' ? 'agent' : 'console';
		if (entry.from !== 'both' && entry.from !== peer) {
			throw new ProtocolError('wrong-direction', `${type} may not be sent by the ${peer}`);
		}
		const message = { type, ...decode(entry.body, new Uint8Array(plain)) } as AppMessage;
		if (message.type === 'rekey') {
			if (message.epoch !== input.epoch + 1)
				throw new ProtocolError('epoch', 'rekey skips an epoch');
			await input.advance('decrypt', this.#opts.now());
		}
		return message;
	}

	#aad(header: Uint8Array): Uint8Array<ArrayBuffer> {
		return bufferSource(concat(this.#sessionId, header.subarray(4, HEADER_BYTES)));
	}

	#assertOpen() {
		if (this.#closed !== null) {
			throw new ProtocolError('channel-closed', `channel closed (${this.#closed})`, {
				reason: this.#closed
			});
		}
	}
}

function sizeHint(message: AppMessage): number {
	return 'data' in message ? message.data.length : 0;
}

/** Traffic secrets for both directions from the handshake's ISK (docs/protocol.md, "Key schedule"). */
export async function deriveSecrets(isk: Uint8Array, sessionId: Uint8Array) {
	const label = (s: string) => utf8.encode(`benchside/1 ${s}`);
	const [consoleTraffic, agentTraffic, consoleConfirm, agentConfirm] = await Promise.all([
		hkdf(isk, sessionId, label('c2a traffic')),
		hkdf(isk, sessionId, label('a2c traffic')),
		hkdf(isk, sessionId, label('console confirm')),
		hkdf(isk, sessionId, label('agent confirm'))
	]);
	return { consoleTraffic, agentTraffic, consoleConfirm, agentConfirm };
}
