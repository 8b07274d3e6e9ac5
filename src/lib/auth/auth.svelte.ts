/**
 * Sign-in with two factors and a trusted device (docs/protocol.md Part 1, "Authentication and
 * tokens"), as a state machine the sign-in page renders step by step:
 *
 *   password → second-factor → signed-in                       (a browser with an approved key)
 *   password → second-factor → registering → awaiting-approval → password (approved) → …
 *
 * Failures are kept as codes, not sentences, so a language switch re-translates them.
 */
import type { BrokerClient, BrokerFailure, BrokerResult, SignInOutcome } from '$lib/broker/client';
import { base64urlEncode } from '$lib/protocol/base64url';
import {
	deviceProofMessage,
	type SecondFactorMethod,
	type Technician
} from '$lib/protocol/broker-api';
import { randomBytes } from '$lib/protocol/bytes';
import { fingerprint, generateIdentity, sign } from '$lib/protocol/identity';
import { Countdown } from './countdown.svelte';
import { browserLabel } from './device-label';
import { isoNow, type DeviceStore, type StoredDevice } from './device-store';
import { m } from '$lib/i18n';

export type SignInStep =
	| { name: 'password'; approved: boolean }
	| {
			name: 'second-factor';
			challengeId: string;
			methods: SecondFactorMethod[];
			deviceChallenge: string | undefined;
	  }
	| { name: 'registering' }
	| {
			name: 'awaiting-approval';
			deviceId: string;
			fingerprint: string;
			lastCheckedAt: number | null;
	  }
	| { name: 'signed-in' };

export type AuthNotice =
	| { kind: 'broker'; failure: BrokerFailure }
	/** `erased`: the site's policy erased local data at sign-out, or kept it for unsent audit. */
	| { kind: 'signed-out'; erased?: boolean; unsent?: number }
	| { kind: 'totp-format' }
	| { kind: 'webauthn-unavailable' }
	| { kind: 'webauthn-cancelled' };

export interface AuthOptions {
	broker: BrokerClient;
	devices: DeviceStore;
	/** First approval poll interval (Part 1: 5 s), growing to `maxPollMs` (60 s). */
	pollMs?: number;
	maxPollMs?: number;
	/** The site's policy: erase this device's local data at sign-out (see history/erase.ts). */
	eraseOnSignOut?: () => Promise<{ erased: true } | { erased: false; unsent: number }>;
}

const TOTP = /^\d{6}$/;

export class AuthState {
	readonly broker: BrokerClient;
	readonly devices: DeviceStore;
	readonly #eraseOnSignOut: AuthOptions['eraseOnSignOut'] | null;
	/** A rate limit the technician must wait out before the next attempt. */
	readonly wait = new Countdown();
	#step = $state.raw<SignInStep>({ name: 'password', approved: false });
	#notice = $state.raw<AuthNotice | null>(null);
	#busy = $state.raw(false);
	#technician = $state.raw<Technician | null>(null);
	#email = $state.raw('');
	#device: StoredDevice | null = null;
	#pollTimer: ReturnType<typeof setTimeout> | undefined;
	#pollMs: number;
	readonly #firstPollMs: number;
	readonly #maxPollMs: number;

	constructor(options: AuthOptions) {
		this.broker = options.broker;
		this.devices = options.devices;
		this.#firstPollMs = this.#pollMs = options.pollMs ?? 5000;
		this.#maxPollMs = options.maxPollMs ?? 60_000;
		this.#eraseOnSignOut = options.eraseOnSignOut ?? null;
		this.broker.onUnauthorized = () =>
			this.#ended({ kind: 'broker', failure: { code: 'unauthorized' } });
	}

	get step(): SignInStep {
		return this.#step;
	}
	get notice(): AuthNotice | null {
		return this.#notice;
	}
	get busy(): boolean {
		return this.#busy;
	}
	get technician(): Technician | null {
		return this.#technician;
	}
	get signedIn(): boolean {
		return this.#technician !== null;
	}
	/** The account being signed in to (kept to fill the form again). */
	get email(): string {
		return this.#email;
	}
	/** The trusted device, once loaded (the live session signs its handshake with it). */
	get device(): StoredDevice | null {
		return this.#device;
	}

