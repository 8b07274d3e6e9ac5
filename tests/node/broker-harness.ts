/**
 * A console's-eye client for the reference broker in node tests: real fetch through msw/node.
 * Every reply is checked against docs/protocol.md Part 1 as it arrives: success bodies with the
 * console's own validators and the endpoint's success status, failures with parseBrokerError and
 * the status the error table gives their code. The clock is the test's.
 */
import { expect } from 'vitest';
import { base64urlEncode } from '$lib/protocol/base64url';
import {
	BROKER_API_METHODS,
	BROKER_ERROR_STATUS,
	brokerPath,
	deviceProofMessage,
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
	type BrokerEndpoint,
	type BrokerErrorBody,
	type Parsed
} from '$lib/protocol/broker-api';
import { randomBytes } from '$lib/protocol/bytes';
import { generateIdentity, sign, type Identity } from '$lib/protocol/identity';
import { brokerHandlers } from '$mocks/broker/handlers';
import { BrokerModel, DEMO_CREDENTIALS } from '$mocks/broker/model';
import { createNodeMocks } from '$mocks/node';

const PARSERS = {
	health: parseHealth,
	authPassword: parsePasswordResponse,
	authTotp: parseSecondFactorResponse,
	authWebAuthnOptions: parseWebAuthnOptions,
	authWebAuthnVerify: parseSecondFactorResponse,
	authSignOut: (json: unknown): Parsed<null> =>
		json === null ? { ok: true, value: null } : { ok: false, error: '$' },
	passkeyOptions: parsePasskeyOptions,
	passkeys: parsePasskeyRegistered,
	devices: parseDeviceRegistered,
	device: parseDeviceStatus,
	deviceApprove: parseDeviceStatus,
	instruments: parseInstrumentsPage,
	sessions: parseSessionCreated,
	audit: parseAuditResult
} satisfies Record<BrokerEndpoint, (json: unknown) => Parsed<unknown>>;
type Body<E extends BrokerEndpoint> = Extract<
	ReturnType<(typeof PARSERS)[E]>,
	{ ok: true }
>['value'];
const SUCCESS: Partial<Record<BrokerEndpoint, number>> = {
	authSignOut: 204,
	devices: 202,
	passkeys: 201,
	sessions: 201
};

export interface CallOptions {
	params?: Record<string, string>;
	query?: Record<string, string>;
	body?: unknown;
	token?: string;
	headers?: Record<string, string>;
}
export type Outcome<E extends BrokerEndpoint> =
	{ ok: true; body: Body<E> } | { ok: false; error: BrokerErrorBody['error']; headers: Headers };
export type Credential = (typeof DEMO_CREDENTIALS)[keyof typeof DEMO_CREDENTIALS];
export interface Device {
	deviceId: string;
	identity: Identity;
}

export const START = Date.UTC(2025, 2, 14, 9, 0, 0);

export class BrokerHarness {
	readonly server;
	#broker!: BrokerModel;
	#clock = START;

	constructor(readonly base = 'http://broker.test') {
		this.server = createNodeMocks(base).server;
	}

	get broker(): BrokerModel {
		return this.#broker;
	}

