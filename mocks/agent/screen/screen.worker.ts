/**
 * The simulated instrument screen, in a worker of its own: per screen a UI model and an
 * OffscreenCanvas painter; per stream a WebCodecs encoder. Control calls come through Comlink;
 * encoded chunks leave on the MessagePort given to `init`, each in a transferred buffer.
 */
import { expose, transfer } from 'comlink';
import { Painter } from './draw';
import {
	DEFAULT_FPS,
	ScreenEncoder,
	canEncode,
	defaultBitrate,
	type EncodedFrame
} from './encoder';
import { applyInput, createUi } from './model';
import type { ScreenPortMessage } from './port';
import { record, type RecordOptions, type RecordResult } from './record';
import { LiveStream, type Clock } from './stream';
import type { ScreenInfo, ScreenInput, ScreenStats, StartOptions } from './types';

/** Candidates for `encodable()`, best first for screen content on a CPU without a GPU. */
export const CANDIDATE_CODECS = [
	'av01.0.08M.08',
	'vp09.00.41.08',
	'avc1.640028',
	'avc1.42E028',
	'avc1.42E01F',
	'vp8'
];

interface Screen {
	info: ScreenInfo;
	painter: Painter;
}

const screens = new Map<number, Screen>();
const streams = new Map<number, LiveStream>();
/** The stream each screen should be running: a start that a stop overtook must not go live. */
const wanted = new Map<number, number>();
let port: MessagePort | null = null;
/** Key events go to the screen the technician pointed at last (the primary one until then). */
let focused = 0;
const origin = performance.now();
const clock: Clock = { t: () => performance.now() - origin, date: () => new Date() };

function post(message: ScreenPortMessage, transfers: Transferable[] = []): void {
	port?.postMessage(message, transfers);
}

function screen(id: number): Screen {
	const s = screens.get(id);
	if (!s) throw new Error(`no screen ${id}`);
	return s;
}

function end(screenId: number): void {
	streams.get(screenId)?.stop();
	streams.delete(screenId);
}

function stop(screenId: number): void {
	wanted.delete(screenId);
	end(screenId);
}

const api = {
	init(options: {
		screens: ScreenInfo[];
		instrument: { name: string; model: string };
		port: MessagePort;
	}): void {
		port = options.port;
		for (const info of options.screens) {
			screens.set(info.id, { info, painter: new Painter(createUi(info, options.instrument)) });
		}
		focused = (options.screens.find((s) => s.primary) ?? options.screens[0])?.id ?? 0;
	},

	/** Candidates that can encode the largest screen, best first. */
	async encodable(): Promise<string[]> {
		const largest = [...screens.values()]
			.map((s) => s.info)
			.sort((a, b) => b.width * b.height - a.width * a.height)[0];
		if (!largest) return [];
		const { width, height } = largest;
		const settings = { width, height, fps: DEFAULT_FPS, bitrate: defaultBitrate(width, height) };
		const ok = await Promise.all(CANDIDATE_CODECS.map((c) => canEncode(c, settings)));
		return CANDIDATE_CODECS.filter((_, i) => ok[i]);
	},

	/** Resolves once the first key frame is encoded (and posted), with the codec, or null. */
	async start(
		stream: number,
		screenId: number,
		codecs: string[],
		options: StartOptions = {}
	): Promise<string | null> {
		const { info, painter } = screen(screenId);
		end(screenId);
		wanted.set(screenId, stream);
		const fps = options.fps ?? DEFAULT_FPS;
		const settings = {
			width: info.width,
			height: info.height,
			fps,
			bitrate: options.bitrate ?? defaultBitrate(info.width, info.height)
		};
		const startedAt = performance.now();
		const first = new VideoFrame(painter.paint(clock.t(), clock.date()), {
			timestamp: 0,
			duration: Math.round(1e6 / fps)
		});
		const encoder = await ScreenEncoder.open(codecs, settings, first, {
			config: (c) =>
				post(
					{ type: 'config', stream, screenId, ...c },
					c.description ? [c.description.buffer] : []
				),
			chunk: (c: EncodedFrame) => post({ type: 'chunk', stream, screenId, ...c }, [c.data.buffer]),
			error: (message) => post({ type: 'error', stream, screenId, message })
		});
		if (!encoder) return null;
		if (wanted.get(screenId) !== stream) {
			// Stopped, or started again, while this one was choosing its codec.
			encoder.close();
			return null;
		}
		const live = new LiveStream(screenId, painter, encoder, clock, fps, startedAt, () => {
			if (streams.get(screenId) === live) stop(screenId);
		});
		streams.set(screenId, live);
		return encoder.codec;
	},

	stop,

	requestKeyFrame(screenId: number): void {
		streams.get(screenId)?.requestKeyFrame();
	},

	input(event: ScreenInput): void {
		if (event.type !== 'key') focused = event.screenId;
		const target = screens.get(event.type === 'key' ? focused : event.screenId);
		if (target) applyInput(target.painter.ui, event, clock.t());
	},

	stats(screenId: number): ScreenStats | null {
		return streams.get(screenId)?.stats() ?? null;
	},

	/** Records a scripted clip for fixtures; see record.ts. */
	async record(options: RecordOptions): Promise<RecordResult> {
		const result = await record(options);
		if (!result.ok) return result;
		return transfer(
			result,
			result.recording.chunks.map((c) => c.data.buffer)
		);
	},

	dispose(): void {
		for (const id of [...streams.keys()]) stop(id);
		port?.close();
		port = null;
	}
};

expose(api);

export type ScreenWorkerApi = typeof api;