	async submitPassword(email: string, password: string): Promise<void> {
		if (this.#busy || this.wait.active) return;
		await this.#run(async () => {
			this.#email = email.trim();
			this.#device = await this.devices.load();
			const reply = await this.broker.password({
				email: this.#email,
				password,
				...(this.#device ? { deviceId: this.#device.deviceId } : {})
			});
			if (reply.ok) {
				const { challengeId, methods, deviceChallenge } = reply.value;
				this.#go({ name: 'second-factor', challengeId, methods, deviceChallenge });
				return;
			}
			if (!reply.failure) return;
			switch (reply.failure.code) {
				case 'device-pending':
					if (this.#device) return this.#awaitApproval(this.#device);
					break;
				case 'device-unknown':
				case 'device-revoked':
					await this.#forgetDevice();
					break;
			}
			this.#fail(reply.failure);
		});
	}

	async submitTotp(code: string): Promise<void> {
		const step = this.#step;
		if (step.name !== 'second-factor' || this.#busy || this.wait.active) return;
		const digits = code.replace(/\s+/g, '');
		if (!TOTP.test(digits)) {
			this.#notice = { kind: 'totp-format' };
			return;
		}
		await this.#run(async () => {
			const deviceSignature = await this.#proof(step);
			const reply = await this.broker.totp({
				challengeId: step.challengeId,
				code: digits,
				...(deviceSignature ? { deviceSignature } : {})
			});
			await this.#secondFactorDone(reply);
		});
	}