	/** A fresh demo broker on a clock back at START. */
	reset = (options: { fleetSize?: number } = {}) => {
		this.#clock = START;
		this.#broker = new BrokerModel({ ...options, now: () => this.#clock });
		this.server.resetHandlers(...brokerHandlers(this.#broker, this.base));
	};

	advance = (ms: number) => {
		this.#clock += ms;
	};

	now = () => this.#clock;

	call = async <E extends BrokerEndpoint>(
		endpoint: E,
		o: CallOptions = {}
	): Promise<Outcome<E>> => {
		const url = new URL(this.base + brokerPath(endpoint, o.params));
		for (const [k, v] of Object.entries(o.query ?? {})) url.searchParams.set(k, v);
		const headers = new Headers(o.headers);
		if (o.token !== undefined) headers.set('Authorization', `Bearer ${o.token}`);
		if (o.body !== undefined) headers.set('Content-Type', 'application/json');
		const body = o.body === undefined ? null : JSON.stringify(o.body);
		const res = await fetch(url, { method: BROKER_API_METHODS[endpoint], headers, body });
		expect(res.headers.get('Cache-Control')).toBe('no-store');
		const text = await res.text();
		const json: unknown = text === '' ? null : JSON.parse(text);
		if (res.ok) {
			expect(res.status, endpoint).toBe(SUCCESS[endpoint] ?? 200);
			const parsed = PARSERS[endpoint](json) as Parsed<Body<E>>;
			if (!parsed.ok) expect.fail(`${endpoint} reply fails its validator at ${parsed.error}`);
			return { ok: true, body: parsed.value };
		}
		const parsed = parseBrokerError(json);
		if (!parsed.ok) expect.fail(`${endpoint} error fails parseBrokerError at ${parsed.error}`);
		expect(res.status).toBe(BROKER_ERROR_STATUS[parsed.value.error.code]);
		return { ok: false, error: parsed.value.error, headers: res.headers };
	};

	succeed = async <E extends BrokerEndpoint>(endpoint: E, o?: CallOptions): Promise<Body<E>> => {
		const r = await this.call(endpoint, o);
		return r.ok ? r.body : expect.fail(`${endpoint} refused: ${r.error.code} (${r.error.message})`);
	};

	/** The error code of a call that must fail. */
	refuse = async (endpoint: BrokerEndpoint, o?: CallOptions): Promise<string> => {
		const r = await this.call(endpoint, o);
		return r.ok ? expect.fail(`${endpoint} unexpectedly succeeded`) : r.error.code;
	};

	login = (c: Credential, deviceId?: string) => ({
		body: { email: c.email, password: c.password, ...(deviceId ? { deviceId } : {}) }
	});

	/** The next 30-second step's code, as the technician's authenticator app would show it. */
	nextCode = (c: Credential): string => {
		this.#clock += 30_000;
		return this.#broker.currentTotp(c.email)!;
	};

	/** Password, TOTP, then a new device key registered (twice: a retry gets the same reply). */
	register = async (c: Credential): Promise<Device> => {
		const { challengeId } = await this.succeed('authPassword', this.login(c));
		const code = this.nextCode(c);
		const second = await this.succeed('authTotp', { body: { challengeId, code } });
		expect(second).toMatchObject({ step: 'device-registration-required', challengeId });
		const identity = await generateIdentity();
		const deviceId = base64urlEncode(randomBytes(16));
		const publicKey = base64urlEncode(identity.publicKey);
		const request = { challengeId, deviceId, publicKey, label: 'Service laptop', userAgent: 'UA' };
		const pending = { status: 'pending-approval', deviceId };
		expect(await this.succeed('devices', { body: request })).toEqual(pending);
		expect(await this.succeed('devices', { body: request })).toEqual(pending);
		return { deviceId, identity };
	};

	/** Plays the approval e-mail's link, as the dev panel does. */
	approve = async ({ deviceId }: Device): Promise<void> => {
		const mail = this.#broker.pendingApprovals().find((a) => a.deviceId === deviceId);
		const body = { approvalToken: mail!.approvalToken };
		const reply = await this.succeed('deviceApprove', { params: { deviceId }, body });
		expect(reply).toEqual({ deviceId, status: 'approved' });
	};

	/** Signs in from a registered device; `signer` other than the device's key is an impostor. */
	signIn = async (c: Credential, device: Device, signer = device.identity): Promise<string> => {
		const pw = await this.succeed('authPassword', this.login(c, device.deviceId));
		const proof = deviceProofMessage(pw.challengeId, pw.deviceChallenge!);
		const deviceSignature = base64urlEncode(await sign(signer.privateKey, proof));
		const body = { challengeId: pw.challengeId, code: this.nextCode(c), deviceSignature };
		const done = await this.succeed('authTotp', { body });
		return done.step === 'signed-in' ? done.accessToken : expect.fail(done.step);
	};

	/** A signed-in technician with an approved device. */
	technician = async (c: Credential): Promise<{ token: string; device: Device }> => {
		const device = await this.register(c);
		await this.approve(device);
		return { token: await this.signIn(c, device), device };
	};

	/** Agents enrol their keys; `skip` never does, so its instrument stays unlisted. */
	enrolAgents = async (skip = 'ins-6120') => {
		for (const { id } of this.#broker.instruments()) {
			if (id === skip) continue;
			const { publicKey } = await generateIdentity();
			this.#broker.registerAgent(id, { publicKey, keyId: `agk-${id}` });
		}
	};
}
