/**
 * A small binary codec built from combinators. Each message body in docs/protocol.md is one
 * `struct`; the same objects encode, decode, infer the TypeScript types and describe themselves
 * for the spec's tables (the contract test compares the two). All integers are big-endian.
 * Decoding never throws anything but ProtocolError('malformed').
 */
import { decodeUtf8, utf8 } from './bytes';
import { ProtocolError } from './errors';

export class Writer {
	#buf: Uint8Array;
	#view: DataView;
	#at = 0;

	/** Writing into `into` (never past its end), or into a buffer of its own that grows. */
	readonly #fixed: boolean;

	constructor(sizeOrInto: number | Uint8Array = 256) {
		this.#fixed = sizeOrInto instanceof Uint8Array;
		if (sizeOrInto instanceof Uint8Array) {
			this.#buf = sizeOrInto;
			this.#view = new DataView(sizeOrInto.buffer, sizeOrInto.byteOffset, sizeOrInto.length);
			return;
		}
		// The buffer first, then its views: `.buffer` of a small typed array (V8 keeps those
		// on its heap) would make V8 move it off the heap, a slow call on every message.
		const buffer = new ArrayBuffer(sizeOrInto);
		this.#buf = new Uint8Array(buffer);
		this.#view = new DataView(buffer);
	}

