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

/** Runs operations `from` to `to` - 1, one at a time or all at once (`pipelined`). */
async function runOps(o: BatchOptions, from: number, to: number) {
	if (o.pipelined) {
		const running: Promise<unknown>[] = [];
		for (let i = from; i < to; i++) running.push(o.op(i));
		await Promise.all(running);
	} else {
		for (let i = from; i < to; i++) await o.op(i);
	}
}

/**
 * One batch, prepared untimed; then `warm` operations of the same kind, untimed, and
 * `beforeTiming`; returns the batch's timed milliseconds.
 */
async function timeBatch(o: BatchOptions, beforeTiming?: () => void, warm = 0): Promise<number> {
	await o.prepare?.(warm + o.batch);
	await runOps(o, 0, warm);
	beforeTiming?.();
	const start = performance.now();
	await runOps(o, warm, warm + o.batch);
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
 * Batches of several operations interleaved: `reps` times, one batch of each, each prepared
 * untimed, led in by a quarter batch of the same operation (untimed) and timed from a freshly
 * collected heap. Side by side at this grain, slow drift of the machine and garbage collection
 * left by one side's inputs fall on neither side. The order follows a balanced Latin square
 * (`balancedOrders`; rep `firstRep + rep` takes its row), so every kind runs in every slot.
 *
 * Why: what ran just before a batch changed its time, collection or not. With the order rotating
 * (0 1 2, 1 2 0, …) each kind came after the same kind almost every time, and that alone moved the
 * channel's `open` at 64 KiB in a burst by 3-4 points. The balanced order puts every kind after
 * every other equally often; the lead-in makes each batch follow its own kind, as in a stream. Of
 * the lead-ins tried (none, a quarter batch, a whole batch; three runs each, bench/README.md) a
 * quarter gave the most repeatable figures.
 */
export async function interleaveOps(
	plans: readonly BatchOptions[],
	reps: number,
	firstRep = 0
): Promise<Sample[]> {
	const ms = plans.map(() => 0);
	const ops = plans.map(() => 0);
	const orders = balancedOrders(plans.length);
	for (let rep = 0; rep < reps; rep++) {
		for (const i of orders[(firstRep + rep) % orders.length]!) {
			const plan = plans[i]!;
			ms[i]! += await timeBatch(plan, collectGarbage, Math.max(1, plan.batch >> 2));
			ops[i]! += plan.batch;
		}
	}
	return plans.map((_, i) => ({ perOpMs: ms[i]! / ops[i]!, ops: ops[i]! }));
}

/**
 * A Williams design for `n` kinds: rows in which each kind takes each position, and follows each
 * other kind, equally often (n rows for even n, 2n for odd n).
 */
export function balancedOrders(n: number): number[][] {
	const first: number[] = [];
	for (let j = 0; first.length < n; j++) {
		first.push(j % 2 === 0 ? j / 2 : n - (j + 1) / 2);
	}
	const rows = first.map((_, r) => first.map((k) => (k + r) % n));
	return n % 2 === 0 ? rows : [...rows, ...rows.map((row) => [...row].reverse())];
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
