/**
 * The ceiling uses the browser's VideoDecoder as it is. The pipeline's decoder is watched from
 * outside without touching VideoPipeline: the global constructor is replaced by a subclass that
 * counts outputs and keeps the instance, so the feeder can read its queue (flow control, as a
 * transport window would) and see when the last frame came out.
 */
export const NativeVideoDecoder = globalThis.VideoDecoder;

export interface DecoderWatch {
	outputs: number;
	lastOutputAt: number;
	/** Called after each output has been handed to the pipeline. */
	onOutput: (() => void) | null;
}

export class WatchedDecoder extends NativeVideoDecoder {
	/** The decoder the pipeline created last (VideoPipeline.configure() makes a new one). */
	static current: WatchedDecoder | null = null;
	readonly watch: DecoderWatch;

	constructor(init: VideoDecoderInit) {
		const watch: DecoderWatch = { outputs: 0, lastOutputAt: 0, onOutput: null };
		super({
			...init,
			output: (frame) => {
				watch.outputs++;
				watch.lastOutputAt = performance.now();
				init.output(frame);
				watch.onOutput?.();
			}
		});
		this.watch = watch;
		WatchedDecoder.current = this;
	}
}

/** From now on `new VideoDecoder(…)` in this worker (VideoPipeline's) is watched. */
export function watchDecoders(): void {
	globalThis.VideoDecoder = WatchedDecoder;
}
