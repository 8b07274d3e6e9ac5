/**
 * The person at the instrument, simulated: a consent policy per capability, with the "ask"
 * policy leaving the decision to the dev panel (or a test) through approve / deny / revoke.
 */
import type { Capability } from '../../src/lib/protocol/messages';

export type ConsentPolicy =
	| { kind: 'auto-approve' }
	| { kind: 'ask' }
	| { kind: 'deny' }
	| { kind: 'revoke-after'; seconds: number };

export interface PendingConsent {
	requestId: number;
	capability: Capability;
	scope: 'once' | 'session';
	note: string;
	at: number;
}

export type Decision = 'grant' | 'deny' | 'pending';

type Listener = () => void;

export class SimulatedCustomer {
	readonly policies: Record<Capability, ConsentPolicy> = {
		view: { kind: 'auto-approve' },
		control: { kind: 'auto-approve' },
		'file-transfer': { kind: 'auto-approve' },
		clipboard: { kind: 'auto-approve' }
	};
	#pending: PendingConsent[] = [];
	readonly #asked = new Map<number, PendingConsent>();
	#listeners = new Set<Listener>();
	/** Set by the connection: carries out what the customer decides later. */
	answer: (requestId: number, decision: 'grant' | 'deny') => void = () => {};
	revoke: (capability: Capability) => void = () => {};

	setPolicy(capability: Capability, policy: ConsentPolicy) {
		this.policies[capability] = policy;
		this.#changed();
	}

	setAll(policy: ConsentPolicy) {
		for (const c of Object.keys(this.policies) as Capability[]) this.policies[c] = policy;
		this.#changed();
	}

	/** What the customer does on a request right now. */
	decide(request: Omit<PendingConsent, 'at'>, now: number): Decision {
		const policy = this.policies[request.capability];
		switch (policy.kind) {
			case 'auto-approve':
			case 'revoke-after':
				return 'grant';
			case 'deny':
				return 'deny';
			case 'ask':
				this.#asked.set(request.requestId, { ...request, at: now });
				this.#pending = [...this.#pending, { ...request, at: now }];
				this.#changed();
				return 'pending';
			default: {
				const never: never = policy;
				throw new Error(`unknown policy ${JSON.stringify(never)}`);
			}
		}
	}

	get pending(): readonly PendingConsent[] {
		return this.#pending;
	}

	/** A request this customer was asked about, answered or not. */
	lastRequest(requestId: number): PendingConsent | undefined {
		return this.#asked.get(requestId);
	}

	approve(requestId: number) {
		this.#settle(requestId, 'grant');
	}

	deny(requestId: number) {
		this.#settle(requestId, 'deny');
	}

	#settle(requestId: number, decision: 'grant' | 'deny') {
		const before = this.#pending.length;
		this.#pending = this.#pending.filter((p) => p.requestId !== requestId);
		if (this.#pending.length === before) return;
		this.answer(requestId, decision);
		this.#changed();
	}

	clear() {
		this.#pending = [];
		this.#changed();
	}

	subscribe(listener: Listener): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	#changed() {
		for (const l of this.#listeners) l();
	}
}
