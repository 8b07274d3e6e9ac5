/**
 * The sealed record layer (docs/protocol.md, "Records"). One AES-256-GCM key per direction and
 * epoch; nonce = direction byte ‖ 0 0 0 ‖ sequence number, so no (key, nonce) pair ever repeats
 * and the two directions could not collide even under one key. The associated data binds the
 * session id and the whole header (type, epoch, sequence). Records must arrive in order, each
 * exactly once: anything else ends the channel with a typed reason.
 */
import { bufferSource } from './bytes';
import { decodeInto, encode, Writer, type Fields, type StructCodec } from './codec';
import { ProtocolError, type ProtocolErrorCode } from './errors';
import { encodeHeader, HEADER_REST, TAG_BYTES, writeHeaderRest, type Frame } from './framing';
import { aesKey, hkdf, label } from './kdf';
import {
	APPLICATION,
	bodyCodec,
	typeOfId,
	isAppType,
	type AppMessage,
	type AppType
} from './messages';

export type Role = 'console' | 'agent';

/** Bulk messages end in their data; the fixed fields before it take this many bytes. */
const BULK_PREFIX = { 'video-chunk': 14, 'file-chunk': 12 } as const;
export type BulkType = keyof typeof BULK_PREFIX;
type BulkFields<T extends BulkType> = Omit<Extract<AppMessage, { type: T }>, 'type' | 'data'>;
export interface RecordDraft<T extends BulkType> {
	readonly type: T;
	readonly body: Uint8Array;
	/** Where the data goes: write it here before sealing. */
	readonly data: Uint8Array;
	/** Writes the fields before the data, in place (made once per draft: drafts are reused). */
	readonly prefix: Writer;
}
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

/**
 * One direction's key state. WebCrypto copies `iv`, `additionalData` and the data when a call is
 * made (WebCrypto §18.4.4 "get a copy of the bytes"), so the nonce and AAD buffers are reused.
 */
class Direction {
	epoch = 0;
	seq = 0;
	sinceRekey = 0;
	epochStarted: number;
	#secret: Promise<Uint8Array>;
	keyReady: Promise<CryptoKey>;
	/** The key once derived: lets a record start encrypting without waiting a microtask. */
	key: CryptoKey | null = null;
	readonly #usage: KeyUsage;
	readonly nonceBuf = new Uint8Array(12);
	readonly aadBuf: Uint8Array<ArrayBuffer>;
	readonly #nonce = new DataView(this.nonceBuf.buffer);

	constructor(
		secret: Uint8Array,
		dir: number,
		usage: KeyUsage,
		now: number,
		sessionId: Uint8Array
	) {
		this.#usage = usage;
		this.epochStarted = now;
		this.#secret = Promise.resolve(secret);
		this.keyReady = this.#derive();
		this.#nonce.setUint8(0, dir);
		this.aadBuf = new Uint8Array(sessionId.length + HEADER_REST);
		this.aadBuf.set(sessionId);
	}

