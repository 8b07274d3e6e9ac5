/**
 * Connecting to an instrument: POST /api/v1/sessions, then the live session's handshake
 * (`openSession` in $lib/session/client, loaded on first use). Progress and every failure are
 * state for the connect page; failures stay codes so they are translated when shown.
 */
import type { AuthState } from '$lib/auth/auth.svelte';
import { Countdown } from '$lib/auth/countdown.svelte';
import { isoNow } from '$lib/auth/device-store';
import type { BrokerClient, BrokerFailure } from '$lib/broker/client';
import type { FleetState } from '$lib/fleet/fleet.svelte';
import { base64urlDecode } from '$lib/protocol/base64url';
import type { Instrument, SessionCreated } from '$lib/protocol/broker-api';
import { fingerprint } from '$lib/protocol/identity';
import type {
	AcceptedAgentKey,
	OpenSessionRequest,
	OpenSessionResult,
	RefusedConnection,
	SessionFailure,
	SessionInfo
} from '$lib/session/types';
import {
	checkAgentKey,
	indexedDbKnownKeyStore,
	type KnownAgentKey,
	type KnownKeyStore
} from './known-keys';
import { readOneTimePassword } from './otp';

export type OpenSession = (req: OpenSessionRequest) => Promise<OpenSessionResult>;
export type RecordRefusal = (refused: RefusedConnection) => Promise<void>;

export type ConnectPhase = 'idle' | 'creating-session' | 'handshake' | 'connected' | 'failed';

export type ConnectFailure =
	| { kind: 'broker'; failure: BrokerFailure }
	| { kind: 'session'; failure: SessionFailure }
	| { kind: 'unknown-instrument' }
	| { kind: 'password-format' }
	| { kind: 'no-device' }
	/** The broker shows another key than the one we connected to, as an announced rotation. */
	| { kind: 'key-rotated'; change: KeyChange; rotatedAt: string }
	/** Another key with no rotation naming ours: possible substitution by the broker. */
	| { kind: 'key-substituted'; change: KeyChange };

/** Both keys of a change, with the fingerprints people compare by phone. */
export interface KeyChange {
	instrument: Instrument;
	known: KnownAgentKey;
	knownFingerprint: string;
	shownFingerprint: string;
}

export interface ConnectedSession {
	sessionId: string;
	instrument: Instrument;
	info: SessionInfo;
}

export interface ConnectOptions {
	broker: BrokerClient;
	auth: AuthState;
	fleet: FleetState;
	/** Default: `openSession` from $lib/session/client. */
	openSession?: OpenSession;
	/** Default: IndexedDB (known-keys.ts). */
	knownKeys?: KnownKeyStore;
	/** Default: `recordRefusal` from $lib/session/client (session history). */
	recordRefusal?: RecordRefusal;
}

const defaultOpenSession: OpenSession = async (req) =>
	(await import('$lib/session/client')).openSession(req);
const defaultRecordRefusal: RecordRefusal = async (refused) =>
	(await import('$lib/session/client')).recordRefusal(refused);

export class ConnectState {
	readonly #broker: BrokerClient;
	readonly #auth: AuthState;
	readonly #fleet: FleetState;
	readonly #openSession: OpenSession;
	readonly #recordRefusal: RecordRefusal;
	readonly knownKeys: KnownKeyStore;
	/**
	 * A rotation the technician acknowledged: that exact key may be pinned once, and the
	 * connection that pins it records the approval (`audit`) in its session history.
	 */
	#accepted: { instrumentId: string; agentKey: string; audit: AcceptedAgentKey } | null = null;
	/**
	 * The session created before a rotation warning stopped us: the broker holds the agent for
	 * it until it expires, so the acknowledged attempt continues with it instead of a new one.
	 */
	#held: SessionCreated | null = null;
	/** The agent's wait before the next password attempt (retry-later, key-confirmation). */
	readonly wait = new Countdown();
	#phase = $state.raw<ConnectPhase>('idle');
	#failure = $state.raw<ConnectFailure | null>(null);
	#instrument = $state.raw<Instrument | null>(null);
	#session = $state.raw<ConnectedSession | null>(null);

	constructor(options: ConnectOptions) {
		this.#broker = options.broker;
		this.#auth = options.auth;
		this.#fleet = options.fleet;
		this.#openSession = options.openSession ?? defaultOpenSession;
		this.#recordRefusal = options.recordRefusal ?? defaultRecordRefusal;
		this.knownKeys = options.knownKeys ?? indexedDbKnownKeyStore();
	}

