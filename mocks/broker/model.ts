/**
 * The reference broker: plain state, no MSW. It implements every endpoint of docs/protocol.md
 * Part 1 as a method that takes plain inputs (the parsed JSON body, the Bearer token, path and
 * query values) and returns `{ ok, status, body }`. MSW handlers (mocks/broker/handlers.ts) and a
 * local reference server are thin adapters over it; the mock world (agents, dev panel) drives it
 * through the methods at the end.
 */
import {
	BROKER_PROTOCOL_VERSION,
	type AuditResult,
	type DeviceRegisteredResponse,
	type DeviceStatusResponse,
	type HealthResponse,
	type InstrumentsPage,
	type PasskeyOptionsResponse,
	type PasskeyRegistered,
	type PasswordResponse,
	type SecondFactorResponse,
	type SessionCreated,
	type Technician,
	type WebAuthnOptionsResponse
} from '../../src/lib/protocol/broker-api';
import { toHex } from '../../src/lib/protocol/bytes';
import { DEMO_CREDENTIALS, RateLimiter } from './accounts';
import { AuditStore, type StoredAuditEvent } from './audit';
import { SignIn, type SignInContext } from './auth';
import { DeviceRegistry, hashToken, type PendingApproval } from './devices';
import { BrokerFaults } from './faults';
import { DEMO_FLEET, demoWhitelist, generateFleet, type InstrumentFixture } from './fleet';
import { InstrumentDirectory, type AgentKey, type InstrumentsQuery } from './instruments';
import { fail, ok, type BrokerReply, type Clock } from './replies';
import { SessionDesk, type SessionListener, type SessionRecord } from './sessions';
import { defaultRelyingParty, type RelyingParty } from './webauthn';

export { DEMO_CREDENTIALS } from './accounts';
export type { BrokerFailure, BrokerReply, BrokerSuccess, Clock } from './replies';
export type { AgentKey, InstrumentsQuery } from './instruments';
export type { PendingApproval } from './devices';
export type { SessionCreatedEvent, SessionRecord } from './sessions';
export type { StoredAuditEvent } from './audit';
export type { SignInContext } from './auth';
export type { RelyingParty } from './webauthn';

export interface BrokerModelOptions {
	/** Reported by /health; default `benchside-mock-broker`. */
	name?: string;
	/** Milliseconds since the epoch; default `Date.now`. */
	now?: Clock;
	/** `wss://host[:port][/prefix]` before `/relay/v1/{sessionId}`; default `wss://relay.benchside.test`. */
	relayBase?: string;
	/** The demo fleet, padded with generated instruments to this many (performance work). */
	fleetSize?: number;
	/** WebAuthn's relying party; default: the page the mocks run in (else localhost). */
	relyingParty?: RelyingParty;
}

/** Per-token limits, Part 1 "Security notes"; generous enough that a console never meets them. */
const SESSIONS_PER_MINUTE = 20;
const AUDIT_BATCHES_PER_MINUTE = 60;

/** One session request as the broker keeps it: who asked for which instrument, and the answer. */
export type SessionRequestRecord = {
	at: string;
	technicianId: string;
	/** As asked (up to 64 characters), or null when the request named none. */
	instrumentId: string | null;
} & ({ sessionId: string } | { refused: string });

export class BrokerModel {
	readonly name: string;
	readonly now: Clock;
	readonly relayBase: string;
	/** Hostile answers on request; handlers.ts applies them. */
	readonly faults = new BrokerFaults();
	readonly #devices: DeviceRegistry;
	readonly #signIn: SignIn;
	readonly #instruments: InstrumentDirectory;
	readonly #sessions: SessionDesk;
	readonly #audit: AuditStore;
	/** The broker's own record of every session request, created or refused (docs/protocol.md). */
	readonly #requests: SessionRequestRecord[] = [];
	readonly #sessionLimit: RateLimiter;
	readonly #auditLimit: RateLimiter;

