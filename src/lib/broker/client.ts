/**
 * The console's broker client (docs/protocol.md Part 1). Every reply goes through its `parse*`
 * validator; whatever goes wrong (no network, a timeout, a proxy's HTML page, malformed JSON, a
 * wrong shape, an error envelope) comes back as a typed failure, never as an exception.
 *
 * The access token lives in a private field of this object and nowhere else: not in storage,
 * not in a cookie, not in page state (Part 1, "Access token").
 */
import { brokerBaseUrl } from '$lib/config';
import {
	BROKER_API_METHODS,
	brokerPath,
	parseAuditResult,
	parseBrokerError,
	parseDeviceRegistered,
	parseDeviceStatus,
	parseHealth,
	parseInstrumentsPage,
	parsePasskeyOptions,
	parsePasskeyRegistered,
	parsePasswordResponse,
	parseSecondFactorResponse,
	parseSessionCreated,
	parseWebAuthnOptions,
	MAX_INSTRUMENTS_LIMIT,
	type AuditBatch,
	type AuditResult,
	type BrokerEndpoint,
	type BrokerErrorCode,
	type DeviceRegisteredResponse,
	type DeviceRegistrationRequest,
	type DeviceStatusResponse,
	type HealthResponse,
	type Instrument,
	type InstrumentsPage,
	type InstrumentsQuery,
	type Parsed,
	type PasskeyOptionsResponse,
	type PasskeyRegistered,
	type PasskeyRegistrationRequest,
	type PasswordRequest,
	type PasswordResponse,
	type SecondFactorResponse,
	type SessionCreated,
	type SessionRequest,
	type Technician,
	type TotpRequest,
	type WebAuthnOptionsResponse,
	type WebAuthnVerifyRequest
} from '$lib/protocol/broker-api';

/** The broker's own codes, and the console's for replies it never got or could not read. */
export type BrokerFailureCode = BrokerErrorCode | 'bad-reply' | 'unreachable' | 'timeout';

export interface BrokerFailure {
	code: BrokerFailureCode;
	/** The HTTP status, when there was a reply. */
	status?: number;
	/** Seconds to wait, with `rate-limited` (and sometimes `unavailable`). */
	retryAfter?: number;
}

export type BrokerResult<T> =
	| { ok: true; value: T }
	| { ok: false; failure: BrokerFailure }
	/** The caller aborted: not an error, nothing to show. */
	| { ok: false; aborted: true; failure?: undefined };

/** The second factor's reply as the app sees it: the token stays inside the client. */
export type SignInOutcome =
	| { step: 'device-registration-required'; challengeId: string; expiresAt: string }
	| { step: 'signed-in'; expiresAt: string; technician: Technician };

export interface BrokerClientOptions {
	/** Default: PUBLIC_BROKER_URL (src/lib/config.ts); empty means this origin. */
	baseUrl?: string;
	fetch?: typeof fetch;
	/** Per request; default 15 s. */
	timeoutMs?: number;
	/** A call with the token was answered `unauthorized`: the token is already forgotten. */
	onUnauthorized?: () => void;
}

interface Call<T> {
	params?: Record<string, string>;
	query?: Record<string, string | number | undefined>;
	body?: unknown;
	auth?: boolean;
	headers?: Record<string, string>;
	parse: ((v: unknown) => Parsed<T>) | null;
	/** The success statuses the endpoint defines. */
	expect: number[];
	signal?: AbortSignal | undefined;
}

const fail = (failure: BrokerFailure) => ({ ok: false, failure }) as const;

export class BrokerClient {
	readonly #base: string;
	readonly #fetch: typeof fetch;
	readonly #timeoutMs: number;
	#onUnauthorized: (() => void) | undefined;
	#accessToken: string | null = null;

	constructor(options: BrokerClientOptions = {}) {
		this.#base = (options.baseUrl ?? brokerBaseUrl).replace(/\/+$/, '');
		this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
		this.#timeoutMs = options.timeoutMs ?? 15_000;
		this.#onUnauthorized = options.onUnauthorized;
	}

	set onUnauthorized(listener: (() => void) | undefined) {
		this.#onUnauthorized = listener;
	}