	#room(n: number): number {
		const at = this.#at;
		if (at + n > this.#buf.length) {
			if (this.#fixed) throw new ProtocolError('malformed', 'does not fit its buffer');
			const buffer = new ArrayBuffer(Math.max(this.#buf.length * 2, at + n));
			const grown = new Uint8Array(buffer);
			grown.set(this.#buf.subarray(0, at));
			this.#buf = grown;
			this.#view = new DataView(buffer);
		}
		this.#at += n;
		return at;
	}

	// Each writer takes its room before touching the view: #room may replace buffer and view.
	u8(v: number) {
		const at = this.#room(1);
		this.#view.setUint8(at, v);
	}
	u16(v: number) {
		const at = this.#room(2);
		this.#view.setUint16(at, v);
	}
	i16(v: number) {
		const at = this.#room(2);
		this.#view.setInt16(at, v);
	}
	u32(v: number) {
		const at = this.#room(4);
		this.#view.setUint32(at, v);
	}
	u64(v: number) {
		const at = this.#room(8);
		this.#view.setUint32(at, Math.floor(v / 2 ** 32));
		this.#view.setUint32(at + 4, v >>> 0);
	}
	bytes(b: Uint8Array) {
		const at = this.#room(b.length); // before reading #buf: #room may replace it
		this.#buf.set(b, at);
	}
	/** Writes from the start again (the same buffer, for the next message). */
	rewind(): this {
		this.#at = 0;
		return this;
	}

	/** The encoded bytes: a view of the internal buffer, valid until the next write. */
	finish(): Uint8Array {
		return this.#buf.subarray(0, this.#at);
	}
}

export class Reader {
	readonly #buf: Uint8Array;
	#at = 0;

	/**
	 * Reads a byte array, or a whole ArrayBuffer as a decrypted record comes. Numbers are read byte
	 * by byte, without a DataView: each view made costs, per record (bench/README.md), and
	 * `.buffer` of a small array makes V8 move it off its heap. A bytes field is a view, no copy.
	 */
	constructor(bytes: Uint8Array | ArrayBuffer) {
		this.#buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
	}

	#take(n: number): number {
		if (this.#at + n > this.#buf.length) throw new ProtocolError('malformed', 'message too short');
		const at = this.#at;
		this.#at += n;
		return at;
	}
	#u32At(at: number): number {
		const b = this.#buf;
		return b[at]! * 0x1000000 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
	}
	get remaining(): number {
		return this.#buf.length - this.#at;
	}
	u8() {
		return this.#buf[this.#take(1)]!;
	}
	u16() {
		const at = this.#take(2);
		return (this.#buf[at]! << 8) | this.#buf[at + 1]!;
	}
	i16() {
		const v = this.u16();
		return v >= 0x8000 ? v - 0x10000 : v;
	}
	u32() {
		return this.#u32At(this.#take(4));
	}
	u64() {
		const at = this.#take(8);
		const hi = this.#u32At(at);
		if (hi > 0x1fffff) throw new ProtocolError('malformed', 'u64 beyond 2^53');
		return hi * 2 ** 32 + this.#u32At(at + 4);
	}
	/** A view into the input, not a copy: large payloads stay zero-copy. */
	bytes(n: number): Uint8Array {
		const at = this.#take(n);
		return this.#buf.subarray(at, at + n);
	}
	end() {
		if (this.remaining !== 0) throw new ProtocolError('malformed', 'trailing bytes');
	}
}

export interface Codec<T> {
	/** How the spec writes this type, e.g. `u16`, `bytes[32]`, `str≤128`. */
	readonly doc: string;
	write(w: Writer, v: T): void;
	read(r: Reader): T;
}

export type Infer<C> = C extends Codec<infer T> ? T : never;

function int(
	doc: string,
	max: number,
	min = 0,
	put: keyof Writer,
	get: keyof Reader
): Codec<number> {
	return {
		doc,
		write(w, v) {
			if (!Number.isInteger(v) || v < min || v > max) {
				throw new ProtocolError('malformed', `${doc} out of range: ${v}`);
			}
			(w[put] as (v: number) => void)(v);
		},
		read: (r) => (r[get] as () => number)()
	};
}

export const u8 = int('u8', 0xff, 0, 'u8', 'u8');
export const u16 = int('u16', 0xffff, 0, 'u16', 'u16');
export const i16 = int('i16', 0x7fff, -0x8000, 'i16', 'i16');
export const u32 = int('u32', 0xffffffff, 0, 'u32', 'u32');
export const u64 = int('u64', Number.MAX_SAFE_INTEGER, 0, 'u64', 'u64');

export const bool: Codec<boolean> = {
	doc: 'bool',
	write: (w, v) => w.u8(v ? 1 : 0),
	read(r) {
		const b = r.u8();
		if (b > 1) throw new ProtocolError('malformed', 'bool is neither 0 nor 1');
		return b === 1;
	}
};

/** Exactly n bytes. */
export function fixed(n: number): Codec<Uint8Array> {
	return {
		doc: `bytes[${n}]`,
		write(w, v) {
			if (v.length !== n) throw new ProtocolError('malformed', `expected ${n} bytes`);
			w.bytes(v);
		},
		read: (r) => r.bytes(n)
	};
}

/** u32 length, then that many bytes (at most `max`). */
export function bytes(max: number): Codec<Uint8Array> {
	return {
		doc: `bytes≤${max}`,
		write(w, v) {
			if (v.length > max) throw new ProtocolError('malformed', 'bytes too long');
			w.u32(v.length);
			w.bytes(v);
		},
		read(r) {
			const n = r.u32();
			if (n > max) throw new ProtocolError('malformed', 'bytes too long');
			return r.bytes(n);
		}
	};
}

/** Everything to the end of the body; only as a struct's last field. Zero-copy on read. */
export const tail: Codec<Uint8Array> = {
	doc: 'bytes…',
	write: (w, v) => w.bytes(v),
	read: (r) => r.bytes(r.remaining)
};

/** u16 byte length, then UTF-8 (at most `max` bytes, strictly valid). */
export function str(max: number): Codec<string> {
	return {
		doc: `str≤${max}`,
		write(w, v) {
			const b = utf8.encode(v);
			if (b.length > max) throw new ProtocolError('malformed', 'string too long');
			w.u16(b.length);
			w.bytes(b);
		},
		read(r) {
			const n = r.u16();
			if (n > max) throw new ProtocolError('malformed', 'string too long');
			const s = decodeUtf8(r.bytes(n));
			if (s === null) throw new ProtocolError('malformed', 'invalid UTF-8');
			return s;
		}
	};
}

/** u8 on the wire, a name in code: wire value i+1 for values[i]; 0 is never valid. */
export function enumeration<const V extends readonly string[]>(values: V): Codec<V[number]> {
	return {
		doc: `enum{${values.join(',')}}`,
		write(w, v) {
			const i = values.indexOf(v);
			if (i < 0) throw new ProtocolError('malformed', `unknown value ${v}`);
			w.u8(i + 1);
		},
		read(r) {
			const v = values[r.u8() - 1];
			if (v === undefined) throw new ProtocolError('malformed', 'unknown enum value');
			return v;
		}
	};
}

/** u16 count, then the items (at most `max`). */
export function list<T>(item: Codec<T>, max: number): Codec<T[]> {
	return {
		doc: `list≤${max}<${item.doc}>`,
		write(w, v) {
			if (v.length > max) throw new ProtocolError('malformed', 'list too long');
			w.u16(v.length);
			for (const x of v) item.write(w, x);
		},
		read(r) {
			const n = r.u16();
			if (n > max) throw new ProtocolError('malformed', 'list too long');
			const out: T[] = [];
			for (let i = 0; i < n; i++) out.push(item.read(r));
			return out;
		}
	};
}

export type Fields = Record<string, Codec<unknown>>;
export type StructOf<F extends Fields> = { [K in keyof F]: Infer<F[K]> };

export interface StructCodec<F extends Fields> extends Codec<StructOf<F>> {
	readonly fields: F;
	/** Reads the fields onto `into` (a message's `type`, say), after what it already has. */
	readInto<S extends object>(r: Reader, into: S): S & StructOf<F>;
}

/** Fields in declaration order, no padding, no names on the wire. */
export function struct<F extends Fields>(fields: F): StructCodec<F> {
	const entries = Object.entries(fields);
	return {
		fields,
		doc: entries.map(([k, c]) => `${k} ${c.doc}`).join(', '),
		write(w, v) {
			for (const [k, c] of entries) c.write(w, (v as Record<string, unknown>)[k]);
		},
		read(r) {
			return this.readInto(r, {});
		},
		readInto<S extends object>(r: Reader, into: S) {
			const out = into as Record<string, unknown>;
			for (const [k, c] of entries) out[k] = c.read(r);
			return out as S & StructOf<F>;
		}
	};
}

export function encode<T>(codec: Codec<T>, value: T, sizeHint = 64): Uint8Array {
	const w = new Writer(sizeHint);
	codec.write(w, value);
	return w.finish();
}

/** Decodes exactly one value; trailing bytes are an error. */
export function decode<T>(codec: Codec<T>, bytes: Uint8Array | ArrayBuffer): T {
	const r = new Reader(bytes);
	const v = codec.read(r);
	r.end();
	return v;
}

/** Decodes exactly one struct onto `into` (see StructCodec.readInto); trailing bytes are an error. */
export function decodeInto<F extends Fields, S extends object>(
	codec: StructCodec<F>,
	bytes: Uint8Array | ArrayBuffer,
	into: S
): S & StructOf<F> {
	const r = new Reader(bytes);
	const v = codec.readInto(r, into);
	r.end();
	return v;
}
