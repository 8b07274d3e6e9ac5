/**
 * The reference instrument agent: one per instrument PC. It holds the agent's identity key, the
 * one-time password (new for every session, replaced after repeated failures), the brute-force
 * guard shared by all connections, the simulated customer and screen. No MSW in here: the relay
 * adapters (mocks/relay.ts) hand it sockets.
 */
import { randomBytes, toHex } from '../../src/lib/protocol/bytes';
import { generateIdentity, type Identity } from '../../src/lib/protocol/identity';
import { newOneTimePassword, PasswordGuard } from '../../src/lib/protocol/guard';
import type { Capability } from '../../src/lib/protocol/messages';
import type { AgentTicket, TicketLookup } from '../../src/lib/protocol/resume';
import { AgentConnection } from './connection';
import type { AgentContext, AgentLogEntry } from './context';
import { SimulatedCustomer } from './customer';
import { AgentFiles } from './files';
import type { AgentScenario, AgentTransport } from './scenarios';
import type { ScreenSource } from './screen/types';

export interface AgentSpec {
	instrumentId: string;
	name: string;
	phi: boolean;
	capabilities: readonly Capability[];
	agentVersion?: string;
	screen: ScreenSource;
	/** The broker's whitelist check for this instrument. */
	isDeviceAllowed: (technicianId: string, deviceKey: Uint8Array) => boolean;
	now?: () => number;
	/** Fixed password instead of random ones (tests). */
	password?: string;
}

/** How long after a drop a console may resume (docs/protocol.md, "Resumption"). */
export const RESUME_LIFETIME_MS = 30_000;

interface StoredTicket extends AgentTicket {
	sessionHex: string;
	/** The connection that received it: still open, or ended at `endedAt`. */
	connection: AgentConnection;
}

export interface ChatLine {
	from: 'technician' | 'customer';
	text: string;
	at: number;
}

export class InstrumentAgent implements AgentContext {
	readonly instrumentId: string;
	readonly name: string;
	readonly agentVersion: string;
	readonly phi: boolean;
	readonly capabilities: readonly Capability[];
	#identity: Identity & { keyId: string };
	readonly guard: PasswordGuard;
	readonly customer = new SimulatedCustomer();
	readonly files: AgentFiles;
	readonly screen: ScreenSource;
	readonly #spec: AgentSpec;
	#password: string;
	#sessions = new Set<string>();
	#scenario: AgentScenario = 'none';
	readonly logEntries: AgentLogEntry[] = [];
	readonly chat: ChatLine[] = [];
	clipboardText = '';
	/** Resumption allowed (tests and the dev panel may forbid it). */
	allowResume = true;
	resumeLifetimeMs = RESUME_LIFETIME_MS;
	readonly #tickets = new Map<string, StoredTicket>();
	connection: AgentConnection | null = null;
	readonly #listeners = new Set<() => void>();

