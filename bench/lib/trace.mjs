// Main-thread time from Chromium's own trace, for suites that must know what a page's main thread
// spends (see bench/README.md, "Stream"). A suite calls `window.benchsideTrace('start')`, does its
// work, then `window.benchsideTrace('stop')`, which answers with the thread time of every top-level
// task the page's renderer main thread ran in between. Thread time (the trace's `tdur`) excludes
// time the thread waited for a core, which a wall-clock probe on two busy cores cannot.

/** @typedef {{ name?: string, cat?: string, ph: string, pid: number, tid: number, ts: number, dur?: number, tdur?: number, args?: { name?: string } }} TraceEvent */

/**
 * The renderer main thread of the page under test: the one in the process that also runs a
 * dedicated worker, or else the busiest.
 * @param {TraceEvent[]} events
 */
function mainThread(events) {
	const names = new Map();
	for (const e of events) {
		if (e.ph === 'M' && e.name === 'thread_name')
			names.set(`${e.pid}:${e.tid}`, e.args?.name ?? '');
	}
	const mains = [...names].filter(([, n]) => n === 'CrRendererMain').map(([k]) => k);
	const withWorker = mains.filter((k) =>
		[...names].some(
			([w, n]) => n.startsWith('DedicatedWorker') && w.split(':')[0] === k.split(':')[0]
		)
	);
	const candidates = withWorker.length > 0 ? withWorker : mains;
	const count = (k) => events.filter((e) => `${e.pid}:${e.tid}` === k).length;
	return candidates.sort((a, b) => count(b) - count(a))[0];
}

/** @param {TraceEvent[]} events */
export function summarizeMainThread(events) {
	const thread = mainThread(events);
	if (!thread) return null;
	const tasks = events
		.filter((e) => e.ph === 'X' && `${e.pid}:${e.tid}` === thread && e.cat?.includes('toplevel'))
		.sort((a, b) => a.ts - b.ts);
	let threadMs = 0;
	let wallMs = 0;
	let count = 0;
	let end = -Infinity;
	for (const t of tasks) {
		if (t.ts < end) continue; // nested inside the task before: already counted
		end = t.ts + (t.dur ?? 0);
		count++;
		wallMs += (t.dur ?? 0) / 1000;
		threadMs += (t.tdur ?? t.dur ?? 0) / 1000;
	}
	return { tasks: count, threadMs, wallMs, threadTime: tasks.some((t) => t.tdur !== undefined) };
}

/**
 * Gives the page `window.benchsideTrace(command)`; call before navigating.
 * @param {import('playwright-core').Page} page
 */
export async function exposeTracing(page) {
	const cdp = await page.context().newCDPSession(page);
	let tracing = false;
	await page.exposeFunction('benchsideTrace', async (/** @type {'start' | 'stop'} */ command) => {
		if (command === 'start') {
			// A suite that failed mid-trace left it running: end that one unread.
			if (tracing) await cdp.send('Tracing.end');
			await cdp.send('Tracing.start', {
				traceConfig: { includedCategories: ['toplevel', '__metadata'] },
				transferMode: 'ReportEvents'
			});
			tracing = true;
			return null;
		}
		if (!tracing) throw new Error('tracing not started');
		tracing = false;
		/** @type {TraceEvent[]} */
		const events = [];
		const collect = (/** @type {{ value: object[] }} */ e) =>
			events.push(.../** @type {TraceEvent[]} */ (e.value));
		cdp.on('Tracing.dataCollected', collect);
		const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
		await cdp.send('Tracing.end');
		await complete;
		cdp.off('Tracing.dataCollected', collect);
		return summarizeMainThread(events);
	});
}
