/**
 * Offline recording of the simulated screen for fixtures: frame i is painted at animation time
 * `startAt + i / fps` with the demo script's input applied, so a recording shows the same thing
 * on every run; only the encoder's bytes may differ between Chromium versions.
 */
import { demoInput } from './demo';
import { Painter } from './draw';
import { canEncode, defaultBitrate, encoderConfig, type EncodedFrame } from './encoder';
import { applyInput, createUi } from './model';
import type { ScreenInfo } from './types';

export interface RecordOptions {
	screen: ScreenInfo;
	instrument: { name: string; model: string };
	codec: string;
	/** Default 90. */
	frames?: number;
	/** Default 30. */
	fps?: number;
	/** A key frame every this many frames, the first included. Default 30. */
	keyInterval?: number;
	bitrate?: number;
	/** Animation time of frame 0 in ms; default 1500, so the error banner shows. */
	startAt?: number;
	/** The clock shown at frame 0, ms since the epoch. */
	clockAt?: number;
}

export interface Recording {
	codec: string;
	width: number;
	height: number;
	description?: Uint8Array;
	colorSpace?: VideoColorSpaceInit;
	chunks: EncodedFrame[];
	/** Wall time from the first paint to the last chunk. */
	elapsedMs: number;
}

export type RecordResult =
	| { ok: true; recording: Recording }
	| { ok: false; code: 'unsupported' | 'encoder'; message: string };

const DEFAULT_CLOCK = Date.UTC(2025, 2, 14, 9, 41, 7);

export async function record(o: RecordOptions): Promise<RecordResult> {
	const frames = o.frames ?? 90;
	const fps = o.fps ?? 30;
	const keyInterval = o.keyInterval ?? 30;
	const { width, height } = o.screen;
	const settings = { width, height, fps, bitrate: o.bitrate ?? defaultBitrate(width, height) };
	if (!(await canEncode(o.codec, settings))) {
		return {
			ok: false,
			code: 'unsupported',
			message: `${o.codec} cannot encode ${width}x${height}`
		};
	}
	const ui = createUi(o.screen, o.instrument);
	const painter = new Painter(ui);
	const chunks: EncodedFrame[] = [];
	let description: Uint8Array | undefined;
	let colorSpace: VideoColorSpaceInit | undefined;
	let failure = null as string | null; // set from the error callback: no narrowing
	const encoder = new VideoEncoder({
		output(chunk, meta) {
			colorSpace ??= meta?.decoderConfig?.colorSpace;
			const d = meta?.decoderConfig?.description;
			if (d && !description)
				description = new Uint8Array(
					ArrayBuffer.isView(d)
						? d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength)
						: d.slice(0)
				);
			const data = new Uint8Array(new ArrayBuffer(chunk.byteLength));
			chunk.copyTo(data);
			chunks.push({
				key: chunk.type === 'key',
				timestamp: chunk.timestamp,
				duration: chunk.duration ?? 0,
				data
			});
		},
		error(e) {
			failure = `${e.name}: ${e.message}`;
		}
	});
	const started = performance.now();
	try {
		encoder.configure(encoderConfig(o.codec, settings));
		const duration = Math.round(1e6 / fps);
		for (let i = 0; i < frames && failure === null; i++) {
			const t = (o.startAt ?? 1500) + (i * 1000) / fps;
			for (const event of demoInput(i, o.screen)) applyInput(ui, event, t);
			const canvas = painter.paint(t, new Date((o.clockAt ?? DEFAULT_CLOCK) + t));
			const frame = new VideoFrame(canvas, { timestamp: i * duration, duration });
			try {
				encoder.encode(frame, { keyFrame: i % keyInterval === 0 });
			} finally {
				frame.close();
			}
			// Keep a few frames in flight: enough to keep both cores busy, not a whole recording.
			while (encoder.encodeQueueSize > 2 && failure === null)
				await new Promise((r) => setTimeout(r, 1));
		}
		if (failure === null) await encoder.flush();
	} catch (e) {
		failure ??= e instanceof Error ? `${e.name}: ${e.message}` : String(e);
	} finally {
		if (encoder.state !== 'closed') encoder.close();
	}
	if (failure !== null) return { ok: false, code: 'encoder', message: failure };
	return {
		ok: true,
		recording: {
			codec: o.codec,
			width,
			height,
			...(description ? { description } : {}),
			...(colorSpace ? { colorSpace: { ...colorSpace } } : {}),
			chunks,
			elapsedMs: performance.now() - started
		}
	};
}
