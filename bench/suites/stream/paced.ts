/**
 * Chunks arriving at a steady rate (see arrivalAt): latency from a record's arrival to its
 * frame's drawImage returning, for the ceiling (bare decoder, every frame drawn at once, the
 * pipeline's way) and the pipeline (records through the channel, painted at the worker's display
 * frame). At the recordings' own rate also the page's main-thread time per frame, the pipeline's
 * draw time in place and the bytes on the wire. Used by stream.paced-*.bench.ts.
 */
import { percentile } from '../../lib/measure';
import type { Report } from '../../lib/types';
import type { StreamBenchApi } from '../stream.worker';
import { FIXTURE_FPS, LABELS } from './fixtures';
import { mainThreadDuring, startStreamWorker, type TracedRun } from './page';

/** Rounds of each run; which of ceiling and pipeline goes first alternates. */
const ROUNDS = 2;

type PipelinePaced = Awaited<ReturnType<StreamBenchApi['pipelinePaced']>>;

export async function runPaced(report: Report, fps: number) {
	const worker = await startStreamWorker();
	const atFixtureRate = fps === FIXTURE_FPS;
	try {
		for (const label of LABELS) {
			await worker.call((api) => api.openPipeline(label));
			// Warm-up, untimed.
			await worker.call((api) => api.pipelineFlat());
			await worker.call((api) => api.decodeFlat(label, true));

			const ceilingMs: number[] = [];
			const runs: PipelinePaced[] = [];
			const traced: TracedRun<PipelinePaced>[] = [];
			const pipelinePaced = () => worker.call((api) => api.pipelinePaced(fps));
			for (let round = 0; round < ROUNDS; round++) {
				const steps = [
					async () => ceilingMs.push(...(await worker.call((api) => api.ceilingPaced(label, fps)))),
					async () => {
						// The main thread is traced through the first run at the recordings' rate.
						const t = atFixtureRate && round === 0 ? await mainThreadDuring(pipelinePaced) : null;
						if (t) traced.push(t);
						const r = t?.result ?? (await pipelinePaced());
						if (r.dropped > 0)
							console.warn(`[stream] ${label} at ${fps}/s: the pipeline dropped ${r.dropped}`);
						runs.push(r);
					}
				];
				for (const step of round % 2 ? steps.reverse() : steps) await step();
			}

			const s = `stream.${label}`;
			const sum = (f: (r: PipelinePaced) => number) => runs.reduce((n, r) => n + f(r), 0);
			const latencyMs = runs.flatMap((r) => r.latencyMs);
			const c50 = percentile(ceilingMs, 50);
			const p50 = percentile(latencyMs, 50);
			const l = `${s}.latency.${fps}fps`;
			report(`${l}.ceiling.p50.ms`, c50, 'ms');
			report(`${l}.ceiling.p95.ms`, percentile(ceilingMs, 95), 'ms');
			report(`${l}.pipeline.p50.ms`, p50, 'ms');
			report(`${l}.pipeline.p95.ms`, percentile(latencyMs, 95), 'ms');
			report(`${l}.p50-over-ceiling.ms`, p50 - c50, 'ms', '≤ 2');
			report(
				`${s}.pipeline.${fps}fps.painted.ratio`,
				sum((r) => r.presented) / sum((r) => r.decoded),
				'ratio'
			);
			if (atFixtureRate) {
				report(
					`${s}.pipeline.draw.p50.ms`,
					percentile(
						runs.flatMap((r) => r.drawMs),
						50
					),
					'ms'
				);
				const perFrame = sum((r) => r.wireBytes) / sum((r) => r.frames);
				report(`${s}.wire.kb-per-s`, (perFrame * fps) / 1000, 'kB/s');
				await mainThread(report, s, traced[0], worker);
			}
			await worker.call((api) => api.closePipeline());
		}
	} finally {
		worker.terminate();
	}
}

/**
 * The main thread's tasks' thread time during the traced run, less the same while the worker
 * sleeps as long: one worker call in each, so the call's own tasks cancel out too.
 */
async function mainThread(
	report: Report,
	s: string,
	busy: TracedRun<PipelinePaced> | undefined,
	worker: Awaited<ReturnType<typeof startStreamWorker>>
) {
	const idle =
		busy && (await mainThreadDuring(() => worker.call((api) => api.sleep(busy.elapsedMs))));
	if (!busy || !idle) {
		console.warn('[stream] no trace here: main-thread time not measured');
		return;
	}
	const extraMs = busy.tasks.threadMs - (idle.tasks.threadMs * busy.elapsedMs) / idle.elapsedMs;
	report(`${s}.main-thread.ms-per-frame`, extraMs / busy.result.frames, 'ms', '< 0.05');
}