	constructor(options: string | BrokerModelOptions = {}) {
		const o = typeof options === 'string' ? { name: options } : options;
		this.name = o.name ?? 'benchside-mock-broker';
		this.now = o.now ?? (() => Date.now());
		this.relayBase = o.relayBase ?? 'wss://relay.benchside.test';
		this.#devices = new DeviceRegistry(this.now);
		this.#signIn = new SignIn(this.#devices, this.now, o.relyingParty ?? defaultRelyingParty());
		for (const credential of Object.values(DEMO_CREDENTIALS)) this.#signIn.addAccount(credential);
		const fleet = o.fleetSize === undefined ? DEMO_FLEET : generateFleet(o.fleetSize);
		this.#instruments = new InstrumentDirectory(fleet, this.now);
		for (const [technicianId, ids] of demoWhitelist(fleet)) {
			this.#instruments.setWhitelist(technicianId, ids);
		}
		this.#sessions = new SessionDesk(this.#instruments, this.now, this.relayBase);
		this.#audit = new AuditStore(this.now, (id) => this.#sessions.get(id)?.technicianId);
		this.#sessionLimit = new RateLimiter(SESSIONS_PER_MINUTE, 60_000, this.now);
		this.#auditLimit = new RateLimiter(AUDIT_BATCHES_PER_MINUTE, 60_000, this.now);
	}

	// ------------------------------------------------------------ the API, endpoint by endpoint

	health(): HealthResponse {
		return { status: 'ok', protocol: BROKER_PROTOCOL_VERSION, broker: this.name };
	}

	signInPassword(body: unknown, ctx?: SignInContext): Promise<BrokerReply<PasswordResponse>> {
		return this.#signIn.password(body, ctx);
	}

	signInTotp(body: unknown): Promise<BrokerReply<SecondFactorResponse>> {
		return this.#signIn.totp(body);
	}

	/** WebAuthn is offered to accounts with a passkey; for the others this is not-found. */
	webauthnOptions(body: unknown): BrokerReply<WebAuthnOptionsResponse> {
		return this.#signIn.webauthnOptions(body);
	}

	webauthnVerify(body: unknown): Promise<BrokerReply<SecondFactorResponse>> {
		return this.#signIn.webauthnVerify(body);
	}

	passkeyOptions(token: string | null): BrokerReply<PasskeyOptionsResponse> {
		const auth = this.#authenticate(token);
		return auth.ok ? this.#signIn.passkeyOptions(auth.body) : auth;
	}

	async registerPasskey(
		token: string | null,
		body: unknown
	): Promise<BrokerReply<PasskeyRegistered>> {
		const auth = this.#authenticate(token);
		return auth.ok ? this.#signIn.registerPasskey(auth.body, body) : auth;
	}

	signOut(token: string | null): BrokerReply<null> {
		return this.#signIn.signOut(token);
	}

	registerDevice(body: unknown): Promise<BrokerReply<DeviceRegisteredResponse>> {
		return this.#signIn.registerDevice(body);
	}

	deviceStatus(deviceId: string): BrokerReply<DeviceStatusResponse> {
		return this.#devices.status(deviceId);
	}

	approveDevice(deviceId: string, body: unknown): BrokerReply<DeviceStatusResponse> {
		return this.#devices.approve(deviceId, body);
	}

	listInstruments(
		token: string | null,
		query: InstrumentsQuery = {}
	): BrokerReply<InstrumentsPage> {
		const auth = this.#authenticate(token);
		return auth.ok ? this.#instruments.page(auth.body.id, query) : auth;
	}

