/** Small timing helpers shared by the stream suite's worker code. */

/** A display frame at 60 Hz, the rate headless Chromium runs requestAnimationFrame at. */
const DISPLAY_FRAME_MS = 1000 / 60;

/**
 * When chunk `i` of `n` arrives when fed at `fps`: 1000/fps ms apart, plus a drift of one display
 * frame over the whole run, as between the agent's clock and the console's display. Strictly
 * periodic arrivals would meet the display at one fixed phase, and that phase alone would decide
 * how long a frame waits for its paint; drifting, they meet it at every phase once. The rate
 * stays within 1 % of `fps` (29.8 and 59.3 frames/s for 90 chunks).
 */
export function arrivalAt(start: number, i: number, n: number, fps: number): number {
	return start + (i * 1000) / fps + (i / n) * DISPLAY_FRAME_MS;
}

/** Waits until performance.now() reaches `at` (a timer: about a millisecond late at worst). */
export async function sleepUntil(at: number): Promise<void> {
	const wait = at - performance.now();
	if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

/** Rejects with a clear reason instead of leaving the suite to the runner's timeout. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const late = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms / 1000} s`)), ms);
	});
	return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** A promise with its resolvers, for callbacks that settle it (Promise.withResolvers). */
export function deferred<T = void>() {
	let resolve!: (value: T) => void;
	let reject!: (reason: unknown) => void;
	const promise = new Promise<T>((res, rej) => {
		resolve = res;
		reject = rej;
	});
	return { promise, resolve, reject };
}