	#derive(): Promise<CryptoKey> {
		this.key = null;
		const ready = this.#secret
			.then((secret) => hkdf(secret, EMPTY, 'benchside/1 key'))
			.then((raw) => aesKey(raw, [this.#usage]));
		ready.then((k) => this.keyReady === ready && (this.key = k)).catch(() => {});
		return ready;
	}

	/** Moves to the next epoch at once; its key is derived in the background (a one-way ratchet). */
	advance(now: number) {
		this.#secret = this.#secret.then((secret) => hkdf(secret, EMPTY, 'benchside/1 rekey'));
		this.keyReady = this.#derive();
		this.epoch++;
		this.sinceRekey = 0;
		this.epochStarted = now;
	}

	/**
	 * Fills the shared nonce and AAD buffers for a record of this direction; valid until the next
	 * call. The AAD is the session id and the header after its length field, written from the
	 * header's fields (no header is encoded for it).
	 */
	params(type: number, epoch: number, seq: number): AesGcmParams {
		this.#nonce.setUint32(4, Math.floor(seq / 2 ** 32));
		this.#nonce.setUint32(8, seq >>> 0);
		writeHeaderRest(this.aadBuf, this.aadBuf.length - HEADER_REST, {
			kind: 'record',
			type,
			epoch,
			seq
		});
		return { name: 'AES-GCM', iv: this.nonceBuf, additionalData: this.aadBuf };
	}
}

/**
 * Results handed out in call order, whatever order their work settles in (records encrypt and
 * decrypt in parallel). A record costs one reaction on its own work: when the record before it
 * has been handed out already (the usual case: WebCrypto answers in call order), its result goes
 * out from that reaction; otherwise it waits for that record's turn. On the receiving side every
 * reaction after a decryption costs more than its own work (bench/README.md, "Record layer"),
 * so results are mapped (decoded) in the same reaction, not in one of their own.
 */
class InOrder<T> {
	/** The last record added: its result, and whether that result has settled. */
	#last: { result: Promise<T>; settled: boolean } | null = null;
	readonly #settled: (value: T) => T;
	readonly #failed: (error: unknown) => never;

	constructor(
		settled: (value: T) => T = (value) => value,
		failed: (error: unknown) => never = (error) => {
			throw error;
		}
	) {
		this.#settled = settled;
		this.#failed = failed;
	}

	/** `work`'s value through `map`, or its failure through `reject`, in call order. */
	add<S>(
		work: Promise<S>,
		map: (value: S) => T,
		reject: (reason: unknown) => unknown = (reason) => reason
	): Promise<T> {
		const before = this.#last;
		const turn = { result: null as unknown as Promise<T>, settled: false };
		const deliver = (ok: boolean, value: unknown): T => {
			if (!ok) return this.#failed(reject(value));
			let out: T;
			try {
				out = map(value as S);
			} catch (e) {
				return this.#failed(e);
			}
			return this.#settled(out);
		};
		const react = (ok: boolean) => (value: unknown) => {
			if (before === null || before.settled) {
				// Its turn: the result settles with what this returns or throws, right now.
				turn.settled = true;
				return deliver(ok, value);
			}
			// Out of turn: after the record before it; counted settled once its result is.
			const mark = () => void (turn.settled = true);
			void turn.result.then(mark, mark);
			const run = () => deliver(ok, value);
			return before.result.then(run, run);
		};
		turn.result = work.then(react(true), react(false));
		this.#last = turn;
		return turn.result;
	}
}

export class SecureChannel {
	readonly role: Role;
	readonly #out: Direction;
	readonly #in: Direction;
	readonly #opts: Required<ChannelOptions>;
	#closed: ProtocolErrorCode | null = null;
	readonly #sealOrder = new InOrder<Uint8Array[]>();
	/** A record's turn: its message, unless an earlier record already closed the channel. */
	readonly #openOrder = new InOrder<AppMessage>(
		(message) => {
			if (this.#closed !== null) this.#assertOpen();
			return message;
		},
		(e) => {
			if (e instanceof ProtocolError) this.close(e.code);
			throw e;
		}
	);

	constructor(role: Role, secrets: ChannelSecrets, options: ChannelOptions = {}) {
		this.role = role;
		this.#opts = {
			rekeyAfterRecords: options.rekeyAfterRecords ?? REKEY_AFTER_RECORDS,
			rekeyAfterMs: options.rekeyAfterMs ?? REKEY_AFTER_MS,
			now: options.now ?? Date.now
		};
		const now = this.#opts.now();
		const peer: Role = role === 'console' ? 'agent' : 'console';
		this.#out = new Direction(
			secrets.send,
			DIRECTION_BYTE[role],
			'encrypt',
			now,
			secrets.sessionId
		);
		this.#in = new Direction(
			secrets.receive,
			DIRECTION_BYTE[peer],
			'decrypt',
			now,
			secrets.sessionId
		);
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

