// Writes the PWA icons (static/icons/icon-192.png, icon-512.png) from the logo's geometry
// (static/favicon.svg): white strokes on the brand teal, full bleed so that the same file is a
// maskable icon (the drawing stays inside the central 80 % "safe zone"). No dependency: the PNG
// is encoded here with node:zlib. Run `node scripts/make-icons.mjs` after changing the logo.
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const BACKGROUND = [0x0b, 0x5c, 0x6b];
const INK = [0xff, 0xff, 0xff];
/** The favicon's path in its 32-unit box: one baseline and two bars, stroke 2.5, round caps. */
const SEGMENTS = [
	[7, 22, 25, 22],
	[10, 22, 10, 12],
	[10, 12, 14, 12],
	[14, 12, 14, 22],
	[18, 22, 18, 8],
	[18, 8, 22, 8],
	[22, 8, 22, 22]
];
const HALF_STROKE = 1.25;
const SAMPLES = 4;

function distanceToSegment(px, py, [x1, y1, x2, y2]) {
	const dx = x2 - x1;
	const dy = y2 - y1;
	const t = Math.max(0, Math.min(1, ((px - x1) * dx + (py - y1) * dy) / (dx * dx + dy * dy)));
	return Math.hypot(px - (x1 + t * dx), py - (y1 + t * dy));
}

function draw(size) {
	const rgba = new Uint8Array(size * size * 4);
	const unit = 32 / size;
	for (let y = 0; y < size; y++) {
		for (let x = 0; x < size; x++) {
			let inside = 0;
			for (let sy = 0; sy < SAMPLES; sy++) {
				for (let sx = 0; sx < SAMPLES; sx++) {
					const px = (x + (sx + 0.5) / SAMPLES) * unit;
					const py = (y + (sy + 0.5) / SAMPLES) * unit;
					if (SEGMENTS.some((s) => distanceToSegment(px, py, s) <= HALF_STROKE)) inside++;
				}
			}
			const a = inside / (SAMPLES * SAMPLES);
			const at = (y * size + x) * 4;
			for (let c = 0; c < 3; c++) rgba[at + c] = Math.round(BACKGROUND[c] * (1 - a) + INK[c] * a);
			rgba[at + 3] = 255;
		}
	}
	return rgba;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
	let c = n;
	for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c >>> 0;
});
function crc32(bytes) {
	let c = 0xffffffff;
	for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
	const out = Buffer.alloc(12 + data.length);
	out.writeUInt32BE(data.length, 0);
	out.write(type, 4, 'ascii');
	Buffer.from(data).copy(out, 8);
	out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
	return out;
}

function png(size, rgba) {
	const header = Buffer.alloc(13);
	header.writeUInt32BE(size, 0);
	header.writeUInt32BE(size, 4);
	header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
	const rows = Buffer.alloc(size * (size * 4 + 1));
	for (let y = 0; y < size; y++) {
		rows[y * (size * 4 + 1)] = 0; // filter: none
		Buffer.from(rgba.subarray(y * size * 4, (y + 1) * size * 4)).copy(rows, y * (size * 4 + 1) + 1);
	}
	const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
	return Buffer.concat([
		signature,
		chunk('IHDR', header),
		chunk('IDAT', deflateSync(rows, { level: 9 })),
		chunk('IEND', new Uint8Array())
	]);
}

mkdirSync('static/icons', { recursive: true });
for (const size of [192, 512]) {
	writeFileSync(`static/icons/icon-${size}.png`, png(size, draw(size)));
	console.log(`static/icons/icon-${size}.png`);
}
