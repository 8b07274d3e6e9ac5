/**
 * Hostile broker answers on request, for the console's error paths: handlers.ts applies them
 * before the model sees the request. Plain state, so the dev panel and tests can flip them.
 */
import type { BrokerEndpoint } from '../../src/lib/protocol/broker-api';

export const BROKER_FAULTS = ['http-500', 'http-401', 'malformed-json', 'slow'] as const;
/**
 * - `http-500`: the error envelope with `internal`;
 * - `http-401`: the error envelope with `unauthorized` (a token the broker no longer honours);
 * - `malformed-json`: 200 with a JSON content type and a truncated body;
 * - `slow`: the normal answer after `slowMs` (default 3 s).
 */
export type BrokerFault = (typeof BROKER_FAULTS)[number];

export class BrokerFaults {
	slowMs = 3000;
	#all: BrokerFault | null = null;
	readonly #byEndpoint = new Map<BrokerEndpoint, BrokerFault>();

	/** A fault for one endpoint, or for all of them; one endpoint's fault wins over all's. */
	set(fault: BrokerFault, endpoint?: BrokerEndpoint): void {
		if (endpoint === undefined) this.#all = fault;
		else this.#byEndpoint.set(endpoint, fault);
	}

	/** Clears one endpoint's fault, or every fault. */
	clear(endpoint?: BrokerEndpoint): void {
		if (endpoint !== undefined) {
			this.#byEndpoint.delete(endpoint);
			return;
		}
		this.#all = null;
		this.#byEndpoint.clear();
	}

	for(endpoint: BrokerEndpoint): BrokerFault | null {
		return this.#byEndpoint.get(endpoint) ?? this.#all;
	}
}
