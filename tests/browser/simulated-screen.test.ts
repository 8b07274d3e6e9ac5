/**
 * The simulated instrument screen as a console sees it: the worker's encoded chunks are decoded
 * here with WebCodecs and drawn to a canvas, and the assertions read pixels of that canvas.
 * Regions come from the painter's own layout, scaled to each screen's size.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createBrowserScreenSource } from '$mocks/agent/screen/browser-source';
import { createFixtureScreenSource, parseFixture } from '$mocks/agent/screen/fixture';
import {
	BACKGROUND_PLAIN,
	COLORS,
	MENU,
	MENU_BUTTON,
	SEARCH_FIELD,
	STATUS_BAR_PLAIN,
	TOOLBAR_BUTTONS,
	centre,
	tableRow,
	toScreen,
	type Rect
} from '$mocks/agent/screen/layout';
import type {
	EncodedChunkOut,
	EncodedVideoConfig,
	ScreenInfo,
	ScreenSink,
	ScreenSource
} from '$mocks/agent/screen/types';

const SCREENS: ScreenInfo[] = [
	{ id: 0, name: 'Main', width: 1920, height: 1080, primary: true },
	{ id: 1, name: 'Service', width: 1280, height: 720, primary: false }
];
const INSTRUMENT = { name: 'Halden AX-420 Analyser', model: 'AX-420' };
/** Two slow cores encode and decode 1080p here: every wait is generous. */
const WAIT = { timeout: 20_000, interval: 50 };

type Rgb = [number, number, number];

/** A console in miniature: decodes what the sink gets and keeps the latest picture. */
class Viewer implements ScreenSink {
	readonly log: string[] = [];
	readonly chunks: Omit<EncodedChunkOut, 'data'>[] = [];
	readonly errors: string[] = [];
	configs: (EncodedVideoConfig & { screenId: number })[] = [];
	decoded = 0;
	readonly #canvas: OffscreenCanvas;
	readonly #ctx: OffscreenCanvasRenderingContext2D;
	#decoder: VideoDecoder | null = null;

	constructor(readonly screen: ScreenInfo) {
		this.#canvas = new OffscreenCanvas(screen.width, screen.height);
		this.#ctx = this.#canvas.getContext('2d', { willReadFrequently: true })!;
	}

	config(c: EncodedVideoConfig & { screenId: number }): void {
		this.log.push('config');
		this.configs.push(c);
		this.#decoder?.close();
		this.#decoder = new VideoDecoder({
			output: (frame) => {
				this.#ctx.drawImage(frame, 0, 0, this.screen.width, this.screen.height);
				frame.close();
				this.decoded++;
			},
			error: (e) => this.errors.push(`decoder: ${e.message}`)
		});
		this.#decoder.configure({
			codec: c.codec,
			codedWidth: c.width,
			codedHeight: c.height,
			...(c.description ? { description: c.description } : {}),
			// Without it VP8 and VP9 decode Chromium's full-range YUV as limited (types.ts).
			...(c.colorSpace ? { colorSpace: c.colorSpace } : {})
		});
	}

	chunk(c: EncodedChunkOut): void {
		this.log.push(c.key ? 'key' : 'delta');
		const { data, ...meta } = c;
		// Each chunk comes in a buffer of its own (transferred from the worker, not a view).
		if (data.byteOffset !== 0 || data.buffer.byteLength !== data.length) {
			this.errors.push(`chunk ${this.chunks.length} is a view into a larger buffer`);
		}
		this.chunks.push(meta);
		this.#decoder?.decode(
			new EncodedVideoChunk({
				type: c.key ? 'key' : 'delta',
				timestamp: c.timestamp,
				duration: c.duration,
				data
			})
		);
	}

	error(message: string): void {
		this.errors.push(message);
	}

	/** Decodes what is queued, the frames a decoder holds back included. */
	async flush(): Promise<void> {
		await this.#decoder?.flush();
	}

	/** Resolves once `n` more frames than now have been decoded. */
	async frames(n: number): Promise<void> {
		const target = this.decoded + n;
		await expect.poll(() => this.decoded, WAIT).toBeGreaterThanOrEqual(target);
	}

	/** The pixels of a design-space rectangle, as RGB triples. */
	pixels(r: Rect): Uint8ClampedArray {
		const s = toScreen(r, this.screen.width, this.screen.height);
		return this.#ctx.getImageData(s.x, s.y, s.w, s.h).data;
	}

	mean(r: Rect): Rgb {
		const p = this.pixels(r);
		const sum: Rgb = [0, 0, 0];
		for (let i = 0; i < p.length; i += 4) for (let c = 0; c < 3; c++) sum[c]! += p[i + c]!;
		const n = p.length / 4;
		return [sum[0] / n, sum[1] / n, sum[2] / n];
	}
}

