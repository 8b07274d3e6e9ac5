/**
 * The sealed record layer against bare AES-256-GCM, and the handshake (see bench/README.md).
 * All timing happens in one dedicated worker; this side only turns samples into figures.
 */
import { mbps, median, type Sample } from '../lib/measure';
import type { Report } from '../lib/types';
import { startWorker } from '../lib/worker';
import type { ChannelBenchApi } from './channel.worker';

// The goal is judged at 64 KiB: it gets more rounds, each of 6 interleaved batches per kind.
const SIZES = [
	{ label: '1k', bytes: 1024, rounds: 5, reps: 6 },
	{ label: '64k', bytes: 64 * 1024, rounds: 15, reps: 6 },
	{ label: '1m', bytes: 1024 * 1024, rounds: 5, reps: 4 }
] as const;
const HANDSHAKES = 25;

const perOp = (samples: Sample[]) => median(samples.map((s) => s.perOpMs));

/** Median over rounds of channel/bare - 1, each round's pair measured back to back. */
function overhead(channel: Sample[], bare: Sample[]): number {
	return median(channel.map((c, i) => c.perOpMs / bare[i]!.perOpMs - 1));
}

/** The layer's own time ÷ the bare cipher's, medians over rounds (measured apart, see the worker). */
function ownShare(own: Sample[], bare: Sample[]): number {
	return perOp(own) / perOp(bare);
}

export async function run(report: Report) {
	const worker = startWorker<ChannelBenchApi>(
		new Worker(new URL('./channel.worker.ts', import.meta.url), { type: 'module' })
	);
	let records, handshakes;
	try {
		records = await worker.call((api) =>
			api.records({
				sizes: SIZES.map(({ bytes, rounds, reps }) => ({ bytes, rounds, reps })),
				warmupMs: 50,
				ownMs: 50
			})
		);
		handshakes = await worker.call((api) => api.handshake(HANDSHAKES, 3));
	} finally {
		worker.terminate();
	}

	for (const { label, bytes } of SIZES) {
		const r = records.find((x) => x.bytes === bytes);
		if (!r) throw new Error(`no samples for ${bytes} bytes`);
		report(`aesgcm.encrypt.${label}.mbps`, mbps(bytes, perOp(r.encrypt)), 'MB/s');
		report(`aesgcm.decrypt.${label}.mbps`, mbps(bytes, perOp(r.decrypt)), 'MB/s');
		report(`channel.seal.${label}.mbps`, mbps(bytes, perOp(r.seal)), 'MB/s');
		report(`channel.open.${label}.mbps`, mbps(bytes, perOp(r.open)), 'MB/s');
		// One record at a time, each awaited: the latency a lone record pays.
		report(`channel.seal.${label}.overhead`, overhead(r.seal, r.encrypt), 'ratio');
		report(`channel.seal-copy.${label}.mbps`, mbps(bytes, perOp(r.sealCopy)), 'MB/s');
		report(`channel.seal-copy.${label}.overhead`, overhead(r.sealCopy, r.encrypt), 'ratio');
		report(`channel.open.${label}.overhead`, overhead(r.open, r.decrypt), 'ratio');
		// Bare decrypt against itself, measured in another slot of the same rounds: how far apart
		// two identical operations come out, i.e. what the side-by-side overheads can resolve.
		report(`aesgcm.decrypt.${label}.same`, overhead(r.decryptAgain, r.decrypt), 'ratio');
		report(
			`aesgcm.decrypt-burst.${label}.same`,
			overhead(r.decryptBurstAgain, r.decryptBurst),
			'ratio'
		);
		// What the record layer itself costs per record (cipher stubbed), against the bare cipher.
		report(`channel.seal.${label}.own.us`, perOp(r.sealOwn) * 1000, 'µs');
		report(`channel.open.${label}.own.us`, perOp(r.openOwn) * 1000, 'µs');
		const ownGoal = label === '64k' ? '< 0.05' : undefined;
		report(`channel.seal.${label}.own.overhead`, ownShare(r.sealOwn, r.encrypt), 'ratio', ownGoal);
		report(`channel.open.${label}.own.overhead`, ownShare(r.openOwn, r.decrypt), 'ratio', ownGoal);
		// A burst in flight, as the sender and the receiver handle a stream: throughput.
		const goal = label === '64k' ? '< 0.05' : undefined;
		report(`aesgcm.encrypt-burst.${label}.mbps`, mbps(bytes, perOp(r.encryptBurst)), 'MB/s');
		report(`aesgcm.decrypt-burst.${label}.mbps`, mbps(bytes, perOp(r.decryptBurst)), 'MB/s');
		report(`channel.seal-burst.${label}.mbps`, mbps(bytes, perOp(r.sealBurst)), 'MB/s');
		report(`channel.open-burst.${label}.mbps`, mbps(bytes, perOp(r.openBurst)), 'MB/s');
		report(
			`channel.seal-burst.${label}.overhead`,
			overhead(r.sealBurst, r.encryptBurst),
			'ratio',
			goal
		);
		report(
			`channel.open-burst.${label}.overhead`,
			overhead(r.openBurst, r.decryptBurst),
			'ratio',
			goal
		);
	}
	report('handshake.total.ms', median(handshakes.map((h) => h.totalMs)), 'ms', '< 50');
	report('handshake.console.ms', median(handshakes.map((h) => h.consoleMs)), 'ms');
}
