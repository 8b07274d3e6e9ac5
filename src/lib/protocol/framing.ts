/**
 * Frames (docs/protocol.md, "Frames"). The relay may split or merge WebSocket messages, so the
 * channel is read as a byte stream of length-prefixed frames. Every frame has the same 19-byte
 * header; the decoder hands out payloads as views of the received bytes whenever a payload
 * arrives in one piece, and copies only what arrived split.
 */
import { ProtocolError } from './errors';
import { MAX_PAYLOAD } from './messages';

export const WIRE_VERSION = 1;
export const HEADER_BYTES = 19;
/** Bytes after the length field that the header itself takes (what a record's AAD binds). */
export const HEADER_REST = HEADER_BYTES - 4;
export const TAG_BYTES = 16;
export const MAX_FRAME_LENGTH = HEADER_REST + MAX_PAYLOAD + TAG_BYTES;

export const FRAME_KINDS = { handshake: 1, record: 2, alert: 3 } as const;
export type FrameKind = keyof typeof FRAME_KINDS;
const kindOf: Record<number, FrameKind> = { 1: 'handshake', 2: 'record', 3: 'alert' };

export interface FrameHeader {
	kind: FrameKind;
	/** The message type byte (0 for alerts). */
	type: number;
	/** Key epoch of a record (0 elsewhere). */
	epoch: number;
	/** Record sequence number in its direction (0 elsewhere). */
	seq: number;
}
export interface Frame extends FrameHeader {
	payload: Uint8Array;
}

export function encodeHeader(h: FrameHeader, payloadLength: number): Uint8Array {
	if (payloadLength > MAX_PAYLOAD + TAG_BYTES) {
		throw new ProtocolError('frame-too-large', 'payload too large');
	}
	// Byte by byte, no DataView: `.buffer` of a typed array this small (V8 keeps it on its heap)
	// makes V8 move it off the heap first, which cost more than the rest of sealing a record.
	const out = new Uint8Array(HEADER_BYTES);
	putU32(out, 0, HEADER_REST + payloadLength);
	writeHeaderRest(out, 4, h);
	return out;
}

function putU32(out: Uint8Array, at: number, n: number) {
	out[at] = n >>> 24;
	out[at + 1] = (n >>> 16) & 0xff;
	out[at + 2] = (n >>> 8) & 0xff;
	out[at + 3] = n & 0xff;
}

/**
 * The header after its length field (version, kind, type, epoch, seq) at `at` of `out`: the
 * wire header's and, with the session id before it, a record's associated data.
 */
export function writeHeaderRest(out: Uint8Array, at: number, h: FrameHeader) {
	out[at] = WIRE_VERSION;
	out[at + 1] = FRAME_KINDS[h.kind];
	out[at + 2] = h.type;
	putU32(out, at + 3, h.epoch);
	putU32(out, at + 7, Math.floor(h.seq / 2 ** 32));
	putU32(out, at + 11, h.seq >>> 0);
}

/** One contiguous frame, header and payload: for transports that want a single buffer. */
export function encodeFrame(h: FrameHeader, payload: Uint8Array): Uint8Array {
	const out = new Uint8Array(HEADER_BYTES + payload.length);
	out.set(encodeHeader(h, payload.length));
	out.set(payload, HEADER_BYTES);
	return out;
}

function parseHeader(b: Uint8Array, at: number): { header: FrameHeader; payloadLength: number } {
	const v = new DataView(b.buffer, b.byteOffset + at, HEADER_BYTES);
	const length = v.getUint32(0);
	if (length > MAX_FRAME_LENGTH)
		throw new ProtocolError('frame-too-large', `frame of ${length} bytes`);
	if (length < HEADER_REST) throw new ProtocolError('malformed', 'frame shorter than its header');
	const version = v.getUint8(4);
	if (version !== WIRE_VERSION) throw new ProtocolError('bad-version', `wire version ${version}`);
	const kind = kindOf[v.getUint8(5)];
	if (kind === undefined) throw new ProtocolError('bad-kind', `frame kind ${v.getUint8(5)}`);
	const hi = v.getUint32(11);
	if (hi > 0x1fffff) throw new ProtocolError('malformed', 'sequence number beyond 2^53');
	return {
		header: {
			kind,
			type: v.getUint8(6),
			epoch: v.getUint32(7),
			seq: hi * 2 ** 32 + v.getUint32(15)
		},
		payloadLength: length - HEADER_REST
	};
}

/**
 * Turns arbitrary chunks of the byte stream into frames. After it throws, the stream is
 * unusable (framing is lost), and the caller ends the channel.
 */
export class FrameDecoder {
	readonly #head = new Uint8Array(HEADER_BYTES);
	#headFill = 0;
	#current: FrameHeader | null = null;
	#body: Uint8Array | null = null;
	#expected = 0;
	#bodyFill = 0;
	#broken = false;

	/** Bytes received but not yet part of a complete frame. */
	get pending(): number {
		return this.#current === null ? this.#headFill : HEADER_BYTES + this.#bodyFill;
	}

	push(chunk: Uint8Array): Frame[] {
		if (this.#broken) throw new ProtocolError('malformed', 'stream already failed');
		try {
			return this.#push(chunk);
		} catch (e) {
			this.#broken = true;
			throw e;
		}
	}

	/** The stream ended: anything half-received is a truncated frame. */
	end(): void {
		if (this.pending > 0) {
			this.#broken = true;
			throw new ProtocolError('frame-truncated', `${this.pending} bytes of an incomplete frame`);
		}
	}

	#push(chunk: Uint8Array): Frame[] {
		const frames: Frame[] = [];
		let at = 0;
		while (at < chunk.length) {
			if (this.#current === null) {
				let parsed;
				if (this.#headFill === 0 && chunk.length - at >= HEADER_BYTES) {
					parsed = parseHeader(chunk, at);
					at += HEADER_BYTES;
				} else {
					const n = Math.min(HEADER_BYTES - this.#headFill, chunk.length - at);
					this.#head.set(chunk.subarray(at, at + n), this.#headFill);
					this.#headFill += n;
					at += n;
					if (this.#headFill < HEADER_BYTES) break;
					parsed = parseHeader(this.#head, 0);
					this.#headFill = 0;
				}
				const { header, payloadLength } = parsed;
				if (chunk.length - at >= payloadLength) {
					frames.push({ ...header, payload: chunk.subarray(at, at + payloadLength) });
					at += payloadLength;
					continue;
				}
				this.#current = header;
				this.#expected = payloadLength;
				this.#bodyFill = 0;
				continue;
			}
			if (this.#bodyFill === 0 && chunk.length - at >= this.#expected) {
				// A payload sent as its own message (after its header): a view, still no copy.
				frames.push({ ...this.#current, payload: chunk.subarray(at, at + this.#expected) });
				at += this.#expected;
				this.#current = null;
				continue;
			}
			const body = (this.#body ??= new Uint8Array(this.#expected));
			const n = Math.min(body.length - this.#bodyFill, chunk.length - at);
			body.set(chunk.subarray(at, at + n), this.#bodyFill);
			this.#bodyFill += n;
			at += n;
			if (this.#bodyFill === body.length) {
				frames.push({ ...this.#current, payload: body });
				this.#current = null;
				this.#body = null;
				this.#bodyFill = 0;
			}
		}
		return frames;
	}
}
