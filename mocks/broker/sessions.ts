/**
 * POST /api/v1/sessions: a session id, the relay URL naming it, and a hook so the mock agent
 * expects that session on its own link (Part 1: "The broker tells the agent about the session").
 * A session holds its agent until it ends, or until its expiresAt if no console connected.
 */
import { base64urlEncode } from '../../src/lib/protocol/base64url';
import {
	RELAY_PATH,
	type SessionCreated,
	type Technician
} from '../../src/lib/protocol/broker-api';
import { randomBytes } from '../../src/lib/protocol/bytes';
import type { InstrumentDirectory } from './instruments';
import { fail, iso, ok, type BrokerReply, type Clock } from './replies';
import { parseSessionRequest } from './requests';

/** Part 1 recommends 60 s to open the relay. */
const CONNECT_WINDOW = 60_000;
/** Part 1, "Relay": after an abnormal close, the relay may be opened again for this long. */
export const RESUME_WINDOW = 60_000;

export interface SessionCreatedEvent {
	sessionId: Uint8Array;
	sessionIdText: string;
	instrumentId: string;
	technicianId: string;
}
export type SessionListener = (event: SessionCreatedEvent) => void;

export interface SessionRecord {
	sessionId: string;
	instrumentId: string;
	technicianId: string;
	createdAt: number;
	expiresAt: number;
	state: 'waiting' | 'connected' | 'ended';
}

export class SessionDesk {
	readonly #sessions = new Map<string, SessionRecord>();
	readonly #listeners = new Set<SessionListener>();

	constructor(
		readonly instruments: InstrumentDirectory,
		readonly now: Clock,
		readonly relayBase: string
	) {}

	create(technician: Technician, body: unknown): BrokerReply<SessionCreated> {
		const req = parseSessionRequest(body);
		if (!req) return fail('bad-request', 'expected { instrumentId }');
		const { instrumentId } = req;
		// Unknown and not-whitelisted answer alike, so instrument ids cannot be probed.
		if (!this.instruments.isWhitelisted(technician.id, instrumentId)) {
			return fail('not-whitelisted', 'instrument not on this technician’s whitelist');
		}
		const instrument = this.instruments.record(instrumentId);
		if (!instrument?.online) return fail('instrument-offline', 'the agent is not connected');
		if (this.#holder(instrumentId)) return fail('agent-busy', 'another session holds the agent');
		const id = randomBytes(16);
		const sessionId = base64urlEncode(id);
		const now = this.now();
		const record: SessionRecord = {
			sessionId,
			instrumentId,
			technicianId: technician.id,
			createdAt: now,
			expiresAt: now + CONNECT_WINDOW,
			state: 'waiting'
		};
		this.#sessions.set(sessionId, record);
		const event = {
			sessionId: id,
			sessionIdText: sessionId,
			instrumentId,
			technicianId: technician.id
		};
		for (const listener of this.#listeners) listener(event);
		return ok(
			{
				sessionId,
				relayUrl: this.relayBase + RELAY_PATH.replace('{sessionId}', sessionId),
				expiresAt: iso(record.expiresAt),
				instrument
			},
			201
		);
	}

	onCreated(listener: SessionListener): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	get(sessionId: string): SessionRecord | undefined {
		return this.#sessions.get(sessionId);
	}

	/** The relay saw the console arrive: the session holds the agent until it ends. */
	connected(sessionId: string): boolean {
		const s = this.#sessions.get(sessionId);
		if (!s || s.state !== 'waiting' || this.now() > s.expiresAt) return false;
		s.state = 'connected';
		return true;
	}

	suspend(sessionId: string): boolean {
		const s = this.#sessions.get(sessionId);
		if (!s || s.state !== 'connected') return false;
		s.state = 'waiting';
		s.expiresAt = this.now() + RESUME_WINDOW;
		return true;
	}

	end(sessionId: string): boolean {
		const s = this.#sessions.get(sessionId);
		if (!s || s.state === 'ended') return false;
		s.state = 'ended';
		return true;
	}

	#holder(instrumentId: string): SessionRecord | undefined {
		const now = this.now();
		for (const s of this.#sessions.values()) {
			if (s.instrumentId !== instrumentId) continue;
			if (s.state === 'connected' || (s.state === 'waiting' && now <= s.expiresAt)) return s;
		}
		return undefined;
	}
}