	get signedIn(): boolean {
		return this.#accessToken !== null;
	}

	/**
	 * For the relay only, which takes the token as a WebSocket subprotocol (Part 1, "Relay"):
	 * handed straight to `openSession`, never kept by the caller.
	 */
	accessTokenForRelay(): string | null {
		return this.#accessToken;
	}

	/** Forgets the token without asking the broker (the broker already refused it). */
	forgetToken(): void {
		this.#accessToken = null;
	}

	health(signal?: AbortSignal): Promise<BrokerResult<HealthResponse>> {
		return this.#call('health', { parse: parseHealth, expect: [200], signal });
	}

	password(req: PasswordRequest, signal?: AbortSignal): Promise<BrokerResult<PasswordResponse>> {
		return this.#call('authPassword', {
			body: req,
			parse: parsePasswordResponse,
			expect: [200],
			signal
		});
	}

	async totp(req: TotpRequest, signal?: AbortSignal): Promise<BrokerResult<SignInOutcome>> {
		const reply = await this.#call('authTotp', {
			body: req,
			parse: parseSecondFactorResponse,
			expect: [200],
			signal
		});
		return this.#keepToken(reply);
	}

	webauthnOptions(
		challengeId: string,
		signal?: AbortSignal
	): Promise<BrokerResult<WebAuthnOptionsResponse>> {
		return this.#call('authWebAuthnOptions', {
			body: { challengeId },
			parse: parseWebAuthnOptions,
			expect: [200],
			signal
		});
	}

	async webauthnVerify(
		req: WebAuthnVerifyRequest,
		signal?: AbortSignal
	): Promise<BrokerResult<SignInOutcome>> {
		const reply = await this.#call('authWebAuthnVerify', {
			body: req,
			parse: parseSecondFactorResponse,
			expect: [200],
			signal
		});
		return this.#keepToken(reply);
	}

	/** Revokes the token at the broker and forgets it here, whatever the broker answers. */
	async signOut(): Promise<BrokerResult<null>> {
		if (this.#accessToken === null) return { ok: true, value: null };
		const reply = await this.#call<null>('authSignOut', { auth: true, parse: null, expect: [204] });
		this.#accessToken = null;
		return reply;
	}

	/** Part 1 "Passkeys": creation options for the signed-in technician. */
	passkeyOptions(signal?: AbortSignal): Promise<BrokerResult<PasskeyOptionsResponse>> {
		return this.#call('passkeyOptions', {
			auth: true,
			parse: parsePasskeyOptions,
			expect: [200],
			signal
		});
	}

	registerPasskey(
		req: PasskeyRegistrationRequest,
		signal?: AbortSignal
	): Promise<BrokerResult<PasskeyRegistered>> {
		return this.#call('passkeys', {
			auth: true,
			body: req,
			parse: parsePasskeyRegistered,
			expect: [201],
			signal
		});
	}

	registerDevice(
		req: DeviceRegistrationRequest,
		signal?: AbortSignal
	): Promise<BrokerResult<DeviceRegisteredResponse>> {
		return this.#call('devices', {
			body: req,
			parse: parseDeviceRegistered,
			expect: [202],
			signal
		});
	}

	deviceStatus(
		deviceId: string,
		signal?: AbortSignal
	): Promise<BrokerResult<DeviceStatusResponse>> {
		return this.#call('device', {
			params: { deviceId },
			parse: parseDeviceStatus,
			expect: [200],
			signal
		});
	}

	instrumentsPage(
		query: InstrumentsQuery = {},
		signal?: AbortSignal
	): Promise<BrokerResult<InstrumentsPage>> {
		return this.#call('instruments', {
			auth: true,
			query: { cursor: query.cursor, limit: query.limit },
			parse: parseInstrumentsPage,
			expect: [200],
			signal
		});
	}

	/** Every page of the whitelist, in the broker's order. */
	async allInstruments(
		signal?: AbortSignal,
		onProgress?: (loaded: number) => void
	): Promise<BrokerResult<Instrument[]>> {
		const all: Instrument[] = [];
		const seen = new Set<string>();
		let cursor: string | undefined;
		do {
			const page = await this.instrumentsPage({ cursor, limit: MAX_INSTRUMENTS_LIMIT }, signal);
			if (!page.ok) return page;
			all.push(...page.value.instruments);
			onProgress?.(all.length);
			cursor = page.value.nextCursor;
			// A broker that hands out the same cursor twice would keep us here forever.
			if (cursor !== undefined && seen.has(cursor)) return fail({ code: 'bad-reply', status: 200 });
			if (cursor !== undefined) seen.add(cursor);
		} while (cursor !== undefined);
		return { ok: true, value: all };
	}

	createSession(req: SessionRequest, signal?: AbortSignal): Promise<BrokerResult<SessionCreated>> {
		return this.#call('sessions', {
			auth: true,
			body: req,
			parse: parseSessionCreated,
			expect: [201],
			signal
		});
	}

	/**
	 * POST /api/v1/audit: one batch (1–500 events) under its Idempotency-Key, which the caller
	 * keeps and sends unchanged with every retry of the same batch (Part 1, audit).
	 */
	audit(
		batch: AuditBatch,
		idempotencyKey: string,
		signal?: AbortSignal
	): Promise<BrokerResult<AuditResult>> {
		return this.#call('audit', {
			auth: true,
			body: batch,
			headers: { 'Idempotency-Key': idempotencyKey },
			parse: parseAuditResult,
			expect: [200],
			signal
		});
	}

	#keepToken(reply: BrokerResult<SecondFactorResponse>): BrokerResult<SignInOutcome> {
		if (!reply.ok) return reply;
		const value = reply.value;
		if (value.step !== 'signed-in') return { ok: true, value };
		this.#accessToken = value.accessToken;
		return {
			ok: true,
			value: { step: 'signed-in', expiresAt: value.expiresAt, technician: value.technician }
		};
	}

	async #call<T>(endpoint: BrokerEndpoint, call: Call<T>): Promise<BrokerResult<T>> {
		const token = this.#accessToken;
		if (call.auth && token === null) return fail({ code: 'unauthorized' });
		const url = new URL(this.#base + brokerPath(endpoint, call.params), globalThis.location?.href);
		for (const [name, value] of Object.entries(call.query ?? {})) {
			if (value !== undefined) url.searchParams.set(name, String(value));
		}
		const headers: Record<string, string> = { ...call.headers, Accept: 'application/json' };
		if (call.body !== undefined) headers['Content-Type'] = 'application/json';
		if (call.auth && token !== null) headers.Authorization = `Bearer ${token}`;
		const timeout = AbortSignal.timeout(this.#timeoutMs);
		const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
		const method = BROKER_API_METHODS[endpoint];

		let status: number;
		let text: string;
		try {
			const response = await this.#fetch(url, {
				method,
				headers,
				body: call.body === undefined ? null : JSON.stringify(call.body),
				signal,
				cache: 'no-store',
				credentials: 'omit'
			});
			status = response.status;
			text = await response.text();
		} catch {
			if (call.signal?.aborted) return { ok: false, aborted: true };
			return fail({ code: timeout.aborted ? 'timeout' : 'unreachable' });
		}

		if (call.expect.includes(status)) {
			if (call.parse === null) return { ok: true, value: null as T };
			const parsed = call.parse(parseJson(text));
			if (parsed.ok) return { ok: true, value: parsed.value };
			console.warn(`[benchside] ${endpoint}: unexpected reply (HTTP ${status}): ${parsed.error}`);
			return fail({ code: 'bad-reply', status });
		}
		const envelope = status >= 400 ? parseBrokerError(parseJson(text)) : null;
		if (!envelope?.ok) {
			console.warn(`[benchside] ${endpoint}: unreadable reply (HTTP ${status})`);
			return fail({ code: 'bad-reply', status });
		}
		const { code, message, retryAfter } = envelope.value.error;
		if (code === 'bad-request') console.warn(`[benchside] ${endpoint}: bad-request: ${message}`);
		if (code === 'unauthorized' && call.auth) {
			this.#accessToken = null;
			this.#onUnauthorized?.();
		}
		return fail(retryAfter === undefined ? { code, status } : { code, status, retryAfter });
	}
}

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}
