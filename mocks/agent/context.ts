import type { Identity } from '../../src/lib/protocol/identity';
import type { PasswordGuard } from '../../src/lib/protocol/guard';
import type { Capability } from '../../src/lib/protocol/messages';
import type { AgentTicket, TicketLookup } from '../../src/lib/protocol/resume';
import type { SimulatedCustomer } from './customer';
import type { AgentFiles } from './files';
import type { AgentScenario } from './scenarios';
import type { ScreenSource } from './screen/types';
import type { AgentConnection } from './connection';

export interface AgentLogEntry {
	type: string;
	detail: string;
	at?: number;
}

/** What a connection needs from its instrument's agent. */
export interface AgentContext {
	readonly instrumentId: string;
	readonly name: string;
	readonly agentVersion: string;
	readonly phi: boolean;
	readonly capabilities: readonly Capability[];
	readonly identity: Identity & { keyId: string };
	readonly guard: PasswordGuard;
	readonly customer: SimulatedCustomer;
	readonly files: AgentFiles;
	readonly screen: ScreenSource;
	password(): string;
	isDeviceAllowed(technicianId: string, deviceKey: Uint8Array): boolean;
	scenario(): AgentScenario;
	now(): number;
	log(entry: AgentLogEntry): void;
	onEstablished(connection: AgentConnection): void;
	onEnded(connection: AgentConnection, reason: string, resumable?: boolean): void;
	issueTicket(connection: AgentConnection, ticket: AgentTicket): Uint8Array | null;
	takeTicket(
		sessionId: Uint8Array,
		ticketId: Uint8Array
	): TicketLookup & { from?: AgentConnection };
	readonly resumeLifetimeMs: number;
	onChat(text: string): void;
	onClipboard(text: string): void;
}