	private constructor(spec: AgentSpec, identity: Identity & { keyId: string }) {
		this.#spec = spec;
		this.instrumentId = spec.instrumentId;
		this.name = spec.name;
		this.agentVersion = spec.agentVersion ?? '1.4.2';
		this.phi = spec.phi;
		this.capabilities = spec.capabilities;
		this.#identity = identity;
		this.screen = spec.screen;
		this.files = new AgentFiles(spec.name);
		this.#password = spec.password ?? newOneTimePassword();
		this.guard = new PasswordGuard({
			now: () => this.now(),
			onRotate: () => {
				this.#password = this.#spec.password ?? newOneTimePassword();
				this.log({ type: 'password-replaced', detail: 'after repeated failures' });
			}
		});
		this.customer.subscribe(() => this.#changed());
	}

	static async create(spec: AgentSpec): Promise<InstrumentAgent> {
		return new InstrumentAgent(spec, await InstrumentAgent.#newIdentity(spec.instrumentId));
	}

	static async #newIdentity(instrumentId: string): Promise<Identity & { keyId: string }> {
		const key = await generateIdentity();
		return { ...key, keyId: `${instrumentId}-${toHex(key.publicKey.subarray(1, 5))}` };
	}

	/** The identity key the agent proves in its handshake (and signs consent answers with). */
	get identity(): Identity & { keyId: string } {
		return this.#identity;
	}

	/**
	 * A planned key rotation on the instrument PC: a new key under a new keyId. The broker must
	 * then publish it as a rotation (BrokerModel.rotateAgentKey); sessions already open keep going.
	 */
	async rotateKey(): Promise<Identity & { keyId: string }> {
		const previous = this.#identity.keyId;
		this.#identity = await InstrumentAgent.#newIdentity(this.instrumentId);
		this.log({ type: 'key-rotated', detail: `${previous} → ${this.#identity.keyId}` });
		return this.#identity;
	}

	/** The one-time password the customer reads out to the technician. */
	password(): string {
		return this.#password;
	}

	get currentScenario(): AgentScenario {
		return this.#scenario;
	}

	setScenario(s: AgentScenario) {
		this.#scenario = s;
		this.#changed();
	}

	/** The broker announced a session for this instrument: a console may now connect to it. */
	expectSession(sessionIdHex: string) {
		this.#sessions.add(sessionIdHex);
		this.log({ type: 'session-announced', detail: sessionIdHex.slice(0, 8) });
	}

	/** A console reached this agent through the relay for `sessionId`. */
	accept(sessionId: Uint8Array, transport: AgentTransport): AgentConnection | null {
		const hex = toHex(sessionId);
		this.log({ type: 'connection-request', detail: hex.slice(0, 8) });
		if (!this.#sessions.has(hex)) {
			transport.close(4404, 'unknown session');
			return null;
		}
		return new AgentConnection(this, sessionId, transport);
	}

	// AgentContext
	isDeviceAllowed(technicianId: string, deviceKey: Uint8Array): boolean {
		return this.#spec.isDeviceAllowed(technicianId, deviceKey);
	}
	scenario(): AgentScenario {
		return this.#scenario;
	}
	now(): number {
		return (this.#spec.now ?? Date.now)();
	}
	log(entry: AgentLogEntry) {
		this.logEntries.push({ ...entry, at: entry.at ?? this.now() });
		this.#changed();
	}
	onEstablished(connection: AgentConnection) {
		this.connection?.end('replaced');
		this.connection = connection;
		this.#changed();
	}
	/**
	 * A ticket for the next resumption of `connection`'s session; null when resumption is off.
	 * One live ticket per session: a new one replaces the last.
	 */
	issueTicket(connection: AgentConnection, ticket: AgentTicket): Uint8Array | null {
		if (!this.allowResume) return null;
		const sessionHex = toHex(connection.sessionId);
		this.#dropTickets(sessionHex);
		const ticketId = randomBytes(16);
		this.#tickets.set(toHex(ticketId), { ...ticket, sessionHex, connection });
		return ticketId;
	}

	/** Single use: the ticket leaves the store at the first attempt, whatever its outcome. */
	takeTicket(
		sessionId: Uint8Array,
		ticketId: Uint8Array
	): TicketLookup & { from?: AgentConnection } {
		const key = toHex(ticketId);
		const t = this.#tickets.get(key);
		if (!t) return { ok: false, reason: 'unknown' };
		this.#tickets.delete(key);
		if (t.sessionHex !== toHex(sessionId)) return { ok: false, reason: 'other-session' };
		const endedAt = t.connection.endedAt;
		if (endedAt !== null && this.now() - endedAt > this.resumeLifetimeMs)
			return { ok: false, reason: 'expired' };
		return { ok: true, ticket: t, from: t.connection };
	}

	/** What the agent tells the broker over its own link: may this session still be resumed? */
	canResume(sessionId: Uint8Array): boolean {
		const hex = toHex(sessionId);
		return [...this.#tickets.values()].some((t) => t.sessionHex === hex);
	}

	#dropTickets(sessionHex: string) {
		for (const [k, t] of this.#tickets) if (t.sessionHex === sessionHex) this.#tickets.delete(k);
	}

	onEnded(connection: AgentConnection, reason: string, resumable = false) {
		// A session ended in order (goodbye) cannot be resumed; a dropped one can, for a while.
		if (!resumable) this.#dropTickets(toHex(connection.sessionId));
		// A password is good for one session: the customer's screen shows a new one afterwards.
		if (this.connection === connection && this.#spec.password === undefined) {
			this.#password = newOneTimePassword();
		}
		if (this.connection === connection) this.connection = null;
		this.customer.clear();
		this.log({ type: 'ended', detail: reason });
	}
	onChat(text: string) {
		this.chat.push({ from: 'technician', text, at: this.now() });
		this.#changed();
	}
	onClipboard(text: string) {
		this.clipboardText = text;
		this.#changed();
	}

	/** The customer types in the chat. */
	async say(text: string) {
		this.chat.push({ from: 'customer', text, at: this.now() });
		await this.connection?.send({
			type: 'chat',
			messageId: this.chat.length,
			at: this.now(),
			text
		});
		this.#changed();
	}

	subscribe(listener: () => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	#changed() {
		for (const l of this.#listeners) l();
	}
}
