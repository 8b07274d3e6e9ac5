// `node scripts/make-fixtures.mjs [--png DIR [--frame N]] [--measure]`: records the simulated
// instrument screen in headless Chromium (Node has no VideoEncoder) and writes
// tests/fixtures/*.bsv. --png DIR also writes decoded frame N (default 86) of each recording to
// look at; --measure writes nothing: it streams live for a few seconds per codec and size and
// prints the frame rates. See tests/fixtures/README.md.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, requireChromium } from './find-chromium.mjs';
import { startPlainVite } from './plain-vite.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outDir = path.join(root, 'tests', 'fixtures');

/** Codec strings and the short names in the file names. */
const CODECS = [
	['vp8', 'vp8'],
	['vp09.00.10.08', 'vp9'],
	['avc1.42E01F', 'avc'],
	['av01.0.04M.08', 'av1']
];
/** 90 frames at 30 fps, a key frame first and every 30 frames. */
const CLIP = { frames: 90, fps: 30, keyInterval: 30 };
const JOBS = [
	...CODECS.map(([codec, short]) => ({ codec, short, width: 1280, height: 720, limit: 1.5e6 })),
	{ codec: 'vp09.00.10.08', short: 'vp9', width: 1920, height: 1080, limit: 2e6 }
];

function log(message) {
	console.log(`[fixtures] ${message}`);
}

function startServer() {
	return startPlainVite({
		page: 'scripts/make-fixtures.html',
		cacheName: 'benchside-fixtures-vite'
	});
}

async function record(page, job, pngFrame) {
	// A clip over its size budget is recorded again at a lower bitrate.
	let bitrate = Math.round((2_000_000 * job.width * job.height) / (1920 * 1080));
	for (let attempt = 1; attempt <= 4; attempt++) {
		const result = await page.evaluate((j) => window.fixtures.make(j), {
			...CLIP,
			codec: job.codec,
			width: job.width,
			height: job.height,
			bitrate,
			...(pngFrame === null ? {} : { pngFrame })
		});
		if (!result.ok) return result;
		const keysOk = result.keys.join() === '0,30,60';
		const fps = (CLIP.frames / result.elapsedMs) * 1000;
		log(
			`${job.codec} ${job.width}x${job.height} @ ${bitrate / 1000} kbit/s: ${result.size} bytes, ` +
				`${result.chunks} chunks, key frames at ${result.keys.join(' ')}, decoded ${result.decoded}, ` +
				`recorded at ${fps.toFixed(1)} fps`
		);
		if (result.chunks !== CLIP.frames || result.decoded !== CLIP.frames || !keysOk) {
			return { ok: false, message: 'dropped frames or key frames out of place' };
		}
		if (result.size > job.limit) {
			bitrate = Math.round(bitrate * 0.6);
			continue;
		}
		return { ...result, bitrate };
	}
	return { ok: false, message: `still over ${job.limit} bytes at ${bitrate} bit/s` };
}

async function main() {
	const args = process.argv.slice(2);
	const pngAt = args.indexOf('--png');
	const pngDir = pngAt >= 0 ? path.resolve(args[pngAt + 1] ?? '.') : null;
	const frameAt = args.indexOf('--frame');
	const pngFrame = frameAt >= 0 ? Number(args[frameAt + 1]) : 86;
	const { server, url } = await startServer();
	const browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
	try {
		const page = await browser.newPage();
		page.on('console', (m) => m.type() === 'error' && console.error(`[page] ${m.text()}`));
		page.on('pageerror', (e) => console.error(`[page error] ${e.stack ?? e.message}`));
		await page.goto(url);
		await page.waitForFunction(() => 'fixtures' in window, null, { timeout: 60_000 });
		log(`Chromium ${browser.version()}`);

		if (args.includes('--measure')) {
			for (const [w, h] of [
				[1920, 1080],
				[1280, 720]
			]) {
				for (const codec of [...CODECS.map(([c]) => c), 'avc1.640028']) {
					const m = await page.evaluate(
						([c, w, h]) => window.fixtures.measure(c, w, h, 8),
						[codec, w, h]
					);
					log(
						`live ${codec} ${w}x${h}: ${m.codec ? `${m.fps.toFixed(1)} fps, ${m.framesEncoded} encoded, ${m.framesDropped} skipped, ${m.kbps.toFixed(0)} kbit/s` : 'unsupported'}`
					);
				}
			}
			return;
		}

		await mkdir(outDir, { recursive: true });
		if (pngDir) await mkdir(pngDir, { recursive: true });
		let failed = 0;
		for (const job of JOBS) {
			const name = `screen-${job.height}p.${job.short}.bsv`;
			const result = await record(page, job, pngDir ? pngFrame : null);
			if (!result.ok) {
				failed++;
				log(`skipped ${name}: ${result.message}`);
				continue;
			}
			await writeFile(path.join(outDir, name), Buffer.from(result.base64, 'base64'));
			log(`wrote tests/fixtures/${name} (${result.size} bytes)`);
			if (pngDir && result.png) {
				await writeFile(
					path.join(pngDir, name.replace(/\.bsv$/, '.png')),
					Buffer.from(result.png, 'base64')
				);
			}
		}
		if (failed === JOBS.length) throw new Error('no fixture could be recorded');
	} finally {
		await browser.close();
		await server.close();
	}
}

main().catch((error) => {
	console.error(`[fixtures] ${error instanceof Error ? error.message : error}`);
	process.exitCode = 1;
});
