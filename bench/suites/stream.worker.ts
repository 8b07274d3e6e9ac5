/**
 * The stream suites' measurements, all in this dedicated worker as the console's own stream
 * worker does its work: the bare decoder (the ceiling), the drawing methods, the real
 * VideoPipeline behind the record path, the JPEG path, and a long run for leaks. It returns raw
 * samples; the *.bench.ts files turn them into figures (see bench/README.md, "Stream").
 */
import { expose } from 'comlink';
import { decodeFlat, decodePaced, drawCosts, pipelineStyleContext } from './stream/ceiling';
import { drawers } from './stream/draw';
import { fixture, type StreamLabel } from './stream/fixtures';
import { jpegRound, makeJpegs } from './stream/jpeg';
import { PipelineHarness, type Clip, type Feed } from './stream/pipeline';
import { Wire } from './stream/wire';
import { collectGarbage } from '../lib/measure';

let canvas: OffscreenCanvas | null = null;
/** The real pipeline on the page's canvas, and one that never paints (a diagnostic). */
const harnesses = {
	painted: null as PipelineHarness | null,
	unpainted: null as PipelineHarness | null
};
const jpegs = new Map<StreamLabel, Blob[]>();

function pipeline(paints = true): PipelineHarness {
	const p = harnesses[paints ? 'painted' : 'unpainted'];
	if (!p) throw new Error('no pipeline: call openPipeline() first');
	return p;
}

function closePipelines() {
	harnesses.painted?.close();
	harnesses.unpainted?.close();
	harnesses.painted = harnesses.unpainted = null;
}

const wireBytes = (clip: Clip) => clip.records.reduce((n, r) => n + r.bytes, 0);

const api = {
	/** The OffscreenCanvas the page transferred, as the console's session view does. */
	init(screen: OffscreenCanvas) {
		canvas = screen;
	},

	async decodeFlat(
		label: StreamLabel,
		draw: boolean,
		loops = 1,
		window: number | null = null
	): Promise<number> {
		const f = await fixture(label);
		const context = draw ? pipelineStyleContext(f) : null;
		collectGarbage(); // each timed run starts on a collected heap, as the pipeline's do
		return decodeFlat(f, context, loops, window);
	},

	async drawCosts(label: StreamLabel, passes: number) {
		const f = await fixture(label);
		return drawCosts(f, drawers(f.width, f.height), passes);
	},

	async ceilingPaced(label: StreamLabel, fps: number): Promise<number[]> {
		return decodePaced(await fixture(label), fps);
	},

	/**
	 * A new VideoPipeline on the page's canvas, configured by a video-config record; with
	 * `unpainted`, also one that never paints, on a canvas of its own.
	 */
	async openPipeline(label: StreamLabel, unpainted = false) {
		if (!canvas) throw new Error('no canvas: call init() first');
		closePipelines();
		const f = await fixture(label);
		harnesses.painted = new PipelineHarness(canvas);
		await harnesses.painted.configure(f);
		if (unpainted) {
			harnesses.unpainted = new PipelineHarness(new OffscreenCanvas(f.width, f.height), false);
			await harnesses.unpainted.configure(f);
		}
	},

	async pipelineFlat(paints = true, loops = 1, feed: Feed = 'one') {
		const p = pipeline(paints);
		const clip = await p.clip(loops, feed);
		collectGarbage(); // the sealing just done leaves garbage that is not this run's
		const result = await p.flatOut(clip, feed);
		return { ...result, brightest: paints ? p.brightest() : 255 };
	},

	async pipelinePaced(fps: number) {
		const p = pipeline();
		const clip = await p.clip();
		const result = await p.paced(clip, fps);
		return { ...result, frames: clip.records.length, wireBytes: wireBytes(clip) };
	},

	/** `loops` times the whole recording through the pipeline, flat out, timestamps rising. */
	async pipelineLoops(loops: number) {
		const p = pipeline();
		let decoded = 0;
		let dropped = 0;
		for (let i = 0; i < loops; i++) {
			const r = await p.flatOut(await p.clip());
			decoded += r.decoded;
			dropped += r.dropped;
		}
		return { decoded, dropped, stats: { ...p.video.stats } };
	},

	closePipeline: closePipelines,

	/** Nothing for `ms`: the idle reading of the main thread makes the same one call. */
	sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),

	/** Makes the JPEGs (untimed); returns wire bytes of both paths for the whole recording. */
	async prepareJpeg(label: StreamLabel) {
		const f = await fixture(label);
		const blobs = await makeJpegs(f);
		jpegs.set(label, blobs);
		const data = await Promise.all(blobs.map(async (b) => new Uint8Array(await b.arrayBuffer())));
		// Both sealed by the same channel as video-chunk records: headers and tags count alike.
		const wire = new Wire();
		const video = await wire.sealClip(f, 0);
		const jpeg = await wire.sealClip(f, 0, data);
		const sum = (rs: { bytes: number }[]) => rs.reduce((n, r) => n + r.bytes, 0);
		return { frames: f.chunks.length, videoBytes: sum(video), jpegBytes: sum(jpeg) };
	},

	async jpegRound(label: StreamLabel) {
		const blobs = jpegs.get(label);
		if (!blobs) throw new Error(`no JPEGs for ${label}: call prepareJpeg() first`);
		return jpegRound(await fixture(label), blobs);
	}
};

expose(api);
export type StreamBenchApi = typeof api;