	/**
	 * A body buffer for a bulk message whose data the caller writes in place (`draft.data`), so
	 * that sealing it copies nothing: `chunk.copyTo(draft.data)`, then `sealDraft(draft, fields)`.
	 */
	draft<T extends BulkType>(type: T, dataLength: number): RecordDraft<T> {
		const n = BULK_PREFIX[type];
		const body = new Uint8Array(n + dataLength);
		return { type, body, data: body.subarray(n), prefix: new Writer(body.subarray(0, n)) };
	}

	/** Seals a draft with the message's other fields (see `draft`). */
	sealDraft<T extends BulkType>(
		draft: RecordDraft<T>,
		fields: BulkFields<T>
	): Promise<Uint8Array[]> {
		// Written in place, in front of the data: nothing copied.
		const w = draft.prefix.rewind();
		bodyCodec(draft.type).write(w, { ...fields, data: EMPTY } as never);
		const n = w.finish().length;
		if (n !== BULK_PREFIX[draft.type]) {
			throw new ProtocolError('malformed', `${draft.type} prefix is ${n} bytes`);
		}
		return this.sealBody(draft.type, draft.body);
	}

	/**
	 * Seals an already encoded body (see `seal`). Sequence numbers are taken and encryption is
	 * started at the call, so several records encrypt in parallel; they resolve in call order.
	 */
	sealBody(type: AppType, body: Uint8Array): Promise<Uint8Array[]> {
		try {
			this.#assertOpen();
			const out = this.#out;
			const now = this.#opts.now();
			if (
				type !== 'rekey' &&
				(out.sinceRekey >= this.#opts.rekeyAfterRecords ||
					now - out.epochStarted >= this.#opts.rekeyAfterMs)
			) {
				const rekey = this.#encrypt(
					'rekey',
					encode(APPLICATION.rekey.body, { epoch: out.epoch + 1 })
				);
				out.advance(now);
				const record = this.#encrypt(type, body);
				return this.#sealOrder.add(Promise.all([rekey.ciphertext, record.ciphertext]), ([a, b]) => [
					rekey.header,
					new Uint8Array(a),
					record.header,
					new Uint8Array(b)
				]);
			}
			const { header, ciphertext } = this.#encrypt(type, body);
			// The buffers are made in the same reaction that hands them out in turn.
			return this.#sealOrder.add(ciphertext, (c) => [header, new Uint8Array(c)]);
		} catch (e) {
			return this.#sealOrder.add(Promise.reject(e), same<Uint8Array[]>);
		}
	}

	/** Takes the next sequence number and starts encrypting: the header, and the ciphertext to come. */
	#encrypt(type: AppType, body: Uint8Array) {
		const out = this.#out;
		const seq = out.seq++;
		out.sinceRekey++;
		const id = APPLICATION[type].id;
		const epoch = out.epoch;
		const header = encodeHeader({ kind: 'record', type: id, epoch, seq }, body.length + TAG_BYTES);
		const data = bufferSource(body);
		const sealWith = (key: CryptoKey) =>
			crypto.subtle.encrypt(out.params(id, epoch, seq), key, data);
		// Right after a rekey the key may still be deriving: the shared buffers are filled then.
		const ciphertext = out.key ? sealWith(out.key) : out.keyReady.then(sealWith);
		return { header, ciphertext };
	}

	/**
	 * Opens one record frame, in arrival order. Any failure closes the channel for good. The
	 * header is checked and decryption started at the call, so records decrypt in parallel; the
	 * results resolve in order, and nothing after a failed record is ever delivered.
	 */
	open(frame: Frame): Promise<AppMessage> {
		// In turn: records before this one are delivered first; a failure closes the channel then.
		try {
			this.#assertOpen();
			return this.#startOpen(frame);
		} catch (e) {
			return this.#openOrder.add(Promise.reject(e), same<AppMessage>);
		}
	}

	#startOpen(frame: Frame): Promise<AppMessage> {
		const input = this.#in;
		if (frame.kind !== 'record') {
			throw new ProtocolError('bad-kind', `${frame.kind} frame after the handshake`);
		}
		const type = typeOfId(frame.type);
		if (type === undefined || !isAppType(type)) {
			throw new ProtocolError('unknown-message', `record type 0x${frame.type.toString(16)}`);
		}
		if (frame.seq < input.seq) {
			throw new ProtocolError('replay', `record ${frame.seq} again`, { seq: frame.seq });
		}
		if (frame.seq > input.seq) {
			throw new ProtocolError('gap', `expected record ${input.seq}, got ${frame.seq}`, {
				expected: input.seq,
				seq: frame.seq
			});
		}
		if (frame.epoch !== input.epoch) {
			throw new ProtocolError('epoch', `epoch ${frame.epoch}, expected ${input.epoch}`);
		}
		if (frame.payload.length < TAG_BYTES) {
			throw new ProtocolError('frame-truncated', 'record shorter than its tag');
		}
		input.seq++;
		const data = bufferSource(frame.payload);
		const seq = frame.seq;
		const id = frame.type;
		const expectedEpoch = input.epoch + 1;
		const peer: Role = this.role === 'console' ? 'agent' : 'console';
		const opened = (buffer: ArrayBuffer): AppMessage => {
			const entry = APPLICATION[type];
			if (entry.from !== 'both' && entry.from !== peer) {
				throw new ProtocolError('wrong-direction', `${type} may not be sent by the ${peer}`);
			}
			// Decoded onto `{ type }` straight from the buffer: no copies, no intermediate object.
			const body = entry.body as StructCodec<Fields>;
			const message = decodeInto(body, buffer, { type }) as unknown as AppMessage;
			if (message.type === 'rekey' && message.epoch !== expectedEpoch) {
				throw new ProtocolError('epoch', 'rekey skips an epoch');
			}
			return message;
		};
		const forged = () =>
			new ProtocolError('auth-tag', `record ${seq} failed authentication`, { seq });
		const epoch = frame.epoch;
		const decryptWith = (key: CryptoKey) =>
			crypto.subtle.decrypt(input.params(id, epoch, seq), key, data);
		// A rekey record (its type is in the authenticated header) moves this direction to the
		// next epoch at once; if it then fails authentication the channel closes anyway.
		const key = input.key;
		const keyReady = input.keyReady;
		if (type === 'rekey') input.advance(this.#opts.now());
		// Any failure to decrypt is a forgery (or corruption): the record is not what was sealed.
		if (key) return this.#openOrder.add(decryptWith(key), opened, forged);
		// Right after a rekey the key may still be deriving: the shared buffers are filled then.
		// A key that failed to derive is no forgery: its own error goes through.
		const late = keyReady.then((k) => decryptWith(k).catch(() => Promise.reject(forged())));
		return this.#openOrder.add(late, opened);
	}

	#assertOpen() {
		if (this.#closed !== null) {
			throw new ProtocolError('channel-closed', `channel closed (${this.#closed})`, {
				reason: this.#closed
			});
		}
	}
}

const same = <T>(value: T) => value;

function sizeHint(message: AppMessage): number {
	return 'data' in message ? message.data.length : 0;
}

/** Traffic secrets for both directions from the handshake's ISK (docs/protocol.md, "Key schedule"). */
export async function deriveSecrets(isk: Uint8Array, sessionId: Uint8Array) {
	const [consoleTraffic, agentTraffic, consoleConfirm, agentConfirm, resumption] =
		await Promise.all([
			hkdf(isk, sessionId, label('c2a traffic')),
			hkdf(isk, sessionId, label('a2c traffic')),
			hkdf(isk, sessionId, label('console confirm')),
			hkdf(isk, sessionId, label('agent confirm')),
			// Keys the next resumption of this session (docs/protocol.md, "Resumption").
			hkdf(isk, sessionId, label('resumption'))
		]);
	return { consoleTraffic, agentTraffic, consoleConfirm, agentConfirm, resumption };
}
