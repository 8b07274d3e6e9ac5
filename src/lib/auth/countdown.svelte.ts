/** A wait the technician must sit out (rate limits, retry-later), counted down once a second. */
export class Countdown {
	#until = 0;
	#remaining = $state.raw(0);
	#timer: ReturnType<typeof setInterval> | undefined;

	constructor(readonly now: () => number = () => Date.now()) {}

	/** Seconds left, rounded up; 0 when there is nothing to wait for. */
	get remaining(): number {
		return this.#remaining;
	}

	get active(): boolean {
		return this.#remaining > 0;
	}

	start(seconds: number): void {
		this.#until = this.now() + seconds * 1000;
		this.#tick();
		clearInterval(this.#timer);
		this.#timer = setInterval(() => this.#tick(), 1000);
	}

	stop(): void {
		clearInterval(this.#timer);
		this.#timer = undefined;
		this.#remaining = 0;
	}

	#tick(): void {
		const left = Math.max(0, Math.ceil((this.#until - this.now()) / 1000));
		this.#remaining = left;
		if (left === 0) this.stop();
	}
}