	createSession(token: string | null, body: unknown): BrokerReply<SessionCreated> {
		const auth = this.#authenticate(token, this.#sessionLimit);
		if (!auth.ok) return auth;
		const reply = this.#sessions.create(auth.body, body);
		const asked = (body as { instrumentId?: unknown } | null)?.instrumentId;
		this.#requests.push({
			at: new Date(this.now()).toISOString(),
			technicianId: auth.body.id,
			instrumentId: typeof asked === 'string' ? asked.slice(0, 64) : null,
			...(reply.ok ? { sessionId: reply.body.sessionId } : { refused: reply.body.error.code })
		});
		return reply;
	}

	audit(
		token: string | null,
		body: unknown,
		idempotencyKey: string | null | undefined
	): BrokerReply<AuditResult> {
		const auth = this.#authenticate(token, this.#auditLimit);
		return auth.ok ? this.#audit.submit(auth.body, body, idempotencyKey) : auth;
	}

	// ------------------------------------------------------------ the mock world and the dev panel

	/** The approval e-mails not yet clicked: the dev panel "plays the link" with approveDevice. */
	pendingApprovals(): PendingApproval[] {
		return this.#devices.pendingApprovals();
	}

	/** The administration revokes (or declines) a device. */
	revokeDevice(deviceId: string): boolean {
		return this.#devices.revoke(deviceId);
	}

	/** The code an authenticator app shows now (or at `at`), or null for an unknown e-mail. */
	currentTotp(email: string, at = this.now()): string | null {
		return this.#signIn.account(email)?.totp.code(at) ?? null;
	}

	/** Every instrument as the site registered it, in the broker's order. */
	instruments(): InstrumentFixture[] {
		return this.#instruments.fixtures();
	}

	/** The agent enrols its identity key; until then the instrument is neither listed nor reachable. */
	registerAgent(instrumentId: string, key: AgentKey): void {
		this.#instruments.registerAgent(instrumentId, key);
	}

	/** The agent rotated its key: the record now names the key it replaces, and when. */
	rotateAgentKey(instrumentId: string, key: AgentKey): void {
		this.#instruments.rotateAgent(instrumentId, key);
	}

	setOnline(instrumentId: string, online: boolean): void {
		this.#instruments.setOnline(instrumentId, online);
	}

	setWhitelist(technicianId: string, instrumentIds: Iterable<string>): void {
		this.#instruments.setWhitelist(technicianId, instrumentIds);
	}

	/** The agent's question in its handshake: may this technician's device reach this instrument? */
	isDeviceAllowed(instrumentId: string, technicianId: string, deviceKey: Uint8Array): boolean {
		return (
			this.#instruments.isWhitelisted(technicianId, instrumentId) &&
			this.#devices.isApprovedKey(technicianId, deviceKey)
		);
	}

	/** Called for every session created; returns the unsubscribe function. */
	onSessionCreated(listener: SessionListener): () => void {
		return this.#sessions.onCreated(listener);
	}

	session(sessionId: string): SessionRecord | undefined {
		return this.#sessions.get(sessionId);
	}

	/** The relay saw the console connect: the session holds the agent until endSession. */
	sessionConnected(sessionId: string): boolean {
		return this.#sessions.connected(sessionId);
	}

	endSession(sessionId: string): boolean {
		return this.#sessions.end(sessionId);
	}

	/** A relay socket closed abnormally: the console may open the relay again for a while. */
	suspendSession(sessionId: string): boolean {
		return this.#sessions.suspend(sessionId);
	}

	/** For the relay: whose token this is, or null when missing, unknown, expired or signed out. */
	technicianForToken(token: string | null | undefined): Technician | null {
		return this.#signIn.authenticate(token);
	}

	auditLog(): readonly StoredAuditEvent[] {
		return this.#audit.log();
	}

	/** Every session request a signed-in technician made, created or refused, oldest first. */
	sessionRequests(): readonly SessionRequestRecord[] {
		return this.#requests;
	}

	/** The Bearer token's technician, counted against `limit` (per token) when one is given. */
	#authenticate(token: string | null, limit?: RateLimiter): BrokerReply<Technician> {
		const technician = this.#signIn.authenticate(token);
		if (!technician || token === null) return fail('unauthorized', 'missing or expired token');
		if (limit) {
			const key = toHex(hashToken(token));
			const wait = limit.retryAfter(key);
			if (wait !== null) return fail('rate-limited', 'too many requests for this token', wait);
			limit.hit(key);
		}
		return ok(technician);
	}
}
