/**
 * The live simulated screen for the mock agent in a browser: a worker draws and encodes, this
 * side routes its chunks to each stream's sink. Control goes through Comlink; chunks arrive on
 * a MessagePort of their own, in transferred buffers.
 */
import { releaseProxy, transfer, wrap } from 'comlink';
import type { ScreenPortMessage } from './port';
import type { RecordOptions, RecordResult } from './record';
import type { ScreenWorkerApi } from './screen.worker';
import type {
	ScreenInfo,
	ScreenInput,
	ScreenSink,
	ScreenSource,
	ScreenStats,
	StartOptions
} from './types';

export interface BrowserScreenSource extends ScreenSource {
	/** Records a scripted clip without touching the live screens (for fixtures). */
	record(options: Omit<RecordOptions, 'instrument'>): Promise<RecordResult>;
}

export function createBrowserScreenSource(
	screens: ScreenInfo[],
	instrument: { name: string; model: string }
): BrowserScreenSource {
	const worker = new Worker(new URL('./screen.worker.ts', import.meta.url), { type: 'module' });
	const api = wrap<ScreenWorkerApi>(worker);
	const channel = new MessageChannel();
	/**
	 * The sink of each screen's current stream, the token its chunks carry, and what to call once
	 * the first chunk reached the sink (or the stream ended before it).
	 */
	const sinks = new Map<number, { stream: number; sink: ScreenSink; settle(): void }>();
	const drop = (screenId: number) => {
		sinks.get(screenId)?.settle();
		sinks.delete(screenId);
	};
	let nextStream = 1;
	/** Bumped by stop(): a start still waiting for the worker to load gives up. */
	const stops = new Map<number, number>();
	let disposed = false;

	// A module worker that fails to load fires `error` here and would leave every call pending.
	const failed = new Promise<never>((_, reject) => {
		worker.addEventListener('error', (e) => {
			const why = e instanceof ErrorEvent && e.message ? e.message : 'the worker failed to load';
			for (const { sink } of sinks.values()) sink.error(why);
			for (const id of [...sinks.keys()]) drop(id);
			reject(new Error(`screen worker: ${why}`));
		});
	});
	failed.catch(() => {}); // observed through call()
	const call = <T>(p: Promise<T>): Promise<T> => Promise.race([p, failed]);
	// A terminated worker answers nothing: calls pending at dispose() settle with a fallback.
	let closed = () => {};
	const whenClosed = new Promise<void>((resolve) => (closed = resolve));
	const orClosed = <T>(p: Promise<T>, fallback: T): Promise<T> =>
		Promise.race([call(p), whenClosed.then(() => fallback)]);

	channel.port1.onmessage = (event: MessageEvent<ScreenPortMessage>) => {
		const m = event.data;
		const current = sinks.get(m.screenId);
		if (!current || current.stream !== m.stream) return; // a stopped stream's last chunks
		switch (m.type) {
			case 'config': {
				const { type: _t, stream: _s, ...config } = m;
				current.sink.config(config);
				return;
			}
			case 'chunk': {
				const { type: _t, stream: _s, ...chunk } = m;
				current.sink.chunk(chunk);
				current.settle();
				return;
			}
			case 'error':
				current.sink.error(m.message);
				drop(m.screenId);
				return;
			default: {
				const never: never = m;
				throw new Error(`unknown screen message ${JSON.stringify(never)}`);
			}
		}
	};
	const ready = call(
		api.init(transfer({ screens, instrument, port: channel.port2 }, [channel.port2]))
	);
	// Fire-and-forget calls still report a dead worker to the sinks, once, above.
	const quietly = (p: Promise<unknown>) => void call(p).catch(() => {});

	return {
		screens: screens.map((s) => ({ ...s })),

		async encodable() {
			await orClosed(ready, undefined);
			return orClosed(api.encodable(), []);
		},

		async start(screenId: number, codecs: string[], sink: ScreenSink, options: StartOptions = {}) {
			if (disposed) throw new Error('screen source disposed');
			if (!screens.some((s) => s.id === screenId)) return null;
			const stopsBefore = stops.get(screenId) ?? 0;
			await orClosed(ready, undefined);
			if (disposed || (stops.get(screenId) ?? 0) !== stopsBefore) return null;
			const stream = nextStream++;
			drop(screenId);
			// Registered before the call: the chunks travel on the port, not with Comlink's reply.
			let settle = () => {};
			const delivered = new Promise<void>((resolve) => (settle = resolve));
			sinks.set(screenId, { stream, sink, settle });
			const codec = await orClosed(api.start(stream, screenId, codecs, options), null);
			if (codec === null) {
				if (sinks.get(screenId)?.stream === stream) drop(screenId);
				return null;
			}
			// The promise: when start() resolves, the sink has had the config and the key frame.
			await orClosed(delivered, undefined);
			return codec;
		},

		stop(screenId: number) {
			stops.set(screenId, (stops.get(screenId) ?? 0) + 1);
			drop(screenId);
			if (!disposed) quietly(api.stop(screenId));
		},

		requestKeyFrame(screenId: number) {
			if (!disposed) quietly(api.requestKeyFrame(screenId));
		},

		input(event: ScreenInput) {
			if (!disposed) quietly(api.input(event));
		},

		async stats(screenId: number): Promise<ScreenStats | null> {
			return disposed ? null : orClosed(api.stats(screenId), null);
		},

		async record(options) {
			await ready;
			return call<RecordResult>(api.record({ ...options, instrument }));
		},

		dispose() {
			if (disposed) return;
			disposed = true;
			for (const id of [...sinks.keys()]) drop(id);
			closed();
			channel.port1.close();
			api[releaseProxy]();
			worker.terminate();
		}
	};
}
