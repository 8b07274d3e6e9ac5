/**
 * The idle lock: after a quiet spell (default 15 minutes, a setting) the console covers itself
 * and asks for the password again. Nothing underneath is torn down, so an open session, a
 * half-filled form or a scrolled list are as they were after unlocking.
 */
import type { BrokerFailure } from '$lib/broker/client';
import type { AuthState } from './auth.svelte';
import { DEFAULT_SETTINGS, type SettingsStore } from './settings-store';

const ACTIVITY = [
	'pointerdown',
	'pointermove',
	'keydown',
	'wheel',
	'touchstart',
	'scroll'
] as const;

export class IdleLock {
	readonly #auth: AuthState;
	readonly #settings: SettingsStore;
	readonly #now: () => number;
	#minutes = $state.raw(DEFAULT_SETTINGS.idleLockMinutes);
	#locked = $state.raw(false);
	#busy = $state.raw(false);
	#failure = $state.raw<BrokerFailure | null>(null);
	/** Overrides the minutes (tests use a few hundred milliseconds). */
	#timeoutMs: number | null = null;
	#lastActivity = 0;
	#timer: ReturnType<typeof setTimeout> | undefined;
	#target: EventTarget | null = null;
	readonly #onActivity = () => {
		if (!this.#locked) this.#lastActivity = this.#now();
	};

	constructor(auth: AuthState, settings: SettingsStore, now: () => number = () => Date.now()) {
		this.#auth = auth;
		this.#settings = settings;
		this.#now = now;
	}

	get minutes(): number {
		return this.#minutes;
	}
	get locked(): boolean {
		return this.#locked;
	}
	get busy(): boolean {
		return this.#busy;
	}
	get failure(): BrokerFailure | null {
		return this.#failure;
	}

	/** Reads the saved delay; call once at start-up. */
	async loadSettings(): Promise<void> {
		this.#minutes = (await this.#settings.load()).idleLockMinutes;
		this.#arm();
	}

	async setMinutes(minutes: number): Promise<void> {
		this.#minutes = minutes;
		this.#timeoutMs = null;
		this.#arm();
		await this.#settings.save({ idleLockMinutes: minutes });
	}

	/** For tests: a delay in milliseconds, not saved. */
	setTimeoutMs(ms: number): void {
		this.#timeoutMs = ms;
		this.#arm();
	}

	/** Starts watching for input on `target` (the window). */
	watch(target: EventTarget = window): () => void {
		this.#target = target;
		for (const type of ACTIVITY) {
			target.addEventListener(type, this.#onActivity, { passive: true, capture: true });
		}
		this.#lastActivity = this.#now();
		this.#arm();
		return () => this.stop();
	}

	stop(): void {
		clearTimeout(this.#timer);
		for (const type of ACTIVITY) {
			this.#target?.removeEventListener(type, this.#onActivity, { capture: true });
		}
		this.#target = null;
	}

	lock(): void {
		if (!this.#auth.signedIn) return;
		this.#failure = null;
		this.#locked = true;
	}

	async unlock(password: string): Promise<boolean> {
		if (this.#busy || !this.#locked) return false;
		this.#busy = true;
		this.#failure = null;
		try {
			const reply = await this.#auth.verifyPassword(password);
			if (reply.ok) {
				this.#locked = false;
				this.#lastActivity = this.#now();
				this.#arm();
				return true;
			}
			if (reply.failure) this.#failure = reply.failure;
			return false;
		} finally {
			this.#busy = false;
		}
	}

	/** Signing out ends the lock too. */
	release(): void {
		this.#locked = false;
		this.#failure = null;
	}

	get #delay(): number {
		return this.#timeoutMs ?? this.#minutes * 60_000;
	}

	#arm(delay = this.#delay): void {
		clearTimeout(this.#timer);
		if (this.#target === null) return;
		this.#timer = setTimeout(() => this.#check(), delay);
	}

	/** Timers run late in background tabs: compare clock time rather than trusting the timer. */
	#check(): void {
		const idle = this.#now() - this.#lastActivity;
		if (idle >= this.#delay) {
			if (this.#auth.signedIn && !this.#locked) this.lock();
			this.#lastActivity = this.#now();
			this.#arm();
		} else {
			this.#arm(this.#delay - idle);
		}
	}
}
