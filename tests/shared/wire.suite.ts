import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../src/lib/protocol/codec';
import { ProtocolError } from '../../src/lib/protocol/errors';
import {
	encodeFrame,
	FrameDecoder,
	HEADER_BYTES,
	MAX_FRAME_LENGTH,
	type Frame
} from '../../src/lib/protocol/framing';
import { CATALOGUE, bodyCodec, typeOfId, type MessageType } from '../../src/lib/protocol/messages';
import { APP_SAMPLES, HANDSHAKE_SAMPLES } from './samples';

const ALL = { ...HANDSHAKE_SAMPLES, ...APP_SAMPLES } as Record<MessageType, { type: MessageType }>;

function bodyOf(sample: { type: MessageType }) {
	const { type: _type, ...body } = sample;
	return body;
}

/** Splits `bytes` at the given cut points (fractions), as a relay might. */
/** Frames as comparable text: deep equality on 70 kB arrays is slow under property tests. */
function digest(frames: Frame[]): string[] {
	return frames.map(
		(f) =>
			`${f.kind}/${f.type}/${f.epoch}/${f.seq}/${f.payload.length}/${f.payload.reduce((h, b) => (h * 31 + b) >>> 0, 7)}`
	);
}

function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
	const points = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
	const out: Uint8Array[] = [];
	let at = 0;
	for (const p of points) {
		out.push(bytes.subarray(at, p));
		at = p;
	}
	out.push(bytes.subarray(at));
	return out;
}

describe('message bodies', () => {
	it('has a sample for every message in the catalogue, each with its own type byte', () => {
		expect(Object.keys(ALL).sort()).toEqual(Object.keys(CATALOGUE).sort());
		const ids = Object.values(CATALOGUE).map((e) => e.id);
		expect(new Set(ids).size).toBe(ids.length);
		for (const [name, e] of Object.entries(CATALOGUE)) expect(typeOfId(e.id)).toBe(name);
	});

	it.each(Object.keys(ALL) as MessageType[])('round-trips %s byte for byte', (type) => {
		const body = bodyOf(ALL[type]);
		const codec = bodyCodec(type);
		const bytes = encode(codec, body as never);
		expect(decode(codec, bytes)).toEqual(body);
		expect(encode(codec, decode(codec, bytes))).toEqual(bytes);
	});

	it('encodes integers that land after the writer has grown its buffer', () => {
		// Regression: a writer that read its view before growing wrote past the old buffer.
		const codecs = ['vp09.00.41.08', 'av01.0.08M.08', 'avc1.640028', 'avc1.42E01F', 'vp8'];
		const body = { screenId: 0, codecs, maxWidth: 3840, maxHeight: 2160 };
		for (const size of [1, 8, 16, 64]) {
			const bytes = encode(bodyCodec('stream-start'), body, size);
			expect(decode(bodyCodec('stream-start'), bytes)).toEqual(body);
		}
		fc.assert(
			fc.property(
				fc.array(fc.string({ maxLength: 20 }), { maxLength: 16 }),
				fc.nat(0xffff),
				(list, n) => {
					const value = { screenId: 1, codecs: list, maxWidth: n, maxHeight: 0xffff - n };
					expect(
						decode(bodyCodec('stream-start'), encode(bodyCodec('stream-start'), value, 1))
					).toEqual(value);
				}
			),
			{ numRuns: 300 }
		);
	});

	it('lays out a chat message exactly as docs/protocol.md shows it', () => {
		const bytes = encode(bodyCodec('chat'), { messageId: 3, at: 1, text: 'hé' });
		// messageId u32 | at u64 | text: u16 length + UTF-8
		expect([...bytes]).toEqual([0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3, 0x68, 0xc3, 0xa9]);
	});

	it('refuses values the wire cannot carry instead of truncating them', () => {
		const bad = [
			() =>
				encode(bodyCodec('pointer'), { screenId: 0, x: 70000, y: 0, buttons: 0, action: 'move' }),
			() => encode(bodyCodec('chat'), { messageId: 1, at: 1.5, text: '' }),
			() =>
				encode(bodyCodec('file-offer'), {
					...bodyOf(APP_SAMPLES['file-offer']),
					sha256: new Uint8Array(31)
				} as never),
			() =>
				encode(bodyCodec('file-offer'), {
					...bodyOf(APP_SAMPLES['file-offer']),
					name: 'x'.repeat(256)
				} as never)
		];
		for (const f of bad) expect(f).toThrow(ProtocolError);
	});

	it('rejects invalid UTF-8, bad enums, bad booleans and trailing bytes', () => {
		const chat = encode(bodyCodec('chat'), { messageId: 1, at: 1, text: 'ab' });
		const badUtf8 = chat.slice();
		badUtf8[14] = 0xff;
		const trailing = new Uint8Array([...chat, 0]);
		const consent = encode(bodyCodec('consent-release'), { capability: 'view' });
		const badBool = encode(bodyCodec('stream-stop'), { screenId: 0 });
		for (const [type, bytes] of [
			['chat', badUtf8],
			['chat', trailing],
			['consent-release', Uint8Array.of(consent[0]! + 10)],
			['video-chunk', Uint8Array.of(badBool[0]!, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)]
		] as const) {
			expect(() => decode(bodyCodec(type), bytes)).toThrow(ProtocolError);
		}
	});

	it('never throws anything but its own typed error on arbitrary bodies (fuzz)', () => {
		const types = Object.keys(CATALOGUE) as MessageType[];
		fc.assert(
			fc.property(fc.constantFrom(...types), fc.uint8Array({ maxLength: 300 }), (type, bytes) => {
				try {
					decode(bodyCodec(type), bytes);
				} catch (e) {
					expect(e).toBeInstanceOf(ProtocolError);
					expect((e as ProtocolError).code).toBe('malformed');
				}
			}),
			{ numRuns: 3000 }
		);
	});
});