/** Mean absolute difference per channel (0-255) between two captures of the same region. */
function difference(a: Uint8ClampedArray, b: Uint8ClampedArray): number {
	let sum = 0;
	for (let i = 0; i < a.length; i += 4) {
		sum +=
			Math.abs(a[i]! - b[i]!) + Math.abs(a[i + 1]! - b[i + 1]!) + Math.abs(a[i + 2]! - b[i + 2]!);
	}
	return sum / ((a.length / 4) * 3);
}

function rgb(hex: string): Rgb {
	const n = parseInt(hex.slice(1), 16);
	return [n >> 16, (n >> 8) & 0xff, n & 0xff];
}

/**
 * The mean colour of a flat region is the colour drawn, within what a low-bitrate encode shifts
 * (VP8 moves the status bar's blue by up to 10). Decoding full-range YUV as limited range moves
 * the dark bar by 13 and the light background by 18, so that mistake fails here.
 */
function expectColour(view: Viewer, r: Rect, hex: string): void {
	const got = view.mean(r);
	const want = rgb(hex);
	const off = Math.max(...want.map((c, i) => Math.abs(got[i]! - c)));
	expect(off, `mean ${got.map(Math.round).join(',')} for ${hex}`).toBeLessThan(12);
}

/** Design-space point to the screen's pixels, as the console would send it. */
function at(screen: ScreenInfo, p: { x: number; y: number }) {
	return {
		x: Math.round((p.x * screen.width) / 1920),
		y: Math.round((p.y * screen.height) / 1080)
	};
}

function click(source: ScreenSource, screen: ScreenInfo, p: { x: number; y: number }): void {
	const { x, y } = at(screen, p);
	source.input({ type: 'pointer', screenId: screen.id, x, y, buttons: 0, action: 'move' });
	source.input({ type: 'pointer', screenId: screen.id, x, y, buttons: 1, action: 'down' });
	source.input({ type: 'pointer', screenId: screen.id, x, y, buttons: 0, action: 'up' });
}

function type(source: ScreenSource, text: string): void {
	for (const ch of text) {
		const code = /\d/.test(ch) ? `Digit${ch}` : ch === '-' ? 'Minus' : `Key${ch.toUpperCase()}`;
		source.input({ type: 'key', code, down: true, modifiers: 0, text: ch });
		source.input({ type: 'key', code, down: false, modifiers: 0, text: '' });
	}
}

function press(source: ScreenSource, code: string, times = 1): void {
	for (let i = 0; i < times; i++) {
		source.input({ type: 'key', code, down: true, modifiers: 0, text: '' });
		source.input({ type: 'key', code, down: false, modifiers: 0, text: '' });
	}
}

/** The search field without its border, which turns blue on focus. */
const SEARCH_INSIDE: Rect = {
	x: SEARCH_FIELD.x + 6,
	y: SEARCH_FIELD.y + 6,
	w: SEARCH_FIELD.w - 12,
	h: SEARCH_FIELD.h - 12
};

let source: ScreenSource | null = null;
afterEach(() => {
	source?.dispose();
	source = null;
});

