/**
 * The reference broker: plain state, no MSW. MSW handlers (mocks/broker/handlers.ts) and the
 * local reference server are thin adapters over it. Grows with docs/protocol.md.
 */
export const PROTOCOL_VERSION = 1;

export interface HealthReply {
	status: 'ok';
	protocol: number;
	broker: string;
}

export class BrokerModel {
	readonly name: string;

	constructor(name = 'benchside-mock-broker') {
		this.name = name;
	}

	health(): HealthReply {
		return { status: 'ok', protocol: PROTOCOL_VERSION, broker: this.name };
	}
}
