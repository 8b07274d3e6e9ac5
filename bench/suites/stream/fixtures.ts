/**
 * The pre-encoded screen recordings every stream suite measures (tests/fixtures/README.md), and
 * the decoder configuration VideoPipeline.configure() builds from them, so that the ceiling
 * decodes exactly what the pipeline decodes.
 */
import { parseFixture, type Fixture } from '../../../mocks/agent/screen/fixture';

export const STREAMS = [
	{ label: 'vp8', file: 'screen-720p.vp8.bsv' },
	{ label: 'vp9', file: 'screen-720p.vp9.bsv' },
	{ label: 'avc', file: 'screen-720p.avc.bsv' },
	{ label: 'av1', file: 'screen-720p.av1.bsv' },
	{ label: 'vp9-1080p', file: 'screen-1080p.vp9.bsv' }
] as const;
export type StreamLabel = (typeof STREAMS)[number]['label'];
export const LABELS: readonly StreamLabel[] = STREAMS.map((s) => s.label);

/** The recordings are 30 frames/s (timestamps 33 333 µs apart). */
export const FIXTURE_FPS = 30;

const loaded = new Map<StreamLabel, Promise<Fixture>>();

export function fixture(label: StreamLabel): Promise<Fixture> {
	let f = loaded.get(label);
	if (!f) {
		const file = STREAMS.find((s) => s.label === label)!.file;
		f = fetch(new URL(`../../../tests/fixtures/${file}`, import.meta.url)).then(async (r) => {
			if (!r.ok) throw new Error(`${file}: HTTP ${r.status}`);
			return parseFixture(new Uint8Array(await r.arrayBuffer()));
		});
		loaded.set(label, f);
	}
	return f;
}

/** As VideoPipeline.configure() builds it from the agent's video-config. */
export function decoderConfig(f: Fixture): VideoDecoderConfig {
	return {
		codec: f.codec,
		codedWidth: f.width,
		codedHeight: f.height,
		optimizeForLatency: true,
		...(f.description && f.description.length > 0 ? { description: f.description } : {}),
		...(f.colorSpace ? { colorSpace: f.colorSpace } : {})
	};
}

export function encodedChunk(c: Fixture['chunks'][number], timestamp = c.timestamp) {
	return new EncodedVideoChunk({
		type: c.key ? 'key' : 'delta',
		timestamp,
		duration: c.duration,
		data: c.data
	});
}
