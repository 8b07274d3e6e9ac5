/**
 * Recorded screen video for places without WebCodecs encoders (Node, the reference server,
 * benchmarks). The BSV1 container is described in tests/fixtures/README.md: big-endian like the
 * wire protocol, a header then chunks back to back until the end. Plain TypeScript, no DOM.
 */
import type {
	EncodedChunkOut,
	ScreenInfo,
	ScreenInput,
	ScreenSink,
	ScreenSource,
	ScreenStats,
	StartOptions
} from './types';

export interface Fixture {
	codec: string;
	width: number;
	height: number;
	/** Decoder description (empty in the container when absent). */
	description?: Uint8Array;
	/** The YUV the encoder produced; see EncodedVideoConfig.colorSpace for why it matters. */
	colorSpace?: VideoColorSpaceInit;
	/** In order; `screenId` is 0 as read, the source stamps the screen it streams. */
	chunks: EncodedChunkOut[];
}

const MAGIC = [0x42, 0x53, 0x56, 0x31]; // 'BSV1'
const CHUNK_HEADER = 1 + 8 + 4 + 4;

export class FixtureError extends Error {
	override name = 'FixtureError';
}

/** 'primaries transfer matrix full|limited', e.g. 'bt709 iec61966-2-1 bt709 full'. */
function formatColour(c: VideoColorSpaceInit): string {
	const range =
		c.fullRange === undefined || c.fullRange === null ? '-' : c.fullRange ? 'full' : 'limited';
	return [c.primaries ?? '-', c.transfer ?? '-', c.matrix ?? '-', range].join(' ');
}

// The values TypeScript's DOM lib knows for VideoColorPrimaries, VideoTransferCharacteristics and
// VideoMatrixCoefficients: all an SDR screen needs.
const PRIMARIES: readonly VideoColorPrimaries[] = ['bt709', 'bt470bg', 'smpte170m'];
const TRANSFERS: readonly VideoTransferCharacteristics[] = ['bt709', 'smpte170m', 'iec61966-2-1'];
const MATRICES: readonly VideoMatrixCoefficients[] = ['rgb', 'bt709', 'bt470bg', 'smpte170m'];

function pick<T extends string>(
	known: readonly T[],
	word: string | undefined,
	what: string
): T | undefined {
	if (word === '-') return undefined;
	const found = known.find((k) => k === word);
	if (!found) throw new FixtureError(`unknown colour ${what} "${word}"`);
	return found;
}

function parseColour(s: string): VideoColorSpaceInit | undefined {
	if (!s) return undefined;
	const words = s.split(' ');
	if (words.length !== 4) throw new FixtureError(`colour space "${s}" is not four words`);
	const primaries = pick(PRIMARIES, words[0], 'primaries');
	const transfer = pick(TRANSFERS, words[1], 'transfer');
	const matrix = pick(MATRICES, words[2], 'matrix');
	const range = pick(['full', 'limited'], words[3], 'range');
	return {
		...(primaries ? { primaries } : {}),
		...(transfer ? { transfer } : {}),
		...(matrix ? { matrix } : {}),
		...(range ? { fullRange: range === 'full' } : {})
	};
}

