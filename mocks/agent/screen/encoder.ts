/**
 * WebCodecs encoding for one screen stream: picks the first codec of the console's list that
 * really encodes (isConfigSupported alone can say yes to a codec whose encoder then fails, so
 * the first key frame is the proof), and hands each chunk on in its own transferable buffer.
 */
import type { EncodedVideoConfig } from './types';

export const DEFAULT_FPS = 30;
/** How long the first key frame may take before the encoder is flushed to get it. */
const PROBE_WAIT_MS = 3000;
/** Screen content is mostly still: 2 Mbit/s at 1920x1080, scaled by pixel count. */
export function defaultBitrate(width: number, height: number): number {
	return Math.round((2_000_000 * width * height) / (1920 * 1080));
}

export interface EncodeSettings {
	width: number;
	height: number;
	bitrate: number;
	fps: number;
}

export function encoderConfig(codec: string, s: EncodeSettings): VideoEncoderConfig {
	const config: VideoEncoderConfig = {
		codec,
		width: s.width,
		height: s.height,
		bitrate: s.bitrate,
		framerate: s.fps,
		latencyMode: 'realtime'
	};
	// Annex B carries SPS/PPS in the key frames, so the console needs no `description`.
	if (/^(avc1|avc3)\./.test(codec)) config.avc = { format: 'annexb' };
	return config;
}

export async function canEncode(codec: string, s: EncodeSettings): Promise<boolean> {
	try {
		const { supported } = await VideoEncoder.isConfigSupported(encoderConfig(codec, s));
		return supported === true;
	} catch {
		return false; // a malformed codec string is a TypeError: just not one we can encode
	}
}

export interface EncodedFrame {
	key: boolean;
	timestamp: number;
	duration: number;
	/** Its own ArrayBuffer, exactly as long as the chunk: ready to transfer. */
	data: Uint8Array<ArrayBuffer>;
}

export interface EncoderHandlers {
	config(c: EncodedVideoConfig): void;
	chunk(c: EncodedFrame): void;
	error(message: string): void;
}

function sameConfig(a: EncodedVideoConfig | null, b: EncodedVideoConfig): boolean {
	if (!a || a.codec !== b.codec || a.width !== b.width || a.height !== b.height) return false;
	if (JSON.stringify(a.colorSpace) !== JSON.stringify(b.colorSpace)) return false;
	const da = a.description ?? new Uint8Array();
	const db = b.description ?? new Uint8Array();
	return da.length === db.length && da.every((v, i) => v === db[i]);
}

function copyDescription(d: AllowSharedBufferSource): Uint8Array {
	if (d instanceof ArrayBuffer || d instanceof SharedArrayBuffer) return new Uint8Array(d.slice(0));
	return new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
}

export class ScreenEncoder {
	readonly #encoder: VideoEncoder;
	readonly #handlers: EncoderHandlers;
	#lastConfig: EncodedVideoConfig | null = null;
	#probing = true;
	/** Settles with the first chunk (or rejects with the first error). */
	readonly #first: Promise<void>;
	#settleFirst: { resolve(): void; reject(e: Error): void } | null = null;
	#error: string | null = null;
	framesEncoded = 0;
	keyFrames = 0;
	bytes = 0;
	/** Output times (ms) of the last chunks, for the fps figure. */
	readonly #recent: number[] = [];

	private constructor(
		readonly codec: string,
		readonly settings: EncodeSettings,
		handlers: EncoderHandlers
	) {
		this.#handlers = handlers;
		this.#first = new Promise((resolve, reject) => (this.#settleFirst = { resolve, reject }));
		this.#first.catch(() => {}); // observed by #probe only
		// Where the encoder was made: its error callback has no useful stack of its own.
		const origin = new Error(`VideoEncoder ${codec}`).stack ?? '';
		this.#encoder = new VideoEncoder({
			output: (chunk, meta) => this.#output(chunk, meta),
			error: (e) => {
				this.#error = `${e.name}: ${e.message}`;
				this.#settleFirst?.reject(e);
				if (!this.#probing)
					this.#handlers.error(`encoder ${codec} failed: ${this.#error}\n${origin}`);
			}
		});
		this.#encoder.configure(encoderConfig(codec, settings));
	}

	/**
	 * The first of `codecs` that encodes `firstFrame` into a key frame, already streaming; null
	 * when none does. Takes ownership of `firstFrame` (closes it).
	 */
	static async open(
		codecs: readonly string[],
		settings: EncodeSettings,
		firstFrame: VideoFrame,
		handlers: EncoderHandlers
	): Promise<ScreenEncoder | null> {
		try {
			for (const codec of codecs) {
				if (!(await canEncode(codec, settings))) continue;
				const encoder = new ScreenEncoder(codec, settings, handlers);
				if (await encoder.#probe(firstFrame)) return encoder;
				encoder.close();
			}
			return null;
		} finally {
			firstFrame.close();
		}
	}

	/**
	 * Encodes the first frame as a key frame and waits for its chunk; in realtime mode it comes
	 * without a flush, which would only drain the encoder before the stream starts.
	 */
	async #probe(frame: VideoFrame): Promise<boolean> {
		try {
			this.#encoder.encode(frame, { keyFrame: true });
			const first = await Promise.race([
				this.#first,
				new Promise<'late'>((r) => setTimeout(() => r('late'), PROBE_WAIT_MS))
			]);
			// An encoder that holds frames back (none in realtime mode so far) gets a flush.
			if (first === 'late') await this.#encoder.flush();
		} catch {
			return false;
		}
		this.#probing = false;
		return this.#error === null && this.framesEncoded > 0;
	}

	#output(chunk: EncodedVideoChunk, meta?: EncodedVideoChunkMetadata): void {
		const dc = meta?.decoderConfig;
		if (dc) {
			const config: EncodedVideoConfig = {
				codec: this.codec,
				width: dc.codedWidth ?? this.settings.width,
				height: dc.codedHeight ?? this.settings.height,
				...(dc.description ? { description: copyDescription(dc.description) } : {}),
				...(dc.colorSpace ? { colorSpace: { ...dc.colorSpace } } : {})
			};
			if (!sameConfig(this.#lastConfig, config)) {
				this.#lastConfig = config;
				this.#handlers.config(config);
			}
		}
		this.#settleFirst?.resolve();
		const data = new Uint8Array(new ArrayBuffer(chunk.byteLength));
		chunk.copyTo(data);
		const key = chunk.type === 'key';
		this.framesEncoded++;
		if (key) this.keyFrames++;
		this.bytes += data.byteLength;
		this.#recent.push(performance.now());
		if (this.#recent.length > 90) this.#recent.shift();
		this.#handlers.chunk({ key, timestamp: chunk.timestamp, duration: chunk.duration ?? 0, data });
	}

	/** Frames waiting in the encoder: the caller skips a frame rather than queue without end. */
	get queued(): number {
		return this.#encoder.encodeQueueSize;
	}

	get failed(): boolean {
		return this.#error !== null || this.#encoder.state !== 'configured';
	}

	/** Chunks per second over the last (up to) 90 outputs. */
	get fps(): number {
		const r = this.#recent;
		if (r.length < 2) return 0;
		return ((r.length - 1) * 1000) / (r[r.length - 1]! - r[0]!);
	}

	/** Encodes and closes `frame`: the caller never touches it again. */
	encode(frame: VideoFrame, keyFrame: boolean): void {
		try {
			if (!this.failed) this.#encoder.encode(frame, { keyFrame });
		} finally {
			frame.close();
		}
	}

	close(): void {
		if (this.#encoder.state !== 'closed') this.#encoder.close();
	}
}
