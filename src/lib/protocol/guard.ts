/**
 * Brute-force protection on the agent (docs/protocol.md, "Password attempts"). One guard per
 * instrument, shared by all its connections: one attempt at a time, each failure doubles the
 * wait before the next, and every third failure replaces the one-time password.
 */
export interface GuardOptions {
	now?: () => number;
	baseDelayMs?: number;
	maxDelayMs?: number;
	rotateAfter?: number;
	/** Called when the password must be replaced; the customer reads out the new one. */
	onRotate?: () => void;
}

export type GuardCheck = { ok: true } | { ok: false; retryAfterMs: number };

export class PasswordGuard {
	readonly #now: () => number;
	readonly #base: number;
	readonly #max: number;
	readonly #rotateAfter: number;
	readonly #onRotate: () => void;
	#failures = 0;
	#sinceRotation = 0;
	#nextAllowedAt = 0;
	#pending = false;

	constructor(options: GuardOptions = {}) {
		this.#now = options.now ?? Date.now;
		this.#base = options.baseDelayMs ?? 1000;
		this.#max = options.maxDelayMs ?? 5 * 60 * 1000;
		this.#rotateAfter = options.rotateAfter ?? 3;
		this.#onRotate = options.onRotate ?? (() => {});
	}

	get failures(): number {
		return this.#failures;
	}

	/** May an attempt start now? A second attempt while one is in flight must wait too. */
	check(): GuardCheck {
		if (this.#pending) return { ok: false, retryAfterMs: this.#base };
		const wait = this.#nextAllowedAt - this.#now();
		return wait > 0 ? { ok: false, retryAfterMs: wait } : { ok: true };
	}

	begin() {
		this.#pending = true;
	}

	/** A wrong password (or an attempt abandoned after the agent's share was sent). */
	fail(): { rotated: boolean; retryAfterMs: number } {
		this.#pending = false;
		this.#failures++;
		this.#sinceRotation++;
		const delay = Math.min(this.#max, this.#base * 2 ** (this.#failures - 1));
		this.#nextAllowedAt = this.#now() + delay;
		let rotated = false;
		if (this.#sinceRotation >= this.#rotateAfter) {
			this.#sinceRotation = 0;
			rotated = true;
			this.#onRotate();
		}
		return { rotated, retryAfterMs: delay };
	}

	succeed() {
		this.#pending = false;
		this.#failures = 0;
		this.#sinceRotation = 0;
		this.#nextAllowedAt = 0;
	}
}

/** How people type a one-time password: case, spaces and dashes do not matter. */
export function normalizePassword(typed: string): string {
	return typed
		.normalize('NFKC')
		.toUpperCase()
		.replace(/[\s-]+/g, '');
}

const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
/** A new one-time password: 8 characters from an alphabet without look-alikes (~39 bits). */
export function newOneTimePassword(): string {
	const out: string[] = [];
	const bytes = new Uint8Array(16);
	while (out.length < 8) {
		crypto.getRandomValues(bytes);
		for (const b of bytes) {
			// Rejection sampling keeps every character equally likely.
			if (b < 248 && out.length < 8) out.push(ALPHABET[b % 31]!);
		}
	}
	return `${out.slice(0, 4).join('')}-${out.slice(4).join('')}`;
}