export function parseFixture(bytes: Uint8Array): Fixture {
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	let at = 0;
	const need = (n: number, what: string) => {
		if (at + n > bytes.length) throw new FixtureError(`truncated ${what} at byte ${at}`);
		const start = at;
		at += n;
		return start;
	};
	need(4, 'magic');
	if (MAGIC.some((b, i) => bytes[i] !== b)) throw new FixtureError('not a BSV1 file');
	const codecLength = view.getUint8(need(1, 'codec length'));
	const codec = new TextDecoder().decode(bytes.subarray(at, at + codecLength));
	need(codecLength, 'codec');
	const width = view.getUint16(need(2, 'width'));
	const height = view.getUint16(need(2, 'height'));
	const colourLength = view.getUint8(need(1, 'colour space length'));
	const colorSpace = parseColour(new TextDecoder().decode(bytes.subarray(at, at + colourLength)));
	need(colourLength, 'colour space');
	const descriptionLength = view.getUint32(need(4, 'description length'));
	const description = bytes.slice(at, at + descriptionLength);
	need(descriptionLength, 'description');
	const chunks: EncodedChunkOut[] = [];
	while (at < bytes.length) {
		const h = need(CHUNK_HEADER, `chunk ${chunks.length} header`);
		const key = view.getUint8(h);
		if (key > 1) throw new FixtureError(`chunk ${chunks.length}: key flag ${key}`);
		const timestamp = view.getUint32(h + 1) * 2 ** 32 + view.getUint32(h + 5);
		const duration = view.getUint32(h + 9);
		const length = view.getUint32(h + 13);
		const data = bytes.slice(at, at + length);
		need(length, `chunk ${chunks.length} data`);
		chunks.push({ screenId: 0, key: key === 1, timestamp, duration, data });
	}
	if (chunks.length === 0 || !chunks[0]!.key)
		throw new FixtureError('the first chunk is not a key frame');
	return {
		codec,
		width,
		height,
		...(descriptionLength ? { description } : {}),
		...(colorSpace ? { colorSpace } : {}),
		chunks
	};
}

export function serializeFixture(f: Fixture): Uint8Array {
	const codec = new TextEncoder().encode(f.codec);
	if (codec.length > 255) throw new FixtureError('codec string longer than 255 bytes');
	const description = f.description ?? new Uint8Array();
	const colour = new TextEncoder().encode(f.colorSpace ? formatColour(f.colorSpace) : '');
	const size =
		4 +
		1 +
		codec.length +
		4 +
		1 +
		colour.length +
		4 +
		description.length +
		f.chunks.reduce((n, c) => n + CHUNK_HEADER + c.data.length, 0);
	const out = new Uint8Array(size);
	const view = new DataView(out.buffer);
	out.set(MAGIC, 0);
	let at = 4;
	view.setUint8(at, codec.length);
	out.set(codec, at + 1);
	at += 1 + codec.length;
	view.setUint16(at, f.width);
	view.setUint16(at + 2, f.height);
	view.setUint8(at + 4, colour.length);
	out.set(colour, at + 5);
	at += 5 + colour.length;
	view.setUint32(at, description.length);
	out.set(description, at + 4);
	at += 4 + description.length;
	for (const c of f.chunks) {
		view.setUint8(at, c.key ? 1 : 0);
		view.setUint32(at + 1, Math.floor(c.timestamp / 2 ** 32));
		view.setUint32(at + 5, c.timestamp >>> 0);
		view.setUint32(at + 9, c.duration);
		view.setUint32(at + 13, c.data.length);
		out.set(c.data, at + CHUNK_HEADER);
		at += CHUNK_HEADER + c.data.length;
	}
	return out;
}

export interface FixtureScreen {
	/** Recordings of this screen, one per codec, in order of preference. */
	fixtures: Fixture[];
	name?: string;
	primary?: boolean;
}

/** Codecs match by family ('avc1.42E01F' serves a console that asks for 'avc1.640028'). */
const family = (codec: string) => codec.split('.')[0]!.toLowerCase();

class Replay {
	#timer: ReturnType<typeof setTimeout> | undefined;
	#index = 0;
	/** Output time of the loop's chunk 0, so timestamps keep rising across loops and jumps. */
	#offset = 0;
	readonly #startedAt = Date.now();
	#last = -1;
	sent = 0;
	keys = 0;
	bytes = 0;

	constructor(
		readonly screenId: number,
		readonly fixture: Fixture,
		readonly sink: ScreenSink
	) {
		const { codec, width, height, description, colorSpace } = fixture;
		sink.config({
			screenId,
			codec,
			width,
			height,
			...(description ? { description: description.slice() } : {}),
			...(colorSpace ? { colorSpace: { ...colorSpace } } : {})
		});
		this.#emit();
	}