	/** WebAuthn, where the broker lists it and the browser can (Part 1, "webauthn/options"). */
	async useWebAuthn(): Promise<void> {
		const step = this.#step;
		if (step.name !== 'second-factor' || this.#busy) return;
		const pkc = globalThis.PublicKeyCredential as WebAuthnStatics | undefined;
		if (typeof pkc?.parseRequestOptionsFromJSON !== 'function' || !navigator.credentials) {
			this.#notice = { kind: 'webauthn-unavailable' };
			return;
		}
		await this.#run(async () => {
			const options = await this.broker.webauthnOptions(step.challengeId);
			if (!options.ok) return options.failure && this.#fail(options.failure);
			let credential: Credential | null;
			try {
				credential = await navigator.credentials.get({
					publicKey: pkc.parseRequestOptionsFromJSON(options.value.publicKey)
				});
			} catch {
				credential = null;
			}
			if (!credential || !('toJSON' in credential) || typeof credential.toJSON !== 'function') {
				this.#notice = { kind: 'webauthn-cancelled' };
				return;
			}
			const deviceSignature = await this.#proof(step);
			const reply = await this.broker.webauthnVerify({
				challengeId: step.challengeId,
				credential: credential.toJSON(),
				...(deviceSignature ? { deviceSignature } : {})
			});
			await this.#secondFactorDone(reply);
		});
	}

	/** Polls at once instead of waiting for the next turn. */
	checkApprovalNow(): Promise<void> {
		return this.#poll();
	}

	/** Back to the password, keeping the e-mail; a pending device stays registered. */
	startOver(): void {
		this.#stopPolling();
		this.#notice = null;
		this.#go({ name: 'password', approved: false });
	}

	/** The idle lock's check: is this still the technician's password? Nothing else changes. */
	async verifyPassword(password: string): Promise<BrokerResult<unknown>> {
		const device = this.#device ?? (await this.devices.load());
		const reply = await this.broker.password({
			email: this.#email,
			password,
			...(device ? { deviceId: device.deviceId } : {})
		});
		if (!reply.ok && reply.failure?.code === 'rate-limited') {
			this.wait.start(reply.failure.retryAfter ?? 60);
		}
		return reply;
	}

	async signOut(): Promise<void> {
		await this.broker.signOut();
		this.#ended({ kind: 'signed-out' });
		if (!this.#eraseOnSignOut) return;
		const result = await this.#eraseOnSignOut().catch(() => ({ erased: false, unsent: 0 }));
		this.#notice = result.erased
			? { kind: 'signed-out', erased: true }
			: { kind: 'signed-out', erased: false, unsent: 'unsent' in result ? result.unsent : 0 };
	}

	dispose(): void {
		this.#stopPolling();
		this.wait.stop();
	}

	// ------------------------------------------------------------ the steps

	async #secondFactorDone(reply: BrokerResult<SignInOutcome>): Promise<void> {
		if (!reply.ok) {
			if (!reply.failure) return;
			switch (reply.failure.code) {
				case 'challenge-expired':
				case 'device-signature-invalid':
					this.#go({ name: 'password', approved: false });
					break;
				case 'device-revoked':
				case 'device-unknown':
					await this.#forgetDevice();
					this.#go({ name: 'password', approved: false });
					break;
			}
			return this.#fail(reply.failure);
		}
		const outcome = reply.value;
		if (outcome.step === 'signed-in') {
			this.#technician = outcome.technician;
			this.#notice = null;
			this.#go({ name: 'signed-in' });
			return;
		}
		await this.#register(outcome.challengeId);
	}

	/** First use in this browser: a non-extractable key, kept in IndexedDB, then registered. */
	async #register(challengeId: string): Promise<void> {
		this.#go({ name: 'registering' });
		const identity = await generateIdentity();
		const device: StoredDevice = {
			deviceId: base64urlEncode(randomBytes(16)),
			publicKey: identity.publicKey,
			privateKey: identity.privateKey,
			registeredAt: isoNow()
		};
		const reply = await this.broker.registerDevice({
			challengeId,
			deviceId: device.deviceId,
			publicKey: base64urlEncode(device.publicKey),
			label: m.device_label({ browser: browserLabel(navigator.userAgent) }).slice(0, 100),
			userAgent: navigator.userAgent.slice(0, 1000) || 'unknown'
		});
		if (!reply.ok) {
			this.#go({ name: 'password', approved: false });
			return reply.failure && this.#fail(reply.failure);
		}
		await this.devices.save(device);
		this.#device = device;
		await this.#awaitApproval(device);
	}

	async #awaitApproval(device: StoredDevice): Promise<void> {
		const print = await fingerprint(device.publicKey);
		this.#go({
			name: 'awaiting-approval',
			deviceId: device.deviceId,
			fingerprint: print,
			lastCheckedAt: null
		});
		this.#pollMs = this.#firstPollMs;
		this.#schedulePoll();
	}

	#schedulePoll(delay = this.#pollMs): void {
		clearTimeout(this.#pollTimer);
		this.#pollTimer = setTimeout(() => void this.#poll(), delay);
	}

	async #poll(): Promise<void> {
		const step = this.#step;
		if (step.name !== 'awaiting-approval') return;
		// Part 1: poll while the page is visible; a hidden page checks again when shown.
		if (typeof document !== 'undefined' && document.visibilityState === 'hidden') {
			document.addEventListener('visibilitychange', () => void this.#poll(), { once: true });
			return;
		}
		const reply = await this.broker.deviceStatus(step.deviceId);
		if (this.#step !== step) return;
		if (reply.ok) {
			switch (reply.value.status) {
				case 'approved':
					this.#notice = null;
					this.#go({ name: 'password', approved: true });
					return;
				case 'revoked':
					await this.#forgetDevice();
					this.#go({ name: 'password', approved: false });
					this.#notice = { kind: 'broker', failure: { code: 'device-revoked' } };
					return;
				case 'pending':
					this.#go({ ...step, lastCheckedAt: Date.now() });
					this.#pollMs = Math.min(this.#maxPollMs, Math.round(this.#pollMs * 1.25));
					return this.#schedulePoll();
			}
		}
		if (!reply.failure) return;
		if (reply.failure.code === 'device-unknown') {
			await this.#forgetDevice();
			this.#go({ name: 'password', approved: false });
			return this.#fail(reply.failure);
		}
		// Network trouble or a rate limit: keep waiting, honouring retryAfter.
		this.#notice = { kind: 'broker', failure: reply.failure };
		const wait = (reply.failure.retryAfter ?? 0) * 1000;
		this.#schedulePoll(Math.max(wait, this.#pollMs));
	}

	// ------------------------------------------------------------ helpers

	async #proof(step: Extract<SignInStep, { name: 'second-factor' }>): Promise<string | null> {
		if (step.deviceChallenge === undefined || !this.#device) return null;
		const message = deviceProofMessage(step.challengeId, step.deviceChallenge);
		return base64urlEncode(await sign(this.#device.privateKey, message));
	}

	async #forgetDevice(): Promise<void> {
		this.#device = null;
		await this.devices.forget();
	}

	#go(step: SignInStep): void {
		if (step.name !== 'awaiting-approval') this.#stopPolling();
		this.#step = step;
	}

	#fail(failure: BrokerFailure): void {
		this.#notice = { kind: 'broker', failure };
		if (failure.code === 'rate-limited') this.wait.start(failure.retryAfter ?? 60);
	}

	#ended(notice: AuthNotice): void {
		this.broker.forgetToken();
		this.#technician = null;
		this.#notice = notice;
		this.#go({ name: 'password', approved: false });
	}

	#stopPolling(): void {
		clearTimeout(this.#pollTimer);
		this.#pollTimer = undefined;
	}

	async #run(task: () => Promise<void>): Promise<void> {
		this.#busy = true;
		this.#notice = null;
		try {
			await task();
		} finally {
			this.#busy = false;
		}
	}
}

/** WebAuthn Level 3's JSON helper; not in every TypeScript DOM library yet. */
interface WebAuthnStatics {
	parseRequestOptionsFromJSON(options: unknown): PublicKeyCredentialRequestOptions;
}