describe('simulated instrument screen', () => {
	it('streams the main screen in VP8 and reacts to clicks, typing and key frame requests', async () => {
		const screen = SCREENS[0]!;
		source = createBrowserScreenSource(SCREENS, INSTRUMENT);
		const view = new Viewer(screen);

		expect(await source.start(0, ['vp8'], view)).toBe('vp8');
		expect(view.log.slice(0, 2)).toEqual(['config', 'key']);
		expect(view.configs[0]).toMatchObject({ screenId: 0, codec: 'vp8', width: 1920, height: 1080 });
		// The first frames of a low-bitrate stream sharpen still regions frame by frame: let them.
		await view.frames(30);

		// The status bar is the instrument's dark blue, as drawn.
		expectColour(view, STATUS_BAR_PLAIN, COLORS.statusBar);
		expectColour(view, BACKGROUND_PLAIN, COLORS.background);

		// Clicking the menu button opens the menu over the table; the far toolbar stays as it was.
		const menuBefore = view.pixels(MENU);
		const farBefore = view.pixels(TOOLBAR_BUTTONS);
		click(source, screen, centre(MENU_BUTTON));
		await expect.poll(() => difference(view.pixels(MENU), menuBefore), WAIT).toBeGreaterThan(40);
		await view.frames(3);
		expect(difference(view.pixels(TOOLBAR_BUTTONS), farBefore)).toBeLessThan(5);
		const menu = view.mean(MENU);
		rgb(COLORS.menu).forEach((c, i) => expect(Math.abs(menu[i]! - c)).toBeLessThan(40));

		// Typed text appears in the search field; Backspace takes it away again.
		const empty = view.pixels(SEARCH_INSIDE);
		type(source, 'S-1017');
		await expect.poll(() => difference(view.pixels(SEARCH_INSIDE), empty), WAIT).toBeGreaterThan(8);
		press(source, 'Backspace', 6);
		await expect.poll(() => difference(view.pixels(SEARCH_INSIDE), empty), WAIT).toBeLessThan(3);

		// A key frame request is answered within a few frames, not at the next 10 s key frame.
		await view.frames(2);
		const requestedAt = view.chunks.length;
		source.requestKeyFrame(0);
		await expect.poll(() => view.chunks.slice(requestedAt).some((c) => c.key), WAIT).toBe(true);
		expect(view.chunks.slice(requestedAt).findIndex((c) => c.key)).toBeLessThan(10);

		const stats = await source.stats!(0);
		expect(stats).toMatchObject({ screenId: 0, codec: 'vp8' });
		expect(stats!.framesEncoded).toBeGreaterThanOrEqual(view.chunks.length - 2);
		expect(
			view.chunks.every((c, i) => i === 0 || c.timestamp > view.chunks[i - 1]!.timestamp)
		).toBe(true);

		// After stop, at most the chunks already in flight arrive.
		source.stop(0);
		await new Promise((r) => setTimeout(r, 300));
		const stoppedAt = view.chunks.length;
		await new Promise((r) => setTimeout(r, 500));
		expect(view.chunks.length).toBe(stoppedAt);
		expect(view.errors).toEqual([]);
	}, 120_000);

	it('falls back along the console list to VP9 on the service screen, where a click selects a row', async () => {
		const screen = SCREENS[1]!;
		source = createBrowserScreenSource(SCREENS, INSTRUMENT);
		const view = new Viewer(screen);

		const codec = await source.start(1, ['hev1.1.6.L93.B0', 'vp09.00.10.08', 'vp8'], view);
		expect(codec).toBe('vp09.00.10.08');
		expect(view.log.slice(0, 2)).toEqual(['config', 'key']);
		expect(view.configs[0]).toMatchObject({ screenId: 1, width: 1280, height: 720 });
		await view.frames(8);

		expectColour(view, STATUS_BAR_PLAIN, COLORS.statusBar);
		expectColour(view, BACKGROUND_PLAIN, COLORS.background);

		// The left part of row 4: the click lands further right, so the cursor is not in it.
		const row = { ...tableRow(3), w: 400 };
		const before = view.mean(row);
		click(source, screen, { x: 700, y: centre(tableRow(3)).y });
		// Selected rows turn yellow: blue drops, red stays high.
		await expect.poll(() => view.mean(row)[2], WAIT).toBeLessThan(before[2] - 40);
		expect(view.mean(row)[0]).toBeGreaterThan(200);
		expect(view.errors).toEqual([]);
	}, 120_000);

	it('says which codecs it encodes, starts nothing it cannot, and leaves nothing running after stop', async () => {
		source = createBrowserScreenSource(SCREENS, INSTRUMENT);
		const codecs = await source.encodable();
		expect(codecs).toContain('vp8');
		expect(codecs).toContain('vp09.00.41.08');
		expect(codecs.some((c) => c.startsWith('hev1') || c.startsWith('hvc1'))).toBe(false);

		const view = new Viewer(SCREENS[0]!);
		expect(await source.start(0, ['hev1.1.6.L93.B0', 'not-a-codec'], view)).toBeNull();
		expect(await source.start(7, ['vp8'], view)).toBeNull();
		expect(view.log).toEqual([]);

		// A stop that overtakes its start, on this side or in the worker, leaves nothing running.
		for (const delay of [null, 0]) {
			const overtaken = source.start(0, ['vp8'], new Viewer(SCREENS[0]!));
			if (delay !== null) await new Promise((r) => setTimeout(r, delay));
			source.stop(0);
			expect(await overtaken).toBeNull();
			await new Promise((r) => setTimeout(r, 300));
			expect(await source.stats!(0)).toBeNull();
		}

		// Disposing settles a pending start instead of leaving it hanging on a dead worker.
		const pending = source.start(1, ['vp8'], new Viewer(SCREENS[1]!));
		source.dispose();
		expect(await pending).toBeNull();
	}, 60_000);

	it('replays the recorded fixtures, which decode to the same screen', async () => {
		const names = ['720p.vp8', '720p.vp9', '720p.avc', '720p.av1', '1080p.vp9'];
		for (const name of names) {
			const response = await fetch(`/tests/fixtures/screen-${name}.bsv`);
			expect(response.status, name).toBe(200);
			const bytes = new Uint8Array(await response.arrayBuffer());
			expect(bytes.length, name).toBeLessThanOrEqual(name.startsWith('1080p') ? 2e6 : 1.5e6);
			const fixture = parseFixture(bytes);
			expect(fixture.chunks.length, name).toBe(90);
			expect(
				fixture.chunks.flatMap((c, i) => (c.key ? [i] : [])),
				name
			).toEqual([0, 30, 60]);

			const screen = { ...SCREENS[0]!, width: fixture.width, height: fixture.height };
			const view = new Viewer(screen);
			view.config({ screenId: 0, ...fixture });
			for (const c of fixture.chunks) view.chunk(c);
			await view.flush();
			expect(view.decoded, name).toBe(90);
			expectColour(view, STATUS_BAR_PLAIN, COLORS.statusBar);
			expectColour(view, BACKGROUND_PLAIN, COLORS.background);
			expect(view.errors, name).toEqual([]);
		}

		const response = await fetch('/tests/fixtures/screen-720p.vp9.bsv');
		const fixture = parseFixture(new Uint8Array(await response.arrayBuffer()));
		source = createFixtureScreenSource(fixture);
		expect(source.screens).toEqual([
			{ id: 0, name: 'Main', width: 1280, height: 720, primary: true }
		]);
		const view = new Viewer(source.screens[0]!);
		// Same family, another level: the recording is what there is.
		expect(await source.start(0, ['av01.0.08M.08', 'vp09.00.41.08'], view)).toBe('vp09.00.10.08');
		expect(view.log.slice(0, 2)).toEqual(['config', 'key']);
		await view.frames(10);
		const requestedAt = view.chunks.length;
		source.requestKeyFrame(0);
		await expect.poll(() => view.chunks.length, WAIT).toBeGreaterThan(requestedAt);
		expect(view.chunks[requestedAt]!.key).toBe(true);
		expect(
			view.chunks.every((c, i) => i === 0 || c.timestamp > view.chunks[i - 1]!.timestamp)
		).toBe(true);
		source.input({ type: 'key', code: 'KeyA', down: true, modifiers: 0, text: 'a' });
		expect(view.errors).toEqual([]);
	}, 120_000);
});