	get #first(): number {
		return this.fixture.chunks[0]!.timestamp;
	}

	/** Replays from the latest key frame at or before the next chunk: a key frame right now. */
	requestKeyFrame(): void {
		const chunks = this.fixture.chunks;
		let k = this.#index;
		while (k > 0 && !chunks[k]!.key) k--;
		// Output timestamps follow the wall clock; the replayed key frame comes right after the last.
		this.#offset = this.#last + 1 - (chunks[k]!.timestamp - this.#first);
		this.#index = k;
		clearTimeout(this.#timer);
		this.#emit();
	}

	#emit(): void {
		const chunks = this.fixture.chunks;
		const c = chunks[this.#index]!;
		const timestamp = Math.max(this.#last + 1, this.#offset + c.timestamp - this.#first);
		this.#last = timestamp;
		this.sent++;
		if (c.key) this.keys++;
		this.bytes += c.data.length;
		// A copy each time: the consumer may transfer (detach) the buffer it is given.
		this.sink.chunk({
			screenId: this.screenId,
			key: c.key,
			timestamp,
			duration: c.duration,
			data: c.data.slice()
		});
		this.#index++;
		if (this.#index >= chunks.length) {
			const end = chunks.at(-1)!;
			this.#offset += end.timestamp + end.duration - this.#first;
			this.#index = 0;
		}
		const next = this.#offset + chunks[this.#index]!.timestamp - this.#first;
		const delay = this.#startedAt + next / 1000 - Date.now();
		this.#timer = setTimeout(() => this.#emit(), Math.max(0, delay));
	}

	stop(): void {
		clearTimeout(this.#timer);
	}
}

/**
 * A ScreenSource that replays recordings in a loop at their timestamps. Input is accepted and
 * ignored; a key frame request replays from the nearest earlier key frame at once.
 */
export function createFixtureScreenSource(screens: Fixture | FixtureScreen[]): ScreenSource {
	const list: FixtureScreen[] = Array.isArray(screens) ? screens : [{ fixtures: [screens] }];
	if (list.some((s) => s.fixtures.length === 0))
		throw new FixtureError('a screen without a fixture');
	const infos: ScreenInfo[] = list.map((s, id) => ({
		id,
		name: s.name ?? (id === 0 ? 'Main' : `Screen ${id + 1}`),
		width: s.fixtures[0]!.width,
		height: s.fixtures[0]!.height,
		primary: s.primary ?? id === 0
	}));
	const replays = new Map<number, Replay>();
	const stop = (id: number) => {
		replays.get(id)?.stop();
		replays.delete(id);
	};
	return {
		screens: infos,
		async encodable() {
			return [...new Set(list.flatMap((s) => s.fixtures.map((f) => f.codec)))];
		},
		async start(screenId: number, codecs: string[], sink: ScreenSink, _options?: StartOptions) {
			const screen = list[screenId];
			if (!screen) return null;
			let fixture: Fixture | undefined;
			for (const wanted of codecs) {
				fixture =
					screen.fixtures.find((f) => f.codec === wanted) ??
					screen.fixtures.find((f) => family(f.codec) === family(wanted));
				if (fixture) break;
			}
			if (!fixture) return null;
			stop(screenId);
			replays.set(screenId, new Replay(screenId, fixture, sink));
			return fixture.codec;
		},
		stop,
		requestKeyFrame(screenId: number) {
			replays.get(screenId)?.requestKeyFrame();
		},
		input(_event: ScreenInput) {},
		async stats(screenId: number): Promise<ScreenStats | null> {
			const r = replays.get(screenId);
			if (!r) return null;
			const seconds = (r.fixture.chunks.at(-1)!.timestamp - r.fixture.chunks[0]!.timestamp) / 1e6;
			return {
				screenId,
				codec: r.fixture.codec,
				framesEncoded: r.sent,
				framesDropped: 0,
				keyFrames: r.keys,
				bytes: r.bytes,
				fps: seconds > 0 ? (r.fixture.chunks.length - 1) / seconds : 0
			};
		},
		dispose() {
			for (const id of [...replays.keys()]) stop(id);
		}
	};
}
