/**
 * The reference broker: plain state, no MSW. MSW handlers (mocks/broker/handlers.ts) and the
 * local reference server are thin adapters over it. Grows with docs/protocol.md.
 */
import { BROKER_PROTOCOL_VERSION, type HealthResponse } from '../../src/lib/protocol/broker-api';

export class BrokerModel {
	readonly name: string;

	constructor(name = 'benchside-mock-broker') {
		this.name = name;
	}

	health(): HealthResponse {
		return { status: 'ok', protocol: BROKER_PROTOCOL_VERSION, broker: this.name };
	}
}
