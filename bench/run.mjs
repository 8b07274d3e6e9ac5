// `npm run bench [-- filter...]`: serves bench/ with Vite, runs every suites/*.bench.ts whose
// file name contains one of the filters (all without one) in headless Chromium, prints the
// figures and writes bench/results/latest.json. See bench/README.md.
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, requireChromium } from '../scripts/find-chromium.mjs';
import { startPlainVite } from '../scripts/plain-vite.mjs';
import { formatTable } from './lib/table.mjs';
import { exposeTracing } from './lib/trace.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const resultsDir = path.join(here, 'results');
/** A suite that takes longer has hung (a worker that never answers, say). */
const SUITE_TIMEOUT_MS = 150_000;

/** @typedef {{ name: string, value: number, unit: string, goal?: string }} Figure */

function log(message) {
	console.log(`[bench] ${message}`);
}

function machine() {
	const cpus = os.cpus();
	return {
		cpus: cpus.length,
		cpuModel: cpus[0]?.model.trim() ?? 'unknown',
		memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
		platform: `${process.platform}-${process.arch} ${os.release()}`,
		node: process.version
	};
}

/** Serves the repository; cross-origin isolation enables performance.measureUserAgentSpecificMemory()
 * (the only way to read a dedicated worker's heap) and 5 µs timers instead of 100 µs. */
function startServer() {
	return startPlainVite({
		page: 'bench/index.html',
		cacheName: 'benchside-bench-vite',
		headers: {
			'Cross-Origin-Opener-Policy': 'same-origin',
			'Cross-Origin-Embedder-Policy': 'require-corp'
		}
	});
}

function withTimeout(promise, ms, what) {
	let timer;
	const timeout = new Promise((_, reject) => {
		timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function printConsole(where, message) {
	if (message.type() !== 'error' && message.type() !== 'warning') return;
	console.error(
		`[${where} console.${message.type() === 'warning' ? 'warn' : 'error'}] ${message.text()}`
	);
}

async function main() {
	const filters = process.argv.slice(2);
	const started = performance.now();
	const { server, url } = await startServer();
	const browser = await chromium.launch({
		executablePath: requireChromium(),
		// Memory measurements answer at once instead of at the next GC (up to 20 s later).
		args: [
			...CHROMIUM_ARGS,
			'--enable-blink-features=ForceEagerMeasureMemory',
			`--js-flags=--expose-gc ${process.env.BENCH_JS_FLAGS ?? ''}`.trim()
		]
	});
	/** @type {Figure[]} */
	const figures = [];
	const failures = [];
	try {
		const page = await browser.newPage();
		page.on('console', (m) => printConsole('page', m));
		page.on('pageerror', (e) => console.error(`[page error] ${e.stack ?? e.message}`));
		page.on('worker', (w) => w.on('console', (m) => printConsole('worker', m)));
		await exposeTracing(page);
		await page.goto(url);
		await page.waitForFunction(() => 'benchside' in window, null, { timeout: 30_000 });

		const all = await page.evaluate(() => window.benchside.list());
		const selected = all.filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
		if (selected.length === 0) {
			throw new Error(`no suite matches ${filters.join(', ')}; suites: ${all.join(', ')}`);
		}
		log(`${browser.version()} · ${os.cpus().length} CPUs · suites: ${selected.join(', ')}`);

		for (const file of selected) {
			const t0 = performance.now();
			log(`${file} …`);
			try {
				const got = await withTimeout(
					page.evaluate((f) => window.benchside.run(f), file),
					SUITE_TIMEOUT_MS,
					file
				);
				const clash = got.find((g) => figures.some((f) => f.name === g.name));
				if (clash) throw new Error(`figure ${clash.name} is already reported by another suite`);
				figures.push(...got);
				log(`${file} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
			} catch (error) {
				failures.push(file);
				console.error(`[bench] FAILED ${file}: ${error instanceof Error ? error.message : error}`);
			}
		}

		if (figures.length > 0) console.log(`\n${formatTable(figures)}\n`);
		if (failures.length > 0) {
			// A partial run would pass for a whole one: latest.json keeps the last complete run.
			throw new Error(
				`${failures.length} suite(s) failed (${failures.join(', ')}); no results written`
			);
		}
		const result = {
			date: new Date().toISOString(),
			machine: machine(),
			browser: `Chromium ${browser.version()}`,
			figures: Object.fromEntries(
				figures.map((f) => [f.name, { value: Number(f.value.toPrecision(4)), unit: f.unit }])
			)
		};
		await mkdir(resultsDir, { recursive: true });
		if (!existsSync(path.join(resultsDir, '.gitkeep')))
			await writeFile(path.join(resultsDir, '.gitkeep'), '');
		const out = path.join(resultsDir, 'latest.json');
		await writeFile(out, `${JSON.stringify(result, null, '\t')}\n`);
		log(
			`wrote ${path.relative(root, out)} in ${((performance.now() - started) / 1000).toFixed(1)} s`
		);
	} finally {
		await browser.close();
		await server.close();
	}
}

main().catch((error) => {
	console.error(`[bench] ${error instanceof Error ? error.message : error}`);
	process.exitCode = 1;
});
