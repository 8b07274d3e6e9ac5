/**
 * The broker's relay, simulated (docs/protocol.md Part 1, "Relay"): it checks the socket's path,
 * token and session against the broker, then joins the console to the instrument's agent and only
 * forwards bytes. Plain class: MSW (relay-msw.ts) and the worker bridge (relay-bridge.ts) adapt it.
 */
import { base64urlDecode } from '../src/lib/protocol/base64url';
import { RELAY_CLOSE_CODES, RELAY_TOKEN_PREFIX } from '../src/lib/protocol/broker-api';
import type { InstrumentAgent } from './agent/agent';
import type { AgentTransport } from './agent/scenarios';
import type { BrokerModel } from './broker/model';

export interface RelayLink {
	/** Bytes from the console. */
	receive(bytes: Uint8Array): void;
	/** The console's socket closed (its close code; 1000 is a normal end). */
	closed(code?: number): void;
}

const PATH = /\/relay\/v1\/([A-Za-z0-9_-]{22})$/;

export class MockRelay {
	readonly #broker: BrokerModel;
	readonly #agents: ReadonlyMap<string, InstrumentAgent>;

	constructor(broker: BrokerModel, agents: ReadonlyMap<string, InstrumentAgent>) {
		this.#broker = broker;
		this.#agents = agents;
	}

	/** A console socket arrives: joined to its agent, or closed with the reason's code. */
	accept(url: string, protocols: readonly string[], toConsole: AgentTransport): RelayLink | null {
		const refuse = (code: keyof typeof RELAY_CLOSE_CODES, reason: string) => {
			toConsole.close(RELAY_CLOSE_CODES[code], reason);
			return null;
		};
		const sessionText = PATH.exec(new URL(url).pathname)?.[1];
		const sessionId = sessionText ? base64urlDecode(sessionText) : null;
		if (!sessionText || !sessionId) return refuse('session-unknown', 'no such session');
		const token = protocols
			.find((p) => p.startsWith(RELAY_TOKEN_PREFIX))
			?.slice(RELAY_TOKEN_PREFIX.length);
		const technician = this.#broker.technicianForToken(token);
		if (!technician) return refuse('unauthorized', 'sign in again');
		const session = this.#broker.session(sessionText);
		if (!session || session.state === 'ended') return refuse('session-unknown', 'no such session');
		if (session.technicianId !== technician.id) return refuse('forbidden', 'not your session');
		if (session.state === 'connected') return refuse('session-taken', 'already connected');
		const agent = this.#agents.get(session.instrumentId);
		if (!agent) return refuse('peer-gone', 'the instrument is not connected');
		this.#broker.sessionConnected(sessionText);
		// A normal close ends the broker's session; any other leaves it open for a resumption
		// (Part 1, "Relay": the console may open relayUrl again; the agent decides).
		const settle = (code: number | undefined) => {
			if (code === 1000 || !agent.canResume(sessionId)) this.#broker.endSession(sessionText);
			else this.#broker.suspendSession(sessionText);
		};
		let open = true;
		const connection = agent.accept(sessionId, {
			send: (bytes) => open && toConsole.send(bytes),
			close: (code, reason) => {
				if (!open) return;
				open = false;
				settle(code);
				toConsole.close(code, reason);
			}
		});
		if (!connection) return null;
		return {
			receive: (bytes) => open && connection.receive(bytes),
			closed: (code) => {
				if (!open) return;
				open = false;
				connection.closed();
				settle(code);
			}
		};
	}
}