describe('the frame decoder', () => {
	const sample: Frame[] = [
		{ kind: 'handshake', type: 0x01, epoch: 0, seq: 0, payload: Uint8Array.of(1, 2, 3) },
		{
			kind: 'record',
			type: 0x32,
			epoch: 3,
			seq: 2 ** 40 + 5,
			payload: new Uint8Array(70_000).fill(9)
		},
		{ kind: 'alert', type: 0, epoch: 0, seq: 0, payload: new Uint8Array(0) },
		{ kind: 'record', type: 0x60, epoch: 0, seq: 1, payload: Uint8Array.of(42) }
	];
	const stream = new Uint8Array(sample.reduce((n, f) => n + HEADER_BYTES + f.payload.length, 0));
	let at = 0;
	for (const f of sample) {
		const b = encodeFrame(f, f.payload);
		stream.set(b, at);
		at += b.length;
	}

	it('reads frames delivered merged into one chunk', () => {
		expect(new FrameDecoder().push(stream)).toEqual(sample);
	});

	it('reads frames delivered one byte at a time', () => {
		const d = new FrameDecoder();
		const out: Frame[] = [];
		for (let i = 0; i < stream.length; i++) out.push(...d.push(stream.subarray(i, i + 1)));
		expect(out).toEqual(sample);
		expect(d.pending).toBe(0);
	});

	it('hands out a payload that arrived whole as a view of the received bytes, with no copy', () => {
		const [first] = new FrameDecoder().push(stream);
		expect(first!.payload.buffer).toBe(stream.buffer);
	});

	it('hands out a payload sent as its own message after its header as a view too', () => {
		const frame = sample[1]!;
		const payload = frame.payload.slice();
		const d = new FrameDecoder();
		expect(d.push(encodeFrame(frame, payload).subarray(0, HEADER_BYTES))).toEqual([]);
		const [out] = d.push(payload);
		expect(out!.payload.buffer).toBe(payload.buffer);
		expect(digest([out!])).toEqual(digest([frame]));
	});

	it('reads the same frames however the relay splits and merges them (property)', () => {
		fc.assert(
			fc.property(
				fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
				(cuts) => {
					const d = new FrameDecoder();
					const out = split(stream, cuts).flatMap((c) => d.push(c));
					d.end();
					expect(digest(out)).toEqual(digest(sample));
				}
			),
			{ numRuns: 300 }
		);
	});

	it('reports a stream that ends mid-frame as truncated', () => {
		const d = new FrameDecoder();
		d.push(stream.subarray(0, HEADER_BYTES + 1));
		expect(() => d.end()).toThrow(expect.objectContaining({ code: 'frame-truncated' }));
	});

	it('rejects an oversized length before buffering it, and bad versions and kinds', () => {
		const huge = encodeFrame(sample[0]!, sample[0]!.payload);
		new DataView(huge.buffer).setUint32(0, MAX_FRAME_LENGTH + 1);
		expect(() => new FrameDecoder().push(huge)).toThrow(
			expect.objectContaining({ code: 'frame-too-large' })
		);
		const version = encodeFrame(sample[0]!, sample[0]!.payload);
		version[4] = 2;
		expect(() => new FrameDecoder().push(version)).toThrow(
			expect.objectContaining({ code: 'bad-version' })
		);
		const kind = encodeFrame(sample[0]!, sample[0]!.payload);
		kind[5] = 9;
		expect(() => new FrameDecoder().push(kind)).toThrow(
			expect.objectContaining({ code: 'bad-kind' })
		);
	});

	it('never throws anything but its own typed errors on arbitrary bytes (fuzz)', () => {
		fc.assert(
			fc.property(
				fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }),
				fc.boolean(),
				(chunks, validPrefix) => {
					const d = new FrameDecoder();
					try {
						if (validPrefix) d.push(stream.subarray(0, HEADER_BYTES + 3));
						for (const c of chunks) d.push(c);
						d.end();
					} catch (e) {
						expect(e).toBeInstanceOf(ProtocolError);
					}
				}
			),
			{ numRuns: 3000 }
		);
	});
});
