/** Timing primitives for suites and their workers. */

export interface Sample {
	/** Timed milliseconds per operation in this round. */
	perOpMs: number;
	ops: number;
}

export interface TimeOptions {
	/** Timed work to accumulate before the round ends. */
	minMs: number;
	/** Operations to run at least, however long they take. */
	minOps: number;
	/** Operations per batch: `prepare` runs untimed before each batch. */
	batch: number;
	prepare?: (batch: number) => Promise<void>;
	/** The operation: awaited one at a time, or all of a batch started at once (`pipelined`). */
	op: (index: number) => Promise<unknown>;
	/**
	 * Start every operation of a batch before awaiting any, as a receiver does with a burst of
	 * records (throughput); otherwise each is awaited before the next starts (latency).
	 */
	pipelined?: boolean;
}

export type BatchOptions = Omit<TimeOptions, 'minMs' | 'minOps'>;

/** One batch, prepared untimed (then `beforeTiming`); returns its timed milliseconds. */
async function timeBatch(o: BatchOptions, beforeTiming?: () => void): Promise<number> {
	await o.prepare?.(o.batch);
	beforeTiming?.();
	const start = performance.now();
	if (o.pipelined) {
		const running: Promise<unknown>[] = [];
		for (let i = 0; i < o.batch; i++) running.push(o.op(i));
		await Promise.all(running);
	} else {
		for (let i = 0; i < o.batch; i++) await o.op(i);
	}
	return performance.now() - start;
}

export async function timeOps(o: TimeOptions): Promise<Sample> {
	let elapsed = 0;
	let ops = 0;
	while (elapsed < o.minMs || ops < o.minOps) {
		elapsed += await timeBatch(o);
		ops += o.batch;
	}
	return { perOpMs: elapsed / ops, ops };
}

/** A full garbage collection now, when the browser exposes one (bench/run.mjs: --expose-gc). */
export function collectGarbage(): boolean {
	const gc = (globalThis as { gc?: () => void }).gc;
	gc?.();
	return gc !== undefined;
}

/**
 * Batches of several operations interleaved: `reps` times, one batch of each (the order rotating),
 * each prepared untimed and started on a freshly collected heap. Side by side at this grain, slow
 * drift of the machine and garbage collection left by one side's inputs fall on neither side:
 * two identical operations come out within ±2 % at 64 KiB, where 100 ms slots differed by ±10 %.
 */
export async function interleaveOps(
	plans: readonly BatchOptions[],
	reps: number
): Promise<Sample[]> {
	const ms = plans.map(() => 0);
	const ops = plans.map(() => 0);
	for (let rep = 0; rep < reps; rep++) {
		for (let k = 0; k < plans.length; k++) {
			const i = (k + rep) % plans.length;
			ms[i]! += await timeBatch(plans[i]!, collectGarbage);
			ops[i]! += plans[i]!.batch;
		}
	}
	return plans.map((_, i) => ({ perOpMs: ms[i]! / ops[i]!, ops: ops[i]! }));
}

export function median(values: readonly number[]): number {
	if (values.length === 0) throw new Error('median of nothing');
	const sorted = [...values].sort((a, b) => a - b);
	const mid = sorted.length >> 1;
	return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Megabytes (1e6 bytes) of payload per second at `perOpMs` for `bytes` per operation. */
export function mbps(bytes: number, perOpMs: number): number {
	return bytes / 1e6 / (perOpMs / 1000);
}

/** Random bytes of any length (getRandomValues fills at most 64 KiB per call). */
export function randomPayload(length: number): Uint8Array<ArrayBuffer> {
	const out = new Uint8Array(length);
	for (let at = 0; at < length; at += 65536) {
		crypto.getRandomValues(out.subarray(at, Math.min(length, at + 65536)));
	}
	return out;
}

/** The p-th percentile (0–100) by nearest rank: a value that was measured, never interpolated. */
export function percentile(values: readonly number[], p: number): number {
	if (values.length === 0) throw new Error('percentile of nothing');
	const sorted = [...values].sort((a, b) => a - b);
	const rank = Math.ceil((p / 100) * sorted.length);
	return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
