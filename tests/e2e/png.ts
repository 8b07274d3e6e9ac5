/**
 * Reads the pixels of a screenshot (8-bit RGB or RGBA PNG, not interlaced: what Chromium writes),
 * so an end-to-end test can assert colours on the page as the technician sees them.
 */
import { inflateSync } from 'node:zlib';

export interface Pixels {
	width: number;
	height: number;
	/** RGBA, row after row. */
	data: Uint8Array;
}

export function decodePng(png: Uint8Array): Pixels {
	const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
	let at = 8;
	let width = 0;
	let height = 0;
	let channels = 0;
	const idat: Uint8Array[] = [];
	while (at < png.length) {
		const length = view.getUint32(at);
		const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
		const body = png.subarray(at + 8, at + 8 + length);
		if (type === 'IHDR') {
			width = view.getUint32(at + 8);
			height = view.getUint32(at + 12);
			const depth = body[8];
			const colour = body[9];
			if (depth !== 8 || (colour !== 2 && colour !== 6) || body[12] !== 0)
				throw new Error(`unsupported PNG (depth ${depth}, colour ${colour})`);
			channels = colour === 6 ? 4 : 3;
		} else if (type === 'IDAT') idat.push(body);
		else if (type === 'IEND') break;
		at += 12 + length;
	}
	const raw = inflateSync(Buffer.concat(idat));
	const stride = width * channels;
	const out = new Uint8Array(width * height * 4);
	let prev = new Uint8Array(stride);
	for (let y = 0; y < height; y++) {
		const filter = raw[y * (stride + 1)]!;
		const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
		const cur = new Uint8Array(stride);
		for (let i = 0; i < stride; i++) {
			const a = i >= channels ? cur[i - channels]! : 0;
			const b = prev[i]!;
			const c = i >= channels ? prev[i - channels]! : 0;
			const x = line[i]!;
			let v: number;
			if (filter === 0) v = x;
			else if (filter === 1) v = x + a;
			else if (filter === 2) v = x + b;
			else if (filter === 3) v = x + ((a + b) >> 1);
			else {
				const p = a + b - c;
				const pa = Math.abs(p - a);
				const pb = Math.abs(p - b);
				const pc = Math.abs(p - c);
				v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
			}
			cur[i] = v & 0xff;
		}
		for (let px = 0; px < width; px++) {
			const o = (y * width + px) * 4;
			out[o] = cur[px * channels]!;
			out[o + 1] = cur[px * channels + 1]!;
			out[o + 2] = cur[px * channels + 2]!;
			out[o + 3] = channels === 4 ? cur[px * channels + 3]! : 255;
		}
		prev = cur;
	}
	return { width, height, data: out };
}

/** Mean RGB of a whole decoded image. */
export function meanRgb(p: Pixels): [number, number, number] {
	const sum = [0, 0, 0];
	for (let i = 0; i < p.data.length; i += 4) for (let c = 0; c < 3; c++) sum[c]! += p.data[i + c]!;
	const n = p.width * p.height;
	return [sum[0]! / n, sum[1]! / n, sum[2]! / n];
}
