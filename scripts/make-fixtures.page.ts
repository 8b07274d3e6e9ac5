/**
 * The page scripts/make-fixtures.mjs drives: records the simulated screen in its worker, checks
 * that each recording decodes frame for frame, and hands back the BSV1 bytes (base64).
 */
import { createBrowserScreenSource } from '../mocks/agent/screen/browser-source';
import { parseFixture, serializeFixture } from '../mocks/agent/screen/fixture';
import type { ScreenInfo } from '../mocks/agent/screen/types';

export interface Job {
	codec: string;
	width: number;
	height: number;
	bitrate?: number;
	frames: number;
	fps: number;
	keyInterval: number;
	/** Also return this decoded frame as a PNG, to look at. */
	pngFrame?: number;
}

export type JobResult =
	| {
			ok: true;
			base64: string;
			size: number;
			chunks: number;
			keys: number[];
			elapsedMs: number;
			decoded: number;
			png?: string;
	  }
	| { ok: false; message: string };

export interface Measured {
	codec: string | null;
	width: number;
	height: number;
	fps: number;
	framesEncoded: number;
	framesDropped: number;
	kbps: number;
}

declare global {
	interface Window {
		fixtures: {
			make(job: Job): Promise<JobResult>;
			measure(codec: string, width: number, height: number, seconds: number): Promise<Measured>;
		};
	}
}

export const INSTRUMENT = { name: 'Halden AX-420 Analyser', model: 'AX-420' };

function base64(bytes: Uint8Array): string {
	let s = '';
	for (let i = 0; i < bytes.length; i += 0x8000) {
		s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
	}
	return btoa(s);
}

async function decodeAll(
	bytes: Uint8Array,
	pngFrame?: number
): Promise<{ decoded: number; png?: string }> {
	const f = parseFixture(bytes);
	const canvas = new OffscreenCanvas(f.width, f.height);
	const ctx = canvas.getContext('2d')!;
	let decoded = 0;
	let png: string | undefined;
	let failure: string | null = null;
	const pending: Promise<void>[] = [];
	const decoder = new VideoDecoder({
		output(frame) {
			if (decoded === pngFrame) {
				ctx.drawImage(frame, 0, 0);
				pending.push(
					canvas
						.convertToBlob({ type: 'image/png' })
						.then((b) => b.arrayBuffer())
						.then((b) => void (png = base64(new Uint8Array(b))))
				);
			}
			decoded++;
			frame.close();
		},
		error(e) {
			failure = e.message;
		}
	});
	decoder.configure({
		codec: f.codec,
		codedWidth: f.width,
		codedHeight: f.height,
		...(f.description ? { description: f.description } : {}),
		...(f.colorSpace ? { colorSpace: f.colorSpace } : {})
	});
	for (const c of f.chunks) {
		decoder.decode(
			new EncodedVideoChunk({
				type: c.key ? 'key' : 'delta',
				timestamp: c.timestamp,
				duration: c.duration,
				data: c.data
			})
		);
	}
	await decoder.flush();
	decoder.close();
	await Promise.all(pending);
	if (failure) throw new Error(`decode: ${failure}`);
	return { decoded, ...(png ? { png } : {}) };
}

async function make(job: Job): Promise<JobResult> {
	const screen: ScreenInfo = {
		id: 0,
		name: 'Main',
		width: job.width,
		height: job.height,
		primary: true
	};
	const source = createBrowserScreenSource([screen], INSTRUMENT);
	try {
		const result = await source.record({
			screen,
			codec: job.codec,
			frames: job.frames,
			fps: job.fps,
			keyInterval: job.keyInterval,
			...(job.bitrate ? { bitrate: job.bitrate } : {})
		});
		if (!result.ok) return { ok: false, message: `${result.code}: ${result.message}` };
		const r = result.recording;
		const bytes = serializeFixture({
			codec: r.codec,
			width: r.width,
			height: r.height,
			...(r.description ? { description: r.description } : {}),
			...(r.colorSpace ? { colorSpace: r.colorSpace } : {}),
			chunks: r.chunks.map((c) => ({ screenId: 0, ...c }))
		});
		const { decoded, png } = await decodeAll(bytes, job.pngFrame);
		return {
			ok: true,
			base64: base64(bytes),
			size: bytes.length,
			chunks: r.chunks.length,
			keys: r.chunks.flatMap((c, i) => (c.key ? [i] : [])),
			elapsedMs: r.elapsedMs,
			decoded,
			...(png ? { png } : {})
		};
	} catch (e) {
		return { ok: false, message: e instanceof Error ? e.message : String(e) };
	} finally {
		source.dispose();
	}
}

/** Streams live for `seconds` and reports what the encoder kept up with. */
async function measure(
	codec: string,
	width: number,
	height: number,
	seconds: number
): Promise<Measured> {
	const screen: ScreenInfo = { id: 0, name: 'Main', width, height, primary: true };
	const source = createBrowserScreenSource([screen], INSTRUMENT);
	let bytes = 0;
	try {
		const chosen = await source.start(0, [codec], {
			config() {},
			chunk(c) {
				bytes += c.data.length;
			},
			error(m) {
				console.error(m);
			}
		});
		if (chosen === null)
			return { codec: null, width, height, fps: 0, framesEncoded: 0, framesDropped: 0, kbps: 0 };
		await new Promise((r) => setTimeout(r, seconds * 1000));
		const s = await source.stats!(0);
		return {
			codec: chosen,
			width,
			height,
			fps: s?.fps ?? 0,
			framesEncoded: s?.framesEncoded ?? 0,
			framesDropped: s?.framesDropped ?? 0,
			kbps: (bytes * 8) / seconds / 1000
		};
	} finally {
		source.dispose();
	}
}

window.fixtures = { make, measure };
