import type { ScreenInfo, ScreenSource } from './types';

/**
 * Creates the real source on first use and drops it when the last stream stops, so ten simulated
 * instruments do not keep ten encoder workers alive while nobody watches them.
 */
export function lazyScreenSource(screens: ScreenInfo[], create: () => ScreenSource): ScreenSource {
	let source: ScreenSource | null = null;
	const streaming = new Set<number>();
	const get = () => (source ??= create());
	return {
		screens,
		encodable: () => get().encodable(),
		async start(screenId, codecs, sink, options) {
			streaming.add(screenId);
			return get().start(screenId, codecs, sink, options);
		},
		stop(screenId) {
			source?.stop(screenId);
			streaming.delete(screenId);
			if (streaming.size === 0) {
				source?.dispose();
				source = null;
			}
		},
		requestKeyFrame: (screenId) => source?.requestKeyFrame(screenId),
		input: (event) => source?.input(event),
		dispose() {
			source?.dispose();
			source = null;
		}
	};
}