	get phase(): ConnectPhase {
		return this.#phase;
	}
	get failure(): ConnectFailure | null {
		return this.#failure;
	}
	get busy(): boolean {
		return this.#phase === 'creating-session' || this.#phase === 'handshake';
	}
	/** The instrument of the current or last attempt. */
	get instrument(): Instrument | null {
		return this.#instrument;
	}
	/** The session that connected last (the session page reads it). */
	get session(): ConnectedSession | null {
		return this.#session;
	}
	/** An identity mismatch or a substituted key ends this instrument for now: no retry button. */
	get blocked(): boolean {
		const f = this.#failure;
		return (
			(f?.kind === 'session' && f.failure.code === 'agent-key-mismatch') ||
			f?.kind === 'key-substituted'
		);
	}

	/**
	 * The technician confirmed a rotated key (with the site, by its fingerprint): recorded in
	 * IndexedDB, and that key is accepted for the next attempt. Only for an announced rotation.
	 */
	async acknowledgeRotation(): Promise<boolean> {
		const f = this.#failure;
		const technician = this.#auth.technician;
		if (f?.kind !== 'key-rotated' || !technician || this.busy) return false;
		const { instrument, known } = f.change;
		await this.knownKeys.acknowledge({
			instrumentId: instrument.id,
			technicianId: technician.id,
			at: isoNow(),
			from: { agentKeyId: known.agentKeyId, agentKey: known.agentKey },
			to: { agentKeyId: instrument.agentKeyId, agentKey: instrument.agentKey },
			rotatedAt: f.rotatedAt
		});
		this.#accepted = {
			instrumentId: instrument.id,
			agentKey: instrument.agentKey,
			audit: {
				from: { agentKeyId: known.agentKeyId, fingerprint: f.change.knownFingerprint },
				to: { agentKeyId: instrument.agentKeyId, fingerprint: f.change.shownFingerprint },
				rotatedAt: f.rotatedAt
			}
		};
		this.#failure = null;
		this.#phase = 'idle';
		return true;
	}

	/** Clears the last failure (another instrument was chosen). */
	reset(): void {
		if (this.busy) return;
		this.#phase = 'idle';
		this.#failure = null;
		this.#accepted = null;
		this.#held = null;
		this.wait.stop();
	}

	/** Returns the session id once connected, or null with `failure` set. */
	async connect(instrumentRef: string, typedPassword: string): Promise<string | null> {
		if (this.busy || this.wait.active) return null;
		const technician = this.#auth.technician;
		const ref = instrumentRef.trim();
		const known = this.#fleet.find(ref);
		if (!known && !/^[A-Za-z0-9._~:-]{1,64}$/.test(ref)) {
			return this.#fail({ kind: 'unknown-instrument' });
		}
		if (readOneTimePassword(typedPassword) === null) return this.#fail({ kind: 'password-format' });
		const device = this.#auth.device ?? (await this.#auth.devices.load());
		if (!technician || !device) return this.#fail({ kind: 'no-device' });

		this.#failure = null;
		this.#instrument = known ?? null;
		this.#phase = 'creating-session';
		const held = this.#held;
		this.#held = null;
		const reuse =
			held?.instrument.id === (known?.id ?? ref) && Date.parse(held.expiresAt) > Date.now() + 5000;
		const created = reuse
			? { ok: true as const, value: held }
			: await this.#broker.createSession({ instrumentId: known?.id ?? ref });
		if (!created.ok) {
			if (!created.failure) return this.#fail(null);
			const code = created.failure.code;
			if (code === 'instrument-offline' || code === 'not-whitelisted') void this.#fleet.refresh();
			// A request the broker refused (or never answered) is a connection request too: kept
			// in history under a local id, since the broker made no session of it.
			await this.#refused({
				sessionIdText: `local-${crypto.randomUUID()}`,
				instrumentId: known?.id ?? ref,
				technicianId: technician.id,
				record: known
					? sessionRecord(known, technician.name)
					: { serial: '', site: '', technicianName: technician.name },
				refusal: { by: 'broker', code, status: created.failure.status ?? null }
			});
			return this.#fail({ kind: 'broker', failure: created.failure });
		}
		const { sessionId, relayUrl, instrument } = created.value;
		this.#instrument = instrument;
		this.#fleet.update(instrument);
		const pinnedAgentKey = base64urlDecode(instrument.agentKey);
		const accessToken = this.#broker.accessTokenForRelay();
		if (!pinnedAgentKey || !accessToken) {
			return this.#fail({ kind: 'broker', failure: { code: 'bad-reply', status: 201 } });
		}
		// Before a byte goes to the agent: is this the key we connected to last time?
		const stop = await this.#checkKey(instrument, pinnedAgentKey);
		if (stop) {
			if (stop.kind === 'key-rotated') this.#held = created.value;
			// A substituted key is what an audit looks for: the refusal goes into session
			// history (and from there to the broker's audit trail) before it is shown.
			if (stop.kind === 'key-substituted') {
				await this.#refused({
					sessionIdText: sessionId,
					instrumentId: instrument.id,
					technicianId: technician.id,
					record: sessionRecord(instrument, technician.name),
					refusal: {
						by: 'console',
						code: 'agent-key-substituted',
						message: keyChangeText(stop.change)
					}
				});
			}
			return this.#fail(stop);
		}

		this.#phase = 'handshake';
		const keyAccepted = this.#acceptedRotation(instrument);
		let result: OpenSessionResult;
		try {
			result = await this.#openSession({
				relayUrl,
				sessionIdText: sessionId,
				accessToken,
				instrumentId: instrument.id,
				technicianId: technician.id,
				password: typedPassword,
				device: { publicKey: device.publicKey, privateKey: device.privateKey },
				pinnedAgentKey,
				record: {
					...sessionRecord(instrument, technician.name),
					...(keyAccepted ? { keyAccepted } : {})
				}
			});
		} catch (error) {
			// The session module promises values, not exceptions; one that throws is a bug.
			console.error('[benchside] openSession threw', error);
			result = { ok: false, failure: { code: 'socket-closed', message: String(error) } };
		}
		if (!result.ok) {
			if (result.failure.retryAfterMs) this.wait.start(result.failure.retryAfterMs / 1000);
			return this.#fail({ kind: 'session', failure: result.failure });
		}
		this.#session = { sessionId, instrument, info: result.info };
		this.#phase = 'connected';
		this.#accepted = null;
		await this.knownKeys
			.remember({
				instrumentId: instrument.id,
				agentKeyId: instrument.agentKeyId,
				agentKey: instrument.agentKey,
				connectedAt: isoNow()
			})
			.catch((e) => console.warn('[benchside] could not remember the agent key', e));
		return sessionId;
	}

	/** The rotation the technician acknowledged, if it is to this instrument's record's key. */
	#acceptedRotation(instrument: Instrument): AcceptedAgentKey | undefined {
		const accepted = this.#accepted;
		return accepted?.instrumentId === instrument.id && accepted.agentKey === instrument.agentKey
			? accepted.audit
			: undefined;
	}

	async #checkKey(instrument: Instrument, key: Uint8Array): Promise<ConnectFailure | null> {
		const known = await this.knownKeys.get(instrument.id).catch(() => null);
		const check = checkAgentKey(known, instrument);
		if (check.kind === 'first-use' || check.kind === 'same') return null;
		if (check.kind === 'rotated' && this.#acceptedRotation(instrument)) return null;
		const knownBytes = base64urlDecode(check.known.agentKey);
		const change: KeyChange = {
			instrument,
			known: check.known,
			knownFingerprint: knownBytes ? await fingerprint(knownBytes) : '',
			shownFingerprint: await fingerprint(key)
		};
		return check.kind === 'rotated'
			? { kind: 'key-rotated', change, rotatedAt: check.rotatedAt }
			: { kind: 'key-substituted', change };
	}

	/** Records a refused connection; a failure to record it never stops what the page shows. */
	async #refused(refused: RefusedConnection): Promise<void> {
		await this.#recordRefusal(refused).catch((e) =>
			console.warn('[benchside] could not record the refusal', e)
		);
	}

	#fail(failure: ConnectFailure | null): null {
		this.#failure = failure;
		this.#phase = failure ? 'failed' : 'idle';
		return null;
	}
}

/** What session history keeps of the instrument and technician (names a reviewer reads). */
function sessionRecord(
	instrument: Instrument,
	technicianName: string
): NonNullable<OpenSessionRequest['record']> {
	return {
		serial: instrument.serial,
		site: instrument.site.name,
		instrumentName: instrument.name,
		model: instrument.model,
		technicianName
	};
}

/** The two keys of a change as an audit reads them: ids and fingerprints, nothing secret. */
function keyChangeText(change: KeyChange): string {
	return (
		`known key ${change.known.agentKeyId} (${change.knownFingerprint}), ` +
		`the broker showed ${change.instrument.agentKeyId} (${change.shownFingerprint})`
	);
}
